"""Load a parsed interval file into day rows, inside the file's transaction: deduplicate within the file,
merge with the stored days per interval (a later revision wins), write the days that changed."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from usage import codec, storage
from usage.ingest.batch import Batch
from usage.ingest.intervals import parse_interval_file
from usage.ingest.limits import check_shares, size_limits
from usage.ingest.lookup import EsiidLookup
from usage.ingest.reasons import ROW_REASONS, FileRejected
from usage.ingest.rejects import save_rejects, with_raw_lines
from usage.models import IngestFile, Tdu
from usage.storage.days import gather_ranges, num_day

MIN_REV = np.iinfo(np.int64).min


@dataclass
class _Accumulated:
    premise: np.ndarray
    channel: np.ndarray
    day: np.ndarray
    slot: np.ndarray
    wh: np.ndarray
    estimated: np.ndarray
    revision: np.ndarray
    line: np.ndarray


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    out = np.concatenate(parts).astype(dtype, copy=False)
    parts.clear()
    return out


_FIELDS = ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line")
_DTYPES = {
    "premise": np.int32,
    "channel": np.int8,
    "day": np.int32,
    "slot": np.int16,
    "wh": np.int32,
    "estimated": np.bool_,
    "revision": np.int64,
    "line": np.uint32,
}


def load_intervals(report: IngestFile, stream: BinaryIO, *, tdu: Tdu, today: date) -> None:
    # accepted readings are kept per local day in compact arrays (28 bytes a reading): a meter-day's rows
    # may be anywhere in the file, but days are independent, so the merge then runs a few days at a time
    buckets: dict[int, dict[str, list[np.ndarray]]] = {}
    rows = 0
    reasons: Counter = Counter()
    header_holder: list[bytes] = []
    batch: Batch
    max_revision = int(time.time()) + settings.INGEST_REVISION_MAX_AHEAD_HOURS * 3600
    batches = parse_interval_file(
        stream,
        lookup=EsiidLookup(tdu),
        today=today,
        header_out=header_holder,
        max_revision=max_revision,
        samples=settings.INGEST_REJECT_SAMPLES,
        limits=size_limits(),
    )
    blank = 0
    meter_days: dict[int, int] = {}
    for batch in batches:
        rows += batch.rows
        blank += batch.blank
        if rows > settings.INGEST_MAX_ROWS:
            raise FileRejected("too_many_rows", f"more than {settings.INGEST_MAX_ROWS:,} rows")
        reasons.update(batch.reject_counts)  # exact counts; sample rows only, written as they come
        if batch.rejects:
            save_rejects(report, batch.rejects)
        if not batch.wh.size:
            continue
        _count_meter_days(meter_days, batch)
        _add_to_buckets(buckets, batch)
    report.header = header_holder[0].decode("utf-8", "replace") if header_holder else ""
    check_shares(rows=rows, blank=blank, reasons=reasons)
    stored = superseded = 0
    conflict_rejects: list[tuple[int, str, str, str]] = []
    # compaction of these days waits for the load; other loads (the parts of a TDU-day) run side by side and
    # take turns only on the meter-days both touch (row locks in _merge_and_write)
    if buckets:  # the months' partitions, before this transaction first touches the interval tables
        storage.ensure_partitions(num_day(min(buckets)), num_day(max(buckets)))
    storage.lock_tdu_days_shared(tdu_id=tdu.pk, days=buckets)
    for part in _day_parts(buckets):
        s, p, (n_conflicts, c) = _apply(part, report.pk)
        stored += s
        superseded += p
        if n_conflicts:
            reasons["duplicate_conflict"] += n_conflicts
            conflict_rejects = sorted(conflict_rejects + c)[: settings.INGEST_REJECT_SAMPLES]
    if conflict_rejects:
        save_rejects(report, with_raw_lines(stream, conflict_rejects))
    report.rows = rows
    report.stored = stored
    report.superseded = superseded
    report.rejected = sum(reasons.values())
    report.rejected_by_reason = dict(reasons.most_common())
    if report.rows != report.stored + report.superseded + report.rejected:  # pragma: no cover - invariant
        raise RuntimeError(f"ingest totals do not add up for {report.name}")


def _count_meter_days(counts: dict[int, int], batch: Batch) -> None:
    """Count accepted rows per meter-day as they come, and refuse the file as soon as one meter-day has
    more than MAX_ROWS_PER_METER_DAY (one row repeated millions of times), before its copies fill memory.
    Counted by runs of equal (day, premise), so a file in meter order costs a few numpy passes a chunk."""
    key = (batch.day.astype(np.int64) << 32) | batch.premise_id.astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    lengths = np.diff(np.append(starts, len(key)))
    keys, inverse = np.unique(key[starts], return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=lengths).astype(np.int64)
    for k, n in zip(keys.tolist(), sums.tolist(), strict=True):
        total = counts.get(k, 0) + n
        counts[k] = total
        if total > MAX_ROWS_PER_METER_DAY:
            raise FileRejected(
                "too_many_rows",
                f"{total:,} rows for one meter on one day (at most {MAX_ROWS_PER_METER_DAY:,})",
            )


def _add_to_buckets(buckets: dict[int, dict[str, list[np.ndarray]]], batch: Batch) -> None:
    """Append a batch's accepted readings to the buckets of their local days (once per batch)."""
    if int(batch.premise_id.max()) >= 2**31 or int(batch.line.max()) >= 2**32:  # pragma: no cover
        raise RuntimeError("premise id or line number too large for the ingest arrays")
    cols = {name: getattr(batch, "premise_id" if name == "premise" else name) for name in _FIELDS}
    days = batch.day
    if days[0] == days[-1] and np.all(days == days[0]):
        groups = [(int(days[0]), None)]
    else:
        groups = [(int(d), np.flatnonzero(days == d)) for d in np.unique(days).tolist()]
    for d, sel in groups:
        bucket = buckets.setdefault(d, {name: [] for name in _FIELDS})
        for name in _FIELDS:
            arr = cols[name] if sel is None else cols[name][sel]
            bucket[name].append(arr.astype(_DTYPES[name], copy=False))


