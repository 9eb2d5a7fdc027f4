# ruff: noqa: S608 - table, column and partition names in SQL come from model _meta and dates, never from input
"""Moving an existing unpartitioned PostgreSQL database to partitioned interval tables, while it stays in use.

Used by migration usage.0007 (which on an empty database only swaps in the partitioned tables) and by
``manage.py partition_intervals`` for big databases (docs/scaling.md, "Converting an existing database"):

1. beside each old table ``T`` a partitioned ``T_partitioned`` with the same columns, key and indexes; triggers
   on ``T`` record the key of every row written or deleted from then on into ``T_changes``; a BRIN index on
   ``T``'s date column lets each month's copy read only that month's pages;
2. month by month, each in its own transaction, the old rows of that month are copied into the new month's
   partition (``usage_partition_copy`` records the months done, so a rerun resumes);
3. catch-up passes copy again the keys recorded since (delete them from the new table, insert them from the
   old), each pass consuming what it copied;
4. the swap, in one short transaction: writes to both old tables stop (EXCLUSIVE lock: reads go on), a last
   catch-up copies what changed since the previous pass, then (ACCESS EXCLUSIVE, for renames only) ``T``
   becomes ``T_unpartitioned`` and ``T_partitioned`` becomes ``T``, with the old table's index names.

The old tables are kept (``T_unpartitioned``) unless asked to drop them, or dropped when they were empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from usage.storage.db import tables
from usage.storage.partitions import (
    create_partition,
    forget_known,
    months_between,
    next_month,
    partition_column,
)

PROGRESS_TABLE = "usage_partition_copy"
# the swap gives up waiting for its ACCESS EXCLUSIVE lock after this long (readers queue behind the request
# meanwhile), and is tried again
SWAP_LOCK_TIMEOUT = "5s"
SWAP_ATTEMPTS = 20


def new_name(table: str) -> str:
    return f"{table}_partitioned"


def old_name(table: str) -> str:
    return f"{table}_unpartitioned"


def changes_name(table: str) -> str:
    return f"{table}_changes"


def _cur() -> Any:
    return connection.cursor()


def _scalar(sql: str, params: list | None = None) -> Any:
    with _cur() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()[0]


def is_partitioned(table: str) -> bool:
    return bool(
        _scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))", [table]
        )
    )


def _columns(table: str) -> list[str]:
    with _cur() as cur:
        cur.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
        return [r[0] for r in cur.fetchall()]


def _key(table: str) -> list[str]:
    return ["premise_id", "channel", partition_column(table)]


def _prepare(table: str, *, log: Callable[[str], None]) -> None:
    """Step 1 (idempotent): the new partitioned table, the change log and its triggers, the BRIN index."""
    col = partition_column(table)
    new, changes = new_name(table), changes_name(table)
    with transaction.atomic(), _cur() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (tbl text, month date, rows bigint, PRIMARY KEY (tbl, month))"
        )
        if not _scalar("SELECT to_regclass(%s) IS NOT NULL", [new]):
            cur.execute(
                f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMPRESSION) "
                f"PARTITION BY RANGE ({col})"
            )
            cur.execute(f"ALTER TABLE {new} ADD PRIMARY KEY ({', '.join(_key(table))})")
            for i, (_, cols) in enumerate(_secondary_indexes(table)):
                cur.execute(f"CREATE INDEX {new}_ix{i} ON {new} ({', '.join(cols)})")
        cur.execute(f"CREATE TABLE IF NOT EXISTS {changes} (premise_id bigint, channel smallint, {col} date)")
        cur.execute(
            f"CREATE OR REPLACE FUNCTION {changes}_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN INSERT INTO {changes} SELECT premise_id, channel, {col} "
            "FROM new_rows; END IF; "
            f"IF TG_OP IN ('DELETE', 'UPDATE') THEN INSERT INTO {changes} SELECT premise_id, channel, {col} "
            "FROM old_rows; END IF; RETURN NULL; END $$"
        )
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            cur.execute(
                f"CREATE OR REPLACE TRIGGER {changes}_{op.lower()} AFTER {op} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {changes}_record()"
            )
    # outside a transaction: does not stop writes while it reads the table once
    with _cur() as cur:
        cur.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_brin_{col} ON {table} USING brin ({col})"
        )
    log(f"{table}: {new} ready, changes recorded in {changes}")


def _secondary_indexes(table: str) -> list[tuple[str, list[str]]]:
    """(name, columns) of ``table``'s btree indexes other than its primary key, by name."""
    with _cur() as cur:
        cur.execute(
            "SELECT c.relname, array_agg(a.attname ORDER BY k.ord) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary AND am.amname = 'btree' "
            "GROUP BY c.relname ORDER BY c.relname",
            [table],
        )
        return [(name, list(cols)) for name, cols in cur.fetchall()]


