# ruff: noqa: S603, S608 - fixed commands of this repository; table names are constants of this script
"""Benchmark of converting an unpartitioned database's interval tables to monthly partitions: one JSON object
per line. Not run by ``make bench`` (it needs a few minutes and a scratch database of about --gb GB).

    python bench/partition_migration.py [--gb 1.0] [--keep-db]

Needs DATABASE_URL (PostgreSQL); it works in a scratch database ``<name>_partbench`` on the same server,
dropped and created anew. Steps (only the conversion is timed):
1. the schema as it was before partitioning (``migrate usage 0006``), filled with meter-month rows (24 months)
   and two months of day rows of about ``--gb`` GB altogether; the blocks are real codec blocks (random
   usage, so a little larger than real data);
2. ``manage.py partition_intervals`` while a writer keeps inserting and rewriting day rows (as loads do):
   seconds of the month-by-month copy and of the whole conversion, per GB of the old tables; how long the
   swap blocked writes and reads; then a check that the new tables hold exactly the old tables' rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable

MONTHS = 24
DAY_ROW_DAYS = 61
BLOCK_VARIANTS = 20
# bytes of one meter's data in the tables, all months: measured on this layout (rows + TOAST + indexes)
BYTES_PER_PREMISE = MONTHS * 4_560 + DAY_ROW_DAYS * 330


def emit(metric: str, value, unit: str, **extra) -> None:
    if isinstance(value, float):
        value = round(value, 4)
    print(orjson.dumps({"metric": metric, "value": value, "unit": unit, **extra}).decode(), flush=True)


def blocks(psycopg_conn) -> None:
    """Staging tables of real codec blocks: day blocks (uncompressed, as loads store them) and month blocks."""
    from usage import codec

    rng = np.random.default_rng(7)
    psycopg_conn.execute("CREATE TEMP TABLE day_blocks (i int, data bytea)")
    psycopg_conn.execute("CREATE TEMP TABLE month_blocks (i int, data bytea)")
    with psycopg_conn.cursor() as cur:
        for i in range(BLOCK_VARIANTS):
            day = rng.gamma(2, 150, 96).astype(np.int64)
            cur.execute(
                "INSERT INTO day_blocks VALUES (%s, %s)",
                [i, codec.encode(day, revisions=1_760_000_000 + i, compress=False)],
            )
            month = rng.gamma(2, 150, 96 * 30).astype(np.int64)
            cur.execute(
                "INSERT INTO month_blocks VALUES (%s, %s)",
                [i, codec.encode(month, revisions=1_760_000_000 + i, compress=True)],
            )


def fill(conn, premises: int, first_month: date, day_from: date) -> None:
    blocks(conn)
    month_mask = (1 << 30) - 1  # 30 days, as the month blocks hold
    conn.execute(
        "INSERT INTO usage_intervalmonth (premise_id, channel, month, day_mask, data) "
        "SELECT p, 1, m::date, %s, b.data FROM generate_series(%s::date, %s::date, '1 month') m "
        "CROSS JOIN generate_series(1, %s) p JOIN month_blocks b ON b.i = p %% %s ORDER BY m, p",
        [month_mask, first_month, first_month + timedelta(days=31 * (MONTHS - 1)), premises, BLOCK_VARIANTS],
    )
    conn.execute(
        "INSERT INTO usage_intervalday (premise_id, channel, day, data, source_file_id) "
        "SELECT p, 1, d::date, b.data, 1 FROM generate_series(%s::date, %s::date, '1 day') d "
        "CROSS JOIN generate_series(1, %s) p JOIN day_blocks b ON b.i = (p + extract(day FROM d)::int) %% %s "
        "ORDER BY d, p",
        [day_from, day_from + timedelta(days=DAY_ROW_DAYS - 1), premises, BLOCK_VARIANTS],
    )
    conn.execute("VACUUM ANALYZE usage_intervalday")
    conn.execute("VACUUM ANALYZE usage_intervalmonth")


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--gb", type=float, default=1.0, help="size of the interval tables to convert (default 1)"
    )
    ap.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    opts = ap.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        emit("partition_copy_seconds_per_gb", None, "s/GB", skipped="needs PostgreSQL: set DATABASE_URL")
        return
    import psycopg

    base, _, dbname = url.rpartition("/")
    bench_db = f"{dbname.split('?')[0]}_partbench"
    bench_url = f"{base}/{bench_db}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        conn.execute(f'CREATE DATABASE "{bench_db}"')
    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "smt.settings"}
    env.pop("REDIS_URL", None)
    try:
        subprocess.run(
            [PY, "manage.py", "migrate", "usage", "0006", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
        )
        premises = max(100, int(opts.gb * 1024**3 / BYTES_PER_PREMISE))
        first_month = date(2024, 1, 1)
        day_from = date(2026, 1, 1)
        with psycopg.connect(bench_url, autocommit=True) as conn:
            started = time.monotonic()
            fill(conn, premises, first_month, day_from)
            size = conn.execute(
                "SELECT pg_total_relation_size('usage_intervalday') + pg_total_relation_size('usage_intervalmonth')"
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT (SELECT count(*) FROM usage_intervalday) + (SELECT count(*) FROM usage_intervalmonth)"
            ).fetchone()[0]
            emit(
                "partition_bench_data",
                round(size / 1024**3, 3),
                "GB",
                rows=rows,
                premises=premises,
                fill_seconds=round(time.monotonic() - started, 1),
            )
            stop = threading.Event()
            counts: dict = {}
            # the writer's own staging tables (temp tables are per connection)
            with psycopg.connect(bench_url, autocommit=True) as wconn:
                blocks(wconn)
                thread = threading.Thread(target=_writer_on, args=(wconn, premises, day_from, stop, counts))
                thread.start()
                try:
                    started = time.monotonic()
                    out = subprocess.run(
                        [PY, "manage.py", "partition_intervals"],
                        env=env,
                        cwd=ROOT,
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    wall = time.monotonic() - started
                finally:
                    stop.set()
                    thread.join()
            result = orjson.loads(out.strip().splitlines()[-1])
            gb = size / 1024**3
            common = {"gb": round(gb, 3), "rows": rows, "writer_statements": counts.get("statements", 0)}
            if "writer_error" in counts:
                common["writer_error"] = counts["writer_error"]
            emit("partition_copy_seconds_per_gb", result["copy_seconds"] / gb, "s/GB", **common)
            emit("partition_conversion_seconds_per_gb", wall / gb, "s/GB", **common)
            emit(
                "partition_swap_writes_blocked",
                result["writes_blocked_seconds"],
                "s",
                per_gb=result["writes_blocked_seconds"] / gb,
                caught_up_keys=result["caught_up_keys"],
                **common,
            )
            emit(
                "partition_swap_reads_blocked",
                result["reads_blocked_seconds"],
                "s",
                per_gb=result["reads_blocked_seconds"] / gb,
                **common,
            )
            # the writer's rows change after the swap too: compare the rows it never wrote, and the blocks
            same = all(
                conn.execute(
                    f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM {t} {where} EXCEPT ALL "
                    f"SELECT {cols} FROM {t}_unpartitioned {where}) x) + (SELECT count(*) FROM (SELECT {cols} "
                    f"FROM {t}_unpartitioned {where} EXCEPT ALL SELECT {cols} FROM {t} {where}) y)",
                    [premises] * 4,
                ).fetchone()[0]
                == 0
                for t, cols in (
                    ("usage_intervalday", "premise_id, channel, day, data"),
                    ("usage_intervalmonth", "premise_id, channel, month, day_mask, data"),
                )
                for where in ["WHERE premise_id <= %s"]
            )
            parts = conn.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent IN "
                "('usage_intervalday'::regclass, 'usage_intervalmonth'::regclass)"
            ).fetchone()[0]
            emit("partition_conversion_rows_identical", same, "bool", partitions=parts)
    finally:
        if not opts.keep_db:
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)')


def _writer_on(conn, premises: int, day_from: date, stop: threading.Event, counts: dict) -> None:
    import psycopg

    try:
        _write_until(conn, premises, day_from, stop, counts)
    except psycopg.Error as exc:  # reported with the figures: they then are without concurrent writes
        counts["writer_error"] = str(exc)


def _write_until(conn, premises: int, day_from: date, stop: threading.Event, counts: dict) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        day = day_from + timedelta(days=n % DAY_ROW_DAYS)
        conn.execute(
            "INSERT INTO usage_intervalday (premise_id, channel, day, data, source_file_id) "
            "SELECT p, 1, %s, b.data, 2 FROM generate_series(%s::bigint, %s::bigint) p "
            "JOIN day_blocks b ON b.i = p %% %s ON CONFLICT DO NOTHING",
            [day, premises + 1 + n * 10, premises + 10 + n * 10, BLOCK_VARIANTS],
        )
        conn.execute(
            "UPDATE usage_intervalday SET source_file_id = 3 WHERE premise_id BETWEEN %s AND %s AND day = %s",
            [n * 5 % premises + 1, n * 5 % premises + 5, day],
        )
        counts["statements"] = counts.get("statements", 0) + 2
        time.sleep(0.02)


if __name__ == "__main__":
    main()
