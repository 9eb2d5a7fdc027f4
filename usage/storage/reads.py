# ruff: noqa: S608 - table names in SQL come from model _meta, never from input
"""The read path: a premise's day rows and month blocks in one query, merged into one ChannelDays per
channel."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from usage import codec
from usage.models import Channel
from usage.reads.aggregate import ChannelDays
from usage.storage.days import as_date, day_num, gather_ranges, month_start, num_day, slots_for_days
from usage.storage.db import read_rows, tables
from usage.timegrid import EPOCH_ORD

CHANNELS = (int(Channel.CONSUMPTION), int(Channel.GENERATION))


_SHARED_ROWS: ContextVar[dict[tuple[int, date, date], list[tuple]] | None] = ContextVar(
    "shared_premise_rows", default=None
)


@contextlib.contextmanager
def shared_reads() -> Iterator[None]:
    """Inside it, one premise's rows for one range are fetched once: a data request reads them for its
    validators (``revision_stamp``) and again for its body (``read_channels``); this makes that one query,
    and the ETag describes exactly the bytes the body was built from. Only for reads that write no
    interval data in between (a GET)."""
    token = _SHARED_ROWS.set({})
    try:
        yield
    finally:
        _SHARED_ROWS.reset(token)


def _premise_rows(premise_id: int, start: date, end: date) -> list[tuple]:
    """(kind 0 = day row / 1 = month block, channel, day or month, day_mask, data) of both channels touching
    ``start``..``end``, in a stable order (the revision digest depends on it)."""
    shared = _SHARED_ROWS.get()
    key = (premise_id, start, end)
    if shared is not None and key in shared:
        return shared[key]
    day_t, month_t = tables()
    sql = (
        f"SELECT 0, channel, day, 0, data FROM {day_t} WHERE premise_id = %s AND day >= %s AND day <= %s "
        f"UNION ALL SELECT 1, channel, month, day_mask, data FROM {month_t} "
        f"WHERE premise_id = %s AND month >= %s AND month <= %s ORDER BY 1, 2, 3"
    )
    rows = read_rows(sql, [premise_id, start, end, premise_id, month_start(start), end])
    if shared is not None:
        shared[key] = rows
    return rows


def read_channels(
    *, premise_id: int, start: date, end: date, revisions: bool = False
) -> dict[int, ChannelDays]:
    """Both channels of one premise for local dates ``start``..``end`` (inclusive), in one query. With
    ``revisions`` each slot's revision time comes along (the CSV layout prints it)."""
    if end < start:
        return {ch: ChannelDays.empty(revisions=revisions) for ch in CHANNELS}
    return _assemble(_premise_rows(premise_id, start, end), start, end, revisions=revisions)


@dataclass(frozen=True)
class DayTotals:
    """Daily totals of many premises: ``wh[channel][i, d]`` the Wh of premise ``premise_ids[i]`` on day
    ``start + d`` (the sum of its delivered intervals), NaN when none of that day was delivered."""

    premise_ids: list[int]
    start: date
    wh: dict[int, np.ndarray]


