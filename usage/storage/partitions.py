"""Monthly range partitions of the interval tables on PostgreSQL (docs/scaling.md, "Partitioned interval
storage").

``usage_intervalday`` is partitioned by ``day`` and ``usage_intervalmonth`` by ``month``, one partition a
calendar month named ``<table>_pYYYY_MM``. There is no DEFAULT partition (attaching a partition would then have
to scan it), so a month's partitions must exist before a row of that month is written: writers call
``ensure_partitions`` for the months they touch, and ``usage.create_interval_partitions`` creates the next
``INTERVAL_PARTITIONS_AHEAD`` months ahead. On SQLite (``make run``) the tables are plain and all of this is a
no-op.

A partition is created on a connection of its own in autocommit, as ``CREATE TABLE ... (LIKE parent)`` then
``ATTACH PARTITION``: attaching takes only a SHARE UPDATE EXCLUSIVE lock on the parent, so readers and writers
of the parent never wait for it, and the new partition is committed at once, whatever transaction the caller
is in. Creators take turns on an advisory lock and re-read the catalogue under it, so two processes asking
for the same month create it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from usage.storage.days import month_start
from usage.storage.db import is_postgres, tables

# the advisory lock creators of partitions take turns on ("SM" namespace of usage.storage.locks, key 2)
PARTITION_LOCK = (0x534D, -2)
# partitions older than this many months before the retention cutoff are looked up in the catalogue every
# time (retention may have dropped them in another process), not trusted from the cache
_CACHE_SAFE_MONTHS = 2
# a creator waits at most this long for a lock (a retention detaching a partition, say) before it gives up
# with an OperationalError, rather than waiting on something that may wait on its caller's transaction
LOCK_TIMEOUT = "10s"

# (database name, partition name) of partitions known to exist in this process
_known: set[tuple[str, str]] = set()


def partition_column(table: str) -> str:
    day_t, month_t = tables()
    return {day_t: "day", month_t: "month"}[table]


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, inclusive."""
    out: list[date] = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def forget_known() -> None:
    """Forget the cached partitions (after the tables were swapped or partitions dropped)."""
    _known.clear()


def _db() -> str:
    return str(connection.settings_dict["NAME"])


@contextmanager
def own_connection() -> Iterator[Any]:
    """A cursor on a new autocommit connection to the same database, outside Django's pool (a worker's pool
    of one connection is held by the caller's transaction) and outside the caller's transaction."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with connection.wrap_database_errors:
        conn = psycopg.connect(**params, autocommit=True)
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()


def partitioned_tables(cur: Any) -> set[str]:
    """Which of the interval tables are partitioned (both, once migrated; neither during a conversion)."""
    cur.execute(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace",
        [list(tables())],
    )
    return {r[0] for r in cur.fetchall()}


def partitions_of(cur: Any, parent: str) -> dict[str, tuple[date, date]]:
    """A partitioned table's partitions: name -> (first day, first day after), from the catalogue."""
    cur.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s) ORDER BY 1",
        [parent],
    )
    out = {}
    for name, bound in cur.fetchall():
        if not bound.startswith("FOR VALUES FROM ('"):  # not one of ours (a DEFAULT partition someone added)
            continue
        # FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')
        lo, hi = (part.split("'")[1] for part in bound.split(" TO "))
        out[name] = (date.fromisoformat(lo), date.fromisoformat(hi))
    return out


def create_partition(
    cur: Any, parent: str, column: str, month: date, *, child_base: str | None = None
) -> str:
    """Create and attach ``parent``'s partition for ``month`` unless it exists (the caller holds
    PARTITION_LOCK or is the only user of ``parent``). Returns the partition's name."""
    name = partition_name(child_base or parent, month)
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    if cur.fetchone()[0]:
        return name
    cur.execute(f"CREATE TABLE {name} (LIKE {parent} INCLUDING ALL)")
    cur.execute(
        f"ALTER TABLE {parent} ATTACH PARTITION {name} "
        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
    )
    return name


