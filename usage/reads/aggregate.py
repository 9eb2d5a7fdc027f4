"""Interval data laid on the full 15-minute grid of a local date range, and its aggregates. Pure: no Django.

A *range* is a run of local (America/Chicago) calendar days ``[start, end]`` (both inclusive). Its slots are
consecutive in absolute time: slot ``k`` of the range starts ``900 * k`` seconds after local midnight of
``start``, whatever DST does in between (a spring-forward day contributes 92 slots, a fall-back day 100).
Every aggregate below is therefore a slice or a ``cumsum`` difference over flat numpy arrays: no Python
object per interval.

Quality rules (docs/formats.md):
- a slot that was never delivered (or lies on a day without data) is *missing*: it has no value, not zero;
- an aggregate's value is the sum of its delivered slots; it is null when none was delivered, except for
  hours, which are null when any of their four quarter-hours is missing (an hour with a hole is no hour);
- an aggregate is estimated when any of its delivered slots is;
- every aggregate counts its missing slots (``missing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Protocol

import numpy as np

from usage.timegrid import MARKET_TZ, SLOT_SECONDS, day_bounds_utc

GRANULARITIES = ("15min", "hour", "day", "month", "billing")
INTERVAL_GRANULARITIES = ("15min", "hour")


class DaysLike(Protocol):
    """What ``usage.storage.read_channel_days`` returns (``ChannelDays``); ``revisions`` is optional."""

    dates: np.ndarray
    offsets: np.ndarray
    values_wh: np.ndarray
    estimated: np.ndarray
    missing: np.ndarray


@dataclass(frozen=True)
class ChannelDays:
    """One channel's stored days in a range (what ``usage.storage.read_channels`` returns).

    ``values_wh[offsets[i]:offsets[i+1]]`` are the slots of ``dates[i]`` (92/96/100, absolute-time order:
    the fall-back day's CDT hour before its CST hour). ``missing`` marks slots never delivered (their value
    is 0); ``estimated`` marks estimated reads."""

    dates: np.ndarray  # datetime64[D], ascending, only days with data
    offsets: np.ndarray  # int64, len(dates) + 1
    values_wh: np.ndarray  # int64
    estimated: np.ndarray  # bool
    missing: np.ndarray  # bool
    revisions: np.ndarray | None = None  # int64 Unix seconds per slot, only when asked for

    @classmethod
    def empty(cls, *, revisions: bool = False) -> ChannelDays:
        return cls(
            dates=np.zeros(0, dtype="datetime64[D]"),
            offsets=np.zeros(1, dtype=np.int64),
            values_wh=np.zeros(0, dtype=np.int64),
            estimated=np.zeros(0, dtype=bool),
            missing=np.zeros(0, dtype=bool),
            revisions=np.zeros(0, dtype=np.int64) if revisions else None,
        )

    def day(self, d: date) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(values_wh, estimated, missing) of one day, or None when it has no data."""
        i = int(np.searchsorted(self.dates, np.datetime64(d, "D")))
        if i >= len(self.dates) or self.dates[i] != np.datetime64(d, "D"):
            return None
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.values_wh[a:b], self.estimated[a:b], self.missing[a:b]


# --------------------------------------------------------------------------------------------------- range


@dataclass(frozen=True)
class DayRange:
    start: date
    end: date
    dates: np.ndarray  # datetime64[D], every day of the range
    day_starts: np.ndarray  # int64 Unix seconds, len(dates) + 1 (the last is the end of the range)
    offsets: np.ndarray  # int64 slot offsets, len(dates) + 1

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def n_slots(self) -> int:
        return int(self.offsets[-1])

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def first_epoch(self) -> int:
        return int(self.day_starts[0])

    @property
    def last_epoch(self) -> int:
        return int(self.day_starts[-1])

    def day(self, i: int) -> date:
        return self.start + timedelta(days=i)

    @cached_property
    def slot_starts(self) -> np.ndarray:
        """Unix second at which each 15-minute slot starts (read-only; computed once per cached range)."""
        out = self.first_epoch + SLOT_SECONDS * np.arange(self.n_slots, dtype=np.int64)
        out.setflags(write=False)
        return out

    @cached_property
    def slot_ends(self) -> np.ndarray:
        out = self.slot_starts + SLOT_SECONDS
        out.setflags(write=False)
        return out


