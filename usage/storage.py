# ruff: noqa: S608 - table names in SQL come from model _meta, never from input
"""Interval storage: day rows for recent data, meter-month rows for settled data, one read path for both.

Rows (see usage.models): ``IntervalDay`` (premise, channel, local day) and ``IntervalMonth`` (premise,
channel, first of month, day_mask). Their ``data`` is a usage.codec block: for a day its 92/96/100 slots in
absolute time; for a month the present days' slots end to end. A day lives in exactly one of the two.

Bulk writes on PostgreSQL go through psycopg 3 ``COPY`` on Django's own connection, inside the caller's
transaction; other databases use ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from smt.sql import fetch_all
from usage import codec, timegrid
from usage.models import Channel, IntervalDay, IntervalMonth, Premise
from usage.reads.aggregate import ChannelDays

EPOCH_ORD = date(1970, 1, 1).toordinal()
CHANNELS = (int(Channel.CONSUMPTION), int(Channel.GENERATION))


# ---------------------------------------------------------------------------------------------------
# day numbers and slot counts


def day_num(d: date) -> int:
    return d.toordinal() - EPOCH_ORD


def num_day(n: int) -> date:
    return date.fromordinal(int(n) + EPOCH_ORD)


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


def _gather(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices of the concatenation of ranges [starts[i], starts[i] + counts[i])."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offs = np.cumsum(counts) - counts
    return np.repeat(starts - offs, counts) + np.arange(total, dtype=np.int64)


def _mask_days(month: date, mask: int) -> np.ndarray:
    first = day_num(month)
    bits = np.unpackbits(np.array([mask], dtype="<u4").view(np.uint8), bitorder="little")[:31]
    return first + np.flatnonzero(bits).astype(np.int64)


# ---------------------------------------------------------------------------------------------------
# reads


def _tables() -> tuple[str, str]:
    return IntervalDay._meta.db_table, IntervalMonth._meta.db_table


def read_channels(
    *, premise_id: int, start: date, end: date, revisions: bool = False
) -> dict[int, ChannelDays]:
    """Both channels of one premise for local dates ``start``..``end`` (inclusive), in one query. With
    ``revisions`` each slot's revision time comes along (the CSV layout prints it)."""
    if end < start:
        return {ch: ChannelDays.empty(revisions=revisions) for ch in CHANNELS}
    day_t, month_t = _tables()
    sql = (
        f"SELECT 0, channel, day, 0, data FROM {day_t} WHERE premise_id = %s AND day >= %s AND day <= %s "
        f"UNION ALL SELECT 1, channel, month, day_mask, data FROM {month_t} "
        f"WHERE premise_id = %s AND month >= %s AND month <= %s"
    )
    rows = fetch_all(sql, [premise_id, start, end, premise_id, month_start(start), end])
    return _assemble(rows, start, end, revisions=revisions)


def read_channel_days(*, premise_id: int, channel: int, start: date, end: date) -> ChannelDays:
    """One channel of one premise for local dates ``start``..``end`` (inclusive)."""
    if end < start:
        return ChannelDays.empty()
    day_t, month_t = _tables()
    sql = (
        f"SELECT 0, channel, day, 0, data FROM {day_t} "
        f"WHERE premise_id = %s AND channel = %s AND day >= %s AND day <= %s "
        f"UNION ALL SELECT 1, channel, month, day_mask, data FROM {month_t} "
        f"WHERE premise_id = %s AND channel = %s AND month >= %s AND month <= %s"
    )
    rows = fetch_all(sql, [premise_id, channel, start, end, premise_id, channel, month_start(start), end])
    return _assemble(rows, start, end, channels=(int(channel),))[int(channel)]


def _as_date(value) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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
        first = day_num(_as_date(when))
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
    idx = _gather(starts[order], counts[order])
    return ChannelDays(
        dates=days[order].astype("datetime64[D]"),
        offsets=offsets,
        values_wh=values[idx],
        estimated=est[idx],
        missing=mis[idx],
        revisions=rev[idx] if rev is not None else None,
    )


