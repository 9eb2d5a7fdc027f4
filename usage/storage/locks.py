"""Advisory locks that make compaction and the loads of the same TDU days take turns."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from usage.storage.db import is_postgres

_LOCK_NAMESPACE = 0x534D  # "SM": our advisory locks, apart from anybody else's on the same database
BILLING_LOCK = -1  # the second lock key of a TDU's billing periods (days are >= 0)


def lock_tdu_days(*, tdu_id: int, days: Iterable[int]) -> None:
    """Hold these local days of one TDU exclusively until the caller's transaction ends (billing loads of a
    TDU take turns on BILLING_LOCK this way)."""
    lock_tdus_days([tdu_id], sorted({int(d) for d in days}))


def lock_tdu_days_shared(*, tdu_id: int, days: Iterable[int]) -> None:
    """Hold these local days of one TDU shared until the caller's transaction ends.

    Interval loads hold the days they write shared, so any number of them (the parts of one TDU-day, files
    of other days) run side by side, while compaction, which holds days exclusively, waits for them and they
    for it. Loads of the same meter-days take turns on the stored rows themselves (row locks and a savepoint
    around each write: ``usage.ingest.load_intervals``), so no lock here is wider than the rows a load
    touches."""
    day_list = sorted({int(d) for d in days})
    if not is_postgres() or not day_list:
        return
    key = _tdu_key(tdu_id)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_advisory_xact_lock_shared(%s, d)) FROM (SELECT d FROM unnest(%s::int[]) AS d "
            "ORDER BY d) AS ordered",
            [key, day_list],
        )


def lock_tdus_days(tdu_ids: Iterable[int], days: list[int]) -> None:
    """PostgreSQL transaction-level advisory locks on every (TDU, day), exclusive, in one statement and one
    global order (TDU key, then day), so that loads and compaction cannot deadlock. Other databases
    serialise writers on their own."""
    if not is_postgres() or not days:
        return
    keys = sorted({_tdu_key(t) for t in tdu_ids})
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_advisory_xact_lock(k, d)) FROM (SELECT k, d FROM unnest(%s::int[]) AS k "
            "CROSS JOIN unnest(%s::int[]) AS d ORDER BY k, d) AS ordered",
            [keys, days],
        )


def _tdu_key(tdu_id: int) -> int:
    return (_LOCK_NAMESPACE << 16) | (int(tdu_id) & 0xFFFF)