@lru_cache(maxsize=512)
def day_range(start: date, end: date) -> DayRange:
    """The grid of ``[start, end]`` (inclusive local dates)."""
    if end < start:
        raise ValueError("end before start")
    n = (end - start).days + 1
    starts = np.empty(n + 1, dtype=np.int64)
    for i in range(n):
        starts[i] = int(day_bounds_utc(start + timedelta(days=i))[0].timestamp())
    starts[n] = int(day_bounds_utc(end)[1].timestamp())
    offsets = (starts - starts[0]) // SLOT_SECONDS
    dates = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    for a in (starts, offsets, dates):
        a.setflags(write=False)
    return DayRange(start=start, end=end, dates=dates, day_starts=starts, offsets=offsets)


# ------------------------------------------------------------------------------------------ local time


@lru_cache(maxsize=64)
def _year_transitions(year: int) -> tuple[tuple[int, int], ...]:
    """(Unix second, new UTC offset in seconds) of every offset change of the market zone in ``year``."""
    out = []
    day = date(year, 1, 1)
    prev = datetime(year, 1, 1, tzinfo=MARKET_TZ).utcoffset()
    while day.year == year:
        nxt = day + timedelta(days=1)
        off = datetime(nxt.year, nxt.month, nxt.day, tzinfo=MARKET_TZ).utcoffset()
        if off != prev:
            s, e = day_bounds_utc(day)
            t = int(s.timestamp())
            while t < int(e.timestamp()):
                o = datetime.fromtimestamp(t, tz=MARKET_TZ).utcoffset()
                if o != prev:
                    out.append((t, int(o.total_seconds())))
                    break
                t += SLOT_SECONDS
            prev = off
        day = nxt
    return tuple(out)


def utc_offsets(epochs: np.ndarray) -> np.ndarray:
    """UTC offset (seconds) of the market zone at each instant (int64 Unix seconds), vectorised."""
    epochs = np.asarray(epochs, dtype=np.int64)
    if epochs.size == 0:
        return np.zeros(0, dtype=np.int64)
    lo = datetime.fromtimestamp(int(epochs.min()), tz=UTC).year - 1
    hi = datetime.fromtimestamp(int(epochs.max()), tz=UTC).year + 1
    base = int(datetime(lo, 1, 1, 12, tzinfo=MARKET_TZ).utcoffset().total_seconds())
    times = [np.iinfo(np.int64).min]
    offs = [base]
    for y in range(lo, hi + 1):
        for t, o in _year_transitions(y):
            times.append(t)
            offs.append(o)
    idx = np.searchsorted(np.array(times, dtype=np.int64), epochs, side="right") - 1
    return np.array(offs, dtype=np.int64)[idx]