# ---------------------------------------------------------------------------------------------------
# writes (used by usage.loader and compaction; callers hold the transaction)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pg_array(values: np.ndarray | list, *, dates: bool = False) -> str:
    """A PostgreSQL array literal: one short string for psycopg to send instead of a list to adapt."""
    if dates:
        vals = np.asarray(values, dtype=np.int64).astype("datetime64[D]").astype(str)
        return "{" + ",".join(vals.tolist()) + "}"
    return "{" + ",".join(map(str, np.asarray(values).tolist())) + "}"


def fetch_day_blocks(premise: np.ndarray, channel: np.ndarray, day: np.ndarray) -> dict[tuple, bytes]:
    """Stored day blocks for exactly these keys: {(premise_id, channel, day_num): data}."""
    out: dict[tuple, bytes] = {}
    if not len(premise):
        return out
    day_t, _ = _tables()
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"SELECT d.premise_id, d.channel, d.day, d.data FROM {day_t} d "
                "JOIN unnest(%s::bigint[], %s::smallint[], %s::date[]) AS k(p, c, dd) "
                "ON d.premise_id = k.p AND d.channel = k.c AND d.day = k.dd",
                [_pg_array(premise), _pg_array(channel), _pg_array(day, dates=True)],
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
                        out[(pid, ch, day_num(_as_date(dd)))] = bytes(data)
    wanted = set(zip(premise.tolist(), channel.tolist(), day.tolist(), strict=True))
    return {k: v for k, v in out.items() if k in wanted}


def uncompact_months(premise: np.ndarray, channel: np.ndarray, day: np.ndarray) -> int:
    """Turn the month blocks that hold any of these keys' months back into day rows (so that a late
    revision of a compacted month goes through the day path). Returns the number of months opened."""
    if not len(premise):
        return 0
    _, month_t = _tables()
    key = (np.asarray(premise, np.int64) * 4 + np.asarray(channel, np.int64)) * 100_000 + _month_num(day)
    ukey = np.unique(key)
    months = np.stack([ukey // 400_000, (ukey // 100_000) % 4, ukey % 100_000], axis=1)
    # (premise, channel, month day-number); day numbers are below 100,000 until the year 2243
    found = []
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"SELECT m.premise_id, m.channel, m.month, m.day_mask, m.data FROM {month_t} m "
                "JOIN unnest(%s::bigint[], %s::smallint[], %s::date[]) AS k(p, c, mm) "
                "ON m.premise_id = k.p AND m.channel = k.c AND m.month = k.mm",
                [_pg_array(months[:, 0]), _pg_array(months[:, 1]), _pg_array(months[:, 2], dates=True)],
            )
            found = cur.fetchall()
        else:
            wanted = {tuple(r) for r in months.tolist()}
            for m in np.unique(months[:, 2]).tolist():
                pl = sorted({int(r[0]) for r in months.tolist() if r[2] == m})
                for i in range(0, len(pl), 500):
                    part = pl[i : i + 500]
                    cur.execute(
                        f"SELECT premise_id, channel, month, day_mask, data FROM {month_t} WHERE month = %s "
                        f"AND premise_id IN ({','.join(['%s'] * len(part))})",
                        [num_day(m), *part],
                    )
                    found += [r for r in cur.fetchall() if (r[0], r[1], day_num(_as_date(r[2]))) in wanted]
    if not found:
        return 0
    keys_p, keys_c, keys_d, blocks = [], [], [], []
    for pid, ch, month, mask, data in found:
        month = _as_date(month)
        block = codec.decode(data)
        days = _mask_days(month, int(mask))
        counts = slots_for_days(days)
        pos = 0
        for d, n in zip(days.tolist(), counts.tolist(), strict=True):
            keys_p.append(pid)
            keys_c.append(ch)
            keys_d.append(d)
            blocks.append(
                codec.encode(
                    block.values[pos : pos + n],
                    estimated=block.estimated[pos : pos + n],
                    missing=block.missing[pos : pos + n],
                    revisions=block.revisions[pos : pos + n],
                )
            )
            pos += n
    delete_months([(r[0], r[1], _as_date(r[2])) for r in found])
    write_day_blocks(
        np.array(keys_p, dtype=np.int64),
        np.array(keys_c, dtype=np.int64),
        np.array(keys_d, dtype=np.int64),
        blocks,
        source_file_id=None,
        replace=True,
    )
    return len(found)


def _month_num(day: np.ndarray) -> np.ndarray:
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def delete_months(keys: list[tuple[int, int, date]]) -> None:
    _, month_t = _tables()
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
    day_t, _ = _tables()
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"DELETE FROM {day_t} d USING unnest(%s::bigint[], %s::smallint[], %s::date[]) "
                "AS k(p, c, dd) WHERE d.premise_id = k.p AND d.channel = k.c AND d.day = k.dd",
                [_pg_array(premise), _pg_array(channel), _pg_array(day, dates=True)],
            )
        else:
            rows = list(zip(premise.tolist(), channel.tolist(), day.tolist(), strict=True))
            cur.executemany(
                f"DELETE FROM {day_t} WHERE premise_id = %s AND channel = %s AND day = %s",
                [(p, c, num_day(d)) for p, c, d in rows],
            )


