"""The same period a year earlier: its range (clipped to the customer's window, like the previous period)
and the overlay of its daily or monthly kWh on this range's chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from portal.access_window import months_before
from portal.charts import interval_labels
from usage.reads.aggregate import day_range, lay_on_grid, series_for

OVERLAY_GRANULARITIES = ("day", "month")


def last_year_period(start: date, end: date, window_start: date) -> tuple[date, date, bool] | None:
    """(first day, last day, clipped) of the same dates a year earlier, starting no earlier than the window
    (a new occupant never sees the previous occupant's year); None when none of it is in the window."""
    ly_start, ly_end = months_before(start, 12), months_before(end, 12)
    lo = max(ly_start, window_start)
    if lo > ly_end:
        return None
    return lo, ly_end, lo != ly_start


@dataclass(frozen=True)
class Overlay:
    kwh: list[float | None]  # aligned with this range's buckets (None: nothing to show for that bucket)
    labels: list[str]  # the year-earlier bucket of each point ("" where none)


def last_year_overlay(
    *,
    start: date,
    end: date,
    granularity: str,
    consumption: Any,
    window_start: date,
    buckets: int,
) -> Overlay | None:
    """Last year's consumption (``consumption``: the stored days, ``ChannelDays`` or None) at this range's granularity, bucket by bucket (day i under day i, a month
    under the same month), or None when the granularity has no overlay or a year back has no data.

    A bucket reaching before the window is left out whole rather than shown in part."""
    if granularity not in OVERLAY_GRANULARITIES:
        return None
    ly_start, ly_end = months_before(start, 12), months_before(end, 12)
    rng = day_range(ly_start, ly_end)
    grid = lay_on_grid(rng, consumption)
    first_day = max(0, min(rng.n_days, (window_start - ly_start).days))
    if first_day:
        before = int(rng.offsets[first_day])
        grid.missing[:before] = True
        grid.values_wh[:before] = 0
    s = series_for(rng, grid, granularity)
    shown = ~s.null & (s.starts >= rng.day_starts[first_day])
    if not shown.any():
        return None
    kwh: list[float | None] = [None] * buckets
    labels = [""] * buckets
    texts = interval_labels(s.starts, s.ends, granularity)
    values = np.round(s.wh / 1000.0, 3).tolist()
    for i in np.flatnonzero(shown[:buckets]).tolist():
        kwh[i] = values[i]
        labels[i] = texts[i]
    return Overlay(kwh=kwh, labels=labels)