def _copy_months(table: str, *, log: Callable[[str], None]) -> dict:
    """Step 2: every month of the old table into its partition, one transaction a month; done months are
    skipped (a rerun resumes)."""
    col = partition_column(table)
    new = new_name(table)
    cols = ", ".join(_columns(table))
    lo, hi = None, None
    with _cur() as cur:
        cur.execute(f"SELECT min({col}), max({col}) FROM {table}")
        lo, hi = cur.fetchone()
        cur.execute(f"SELECT month FROM {PROGRESS_TABLE} WHERE tbl = %s", [table])
        done = {r[0] for r in cur.fetchall()}
    stats = {"months": 0, "rows": 0, "seconds": 0.0}
    if lo is None:
        return stats
    for month in months_between(lo, hi):
        if month in done:
            continue
        started = time.monotonic()
        with transaction.atomic(), _cur() as cur:
            part = create_partition(cur, new, col, month, child_base=table)
            cur.execute(f"TRUNCATE {part}")
            cur.execute(
                f"INSERT INTO {part} ({cols}) SELECT {cols} FROM {table} WHERE {col} >= %s AND {col} < %s",
                [month, next_month(month)],
            )
            rows = cur.rowcount
            cur.execute(f"INSERT INTO {PROGRESS_TABLE} VALUES (%s, %s, %s)", [table, month, rows])
        seconds = time.monotonic() - started
        stats["months"] += 1
        stats["rows"] += rows
        stats["seconds"] += seconds
        log(f"{table} {month:%Y-%m}: {rows} rows copied in {seconds:.1f} s")
    return stats


def _catch_up(table: str) -> int:
    """Copy again every key recorded in the change log (in the caller's transaction) and consume those
    records; records of transactions not yet committed stay for the next pass. Returns the keys copied."""
    col = partition_column(table)
    new, changes = new_name(table), changes_name(table)
    cols = ", ".join(_columns(table))
    key = ", ".join(_key(table))
    with _cur() as cur:
        cur.execute("DROP TABLE IF EXISTS pg_temp.partition_keys")
        cur.execute(
            f"CREATE TEMP TABLE partition_keys ON COMMIT DROP AS WITH taken AS (DELETE FROM {changes} "
            f"RETURNING {key}) SELECT DISTINCT {key} FROM taken"
        )
        cur.execute("SELECT count(*) FROM partition_keys")
        n = int(cur.fetchone()[0])
        if not n:
            return 0
        cur.execute(f"SELECT DISTINCT date_trunc('month', {col})::date FROM partition_keys")
        for (month,) in cur.fetchall():
            create_partition(cur, new, col, month, child_base=table)
        match = " AND ".join(f"n.{k} = k.{k}" for k in _key(table))
        cur.execute(f"DELETE FROM {new} n USING partition_keys k WHERE {match}")
        cur.execute(
            f"INSERT INTO {new} ({cols}) SELECT {', '.join('t.' + c for c in _columns(table))} "
            f"FROM {table} t JOIN partition_keys USING ({key})"
        )
        return n


