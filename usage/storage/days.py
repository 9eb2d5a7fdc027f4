"""Day numbers (days since 1970-01-01) in storage's numpy arrays: slot counts, months, day masks. No Django."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from usage import timegrid
from usage.timegrid import day_num, num_day


@lru_cache(maxsize=512)
def _dst_days(year: int) -> tuple[int, int]:
    """Day numbers of the spring-forward and fall-back days of ``year`` (or -1)."""
    spring = fall = -1
    for month in (3, 4, 10, 11):
        d = date(year, month, 1)
        while d.month == month:
            n = timegrid.slots_in_day(d)
            if n == 92:
                spring = day_num(d)
            elif n == 100:
                fall = day_num(d)
            d += timedelta(days=1)
    return spring, fall


def slots_for_days(days: np.ndarray) -> np.ndarray:
    """Slot count (92/96/100) for an array of day numbers (days since 1970-01-01)."""
    days = np.asarray(days, dtype=np.int64)
    counts = np.full(days.shape, timegrid.NORMAL_SLOTS, dtype=np.int64)
    if not days.size:
        return counts
    lo_year = num_day(int(days.min())).year
    hi_year = num_day(int(days.max())).year
    for year in range(lo_year, hi_year + 1):
        spring, fall = _dst_days(year)
        counts[days == spring] = 92
        counts[days == fall] = 100
    return counts


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_num(day: np.ndarray) -> np.ndarray:
    """The day number of the first of each day number's month."""
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def mask_days(month: date, mask: int) -> np.ndarray:
    """Day numbers of the days a month block's ``day_mask`` holds."""
    first = day_num(month)
    bits = np.unpackbits(np.array([mask], dtype="<u4").view(np.uint8), bitorder="little")[:31]
    return first + np.flatnonzero(bits).astype(np.int64)


def gather_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices of the concatenation of ranges [starts[i], starts[i] + counts[i])."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offs = np.cumsum(counts) - counts
    return np.repeat(starts - offs, counts) + np.arange(total, dtype=np.int64)


def as_date(value) -> date:
    """A date column's value as a date (other databases than PostgreSQL may give text)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