PART_READINGS = 1_000_000
# a meter-day has at most 100 intervals on 2 channels; more rows than this for one meter on one day in one
# file is no delivery (say, one row repeated millions of times) and would defeat the bounded merge
MAX_ROWS_PER_METER_DAY = 20_000


def _day_parts(buckets: dict[int, dict[str, list[np.ndarray]]]):
    """Whole days, a few at a time (about PART_READINGS readings), as arrays; a larger day (one part of a
    TDU-day) is cut into ranges of whole premises instead. Each day's buffers are released once handed over,
    so memory stays near the compact size of the file's readings."""
    days = sorted(buckets)
    group: list[int] = []
    size = 0
    for i, d in enumerate(days):
        day_size = sum(len(a) for a in buckets[d]["wh"])
        if day_size > PART_READINGS:
            yield from _premise_parts(_take([d], buckets))
            continue
        group.append(d)
        size += day_size
        if size >= PART_READINGS or i == len(days) - 1:
            yield _take(group, buckets)
            group, size = [], 0
    if group:
        yield _take(group, buckets)


def _take(group: list[int], buckets: dict[int, dict[str, list[np.ndarray]]]) -> _Accumulated:
    part = {}
    for name in _FIELDS:
        part[name] = _concat([a for g in group for a in buckets[g][name]], _DTYPES[name])
        for g in group:
            buckets[g][name].clear()
    for g in group:
        del buckets[g]
    return _Accumulated(**part)


def _premise_parts(acc: _Accumulated):
    """One large day cut into parts of whole premises of about PART_READINGS readings."""
    premise = acc.premise
    order = None if np.all(premise[1:] >= premise[:-1]) else np.argsort(premise, kind="stable")
    sorted_premise = premise if order is None else premise[order]
    bounds = np.flatnonzero(sorted_premise[1:] != sorted_premise[:-1]) + 1
    edges = np.concatenate(([0], bounds, [len(sorted_premise)]))
    longest = int(np.diff(edges).max())
    if longest > MAX_ROWS_PER_METER_DAY:
        raise FileRejected(
            "too_many_rows", f"{longest:,} rows for one meter on one day (at most {MAX_ROWS_PER_METER_DAY:,})"
        )
    del sorted_premise, bounds
    cuts = edges[np.searchsorted(edges, np.arange(PART_READINGS, len(premise), PART_READINGS))]
    cuts = np.unique(np.concatenate(([0], cuts, [len(premise)])))
    for lo, hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        sel = slice(lo, hi) if order is None else order[lo:hi]
        yield _Accumulated(**{name: getattr(acc, name)[sel] for name in _FIELDS})


