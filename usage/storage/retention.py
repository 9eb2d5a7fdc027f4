"""Retention: interval data and billing periods older than INTERVAL_RETENTION_YEARS go.

On PostgreSQL the interval tables are partitioned by month (usage.storage.partitions): a month goes by
dropping its partitions whole, never by deleting rows, so retention costs a catalogue change instead of
vacuuming millions of dead rows. Only months wholly older than the cutoff's month go, so up to one month more
than the retention period is kept. Elsewhere (SQLite, or PostgreSQL tables not yet converted) the same months'
rows are deleted.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import connection, transaction

from usage.models import BillingPeriod, IntervalDay, IntervalMonth
from usage.storage.days import month_start
from usage.storage.db import is_postgres, tables
from usage.storage.partitions import forget_known, own_connection, partitioned_tables, partitions_of
from usage.timegrid import local_today


def retention_cutoff(today: date | None = None) -> date:
    """The first local date still kept: ``INTERVAL_RETENTION_YEARS`` (default 7) before today."""
    today = today or local_today()
    years = int(getattr(settings, "INTERVAL_RETENTION_YEARS", 7))
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge_expired(*, today: date | None = None) -> dict:
    """Remove interval data of every month wholly older than the retention cutoff, and billing periods that
    ended before the cutoff. Returns the cutoff, what was removed and, on PostgreSQL, the partitions dropped."""
    cutoff = retention_cutoff(today)
    first_kept = month_start(cutoff)
    dropped: list[str] = []
    days = months = 0
    partitioned: set[str] = set()
    if is_postgres():
        with connection.cursor() as cur:
            partitioned = partitioned_tables(cur)
        for table in sorted(partitioned):
            dropped += _drop_partitions_before(table, first_kept)
    day_t, month_t = tables()
    with transaction.atomic():
        if day_t not in partitioned:
            days, _ = IntervalDay.objects.filter(day__lt=first_kept).delete()
        if month_t not in partitioned:
            months, _ = IntervalMonth.objects.filter(month__lt=first_kept).delete()
        billing, _ = BillingPeriod.objects.filter(end_date__lt=cutoff).delete()
    return {
        "cutoff": cutoff.isoformat(),
        "dropped_partitions": sorted(dropped),
        "days": days,  # rows deleted where the tables are not partitioned
        "months": months,
        "billing_periods": billing,
    }


def _drop_partitions_before(table: str, first_kept: date) -> list[str]:
    """Drop ``table``'s partitions whose whole month is before ``first_kept``. Outside a transaction each is
    first detached CONCURRENTLY (readers and writers of the parent never wait; the detach waits for the
    transactions that use the parent), then dropped; inside the caller's transaction (tests) it is dropped
    there, which takes an ACCESS EXCLUSIVE lock on the parent until that transaction ends."""
    with connection.cursor() as cur:
        old = sorted(name for name, (_, hi) in partitions_of(cur, table).items() if hi <= first_kept)
    if not old:
        return []
    if connection.in_atomic_block:
        with connection.cursor() as cur:
            for name in old:
                cur.execute(f"DROP TABLE {name}")
    else:
        with own_connection() as cur:
            cur.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(%s) AND i.inhdetachpending",
                [table],
            )
            for (pending,) in cur.fetchall():  # a detach interrupted earlier
                cur.execute(f"ALTER TABLE {table} DETACH PARTITION {pending} FINALIZE")
            for name in old:
                cur.execute("SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(%s)", [name])
                if cur.fetchone() is not None:
                    cur.execute(f"ALTER TABLE {table} DETACH PARTITION {name} CONCURRENTLY")
                cur.execute(f"DROP TABLE {name}")
    forget_known()
    return old
