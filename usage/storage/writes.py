# ruff: noqa: S608 - table names in SQL come from model _meta, never from input
"""Writes of day rows and month rows, and the read of the stored day blocks a load merges with. Callers hold
the transaction.

Bulk writes on PostgreSQL go through psycopg 3 ``COPY`` on Django's own connection, inside the caller's
transaction; other databases use ``bulk_create``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db import connection

from usage.models import IntervalDay, IntervalMonth
from usage.storage.days import as_date, day_num, num_day
from usage.storage.db import is_postgres, pg_array, tables
from usage.storage.partitions import ensure_partitions


def fetch_day_blocks(
    premise: np.ndarray, channel: np.ndarray, day: np.ndarray, *, lock: bool = False
) -> dict[tuple, bytes]:
    """Stored day blocks for exactly these keys: {(premise_id, channel, day_num): data}.

    With ``lock`` (a load about to merge and rewrite them) the rows are locked until the transaction ends,
    in one global order (day, premise, channel), so a concurrent load of the same meter-days waits and then
    reads this one's result; loads of other meters never wait."""
    out: dict[tuple, bytes] = {}
    if not len(premise):
        return out
    day_t, _ = tables()
    with connection.cursor() as cur:
        if is_postgres():
            locking = " ORDER BY d.day, d.premise_id, d.channel FOR UPDATE OF d" if lock else ""
            cur.execute(
                f"SELECT d.premise_id, d.channel, d.day, d.data FROM {day_t} d "
                "JOIN unnest(%s::bigint[], %s::smallint[], %s::date[]) AS k(p, c, dd) "
                "ON d.premise_id = k.p AND d.channel = k.c AND d.day = k.dd" + locking,
                [pg_array(premise), pg_array(channel), pg_array(day, dates=True)],
            )
            for pid, ch, d, data in cur.fetchall():
                out[(pid, ch, day_num(d))] = bytes(data)
            return out
        else:
            by_day: dict[int, set[int]] = {}
            for p, d in zip(premise.tolist(), day.tolist(), strict=True):
                by_day.setdefault(d, set()).add(p)
            for d, pids in by_day.items():
                pl = sorted(pids)
                for i in range(0, len(pl), 500):
                    part = pl[i : i + 500]
                    cur.execute(
                        f"SELECT premise_id, channel, day, data FROM {day_t} WHERE day = %s "
                        f"AND premise_id IN ({','.join(['%s'] * len(part))})",
                        [num_day(d), *part],
                    )
                    for pid, ch, dd, data in cur.fetchall():
                        out[(pid, ch, day_num(as_date(dd)))] = bytes(data)
    wanted = set(zip(premise.tolist(), channel.tolist(), day.tolist(), strict=True))
    return {k: v for k, v in out.items() if k in wanted}


def delete_months(keys: list[tuple[int, int, date]]) -> None:
    _, month_t = tables()
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"DELETE FROM {month_t} m USING unnest(%s::bigint[], %s::smallint[], %s::date[]) "
                "AS k(p, c, mm) WHERE m.premise_id = k.p AND m.channel = k.c AND m.month = k.mm",
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]],
            )
        else:
            for p, c, m in keys:
                cur.execute(
                    f"DELETE FROM {month_t} WHERE premise_id = %s AND channel = %s AND month = %s", [p, c, m]
                )


def delete_day_keys(premise: np.ndarray, channel: np.ndarray, day: np.ndarray) -> None:
    if not len(premise):
        return
    day_t, _ = tables()
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"DELETE FROM {day_t} d USING unnest(%s::bigint[], %s::smallint[], %s::date[]) "
                "AS k(p, c, dd) WHERE d.premise_id = k.p AND d.channel = k.c AND d.day = k.dd",
                [pg_array(premise), pg_array(channel), pg_array(day, dates=True)],
            )
        else:
            rows = list(zip(premise.tolist(), channel.tolist(), day.tolist(), strict=True))
            cur.executemany(
                f"DELETE FROM {day_t} WHERE premise_id = %s AND channel = %s AND day = %s",
                [(p, c, num_day(d)) for p, c, d in rows],
            )


def write_day_blocks(
    premise: np.ndarray,
    channel: np.ndarray,
    day: np.ndarray,
    blocks: list[bytes],
    *,
    source_file_id: int | None,
    replace: bool,
) -> None:
    """Insert day rows; with ``replace`` first delete rows with the same keys."""
    if not blocks:
        return
    if replace:
        delete_day_keys(premise, channel, day)
    pl, cl, dl = premise.tolist(), channel.tolist(), day.tolist()
    dates = {d: num_day(d) for d in set(dl)}
    if is_postgres():
        ensure_partitions(num_day(min(dl)), num_day(max(dl)))  # a set lookup once the months exist
        day_t, _ = tables()
        # psycopg's own cursor: its errors are wrapped so that callers see Django's (IntegrityError, ...)
        with connection.cursor() as cur, connection.wrap_database_errors:
            pg = cur.connection
            with (
                pg.cursor() as pcur,
                pcur.copy(
                    f"COPY {day_t} (premise_id, channel, day, data, source_file_id) FROM STDIN (FORMAT BINARY)"
                ) as cp,
            ):
                cp.set_types(["int8", "int2", "date", "bytea", "int8"])
                for p, c, d, b in zip(pl, cl, dl, blocks, strict=True):
                    cp.write_row((p, c, dates[d], b, source_file_id))
    else:
        IntervalDay.objects.bulk_create(
            [
                IntervalDay(premise_id=p, channel=c, day=dates[d], data=b, source_file_id=source_file_id)
                for p, c, d, b in zip(pl, cl, dl, blocks, strict=True)
            ],
            batch_size=500,
        )


def write_month_blocks(rows: list[tuple[int, int, date, int, bytes]]) -> None:
    """Insert month rows (premise_id, channel, month, day_mask, data); keys must be free."""
    if not rows:
        return
    if is_postgres():
        ensure_partitions(min(r[2] for r in rows), max(r[2] for r in rows))
        _, month_t = tables()
        with (
            connection.cursor() as cur,
            connection.wrap_database_errors,
            cur.connection.cursor() as pcur,
            pcur.copy(
                f"COPY {month_t} (premise_id, channel, month, day_mask, data) FROM STDIN (FORMAT BINARY)"
            ) as cp,
        ):
            cp.set_types(["int8", "int2", "date", "int4", "bytea"])
            for row in rows:
                cp.write_row(row)
    else:
        IntervalMonth.objects.bulk_create(
            [IntervalMonth(premise_id=p, channel=c, month=m, day_mask=k, data=b) for p, c, m, k, b in rows],
            batch_size=500,
        )