_Conflicts = tuple[int, list[tuple[int, str, str, str]]]  # how many, and the first (by line) as samples


def _apply(acc: _Accumulated, file_id: int) -> tuple[int, int, _Conflicts]:
    """Deduplicate within the file, merge with stored data per interval, write. Returns (stored,
    superseded, conflict rejects)."""
    if not len(acc.wh):
        return 0, 0, (0, [])
    key, superseded, conflict_rejects = _sorted_unique(acc)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes only this part's write
                stored, merged_away = _merge_and_write(acc, key, file_id)
            return stored, superseded + merged_away, conflict_rejects
        except IntegrityError:
            # another load inserted one of these meter-days first and has committed it: merge again with it
            if attempt == WRITE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# A part's write is retried when a concurrent load created one of its meter-days first; each retry finds
# those days stored (and locks them), so only a new load racing on yet other days can cost another attempt.
WRITE_ATTEMPTS = 5


def _merge_and_write(acc: _Accumulated, key: np.ndarray, file_id: int) -> tuple[int, int]:
    """Merge the part's sorted unique readings with the stored days (locked until the load commits) and
    write the days that changed. Returns (stored, superseded by what is stored)."""
    # group into (premise, channel, day)
    dkey = key >> 7
    starts = np.flatnonzero(np.concatenate(([True], dkey[1:] != dkey[:-1])))
    g_premise = acc.premise[starts]
    g_channel = acc.channel[starts].astype(np.int64)
    g_day = acc.day[starts].astype(np.int64)
    g_count = slots_for = storage.slots_for_days(g_day)
    g_off = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(slots_for, out=g_off[1:])
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(key))))
    pos = g_off[group_of] + acc.slot.astype(np.int64)
    total = int(g_off[-1])
    values = np.zeros(total, dtype=np.int64)
    est = np.zeros(total, dtype=bool)
    missing = np.ones(total, dtype=bool)
    rev = np.full(total, MIN_REV, dtype=np.int64)
    # stored data for these keys (reopen compacted months first), locked: a concurrent load of the same
    # meter-days waits for this one's commit and then merges with its result
    storage.uncompact_months(g_premise, g_channel, g_day)
    existing = storage.fetch_day_blocks(g_premise, g_channel, g_day, lock=True)
    exists = np.zeros(len(starts), dtype=bool)
    if existing:
        _overlay_stored(existing, (g_premise, g_channel, g_day), g_off, values, est, missing, rev, exists)
    newer = acc.revision > rev[pos]
    stored = int(newer.sum())
    if stored:
        p = pos[newer]
        values[p] = acc.wh[newer]
        est[p] = acc.estimated[newer]
        missing[p] = False
        rev[p] = acc.revision[newer]
    changed = np.zeros(len(starts), dtype=bool)
    changed[group_of[newer]] = True
    sel = np.flatnonzero(changed)
    if sel.size:
        idx = gather_ranges(g_off[sel], g_count[sel])
        offs = np.zeros(sel.size + 1, dtype=np.int64)
        np.cumsum(g_count[sel], out=offs[1:])
        rev_sel = rev[idx]
        rev_sel[rev_sel == MIN_REV] = 0  # never-delivered slots: the value is marked missing
        blocks = codec.encode_many(
            values[idx], offs, estimated=est[idx], missing=missing[idx], revisions=rev_sel, compress=False
        )
        ex = exists[sel]
        if ex.any():
            storage.delete_day_keys(g_premise[sel][ex], g_channel[sel][ex], g_day[sel][ex])
        # a meter-day another load created meanwhile (not yet visible above) makes this an IntegrityError
        storage.write_day_blocks(
            g_premise[sel], g_channel[sel], g_day[sel], blocks, source_file_id=file_id, replace=False
        )
    return stored, int((~newer).sum())


