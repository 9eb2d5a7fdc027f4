"""Synthetic channel days for tests and benchmarks (pure numpy; not the TDU file generator)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from usage.reads.aggregate import ChannelDays
from usage.timegrid import slots_in_day


def synthetic_days(
    start: date,
    end: date,
    *,
    seed: int = 0,
    skip: tuple[date, ...] = (),
    estimated_share: float = 0.02,
    missing_share: float = 0.0,
    max_wh: int = 2500,
    revision: int | None = None,
) -> ChannelDays:
    """Random but plausible days ``start``..``end`` (inclusive) minus ``skip``."""
    rng = np.random.default_rng(seed)
    days = []
    d = start
    while d <= end:
        if d not in skip:
            days.append(d)
        d += timedelta(days=1)
    counts = np.array([slots_in_day(x) for x in days], dtype=np.int64)
    offsets = np.zeros(len(days) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    n = int(offsets[-1])
    values = rng.integers(0, max_wh + 1, n).astype(np.int64)
    est = rng.random(n) < estimated_share
    missing = rng.random(n) < missing_share
    values[missing] = 0
    est &= ~missing
    revisions = None
    if revision is not None:
        revisions = np.full(n, revision, dtype=np.int64)
    return ChannelDays(
        dates=np.array(days, dtype="datetime64[D]"),
        offsets=offsets,
        values_wh=values,
        estimated=est,
        missing=missing,
        revisions=revisions,
    )
