"""Advisory locks that make loads and compaction of the same TDU days take turns."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from usage.storage.db import is_postgres

_LOCK_NAMESPACE = 0x534D  # "SM": our advisory locks, apart from anybody else's on the same database
BILLING_LOCK = -1  # the second lock key of a TDU's billing periods (days are >= 0)
# Parts of one TDU-day load side by side: a load holds its days shared and, exclusively, the premise ranges
# (premise id >> PREMISE_BUCKET_SHIFT) it touches on each day; past MAX_RANGE_LOCKS it holds whole days.
PREMISE_BUCKET_SHIFT = 12
MAX_RANGE_LOCKS = 256
_RANGE_NAMESPACE = _LOCK_NAMESPACE + 1


def lock_tdu_days(*, tdu_id: int, days: Iterable[int]) -> None:
    """Serialise loads that touch the same local days of one TDU, until the caller's transaction ends.

    A load reads the stored days, merges them per interval and writes them back; a second load of the same
    days must read the first one's result, not the state before it (which would lose the first one's
    revisions). A premise belongs to one TDU, so loads of different TDUs or different days never wait for
    each other, and files load side by side."""
    lock_tdus_days([tdu_id], sorted({int(d) for d in days}))


def lock_tdu_day_premises(*, tdu_id: int, ranges: dict[int, tuple[int, int]]) -> None:
    """Serialise loads that touch the same premises on the same local days of one TDU, until the caller's
    transaction ends, and let loads of other premises of those days (the parts of one TDU-day) run side by
    side. ``ranges``: day -> (lowest, highest) premise id the load touches that day.

    Each day is held shared (compaction, which holds days exclusively, waits for the loads and they for it)
    and each premise range of each day exclusively; both in one global order, so loads cannot deadlock."""
    if not is_postgres() or not ranges:
        return
    days = sorted(ranges)
    spans = {d: (lo >> PREMISE_BUCKET_SHIFT, hi >> PREMISE_BUCKET_SHIFT) for d, (lo, hi) in ranges.items()}
    pairs: list[tuple[int, int]] = []
    if sum(hi - lo + 1 for lo, hi in spans.values()) <= MAX_RANGE_LOCKS:
        pairs = sorted({(d, b & 0x3FF) for d, (lo, hi) in spans.items() for b in range(lo, hi + 1)})
    if not pairs:  # premises spread too wide for range locks: whole days, exclusively
        lock_tdus_days([tdu_id], days)
        return
    key = (_LOCK_NAMESPACE << 16) | (int(tdu_id) & 0xFFFF)
    range_key = (_RANGE_NAMESPACE << 16) | (int(tdu_id) & 0xFFFF)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_advisory_xact_lock_shared(%s, d)) FROM (SELECT d FROM unnest(%s::int[]) AS d "
            "ORDER BY d) AS ordered",
            [key, days],
        )
        cur.execute(
            "SELECT count(pg_advisory_xact_lock(%s, r)) FROM (SELECT r FROM unnest(%s::int[]) AS r "
            "ORDER BY r) AS ordered",
            [range_key, sorted(d * 1024 + b for d, b in pairs)],
        )


def lock_tdus_days(tdu_ids: Iterable[int], days: list[int]) -> None:
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