_LOCK_NAMESPACE = 0x534D  # "SM": our advisory locks, apart from anybody else's on the same database
BILLING_LOCK = -1  # the second lock key of a TDU's billing periods (days are >= 0)


def lock_tdu_days(*, tdu_id: int, days: Iterable[int]) -> None:
    """Serialise loads that touch the same local days of one TDU, until the caller's transaction ends.

    A load reads the stored days, merges them per interval and writes them back; a second load of the same
    days must read the first one's result, not the state before it (which would lose the first one's
    revisions). A premise belongs to one TDU, so loads of different TDUs or different days never wait for
    each other, and files load side by side."""
    _lock_tdu_days([tdu_id], sorted({int(d) for d in days}))


def _lock_tdu_days(tdu_ids: Iterable[int], days: list[int]) -> None:
    """PostgreSQL transaction-level advisory locks on every (TDU, day), in one statement and one global
    order (TDU key, then day), so that loads and compaction cannot deadlock. Other databases serialise
    writers on their own."""
    if not is_postgres() or not days:
        return
    keys = sorted({(_LOCK_NAMESPACE << 16) | (int(t) & 0xFFFF) for t in tdu_ids})
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_advisory_xact_lock(k, d)) FROM (SELECT k, d FROM unnest(%s::int[]) AS k "
            "CROSS JOIN unnest(%s::int[]) AS d ORDER BY k, d) AS ordered",
            [keys, days],
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
        day_t, _ = _tables()
        with connection.cursor() as cur:
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
        _, month_t = _tables()
        with (
            connection.cursor() as cur,
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


# ---------------------------------------------------------------------------------------------------
# compaction and retention


def _signed_mask(mask: int) -> int:
    return mask - (1 << 32) if mask >= 1 << 31 else mask


def compact_months(*, before: date | None = None, premise_batch: int = 500) -> dict:
    """Compact the day rows of every month that ends before ``before`` into meter-month rows.

    ``before`` defaults to today minus ``INTERVAL_SETTLE_DAYS`` (45): TDUs rarely revise older data, and
    a revision that still comes later simply reopens that month. Runs in one transaction per batch of
    premises, so readers see either the day rows or the month row, never neither."""
    if before is None:
        before = date.today() - timedelta(days=getattr(settings, "INTERVAL_SETTLE_DAYS", 45))
    cutoff = month_start(before)  # whole months before the month that contains ``before``
    day_t, month_t = _tables()
    stats = {"months": 0, "days": 0}
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT premise_id FROM {day_t} WHERE day < %s ORDER BY premise_id", [cutoff])
        premises = [r[0] for r in cur.fetchall()]
    for i in range(0, len(premises), premise_batch):
        part = premises[i : i + premise_batch]
        with transaction.atomic():
            _compact_batch(part, cutoff, stats, day_t, month_t)
    return stats


def _compact_batch(part: list[int], cutoff: date, stats: dict, day_t: str, month_t: str) -> None:
    lo, hi = part[0], part[-1]
    with connection.cursor() as cur:
        # take turns with loads of these TDUs' days (lock_tdu_days): every day of the months to compact,
        # before reading, so that no load changes a day between this read and the write below
        cur.execute(
            f"SELECT min(day) FROM {day_t} WHERE premise_id >= %s AND premise_id <= %s AND day < %s",
            [lo, hi, cutoff],
        )
        first = cur.fetchone()[0]
        if first is None:
            return
        since = month_start(_as_date(first))  # only the locked days are read, merged and deleted below
        cur.execute(
            f"SELECT DISTINCT tdu_id FROM {Premise._meta.db_table} WHERE id >= %s AND id <= %s", [lo, hi]
        )
        _lock_tdu_days([r[0] for r in cur.fetchall()], list(range(day_num(since), day_num(cutoff))))
        cur.execute(
            f"SELECT premise_id, channel, day, data FROM {day_t} WHERE premise_id >= %s AND premise_id <= %s "
            "AND day >= %s AND day < %s ORDER BY premise_id, channel, day",
            [lo, hi, since, cutoff],
        )
        rows = cur.fetchall()
        cur.execute(
            f"SELECT premise_id, channel, month, day_mask, data FROM {month_t} "
            "WHERE premise_id >= %s AND premise_id <= %s AND month >= %s AND month < %s",
            [lo, hi, since, cutoff],
        )
        existing = {(p, c, _as_date(m)): (int(k), bytes(d)) for p, c, m, k, d in cur.fetchall()}
    groups: dict[tuple[int, int, date], dict[int, codec.Block]] = {}
    blocks = codec.decode_many([bytes(r[3]) for r in rows])
    for (pid, ch, d, _), block in zip(rows, blocks, strict=True):
        d = _as_date(d)
        groups.setdefault((pid, ch, d.replace(day=1)), {})[day_num(d)] = block
    if not groups:
        return
    new_rows = []
    replaced = []
    for key, days in groups.items():
        month = key[2]
        merged: dict[int, tuple] = {}
        if key in existing:
            mask, data = existing[key]
            block = codec.decode(data)
            mdays = _mask_days(month, mask)
            counts = slots_for_days(mdays)
            pos = 0
            for d, n in zip(mdays.tolist(), counts.tolist(), strict=True):
                merged[d] = (
                    block.values[pos : pos + n],
                    block.estimated[pos : pos + n],
                    block.missing[pos : pos + n],
                    block.revisions[pos : pos + n],
                )
                pos += n
            replaced.append(key)
        for d, b in days.items():
            merged[d] = (b.values, b.estimated, b.missing, b.revisions)
        order = sorted(merged)
        mask = 0
        first = day_num(month)
        for d in order:
            mask |= 1 << (d - first)
        data = codec.encode(
            np.concatenate([merged[d][0] for d in order]),
            estimated=np.concatenate([merged[d][1] for d in order]),
            missing=np.concatenate([merged[d][2] for d in order]),
            revisions=np.concatenate([merged[d][3] for d in order]),
            compress=True,
        )
        new_rows.append((key[0], key[1], month, _signed_mask(mask), data))
        stats["months"] += 1
        stats["days"] += len(days)
    if replaced:
        delete_months(replaced)
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {day_t} WHERE premise_id >= %s AND premise_id <= %s AND day >= %s AND day < %s",
            [lo, hi, since, cutoff],
        )
        if cur.rowcount != len(rows):  # pragma: no cover - the locks above make this impossible
            raise RuntimeError("day rows changed while being compacted; nothing was compacted")
    write_month_blocks(new_rows)


def retention_cutoff(today: date | None = None) -> date:
    """The first local date still kept: ``INTERVAL_RETENTION_YEARS`` (default 7) before today."""
    today = today or date.today()
    years = int(getattr(settings, "INTERVAL_RETENTION_YEARS", 7))
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge_expired(*, today: date | None = None) -> dict:
    """Delete interval data older than the retention period. A month block is deleted once all of its
    month is older (so up to a month more than the period may be kept); billing periods that ended
    before the cutoff go too."""
    from usage.models import BillingPeriod

    cutoff = retention_cutoff(today)
    with transaction.atomic():
        days, _ = IntervalDay.objects.filter(day__lt=cutoff).delete()
        months, _ = IntervalMonth.objects.filter(month__lt=month_start(cutoff)).delete()
        billing, _ = BillingPeriod.objects.filter(end_date__lt=cutoff).delete()
    return {"cutoff": cutoff.isoformat(), "days": days, "months": months, "billing_periods": billing}
