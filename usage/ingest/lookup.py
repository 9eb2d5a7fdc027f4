# ruff: noqa: S608 - table names in SQL come from model _meta, never from input
"""The parsers' ``lookup``: ESI IDs to premises of the file's TDU and their meters' install dates, in bulk."""

from __future__ import annotations

from datetime import date

from django.db import connection

from usage.models import Meter, Premise, Tdu
from usage.storage import is_postgres
from usage.timegrid import day_num


class EsiidLookup:
    """Resolve ESI IDs to premises of the file's TDU, in bulk."""

    def __init__(self, tdu: Tdu):
        self.tdu = tdu

    def __call__(self, esiids: list[str]) -> list[tuple[int, str | None, str | None, int]]:
        found: dict[str, tuple[int, int]] = {}
        installs: dict[int, date] = {}
        premise_t, meter_t = Premise._meta.db_table, Meter._meta.db_table
        with connection.cursor() as cur:
            for i in range(0, len(esiids), 5000):
                part = esiids[i : i + 5000]
                if is_postgres():  # one array literal: no per-value adaptation or query splitting
                    where, params = "p.esiid = ANY(%s::varchar[])", ["{" + ",".join(part) + "}"]
                else:
                    where, params = f"p.esiid IN ({','.join(['%s'] * len(part))})", part
                cur.execute(
                    f"SELECT p.id, p.esiid, p.tdu_id, MIN(m.installed_on) FROM {premise_t} p "
                    f"LEFT JOIN {meter_t} m ON m.premise_id = p.id WHERE {where} "
                    "GROUP BY p.id, p.esiid, p.tdu_id",
                    params,
                )
                for pid, esiid, tdu_id, install in cur.fetchall():
                    found[esiid] = (pid, tdu_id)
                    if install is not None:
                        installs[pid] = (
                            install if isinstance(install, date) else date.fromisoformat(str(install))
                        )
        tdu_names: dict[int, str] = {}
        out = []
        for esiid in esiids:
            hit = found.get(esiid)
            if hit is None:
                out.append((-1, "unknown_esiid", f"ESI ID {esiid} is not registered", day_num(date.min)))
                continue
            pid, tdu_id = hit
            if tdu_id != self.tdu.id:
                if tdu_id not in tdu_names:
                    tdu_names[tdu_id] = str(Tdu.objects.filter(id=tdu_id).first())
                out.append(
                    (
                        -1,
                        "other_tdu",
                        f"ESI ID {esiid} belongs to {tdu_names[tdu_id]}, not to {self.tdu.name}",
                        day_num(date.min),
                    )
                )
                continue
            install = installs.get(pid)
            out.append((pid, None, None, day_num(install) if install else day_num(date.min)))
        return out