def read_day_totals_many(*, premise_ids: list[int], start: date, end: date) -> DayTotals:
    """Each day's total per premise and channel for ``start``..``end``, in one query and one decode pass:
    what a portfolio of premises side by side needs, without assembling every slot of every premise."""
    n = max(0, (end - start).days + 1)
    wh = {ch: np.full((len(premise_ids), n), np.nan) for ch in CHANNELS}
    if not n or not premise_ids:
        return DayTotals(premise_ids=list(premise_ids), start=start, wh=wh)
    day_t, month_t = tables()
    marks = ", ".join(["%s"] * len(premise_ids))
    sql = (
        f"SELECT premise_id, 0, channel, day, 0, data FROM {day_t} "
        f"WHERE premise_id IN ({marks}) AND day >= %s AND day <= %s "
        f"UNION ALL SELECT premise_id, 1, channel, month, day_mask, data FROM {month_t} "
        f"WHERE premise_id IN ({marks}) AND month >= %s AND month <= %s ORDER BY 2 DESC"
    )  # month blocks first: a day row written after them wins for a day both hold
    rows = read_rows(sql, [*premise_ids, start, end, *premise_ids, month_start(start), end])
    if not rows:
        return DayTotals(premise_ids=list(premise_ids), start=start, wh=wh)
    blocks = codec.decode_many([r[5] for r in rows], revisions=False)
    row_of = {pid: i for i, pid in enumerate(premise_ids)}
    first_day = [r for r in range(len(rows)) if rows[r][1] == 0][:1]
    split = first_day[0] if first_day else len(rows)  # month blocks come first (ORDER BY), then day rows
    days: list[int] = []
    owner: list[int] = []
    chans: list[int] = []
    for pid, _, ch, when, mask, _ in rows[:split]:
        offs = _mask_offsets(int(mask))
        first = day_num(as_date(when))
        days.extend([first + i for i in offs])
        owner.extend([row_of[pid]] * len(offs))
        chans.extend([ch] * len(offs))
    day_rows = rows[split:]
    days.extend(as_date(r[3]).toordinal() - EPOCH_ORD for r in day_rows)
    owner.extend(row_of[r[0]] for r in day_rows)
    chans.extend(r[2] for r in day_rows)
    day_arr = np.array(days, dtype=np.int64)
    counts = slots_for_days(day_arr)
    values = np.concatenate([b.values for b in blocks])
    missing = np.concatenate([b.missing for b in blocks])
    if len(values) != int(counts.sum()):
        raise codec.CodecError("stored blocks do not match their days")
    starts = np.cumsum(counts) - counts
    totals = np.add.reduceat(np.where(missing, 0, values), starts).astype(np.float64)
    delivered = np.add.reduceat(~missing, starts) > 0
    col = day_arr - day_num(start)
    keep = delivered & (col >= 0) & (col < n)
    owner_arr, chan_arr = np.array(owner, dtype=np.int64), np.array(chans, dtype=np.int64)
    for ch in CHANNELS:
        sel = keep & (chan_arr == ch)
        wh[ch][owner_arr[sel], col[sel]] = totals[sel]  # in row order: day rows after month blocks
    return DayTotals(premise_ids=list(premise_ids), start=start, wh=wh)


def read_channel_days(*, premise_id: int, channel: int, start: date, end: date) -> ChannelDays:
    """One channel of one premise for local dates ``start``..``end`` (inclusive)."""
    if end < start:
        return ChannelDays.empty()
    day_t, month_t = tables()
    sql = (
        f"SELECT 0, channel, day, 0, data FROM {day_t} "
        f"WHERE premise_id = %s AND channel = %s AND day >= %s AND day <= %s "
        f"UNION ALL SELECT 1, channel, month, day_mask, data FROM {month_t} "
        f"WHERE premise_id = %s AND channel = %s AND month >= %s AND month <= %s"
    )
    rows = read_rows(sql, [premise_id, channel, start, end, premise_id, channel, month_start(start), end])
    return _assemble(rows, start, end, channels=(int(channel),))[int(channel)]


@lru_cache(maxsize=4096)
def _mask_offsets(mask: int) -> tuple[int, ...]:
    """Day offsets (0-30) from the first of the month of the days a month block's mask holds."""
    return tuple(i for i in range(31) if mask >> i & 1)


