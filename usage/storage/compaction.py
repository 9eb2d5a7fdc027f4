# ruff: noqa: S608 - table names in SQL come from model _meta, never from input
"""Compaction of settled day rows into meter-month rows, and the reverse when a late revision reaches a
compacted month."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from usage import codec
from usage.models import Premise
from usage.storage.days import as_date, day_num, mask_days, month_num, month_start, num_day, slots_for_days
from usage.storage.db import is_postgres, pg_array, tables
from usage.storage.locks import lock_tdus_days
from usage.storage.partitions import months_between, next_month, reclaim_compacted_days
from usage.storage.writes import delete_months, write_day_blocks, write_month_blocks
from usage.timegrid import local_today


def uncompact_months(premise: np.ndarray, channel: np.ndarray, day: np.ndarray) -> int:
    """Turn the month blocks that hold any of these keys' months back into day rows (so that a late
    revision of a compacted month goes through the day path). Returns the number of months opened."""
    if not len(premise):
        return 0
    _, month_t = tables()
    key = (np.asarray(premise, np.int64) * 4 + np.asarray(channel, np.int64)) * 100_000 + month_num(day)
    ukey = np.unique(key)
    months = np.stack([ukey // 400_000, (ukey // 100_000) % 4, ukey % 100_000], axis=1)
    # (premise, channel, month day-number); day numbers are below 100,000 until the year 2243
    found = []
    with connection.cursor() as cur:
        if is_postgres():
            cur.execute(
                f"SELECT m.premise_id, m.channel, m.month, m.day_mask, m.data FROM {month_t} m "
                "JOIN unnest(%s::bigint[], %s::smallint[], %s::date[]) AS k(p, c, mm) "
                "ON m.premise_id = k.p AND m.channel = k.c AND m.month = k.mm "
                # a concurrent load opening the same month waits, then finds it gone and reads the day rows
                "ORDER BY m.month, m.premise_id, m.channel FOR UPDATE OF m",
                [pg_array(months[:, 0]), pg_array(months[:, 1]), pg_array(months[:, 2], dates=True)],
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
                    found += [r for r in cur.fetchall() if (r[0], r[1], day_num(as_date(r[2]))) in wanted]
    if not found:
        return 0
    keys_p, keys_c, keys_d, blocks = [], [], [], []
    for pid, ch, month, mask, data in found:
        month = as_date(month)
        block = codec.decode(data)
        days = mask_days(month, int(mask))
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
    delete_months([(r[0], r[1], as_date(r[2])) for r in found])
    write_day_blocks(
        np.array(keys_p, dtype=np.int64),
        np.array(keys_c, dtype=np.int64),
        np.array(keys_d, dtype=np.int64),
        blocks,
        source_file_id=None,
        replace=True,
    )
    return len(found)


def _signed_mask(mask: int) -> int:
    return mask - (1 << 32) if mask >= 1 << 31 else mask


def compact_months(*, before: date | None = None, premise_batch: int = 500) -> dict:
    """Compact the day rows of every month that ends before ``before`` into meter-month rows.

    ``before`` defaults to today minus ``INTERVAL_SETTLE_DAYS`` (45): TDUs rarely revise older data, and
    a revision that still comes later simply reopens that month. Works one month at a time (on PostgreSQL
    one month's partitions) and in one transaction per batch of premises, so readers see either the day
    rows or the month row, never neither. On PostgreSQL the emptied day partitions then give their disk back
    (``reclaimed_partitions``, usage.storage.partitions.reclaim_compacted_days)."""
    if before is None:
        before = local_today() - timedelta(days=getattr(settings, "INTERVAL_SETTLE_DAYS", 45))
    cutoff = month_start(before)  # whole months before the month that contains ``before``
    day_t, month_t = tables()
    stats = {"months": 0, "days": 0}
    with connection.cursor() as cur:
        cur.execute(f"SELECT min(day) FROM {day_t} WHERE day < %s", [cutoff])
        first = cur.fetchone()[0]
    if first is not None:
        _compact_from(as_date(first), cutoff, stats, day_t, month_t, premise_batch)
    if is_postgres():
        stats["reclaimed_partitions"] = len(reclaim_compacted_days(cutoff))
    return stats


def _compact_from(
    first: date, cutoff: date, stats: dict, day_t: str, month_t: str, premise_batch: int
) -> None:
    # one month at a time: on PostgreSQL each month's queries prune to that month's partitions
    for month in months_between(first, cutoff - timedelta(days=1)):
        until = next_month(month)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT DISTINCT premise_id FROM {day_t} WHERE day >= %s AND day < %s ORDER BY premise_id",
                [month, until],
            )
            premises = [r[0] for r in cur.fetchall()]
        for i in range(0, len(premises), premise_batch):
            with transaction.atomic():
                _compact_batch(premises[i : i + premise_batch], month, until, stats, day_t, month_t)


def _stored_month_days(month: date, mask: int, data: bytes) -> dict[int, tuple]:
    """A stored meter-month block split into its days: day number -> (values, estimated, missing, revisions)."""
    block = codec.decode(data)
    mdays = mask_days(month, mask)
    counts = slots_for_days(mdays)
    out: dict[int, tuple] = {}
    pos = 0
    for d, n in zip(mdays.tolist(), counts.tolist(), strict=True):
        out[d] = (
            block.values[pos : pos + n],
            block.estimated[pos : pos + n],
            block.missing[pos : pos + n],
            block.revisions[pos : pos + n],
        )
        pos += n
    return out


def _month_block(month: date, merged: dict[int, tuple]) -> tuple[int, bytes]:
    """(day mask, encoded block) of a month's days (day number -> the four arrays), in day order."""
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
    return mask, data


def _compact_batch(part: list[int], since: date, cutoff: date, stats: dict, day_t: str, month_t: str) -> None:
    """Compact the day rows of premises ``part[0]``..``part[-1]`` from ``since`` to before ``cutoff``."""
    lo, hi = part[0], part[-1]
    with connection.cursor() as cur:
        # take turns with loads of these TDUs' days (lock_tdu_days): every day of the month to compact,
        # before reading, so that no load changes a day between this read and the write below
        cur.execute(
            f"SELECT DISTINCT tdu_id FROM {Premise._meta.db_table} WHERE id >= %s AND id <= %s", [lo, hi]
        )
        lock_tdus_days([r[0] for r in cur.fetchall()], list(range(day_num(since), day_num(cutoff))))
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
        existing = {(p, c, as_date(m)): (int(k), bytes(d)) for p, c, m, k, d in cur.fetchall()}
    groups: dict[tuple[int, int, date], dict[int, codec.Block]] = {}
    blocks = codec.decode_many([bytes(r[3]) for r in rows])
    for (pid, ch, d, _), block in zip(rows, blocks, strict=True):
        d = as_date(d)
        groups.setdefault((pid, ch, d.replace(day=1)), {})[day_num(d)] = block
    if not groups:
        return
    new_rows = []
    replaced = []
    for key, days in groups.items():
        month = key[2]
        merged: dict[int, tuple] = {}
        if key in existing:
            merged.update(_stored_month_days(month, *existing[key]))
            replaced.append(key)
        for d, b in days.items():
            merged[d] = (b.values, b.estimated, b.missing, b.revisions)
        mask, data = _month_block(month, merged)
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