def _put(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    for j in range(width):
        out[:, col + j] = (values // 10 ** (width - 1 - j)) % 10 + 48


def iso_local_matrix(epochs: np.ndarray) -> np.ndarray:
    """ "YYYY-MM-DDTHH:MM:SS+HH:MM" (25 bytes, uint8 rows) of Unix seconds in market time: integer
    arithmetic only (numpy's datetime_as_string costs ~300 ns a value)."""
    epochs = np.asarray(epochs, dtype=np.int64)
    n = epochs.size
    out = np.empty((n, 25), dtype=np.uint8)
    if not n:
        return out
    offs = utc_offsets(epochs)
    local = epochs + offs
    days = (local // 86400).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = days.astype("datetime64[Y]")
    sod = local % 86400
    _put(out, 0, years.astype(np.int64) + 1970, 4)
    _put(out, 5, (months - years.astype("datetime64[M]")).astype(np.int64) + 1, 2)
    _put(out, 8, (days - months.astype("datetime64[D]")).astype(np.int64) + 1, 2)
    _put(out, 11, sod // 3600, 2)
    _put(out, 14, sod // 60 % 60, 2)
    _put(out, 17, sod % 60, 2)
    out[:, [4, 7]] = ord("-")
    out[:, 10] = ord("T")
    out[:, [13, 16, 22]] = ord(":")
    out[:, 19] = np.where(offs < 0, ord("-"), ord("+"))
    mag = np.abs(offs)
    _put(out, 20, mag // 3600, 2)
    _put(out, 23, mag // 60 % 60, 2)
    return out


def iso_local_array(epochs: np.ndarray) -> np.ndarray:
    """ISO 8601 local times with their offsets of Unix seconds, as a numpy string array."""
    m = iso_local_matrix(epochs)
    return m.view("S25").reshape(len(m)).astype("U25")


def iso_local(epochs: np.ndarray) -> list[str]:
    """ISO 8601 local times with their offsets ("2025-07-01T00:00:00-05:00") of Unix seconds, vectorised."""
    return iso_local_array(epochs).tolist()


@lru_cache(maxsize=65536)
def iso_at(epoch: int) -> str:
    """ISO 8601 local time with offset of one instant."""
    return datetime.fromtimestamp(epoch, tz=MARKET_TZ).isoformat()


# ---------------------------------------------------------------------------------------------- grids


@dataclass(frozen=True)
class ChannelGrid:
    """One channel over every slot of a range (``values_wh`` is 0 where ``missing``)."""

    values_wh: np.ndarray  # int64, n_slots
    estimated: np.ndarray  # bool
    missing: np.ndarray  # bool: never delivered, or a day without data
    revisions: np.ndarray | None  # int64 Unix seconds, 0 where unknown; None when storage gives none
    has_data: bool

    @property
    def delivered(self) -> np.ndarray:
        return ~self.missing


def lay_on_grid(rng: DayRange, days: DaysLike | None) -> ChannelGrid:
    """Scatter a channel's stored days onto the range's grid; days outside the range are ignored."""
    n = rng.n_slots
    values = np.zeros(n, dtype=np.int64)
    est = np.zeros(n, dtype=bool)
    miss = np.ones(n, dtype=bool)
    revs_in = getattr(days, "revisions", None) if days is not None else None
    revs = np.zeros(n, dtype=np.int64) if revs_in is not None else None
    if days is None or len(days.dates) == 0:
        return ChannelGrid(values, est, miss, revs, False)
    di = (np.asarray(days.dates, dtype="datetime64[D]") - rng.dates[0]).astype(np.int64)
    keep = (di >= 0) & (di < rng.n_days)
    src_off = np.asarray(days.offsets, dtype=np.int64)
    counts = np.diff(src_off)
    if not keep.any():
        return ChannelGrid(values, est, miss, revs, False)
    if not np.array_equal(counts[keep], rng.counts[di[keep]]):
        raise ValueError("a stored day's slot count does not match its date (92/96/100)")
    src_values = np.asarray(days.values_wh, dtype=np.int64)
    src_est = np.asarray(days.estimated, dtype=bool)
    src_missing = np.asarray(days.missing, dtype=bool)
    kept = np.flatnonzero(keep)
    k0, k1 = int(kept[0]), int(kept[-1])
    if len(kept) == k1 - k0 + 1 and int(di[k1] - di[k0]) == k1 - k0:
        # the usual case: consecutive stored days -> one contiguous slice on both sides
        sa, sb = int(src_off[k0]), int(src_off[k1 + 1])
        da = int(rng.offsets[di[k0]])
        dst = slice(da, da + sb - sa)
        values[dst] = src_values[sa:sb]
        est[dst] = src_est[sa:sb]
        miss[dst] = src_missing[sa:sb]
        if revs is not None:
            revs[dst] = np.asarray(revs_in, dtype=np.int64)[sa:sb]
    else:
        slot_keep = np.repeat(keep, counts)
        shift = np.repeat(rng.offsets[np.where(keep, di, 0)] - src_off[:-1], counts)
        idx = (np.arange(len(slot_keep), dtype=np.int64) + shift)[slot_keep]
        values[idx] = src_values[slot_keep]
        est[idx] = src_est[slot_keep]
        miss[idx] = src_missing[slot_keep]
        if revs is not None:
            revs[idx] = np.asarray(revs_in, dtype=np.int64)[slot_keep]
    if miss.any():
        values[miss] = 0
        est[miss] = False
    return ChannelGrid(values, est, miss, revs, bool((~miss).any()))


# --------------------------------------------------------------------------------------------- series


@dataclass(frozen=True)
class Series:
    """One channel at one granularity: interval ``i`` runs from ``starts[i]`` to ``ends[i]`` (Unix seconds)."""

    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    wh: np.ndarray  # int64, 0 where null
    null: np.ndarray  # bool: no value
    estimated: np.ndarray  # bool
    missing: np.ndarray  # int64: slots of the interval without a delivered value
    estimated_wh: np.ndarray | None = None  # int64: the part of ``wh`` from estimated slots (charts draw it)

    def __len__(self) -> int:
        return len(self.starts)

    def kwh(self) -> np.ndarray:
        """float64 kWh (Wh / 1000, so exactly 3 decimals when printed shortest), NaN where null."""
        out = self.wh / 1000.0
        out[self.null] = np.nan
        return out


def series_15min(rng: DayRange, grid: ChannelGrid) -> Series:
    return Series(
        starts=rng.slot_starts,
        ends=rng.slot_ends,
        wh=grid.values_wh,
        null=grid.missing,
        estimated=grid.estimated,
        missing=grid.missing.astype(np.int64),
        estimated_wh=np.where(grid.estimated, grid.values_wh, 0),
    )


def series_hour(rng: DayRange, grid: ChannelGrid) -> Series:
    """Absolute-time hours: every day has a multiple of four slots, so hour h is slots 4h..4h+3."""
    n = rng.n_slots // 4
    starts = rng.first_epoch + 3600 * np.arange(n, dtype=np.int64)
    miss = grid.missing.reshape(n, 4).sum(axis=1)
    null = miss > 0
    wh = grid.values_wh.reshape(n, 4).sum(axis=1)
    wh[null] = 0
    est = grid.estimated.reshape(n, 4).any(axis=1) & ~null
    est_wh = np.where(grid.estimated, grid.values_wh, 0).reshape(n, 4).sum(axis=1)
    est_wh[null] = 0
    return Series(
        starts=starts, ends=starts + 3600, wh=wh, null=null, estimated=est, missing=miss, estimated_wh=est_wh
    )


def series_spans(rng: DayRange, grid: ChannelGrid, first_day: np.ndarray, last_day: np.ndarray) -> Series:
    """Aggregates over spans of whole days: span j covers day indices first_day[j]..last_day[j] (inclusive)."""
    first_day = np.asarray(first_day, dtype=np.int64)
    last_day = np.asarray(last_day, dtype=np.int64)
    a = rng.offsets[first_day]
    b = rng.offsets[last_day + 1]
    if len(a) and a[0] == 0 and b[-1] == rng.n_slots and (a[1:] == b[:-1]).all() and (b > a).all():
        # spans that tile the range (days, months): one reduceat per array
        wh = np.add.reduceat(grid.values_wh, a)
        miss = np.add.reduceat(grid.missing, a, dtype=np.int64)
        est = np.logical_or.reduceat(grid.estimated, a)
        est_wh = np.add.reduceat(np.where(grid.estimated, grid.values_wh, 0), a)
    else:
        z = np.zeros(1, dtype=np.int64)
        cs_wh = np.concatenate([z, np.cumsum(grid.values_wh)])
        cs_miss = np.concatenate([z, np.cumsum(grid.missing, dtype=np.int64)])
        cs_est = np.concatenate([z, np.cumsum(grid.estimated, dtype=np.int64)])
        cs_est_wh = np.concatenate([z, np.cumsum(np.where(grid.estimated, grid.values_wh, 0))])
        wh = cs_wh[b] - cs_wh[a]
        miss = cs_miss[b] - cs_miss[a]
        est = (cs_est[b] - cs_est[a]) > 0
        est_wh = cs_est_wh[b] - cs_est_wh[a]
    return Series(
        starts=rng.day_starts[first_day],
        ends=rng.day_starts[last_day + 1],
        wh=wh,
        null=miss == (b - a),
        estimated=est,
        missing=miss,
        estimated_wh=est_wh,
    )


def day_spans(rng: DayRange) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(rng.n_days, dtype=np.int64)
    return i, i


def month_spans(rng: DayRange) -> tuple[np.ndarray, np.ndarray]:
    """Calendar months, clipped to the range (a range starting mid-month starts with a partial month)."""
    months = rng.dates.astype("datetime64[M]").astype(np.int64)
    brk = np.flatnonzero(np.diff(months)) + 1
    first = np.concatenate([[0], brk]).astype(np.int64)
    last = np.concatenate([brk - 1, [rng.n_days - 1]]).astype(np.int64)
    return first, last


def period_spans(rng: DayRange, periods: list[tuple[date, date]]) -> tuple[np.ndarray, np.ndarray]:
    """Day-index spans of (first day, last day) periods; each must lie inside the range."""
    first = np.array([(a - rng.start).days for a, _ in periods], dtype=np.int64)
    last = np.array([(b - rng.start).days for _, b in periods], dtype=np.int64)
    if len(periods) and (first.min() < 0 or last.max() >= rng.n_days or (last < first).any()):
        raise ValueError("a period lies outside the range")
    return first, last


def series_for(
    rng: DayRange, grid: ChannelGrid, granularity: str, periods: list[tuple[date, date]] | None = None
) -> Series:
    if granularity == "15min":
        return series_15min(rng, grid)
    if granularity == "hour":
        return series_hour(rng, grid)
    if granularity == "day":
        return series_spans(rng, grid, *day_spans(rng))
    if granularity == "month":
        return series_spans(rng, grid, *month_spans(rng))
    if granularity == "billing":
        return series_spans(rng, grid, *period_spans(rng, periods or []))
    raise ValueError(f"unknown granularity {granularity!r}")


# ---------------------------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class BilledPeriod:
    """A billing period as the TDU reported it: ``wh`` None for "NA" (not available), never zero."""

    start_date: date
    end_date: date  # inclusive
    wh: int | None
    estimated: bool
    revised_at: int | None = None  # Unix seconds


@dataclass(frozen=True)
class Reads:
    """What the writers render: one premise, one range, one granularity, both channels."""

    esiid: str
    granularity: str
    range: DayRange
    consumption: ChannelGrid
    generation: ChannelGrid
    series_consumption: Series
    series_generation: Series
    billed: tuple[BilledPeriod, ...] = ()  # billing periods touching the range (the intervals of "billing")

    @property
    def start(self) -> date:
        return self.range.start

    @property
    def end(self) -> date:
        return self.range.end


def build_reads(
    *,
    esiid: str,
    start: date,
    end: date,
    granularity: str,
    consumption: DaysLike | None,
    generation: DaysLike | None,
    billed: list[BilledPeriod] | None = None,
) -> Reads:
    """Lay both channels on the range's grid and aggregate them to ``granularity``.

    ``billed``: the billing periods that touch the range (Green Button XML gives each a UsageSummary); for
    ``billing`` they are the intervals, and the range must cover each of them whole (the selector widens it).
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    rng = day_range(start, end)
    cg = lay_on_grid(rng, consumption)
    gg = lay_on_grid(rng, generation)
    periods = [(b.start_date, b.end_date) for b in (billed or [])] if granularity == "billing" else None
    return Reads(
        esiid=esiid,
        granularity=granularity,
        range=rng,
        consumption=cg,
        generation=gg,
        series_consumption=series_for(rng, cg, granularity, periods),
        series_generation=series_for(rng, gg, granularity, periods),
        billed=tuple(billed or ()),
    )
