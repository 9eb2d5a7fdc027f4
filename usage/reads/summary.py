"""Summaries of a range of interval data (what the usage page shows beside the chart). Pure: no Django.

Definitions (also in docs/formats.md):
- ``total_kwh``: sum of the delivered consumption intervals; null when none was delivered.
- ``average_per_day_kwh``: ``total_kwh`` / ``days_with_data`` (days with at least one delivered
  consumption interval) - days without data do not pull the average down.
- ``peak``: the largest 15-minute consumption interval: its kWh, its average demand in kW (kWh x 4) and its
  start and end instants (the first one when several tie).
- ``base_load_kw``: the 5th percentile of the delivered 15-minute consumption values, as average demand in
  kW (Wh x 4 / 1000): the ``ceil(0.05 n)``-th smallest value (numpy's ``inverted_cdf``), so it is always a
  value that was actually read. It is what the home draws when nearly everything is off. With solar (any
  surplus generation in the range) only the intervals without generation count: while panels produce, the
  grid meter's consumption is net of them and reads near zero (``base_load_basis`` says which rule held).
- ``estimated_share``: delivered consumption intervals flagged estimated / delivered consumption intervals.
- ``generation_total_kwh``: sum of delivered surplus-generation intervals; null when the range has none.
- ``missing_intervals``: consumption slots of the range without a delivered value (days without data count).
"""

from __future__ import annotations

import math

import numpy as np

from usage.reads.aggregate import ChannelGrid, DayRange, iso_at
from usage.timegrid import SLOT_SECONDS


def _kwh(wh: int | None) -> float | None:
    return None if wh is None else wh / 1000


def summarize(rng: DayRange, consumption: ChannelGrid, generation: ChannelGrid) -> dict:
    """The summary of one range as plain JSON-ready values (kWh with 3 decimals, times ISO with offsets)."""
    delivered = ~consumption.missing
    n = int(delivered.sum())
    vals = consumption.values_wh[delivered]
    per_day = np.add.reduceat(delivered, rng.offsets[:-1]) if rng.n_days else np.zeros(0)
    days_with_data = int((per_day > 0).sum())
    total = int(vals.sum()) if n else None
    peak = None
    base = None
    gen_delivered = ~generation.missing
    solar = bool(gen_delivered.any() and generation.values_wh[gen_delivered].any())
    if n:
        k = int(np.argmax(np.where(delivered, consumption.values_wh, -1)))
        pwh = int(consumption.values_wh[k])
        start = rng.first_epoch + k * SLOT_SECONDS
        peak = {
            "kwh": pwh / 1000,
            "kw": pwh * 4 / 1000,
            "start": iso_at(start),
            "end": iso_at(start + SLOT_SECONDS),
        }
        base_vals = vals
        if solar:
            without_gen = delivered & ~(gen_delivered & (generation.values_wh > 0))
            base_vals = consumption.values_wh[without_gen]
        if base_vals.size:
            sorted_vals = np.sort(base_vals)
            base_wh = int(sorted_vals[max(math.ceil(0.05 * base_vals.size) - 1, 0)])
            base = base_wh * 4 / 1000
    gen_total = int(generation.values_wh[gen_delivered].sum()) if gen_delivered.any() else None
    return {
        "start_date": rng.start.isoformat(),
        "end_date": rng.end.isoformat(),
        "start": iso_at(rng.first_epoch),
        "end": iso_at(rng.last_epoch),
        "days": rng.n_days,
        "days_with_data": days_with_data,
        "total_kwh": _kwh(total),
        "average_per_day_kwh": round(total / days_with_data / 1000, 3) if total is not None else None,
        "peak": peak,
        "base_load_kw": base,
        "base_load_basis": "intervals_without_generation" if solar else "all_intervals",
        "estimated_share": round(int(consumption.estimated[delivered].sum()) / n, 4) if n else None,
        "generation_total_kwh": _kwh(gen_total),
        "missing_intervals": int(consumption.missing.sum()),
    }