def _sorted_unique(acc: _Accumulated) -> tuple[np.ndarray, int, _Conflicts]:
    """Sort ``acc`` in place by its packed interval key and drop the file's duplicate intervals. Returns
    (key of each kept row, superseded, conflict rejects)."""
    n = len(acc.wh)
    dmin = int(acc.day.min())
    # day-major packed key: whole daily files in premise order come already sorted
    day_rel = acc.day.astype(np.int64) - dmin
    key = ((day_rel << 31 | acc.premise.astype(np.int64)) << 2 | acc.channel.astype(np.int64)) << 7
    key |= acc.slot.astype(np.int64)
    if np.all(key[1:] > key[:-1]):
        return key, 0, (0, [])  # already sorted, no duplicates (the usual TDU file)
    order = np.argsort(key, kind="stable")
    key = key[order]
    for name in ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line"):
        setattr(acc, name, getattr(acc, name)[order])
    superseded = 0
    conflict_rejects: _Conflicts = (0, [])
    dup = np.zeros(n, dtype=bool)
    same = key[1:] == key[:-1]
    dup[1:] |= same
    dup[:-1] |= same
    if dup.any():
        keep, superseded, conflict_rejects = _resolve_duplicates(acc, key, dup)
        for name in ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line"):
            setattr(acc, name, getattr(acc, name)[keep])
        key = key[keep]
    return key, superseded, conflict_rejects


def _overlay_stored(
    existing: dict,
    groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    g_off: np.ndarray,
    values: np.ndarray,
    est: np.ndarray,
    missing: np.ndarray,
    rev: np.ndarray,
    exists: np.ndarray,
) -> None:
    """Write the stored day blocks into the merge arrays at their groups' offsets (in place) and mark
    those groups in ``exists``. ``groups``: (premise, channel, day) of each group."""
    g_premise, g_channel, g_day = groups
    index = {
        k: i for i, k in enumerate(zip(g_premise.tolist(), g_channel.tolist(), g_day.tolist(), strict=True))
    }
    keys = list(existing)
    for k, block in zip(keys, codec.decode_many([existing[k] for k in keys]), strict=True):
        i = index[k]
        a, b = int(g_off[i]), int(g_off[i + 1])
        if len(block) != b - a:
            raise codec.CodecError(f"stored day {k} has {len(block)} slots, expected {b - a}")
        values[a:b] = block.values
        est[a:b] = block.estimated
        missing[a:b] = block.missing
        rev[a:b] = np.where(block.missing, MIN_REV, block.revisions)
        exists[i] = True


def _resolve_duplicates(acc: _Accumulated, key: np.ndarray, dup: np.ndarray):
    """Among rows of the same interval keep the latest revision; identical copies are superseded; copies
    at the latest revision with different values are all rejected (the interval gets nothing from this
    file)."""
    keep = ~dup
    idx = np.flatnonzero(dup)
    # order the duplicated rows by key, then newest revision first, then by line
    o = idx[np.lexsort((acc.line[idx], -acc.revision[idx], key[idx]))]
    k = key[o]
    first = np.concatenate(([True], k[1:] != k[:-1]))
    gid = np.cumsum(first) - 1
    head = o[first]
    top_rev = acc.revision[head][gid]
    at_top = acc.revision[o] == top_rev
    differs = at_top & ((acc.wh[o] != acc.wh[head][gid]) | (acc.estimated[o] != acc.estimated[head][gid]))
    conflict_group = np.zeros(int(gid[-1]) + 1, dtype=bool)
    conflict_group[gid[differs]] = True
    in_conflict = conflict_group[gid]
    winners = first & ~in_conflict
    keep[o[winners]] = True
    rejected_rows = o[in_conflict & at_top]
    superseded = int(len(o) - winners.sum() - len(rejected_rows))
    msg = ROW_REASONS["duplicate_conflict"]
    first_lines = np.sort(acc.line[rejected_rows])[: settings.INGEST_REJECT_SAMPLES]
    rejects = [(int(line), "duplicate_conflict", msg, "") for line in first_lines.tolist()]
    return keep, superseded, (len(rejected_rows), rejects)
