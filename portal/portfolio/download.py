"""The combined download: every premise of the portfolio in one CSV, streamed premise after premise.

Each premise's part is exactly what its own CSV download gives for its share of the range (the one export
function, usage.writers.export), clipped to the account's windows. For 15-minute data that is the TDU layout,
which already starts with ESIID; for hourly, daily and monthly data an ``esiid`` column is put first. The
header appears once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from portal.access_window import DateRange
from usage.models import Premise
from usage.writers.csv import SPAN_HEADER, TDU_HEADER
from usage.writers.export import export_intervals


def _parts(windows: list[DateRange], start: date, end: date) -> list[tuple[date, date]]:
    return [(max(w.start, start), min(w.end, end)) for w in windows if w.start <= end and w.end >= start]


def combined_csv(
    *, premises: list[tuple[Premise, list[DateRange]]], start: date, end: date, granularity: str
) -> Iterator[bytes]:
    yield TDU_HEADER if granularity == "15min" else b"esiid," + SPAN_HEADER
    for premise, windows in premises:
        prefix = premise.esiid.encode() + b","
        for lo, hi in _parts(windows, start, end):
            body = export_intervals(
                premise=premise, start=lo, end=hi, granularity=granularity, fmt="csv"
            ).body
            rows = body.partition(b"\r\n")[2]
            if not rows:
                continue
            if granularity != "15min":
                rows = prefix + rows[:-2].replace(b"\r\n", b"\r\n" + prefix) + b"\r\n"
            yield rows


def combined_filename(*, start: date, end: date, granularity: str) -> str:
    return f"portfolio_{start:%Y%m%d}-{end:%Y%m%d}_{granularity}.csv"