def ensure_partitions(first: date, last: date) -> list[str]:
    """Make sure both interval tables have their partitions for every month from ``first`` to ``last``.
    Idempotent and cheap once known (a set lookup); safe against a concurrent creator. Returns the
    partitions it created. Does nothing on SQLite or while the tables are not partitioned."""
    if not is_postgres() or last < first:
        return []
    from usage.storage.retention import retention_cutoff

    db = _db()
    trust_after = retention_cutoff().replace(day=1)
    for _ in range(_CACHE_SAFE_MONTHS):
        trust_after = (trust_after - timedelta(days=1)).replace(day=1)
    months = months_between(first, last)
    wanted = [
        (table, month)
        for table in tables()
        for month in months
        if month < trust_after or (db, partition_name(table, month)) not in _known
    ]
    if not wanted:
        return []
    created: list[str] = []
    with own_connection() as cur:
        partitioned = partitioned_tables(cur)
        wanted = [(t, m) for t, m in wanted if t in partitioned]
        if not wanted:
            return []
        existing = {name for t in {t for t, _ in wanted} for name in partitions_of(cur, t)}
        missing = [(t, m) for t, m in wanted if partition_name(t, m) not in existing]
        if missing:
            cur.execute("BEGIN")
            cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(PARTITION_LOCK))
            for table, month in missing:
                name = partition_name(table, month)
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
                if not cur.fetchone()[0]:
                    create_partition(cur, table, partition_column(table), month)
                    created.append(name)
            cur.execute("COMMIT")
        _known.update((db, partition_name(t, m)) for t, m in wanted)
    return created


def ensure_partitions_ahead(*, today: date, months: int | None = None) -> list[str]:
    """The partitions of this month and the next ``INTERVAL_PARTITIONS_AHEAD`` (default 3) months."""
    ahead = months if months is not None else int(getattr(settings, "INTERVAL_PARTITIONS_AHEAD", 3))
    last = today.replace(day=1)
    for _ in range(ahead):
        last = next_month(last)
    return ensure_partitions(today.replace(day=1), last)


def reclaim_compacted_days(before: date) -> list[str]:
    """Give the disk of day partitions that compaction emptied back to the system: compaction moves a settled
    month's day rows into month blocks, and PostgreSQL keeps the emptied pages (VACUUM only marks them
    reusable, and only late corrections of that old month would reuse them), which would cost a third more
    disk per stored reading. Each day partition of a month wholly before ``before`` that still has pages is
    locked without waiting and truncated only if it is empty under that lock: a load writing into that month
    holds a lock that makes this one skip the partition (until the next compaction), so nothing is lost or
    kept waiting. Returns the partitions truncated."""
    day_t, _ = tables()
    done: list[str] = []
    with connection.cursor() as cur:
        if day_t not in partitioned_tables(cur):
            return done
        candidates = [
            name
            for name, (_, until) in sorted(partitions_of(cur, day_t).items())
            if until <= month_start(before)
        ]
        # pages to give back: rows' pages (VACUUM may already have cut an emptied heap back), TOAST pages, or
        # index pages beyond the one metapage a truncated index keeps
        cur.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) AND (pg_relation_size(c.oid) > 0 "
            "OR (c.reltoastrelid <> 0 AND pg_relation_size(c.reltoastrelid) > 0) "
            "OR pg_indexes_size(c.oid) > 8192 * (SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid))",
            [candidates],
        )
        with_pages = sorted(r[0] for r in cur.fetchall())
    for name in with_pages:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE NOWAIT")
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {name})")  # noqa: S608 - a partition name from the catalogue
                if cur.fetchone()[0]:
                    continue
                cur.execute(f"TRUNCATE {name}")
        except OperationalError:  # a load holds the partition: skipped until the next compaction
            continue
        done.append(name)
    return done
