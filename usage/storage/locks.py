"""Advisory locks that make loads and compaction of the same TDU days take turns."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from usage.storage.db import is_postgres

_LOCK_NAMESPACE = 0x534D  # "SM": our advisory locks, apart from anybody else's on the same database
BILLING_LOCK = -1  # the second lock key of a TDU's billing periods (days are >= 0)


def lock_tdu_days(*, tdu_id: int, days: Iterable[int]) -> None:
    """Serialise loads that touch the same local days of one TDU, until the caller's transaction ends.

    A load reads the stored days, merges them per interval and writes them back; a second load of the same
    days must read the first one's result, not the state before it (which would lose the first one's
    revisions). A premise belongs to one TDU, so loads of different TDUs or different days never wait for
    each other, and files load side by side."""
    lock_tdus_days([tdu_id], sorted({int(d) for d in days}))


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