def _swap(names: list[str], *, drop_old: bool, log: Callable[[str], None]) -> dict:
    """Step 4: stop writes, last catch-up, rename. Returns the lock durations."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with transaction.atomic(), _cur() as cur:
                started = time.monotonic()
                cur.execute(f"LOCK TABLE {', '.join(names)} IN EXCLUSIVE MODE")  # writes wait, reads go on
                writes_stopped = time.monotonic()
                caught = {t: _catch_up(t) for t in names}
                cur.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                cur.execute(f"LOCK TABLE {', '.join(names)} IN ACCESS EXCLUSIVE MODE")
                reads_stopped = time.monotonic()
                for table in names:
                    _rename(cur, table)
                cur.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE tbl = ANY(%s)", [names])
            done = time.monotonic()
            break
        except Exception as exc:  # the ACCESS EXCLUSIVE lock was not granted in time: try again
            if "lock timeout" not in str(exc) or attempt == SWAP_ATTEMPTS:
                raise
            log(f"swap: readers held the tables past {SWAP_LOCK_TIMEOUT}, attempt {attempt + 1}")
    forget_known()
    if not _scalar(f"SELECT count(*) FROM {PROGRESS_TABLE}"):
        with _cur() as cur:
            cur.execute(f"DROP TABLE {PROGRESS_TABLE}")
    for table in names:
        if drop_old:
            with _cur() as cur:
                cur.execute(f"DROP TABLE {old_name(table)}")
    stats = {
        "lock_wait_seconds": writes_stopped - started,
        "writes_blocked_seconds": done - writes_stopped,
        "reads_blocked_seconds": done - reads_stopped,
        "caught_up_keys": sum(caught.values()),
    }
    log(
        f"swapped {', '.join(names)}: writes waited {stats['writes_blocked_seconds']:.3f} s, reads "
        f"{stats['reads_blocked_seconds']:.3f} s, {stats['caught_up_keys']} keys caught up under the lock"
    )
    return stats


def _rename(cur: Any, table: str) -> None:
    """The old table and its indexes out of the way, the new one into their names; the change log goes."""
    col = partition_column(table)
    new, old, changes = new_name(table), old_name(table), changes_name(table)
    for op in ("insert", "delete", "update"):
        cur.execute(f"DROP TRIGGER IF EXISTS {changes}_{op} ON {table}")
    cur.execute(f"DROP TABLE IF EXISTS {changes}")
    cur.execute(f"DROP FUNCTION IF EXISTS {changes}_record()")
    cur.execute(f"DROP INDEX IF EXISTS {table}_brin_{col}")
    secondary = _secondary_indexes(table)
    cur.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cur.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {old}_pkey")
    for name, _ in secondary:
        cur.execute(f"ALTER INDEX {name} RENAME TO {('u_' + name)[:63]}")
    cur.execute(f"ALTER TABLE {new} RENAME TO {table}")
    cur.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")
    for i, (name, _) in enumerate(secondary):
        cur.execute(f"ALTER INDEX {new}_ix{i} RENAME TO {name}")


def _empty_swap(names: list[str], *, log: Callable[[str], None]) -> bool:
    """On tables without a row (a new database, the test database): create the partitioned tables and swap
    at once, under the lock that keeps them empty meanwhile. False when a table has rows."""
    with transaction.atomic(), _cur() as cur:
        cur.execute(f"LOCK TABLE {', '.join(names)} IN EXCLUSIVE MODE")
        for table in names:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if cur.fetchone()[0]:
                return False
        for table in names:
            col, new = partition_column(table), new_name(table)
            cur.execute(f"DROP TABLE IF EXISTS {new}")
            cur.execute(
                f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMPRESSION) "
                f"PARTITION BY RANGE ({col})"
            )
            cur.execute(f"ALTER TABLE {new} ADD PRIMARY KEY ({', '.join(_key(table))})")
            for i, (_, cols) in enumerate(_secondary_indexes(table)):
                cur.execute(f"CREATE INDEX {new}_ix{i} ON {new} ({', '.join(cols)})")
            _rename(cur, table)
            cur.execute(f"DROP TABLE {old_name(table)}")
        cur.execute(f"DROP TABLE IF EXISTS {PROGRESS_TABLE}")
    forget_known()
    log(f"{', '.join(names)} were empty: partitioned tables swapped in")
    return True


def convert_to_partitioned(
    *,
    drop_old: bool = False,
    catch_up_passes: int = 3,
    log: Callable[[str], None] = lambda _: None,
    before_swap: Callable[[], None] | None = None,
) -> dict:
    """Convert both interval tables (those not yet partitioned) while the database stays in use; resumable.
    ``before_swap`` runs after the catch-up passes, just before the swap (tests write there)."""
    names = [t for t in tables() if not is_partitioned(t)]
    if not names:
        log("the interval tables are already partitioned")
        return {"converted": []}
    if _empty_swap(names, log=log):
        return {"converted": names, "rows": 0}
    started = time.monotonic()
    for table in names:
        _prepare(table, log=log)
    copied = {t: _copy_months(t, log=log) for t in names}
    for i in range(catch_up_passes):
        with transaction.atomic():
            n = sum(_catch_up(t) for t in names)
        log(f"catch-up pass {i + 1}: {n} keys copied again")
        if not n:
            break
    if before_swap is not None:
        before_swap()
    swap = _swap(names, drop_old=drop_old, log=log)
    return {
        "converted": names,
        "rows": sum(c["rows"] for c in copied.values()),
        "copy_seconds": sum(c["seconds"] for c in copied.values()),
        "total_seconds": time.monotonic() - started,
        **swap,
    }
