"""Billing periods for the demo premises, so UsageSummary, ``billing:read`` and ``granularity=billing`` have
something to show: each premise's complete read cycles inside the loaded data, summed from the stored
intervals, delivered as the TDU's billing-period file and loaded by the one loader (usage.ingest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import BillingPeriod, Channel, IngestFile, Premise
from usage.synth import BILLING_HEADER
from usage.synth.csvfmt import mdy
from usage.synth.generate import billing_periods
from usage.synth.premises import SynthPremise


def _period_rows(premise: Premise, p: SynthPremise, start: date, end: date) -> list[bytes]:
    """Billing-file rows of the complete periods in ``start``..``end`` with every day stored."""
    days = storage.read_channel_days(
        premise_id=premise.pk, channel=int(Channel.CONSUMPTION), start=start, end=end
    )
    if not len(days.dates):
        return []
    offsets = np.asarray(days.offsets, dtype=np.int64)
    values = np.where(days.missing, 0, days.values_wh)
    daily_wh = np.add.reduceat(values, offsets[:-1]) if len(values) else np.zeros(0, dtype=np.int64)
    daily_est = np.logical_or.reduceat(days.estimated | days.missing, offsets[:-1])
    index = {d: i for i, d in enumerate(days.dates.astype(object).tolist())}
    rows = []
    for first, last in billing_periods(p, start, (end - start).days + 1):
        a, b = index.get(first), index.get(last)
        if a is None or b is None or b - a != (last - first).days:
            continue  # a day of the period is not loaded: no bill yet
        total = int(daily_wh[a : b + 1].sum())
        flag = "E" if bool(daily_est[a : b + 1].any()) else "A"
        revised = last + timedelta(days=2)
        rows.append(
            f"'{p.esiid},{mdy(first)},{mdy(last)},{total // 1000}.{total % 1000:03d},{flag},"
            f"{mdy(revised)} 06:30:00\r\n".encode("ascii")
        )
    return rows


def billing_data_ensure(*, premises: Sequence[SynthPremise], start: date, end: date, out_dir: Path) -> int:
    """Load the billing periods of ``premises`` not loaded before, one file per TDU; the number loaded."""
    known = {p.esiid: p for p in premises}
    have = set(
        BillingPeriod.objects.filter(premise__esiid__in=known).values_list("premise__esiid", "start_date")
    )
    by_tdu: dict[str, list[bytes]] = {}
    for premise in Premise.objects.filter(esiid__in=known).select_related("tdu"):
        rows = [
            r
            for r in _period_rows(premise, known[premise.esiid], start, end)
            if (premise.esiid, _first_date(r)) not in have
        ]
        by_tdu.setdefault(premise.tdu.duns, []).extend(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded = 0
    for duns, rows in by_tdu.items():
        if not rows:
            continue
        path = out_dir / f"{duns}_{end:%Y%m%d}_BILLING.csv"
        path.write_bytes(BILLING_HEADER + b"".join(rows))
        report = ingest_file(path=path)
        if report.status != IngestFile.Status.FAILED:
            loaded += report.stored
        path.unlink(missing_ok=True)
    return loaded


def _first_date(row: bytes) -> date:
    m, d, y = row.split(b",")[1].decode().split("/")
    return date(int(y), int(m), int(d))