def _assemble(
    rows, start: date, end: date, channels: Iterable[int] = CHANNELS, *, revisions: bool = False
) -> dict[int, ChannelDays]:
    """Stored rows (kind 0 = day row, 1 = month block) to one ChannelDays per channel, clipped to the range;
    a day row wins over a month block holding the same day."""
    lo, hi = day_num(start), day_num(end)
    blocks = codec.decode_many([r[4] for r in rows], revisions=revisions)
    per: dict[int, tuple[list, list, list]] = {int(ch): ([], [], []) for ch in channels}
    for (kind, ch, when, mask, _), block in zip(rows, blocks, strict=True):
        first = day_num(as_date(when))
        days, prio, parts = per.setdefault(int(ch), ([], [], []))
        if kind == 0:
            days.append(first)
            prio.append(0)
            parts.append((block, 1))
        else:
            offs = _mask_offsets(int(mask))
            days.extend(first + i for i in offs)
            prio.extend([1] * len(offs))
            parts.append((block, len(offs)))
    return {ch: _merge(days, prio, parts, lo, hi, revisions) for ch, (days, prio, parts) in per.items()}


def _merge(
    days_list: list[int], prio_list: list[int], parts: list, lo: int, hi: int, revisions: bool = False
) -> ChannelDays:
    if not parts:
        return ChannelDays.empty(revisions=revisions)
    days = np.array(days_list, dtype=np.int64)
    counts = slots_for_days(days)
    ndays = np.array([k for _, k in parts], dtype=np.int64)
    first_day = np.cumsum(ndays) - ndays
    expected = np.add.reduceat(counts, first_day)
    lengths = np.array([len(b) for b, _ in parts], dtype=np.int64)
    if not np.array_equal(expected, lengths):
        bad = int(np.flatnonzero(expected != lengths)[0])
        raise codec.CodecError(f"stored block of day {num_day(days[first_day[bad]])} does not match its days")
    if len(parts) == 1:
        block = parts[0][0]
        values, est, mis = block.values, block.estimated, block.missing
        rev = block.revisions if revisions else None
    else:
        values = np.concatenate([b.values for b, _ in parts])
        est = np.concatenate([b.estimated for b, _ in parts])
        mis = np.concatenate([b.missing for b, _ in parts])
        rev = np.concatenate([b.revisions for b, _ in parts]) if revisions else None
    starts = np.cumsum(counts) - counts
    keep = (days >= lo) & (days <= hi)
    order = np.flatnonzero(keep)
    if order.size and (np.any(np.diff(days[order]) <= 0)):
        prio = np.array(prio_list, dtype=np.int64)
        order = order[np.lexsort((prio[order], days[order]))]
        first = np.ones(order.size, dtype=bool)
        first[1:] = days[order][1:] != days[order][:-1]
        order = order[first]  # a day row wins over a month block holding the same day
    sel_counts = counts[order]
    offsets = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(sel_counts, out=offsets[1:])
    if order.size == len(days) and (order.size == 0 or (order[0] == 0 and np.all(np.diff(order) == 1))):
        return ChannelDays(
            dates=days.astype("datetime64[D]"),
            offsets=offsets,
            values_wh=values,
            estimated=est,
            missing=mis,
            revisions=rev,
        )
    idx = gather_ranges(starts[order], counts[order])
    return ChannelDays(
        dates=days[order].astype("datetime64[D]"),
        offsets=offsets,
        values_wh=values[idx],
        estimated=est[idx],
        missing=mis[idx],
        revisions=rev[idx] if rev is not None else None,
    )


def revision_stamp(*, premise_id: int, start: date, end: date) -> tuple[int, str]:
    """(latest revision time, digest of the stored bytes) of one premise's rows touching ``start``..``end``,
    both channels: the digest changes whenever a load or a purge changes what a read of that range returns,
    even a correction stamped earlier than the latest revision. Decodes no value: only the revision runs are
    read (month blocks count whole, so a revision elsewhere in such a month counts too)."""
    if end < start:
        return 0, ""
    digest = hashlib.blake2b(digest_size=16)
    latest = 0
    for kind, ch, when, _, data in _premise_rows(premise_id, start, end):
        digest.update(f"{kind}/{ch}/{when}/{len(data)}:".encode())
        digest.update(data)
        latest = max(latest, codec.latest_revision(data))
    return latest, digest.hexdigest()
