#!/usr/bin/env python
"""State scale, measured: build a database of a billion readings, then measure it beside an empty one.

Run by hand, never by CI or `make bench` (the Makefile skips this file):

    nohup .venv/bin/python bench/bench_scale.py build > var/scale/build.log 2>&1 &
    .venv/bin/python bench/bench_scale.py status
    .venv/bin/python bench/bench_scale.py measure > docs/bench/scale-$(date +%F).jsonl

Both run on a PRIVATE PostgreSQL 15 cluster the script starts itself (``--pgdata``, default var/scale/pg, port
``--port`` 5499; initdb as the ``postgres`` user), because the cold-read figures need a PostgreSQL restart and the
shared server must never be restarted. Its settings are printed with the figures.

``build`` (resumable: it records each finished month in the scale database's ``bench_scale_progress`` table and
starts again at the first month not finished): for each month of ``--months`` (12) ending before this month, it
generates that month's TDU interval files for ``--meters`` (30,000) meters with ``--solar-share`` (10%) solar,
loads them through the real loader with one loader process per CPU (as Celery ingest workers of that
concurrency do), compacts the month, records it and deletes the files. 30,000 meters x 365 days x 96 slots x 1.1
channels = 1.16 billion readings. Measured on 2-vCPU machines: 19 minutes on a quiet fast one (loading 2.1 M
readings/s with both cores), 50 minutes on one 2.2 times slower, 91 minutes while other test runs shared the cores;
about 6 GB of files at a time in the work folder (one month, deleted after loading), and a data directory of about
6.5 GB at the end (1.9 GB of database at 1.6 B/reading, the rest WAL).

``measure`` (repeatable on the built database; each figure is printed twice, ``"database": "scale"`` for the built
one and ``"database": "empty"`` for a fresh database in the same cluster holding only the same meters):
- ingest of seven new days for all meters (readings/s, end to end, one loader per CPU);
- bytes per reading stored (table, TOAST and indexes of both interval tables) and each partition's size;
- compaction of one month for all meters (the last built month is reopened into day rows first, untimed);
  retention of one partition (a copy of the oldest month placed a year earlier, then dropped by the retention
  service); ``VACUUM (ANALYZE)`` of the day table;
- one premise's 13 months of 15-minute JSON over HTTP (gunicorn with production settings, bench/serving.py;
  brotli): median and p95 warm; 10,000 such requests over random premises with 8 clients, the interval tables
  first read into PostgreSQL's buffers (pg_prewarm) as a server that has been up holds them
  (``api_concurrent_requests_per_s``, the cost model's serving figure); then, after a PostgreSQL restart (and
  the OS page cache dropped when allowed), premises never read before (cold), with the buffers PostgreSQL read
  from outside its cache per request, and the 10,000 requests again on those empty caches
  (``api_concurrent_requests_per_s_after_restart``);
- ``pg_dump -Fc`` and ``pg_restore`` time and size;
- memory and disk at the end, the PostgreSQL settings and the machine.

The cost model (``python manage.py cost_model``, docs/cost.md) reads the ``"database": "scale"`` lines.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import http.client
import multiprocessing as mp
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ingest as ingest_bench  # noqa: E402
from bench.serving import SERVING_ENV, WORKERS  # noqa: E402

PY = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SCALE_DB = "smt_scale"
#: what ``measure`` measures, in order; ``--steps`` picks some (e.g. the API again after a change)
STEPS = ("ingest", "storage", "maintenance", "api", "dump")
EMPTY_DB = "smt_scale_empty"
HTTP_PORT = 8799
# settings for a 24 GiB, 2-core machine; the figures print them
PG_SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "16GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",
    "max_connections": "100",
    "wal_compression": "on",
}


def emit(metric: str, value, unit: str = "", **extra) -> None:
    if isinstance(value, float):
        value = round(value, 3)
    print(orjson.dumps({"metric": metric, "value": value, "unit": unit, **extra}).decode(), flush=True)


def run(args: list[str], env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, text=True, **kw)  # noqa: S603 - our own tools


# ------------------------------------------------------------------------------ the private PostgreSQL cluster


class Cluster:
    """A private PostgreSQL 15 cluster owned by the ``postgres`` user, started and stopped by this script."""

    def __init__(self, pgdata: Path, port: int):
        self.pgdata = pgdata.resolve()
        self.port = port

    def url(self, db: str) -> str:
        return f"postgres://root@127.0.0.1:{self.port}/{db}"

    def _as_postgres(self, *cmd: str) -> None:
        run(["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)], stdout=subprocess.DEVNULL)

    def ensure(self) -> None:
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(parents=True, exist_ok=True)
            shutil.chown(self.pgdata, "postgres", "postgres")
            self._as_postgres(
                str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "root", "--auth=trust", "-E", "UTF8"
            )
        if not self.running():
            self.start()

    def running(self) -> bool:
        status = f"{PG_BIN / 'pg_ctl'} status -D {self.pgdata}"
        return (
            subprocess.run(  # noqa: S603
                ["su", "postgres", "-s", "/bin/sh", "-c", status],  # noqa: S607
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp " + " ".join(
            f"-c {k}={v}" for k, v in PG_SETTINGS.items()
        )
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "120",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.pgdata / "server.log"),
            "-o",
            f"'{opts}'",
        )

    def stop(self) -> None:
        if self.running():
            self._as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def restart(self) -> None:
        self.stop()
        self.start()

    def connect(self, db: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(db), autocommit=True)

    def create_db(self, db: str, *, fresh: bool = False) -> bool:
        """Create ``db`` (dropped first when ``fresh``); True when it was created now."""
        with self.connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone()
            if exists and fresh:
                conn.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "{db}"')
                return True
        return False

    def settings(self) -> dict:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE source NOT IN ('default', 'override') "
                "ORDER BY name"
            ).fetchall()
            version = conn.execute("SHOW server_version").fetchone()[0]
        return {"server_version": version, **{n: f"{s}{u or ''}" for n, s, u in rows}}


def app_env(cluster: Cluster, db: str) -> dict:
    env = {**os.environ, "DATABASE_URL": cluster.url(db), "DJANGO_SETTINGS_MODULE": "smt.settings"}
    env.pop("REDIS_URL", None)  # tasks run in process; the cache is local memory
    env["API_THROTTLE_PROFILE"] = "benchmark"
    return env


def serving_env(cluster: Cluster, db: str) -> dict:
    """What gunicorn serves with: production's settings (bench/serving.py) and a Redis cache, as deployed."""
    redis = os.environ.get("BENCH_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
    return {
        **app_env(cluster, db),
        **SERVING_ENV,
        "REDIS_URL": redis,
        "SITE_URL": f"http://127.0.0.1:{HTTP_PORT}",
    }


def manage(env: dict, *args: str) -> str:
    return run([PY, "manage.py", *args], env, capture_output=True).stdout


# ------------------------------------------------------------------------------------------------ building


def months_to_build(count: int, today: date) -> list[date]:
    first_of_this = today.replace(day=1)
    months = []
    m = first_of_this
    for _ in range(count):
        m = (m - timedelta(days=1)).replace(day=1)
        months.append(m)
    return sorted(months)


def next_month(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def generate_files(env: dict, opts, *, start: date, days: int, out: Path, workers: int | None = None) -> None:
    """TDU interval files of ``days`` days from ``start`` for every meter of the run (seed 1, its solar share)."""
    ingest_bench.generate_files(
        env,
        out=out,
        meters=opts.meters,
        start=start,
        days=days,
        seed=1,
        solar_share=opts.solar_share,
        workers=workers,
    )


def load_files(env: dict, folder: Path, workers: int) -> dict:
    """The files of ``folder`` through bench/ingest.py's loader child (one process per worker, each file in
    its own transaction, as Celery ingest workers): totals and wall seconds."""
    out = run(
        [PY, str(ROOT / "bench" / "ingest.py"), "--child-load", str(folder), "--workers", str(workers)],
        env,
        capture_output=True,
    ).stdout
    return orjson.loads(out.strip().splitlines()[-1])


def compact_before(env: dict, before: date) -> dict:
    out = run(
        [PY, str(ROOT / "bench" / "ingest.py"), "--child-compact", before.isoformat()],
        env,
        capture_output=True,
    )
    return orjson.loads(out.stdout.strip().splitlines()[-1])


def progress_table(conn) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_scale_progress (month date PRIMARY KEY, meters integer NOT NULL, "
        "readings bigint NOT NULL, stored bigint NOT NULL, generate_seconds float8 NOT NULL, "
        "load_seconds float8 NOT NULL, compact_seconds float8 NOT NULL, finished_at timestamptz NOT NULL)"
    )


def build(opts) -> None:
    cluster = Cluster(opts.pgdata, opts.port)
    cluster.ensure()
    cluster.create_db(SCALE_DB)
    env = app_env(cluster, SCALE_DB)
    manage(env, "migrate", "--noinput", "-v0")
    from usage.timegrid import local_today

    months = months_to_build(opts.months + 1, local_today())[:-1]  # measure loads 7 days of the last month
    work = opts.work.resolve()
    with cluster.connect(SCALE_DB) as conn:
        progress_table(conn)
        done = {
            r[0]
            for r in conn.execute("SELECT month FROM bench_scale_progress WHERE meters = %s", [opts.meters])
        }
    for month in months:
        if month in done:
            continue
        days = calendar.monthrange(month.year, month.month)[1]
        folder = work / month.strftime("%Y-%m")
        shutil.rmtree(folder, ignore_errors=True)
        t0 = time.perf_counter()
        generate_files(env, opts, start=month, days=days, out=folder, workers=opts.workers)
        gen_s = time.perf_counter() - t0
        loaded = load_files(env, folder, opts.workers)
        t1 = time.perf_counter()
        compact_before(env, next_month(month))
        compact_s = time.perf_counter() - t1
        shutil.rmtree(folder, ignore_errors=True)
        with cluster.connect(SCALE_DB) as conn:
            conn.execute(
                "INSERT INTO bench_scale_progress VALUES (%s, %s, %s, %s, %s, %s, %s, now()) "
                "ON CONFLICT (month) DO UPDATE SET readings = EXCLUDED.readings, finished_at = now()",
                [month, opts.meters, loaded["rows"], loaded["stored"], gen_s, loaded["seconds"], compact_s],
            )
        emit(
            "build_month",
            loaded["rows"],
            "readings",
            month=month.isoformat(),
            stored=loaded["stored"],
            failed_files=loaded["failed"],
            generate_seconds=round(gen_s, 1),
            load_seconds=round(loaded["seconds"], 1),
            compact_seconds=round(compact_s, 1),
            readings_per_s=round(loaded["rows"] / loaded["seconds"]),
        )
    status(opts)


def status(opts) -> None:
    cluster = Cluster(opts.pgdata, opts.port)
    cluster.ensure()
    cluster.create_db(SCALE_DB)
    with cluster.connect(SCALE_DB) as conn:
        progress_table(conn)
        months, stored, seconds = conn.execute(
            "SELECT count(*), coalesce(sum(stored), 0), coalesce(sum(generate_seconds + load_seconds + "
            "compact_seconds), 0) FROM bench_scale_progress"
        ).fetchone()
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    emit(
        "build_status",
        int(stored),
        "readings stored",
        months=months,
        build_seconds=round(seconds),
        database_bytes=size,
    )


# ------------------------------------------------------------------------------------------------ measuring


def child_seed_api(path: str) -> None:
    """Give every premise a service period with one REP and write that REP's API key to ``path`` (once)."""
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from portal.codes import code_encrypt, code_generate
    from portal.models import Rep, ServicePeriod
    from thirdparty.apikeys import REP_KEY_SCOPES, apikey_create
    from thirdparty.models import Organization
    from usage.models import Premise

    rep, _ = Rep.objects.get_or_create(legal_name="Scale Retail Energy LLC")
    served = set(ServicePeriod.objects.filter(rep=rep).values_list("premise_id", flat=True))
    since = date(2000, 1, 1)
    code = code_encrypt(code_generate())
    now = timezone.now()
    with transaction.atomic():
        ServicePeriod.objects.bulk_create(
            [
                ServicePeriod(
                    premise_id=pk,
                    rep=rep,
                    starts_on=since,
                    rep_since=since,
                    registration_code_encrypted=code,
                    code_rotated_at=now,
                )
                for pk in Premise.objects.exclude(pk__in=served).values_list("pk", flat=True).iterator()
            ],
            batch_size=5000,
        )
    if Path(path).exists():
        return
    org, _ = Organization.objects.get_or_create(
        rep=rep,
        defaults={
            "kind": Organization.Kind.REP,
            "legal_name": rep.legal_name,
            "contact_email": "api@example.com",
            "status": Organization.Status.APPROVED,
            "approved_at": now,
        },
    )
    _, key = apikey_create(organization=org, name="scale benchmark", scopes=list(REP_KEY_SCOPES))
    Path(path).write_text(key)


def child_retention(today: str) -> None:
    import django

    django.setup()
    from usage.storage import purge_expired

    t0 = time.perf_counter()
    stats = purge_expired(today=date.fromisoformat(today))
    print(orjson.dumps({"seconds": time.perf_counter() - t0, **stats}, default=str).decode(), flush=True)


class Api:
    """gunicorn serving the app on one database, and plain http.client requests to it."""

    def __init__(self, env: dict, key: str):
        self.env, self.key, self.proc = env, key, None

    def __enter__(self) -> Api:
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "smt.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{HTTP_PORT}",
            "--log-level",
            "warning",
            "--timeout",
            "300",
            "--backlog",
            "2048",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True)  # noqa: S603
        for _ in range(240):
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200:
                    return self
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)

    def get(self, path: str, encoding: str = "br") -> tuple[int, int, float]:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=120)
        try:
            conn.request(
                "GET", path, headers={"Authorization": f"Api-Key {self.key}", "Accept-Encoding": encoding}
            )
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, len(body), time.perf_counter() - t0
        finally:
            conn.close()


def _percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 2),
        "requests": len(times),
    }


def _client(args) -> tuple[int, int, list[float]]:
    env_key, paths = args
    api = Api({}, env_key)
    ok = errors = 0
    times = []
    for p in paths:
        try:
            status, _, dt = api.get(p)
        except OSError:
            errors += 1
            continue
        times.append(dt)
        ok += status == 200
        errors += status != 200
    return ok, errors, times


def _concurrent(key: str, jobs: list[str], tag: dict, metric: str, **extra) -> None:
    """``jobs`` from 8 client processes at once: requests per second, errors and latency."""
    clients = 8
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(clients) as pool:
        parts_done = pool.map(_client, [(key, jobs[i::clients]) for i in range(clients)])
    seconds = time.perf_counter() - t0
    emit(
        metric,
        len(jobs) / seconds,
        "req/s",
        vcpus=os.cpu_count(),
        clients=clients,
        http_workers=WORKERS,
        seconds=round(seconds, 1),
        errors=sum(p[1] for p in parts_done),
        **_percentiles([t for p in parts_done for t in p[2]]),
        **extra,
        **tag,
    )


def prewarm_intervals(cluster: Cluster, db: str) -> int:
    """Reads every interval partition into PostgreSQL's buffers (pg_prewarm); the bytes read."""
    with cluster.connect(db) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        rels = conn.execute(
            "SELECT c.oid::regclass::text, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname IN ('usage_intervalday', 'usage_intervalmonth')"
        ).fetchall()
        for name, _ in rels:
            conn.execute("SELECT pg_prewarm(%s::regclass)", [name])
            toast = conn.execute(
                "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = %s::regclass AND reltoastrelid <> 0",
                [name],
            ).fetchone()
            if toast:
                conn.execute("SELECT pg_prewarm(%s::regclass)", [toast[0]])
            for (index,) in conn.execute(
                "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass", [name]
            ).fetchall():
                conn.execute("SELECT pg_prewarm(%s::regclass)", [index])
    return sum(size for _, size in rels)


def drop_os_cache() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure_db(opts, cluster: Cluster, db: str, label: str, days: list[date], last_month: date) -> None:
    """Every figure for one database, each line tagged ``"database": label``."""
    env = app_env(cluster, db)
    work = opts.work.resolve() / f"measure-{label}"
    shutil.rmtree(work, ignore_errors=True)
    tag = {"database": label}

    if "ingest" in opts.steps:
        # 1. ingest of seven new days for all meters (earlier measure runs' rows of those days removed first)
        with cluster.connect(db) as conn:
            conn.execute("DELETE FROM usage_intervalday WHERE day >= %s AND day <= %s", [days[0], days[-1]])
            progress_table(conn)
            # an earlier measure run's files of these days are no longer duplicates of the new ones
            conn.execute(
                "UPDATE usage_ingestfile SET status = 'failed' WHERE received_at > "
                "(SELECT coalesce(max(finished_at), '-infinity') FROM bench_scale_progress)"
            )
            conn.execute("VACUUM ANALYZE usage_intervalday")
        generate_files(env, opts, start=days[0], days=len(days), out=work)
        loaded = load_files(env, work, opts.workers)
        shutil.rmtree(work, ignore_errors=True)
        emit(
            "ingest_readings_per_s",
            loaded["rows"] / loaded["seconds"],
            "readings/s",
            vcpus=os.cpu_count(),
            readings=loaded["rows"],
            seconds=round(loaded["seconds"], 1),
            workers=opts.workers,
            days=len(days),
            **tag,
        )
    else:  # the seven days an earlier run loaded are still stored
        with cluster.connect(db) as conn:
            progress_table(conn)
            row = conn.execute(
                "SELECT coalesce(sum(stored), 0) FROM usage_ingestfile WHERE status IN ('loaded', 'partial') "
                "AND received_at > (SELECT coalesce(max(finished_at), '-infinity') FROM bench_scale_progress)"
            ).fetchone()
        loaded = {"stored": int(row[0])}

    with cluster.connect(db) as conn:
        progress_table(conn)
        built = conn.execute("SELECT coalesce(sum(stored), 0) FROM bench_scale_progress").fetchone()[0]
    stored = int(built) + loaded["stored"]
    if "storage" in opts.steps:
        # 2. bytes per reading and each partition's size
        with cluster.connect(db) as conn:
            parts = conn.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent "
                "WHERE c.relkind = 'r' AND (c.relname IN ('usage_intervalday', 'usage_intervalmonth') "
                "OR p.relname IN ('usage_intervalday', 'usage_intervalmonth')) ORDER BY c.relname"
            ).fetchall()
        total = sum(size for _, size in parts)
        emit("bytes_per_reading", total / stored, "B", readings_stored=stored, interval_bytes=total, **tag)
        emit("partition_sizes", len(parts), "tables", sizes={name: size for name, size in parts}, **tag)

    if "maintenance" in opts.steps:
        # 3. compaction of one month, retention of one partition, VACUUM (ANALYZE) of the day table
        out = run(
            [PY, str(ROOT / "bench" / "bench_scale.py"), "--child-uncompact", last_month.isoformat()],
            env,
            capture_output=True,
        ).stdout
        reopened = orjson.loads(out.strip().splitlines()[-1])
        comp = compact_before(env, next_month(last_month))
        emit(
            "compaction_month_seconds",
            comp["seconds"],
            "s",
            month=last_month.isoformat(),
            months=comp.get("months"),
            reopened=reopened["months"],
            **tag,
        )
        with cluster.connect(db) as conn:
            oldest = conn.execute("SELECT min(month) FROM usage_intervalmonth").fetchone()[0]
        year_before = oldest.replace(year=oldest.year - 1)
        run(
            [
                PY,
                str(ROOT / "bench" / "bench_scale.py"),
                "--child-copy-month",
                oldest.isoformat(),
                year_before.isoformat(),
            ],
            env,
            capture_output=True,
        )
        keep_from = next_month(year_before)
        retention_today = keep_from.replace(year=keep_from.year + 7)
        out = run(
            [PY, str(ROOT / "bench" / "bench_scale.py"), "--child-retention", retention_today.isoformat()],
            {**env, "INTERVAL_RETENTION_YEARS": "7"},
            capture_output=True,
        ).stdout
        ret = orjson.loads(out.strip().splitlines()[-1])
        emit(
            "retention_partition_seconds",
            ret.pop("seconds"),
            "s",
            month=year_before.isoformat(),
            result=ret,
            **tag,
        )
        with cluster.connect(db) as conn:
            t0 = time.perf_counter()
            conn.execute("VACUUM (ANALYZE) usage_intervalday")
            emit("vacuum_analyze_day_table_seconds", time.perf_counter() - t0, "s", **tag)

    if "api" in opts.steps:
        # 4. the API: warm, cold after a restart, then 10,000 requests with 8 clients
        key_file = opts.work.resolve() / f"api-key-{db}.txt"
        run(
            [PY, str(ROOT / "bench" / "bench_scale.py"), "--child-seed-api", str(key_file)],
            env,
            capture_output=True,
        )
        key = key_file.read_text().strip()
        with cluster.connect(db) as conn:
            esiids = [r[0] for r in conn.execute("SELECT esiid FROM usage_premise ORDER BY id")]
        end = days[-1]
        start = end - timedelta(days=395)
        query = f"?start={start}&end={end}&granularity=15min"
        rnd = random.Random(7)
        picks = rnd.sample(esiids, min(len(esiids), 400))
        half = len(picks) // 2  # 200 each, fewer on a small test build
        warm, cold = picks[:half], picks[half:]
        path = lambda e: f"/api/v1/premises/{e}/intervals/{query}"  # noqa: E731
        served = serving_env(cluster, db)
        with Api(served, key) as api:
            for e in warm:
                api.get(path(e))
            results = [api.get(path(e)) for e in warm]
            assert all(s == 200 for s, _, _ in results), {s for s, _, _ in results}
            emit(
                "api_json_13_months_warm",
                _percentiles([t for _, _, t in results])["median_ms"],
                "ms",
                **_percentiles([t for _, _, t in results]),
                **tag,
            )
            emit(
                "api_json_13_months_wire_bytes",
                statistics.median(n for _, n, _ in results),
                "B",
                encoding="br",
                **tag,
            )
            # a server that has been up holds the interval tables in its caches (1.9 GB on the built database, in
            # 24 GB); pg_prewarm puts them there as a day's traffic would, without the time a day takes
            prewarmed = prewarm_intervals(cluster, db)
            _concurrent(
                key,
                [path(rnd.choice(esiids)) for _ in range(opts.requests)],
                tag,
                "api_concurrent_requests_per_s",
                prewarmed_bytes=prewarmed,
            )
        cluster.restart()
        dropped = drop_os_cache()
        with cluster.connect(db) as conn:
            read0 = conn.execute(
                "SELECT blks_read FROM pg_stat_database WHERE datname = %s", [db]
            ).fetchone()[0]
        with Api(served, key) as api:
            with cluster.connect(db) as conn:
                read1 = conn.execute(
                    "SELECT blks_read FROM pg_stat_database WHERE datname = %s", [db]
                ).fetchone()[0]
            results = [api.get(path(e)) for e in cold]
            with cluster.connect(db) as conn:
                read2 = conn.execute(
                    "SELECT blks_read FROM pg_stat_database WHERE datname = %s", [db]
                ).fetchone()[0]
            emit(
                "api_json_13_months_cold",
                _percentiles([t for _, _, t in results])["median_ms"],
                "ms",
                **_percentiles([t for _, _, t in results]),
                os_cache_dropped=dropped,
                errors=sum(s != 200 for s, _, _ in results),
                **tag,
            )
            emit(
                "api_cold_buffers_read_per_request",
                (read2 - read1) / len(cold),
                "buffers",
                server_start_reads=read1 - read0,
                **tag,
            )
            # the same load straight after the restart, the caches empty: the worst minute after a failover
            _concurrent(
                key,
                [path(rnd.choice(esiids)) for _ in range(opts.requests)],
                tag,
                "api_concurrent_requests_per_s_after_restart",
                os_cache_dropped=dropped,
            )

    if "dump" in opts.steps:
        # 5. pg_dump -Fc and pg_restore
        dump = opts.work.resolve() / f"{db}.dump"
        t0 = time.perf_counter()
        run([str(PG_BIN / "pg_dump"), "-Fc", "-f", str(dump), cluster.url(db)])
        dump_s = time.perf_counter() - t0
        size = dump.stat().st_size
        emit("pg_dump_seconds", dump_s, "s", bytes=size, **tag)
        emit("pg_dump_bytes_per_reading", size / stored, "B", **tag)
        restored = f"{db}_restore"
        cluster.create_db(restored, fresh=True)
        t0 = time.perf_counter()
        run(
            [
                str(PG_BIN / "pg_restore"),
                "-j",
                str(os.cpu_count() or 1),
                "-d",
                cluster.url(restored),
                str(dump),
            ]
        )
        emit("pg_restore_seconds", time.perf_counter() - t0, "s", **tag)
        with cluster.connect() as conn:
            conn.execute(f'DROP DATABASE "{restored}" WITH (FORCE)')
        dump.unlink()


def measure(opts) -> None:
    cluster = Cluster(opts.pgdata, opts.port)
    cluster.ensure()
    from usage.timegrid import local_today

    months = months_to_build(opts.months + 1, local_today())
    built, new_month = months[:-1], months[-1]
    days = [new_month + timedelta(days=i) for i in range(7)]
    with cluster.connect(SCALE_DB) as conn:
        progress_table(conn)
        have = {
            r[0]
            for r in conn.execute("SELECT month FROM bench_scale_progress WHERE meters = %s", [opts.meters])
        }
    if not set(built) <= have:
        raise SystemExit(f"build first: {len(set(built) - have)} of {len(built)} months are not built")
    emit(
        "machine",
        os.cpu_count(),
        "cpus",
        cpu=_cpu_model(),
        memory_bytes=_meminfo("MemTotal"),
        pg_settings=cluster.settings(),
        meters=opts.meters,
        months=len(built),
        solar_share=opts.solar_share,
    )
    if "ingest" in opts.steps:  # else the empty database keeps the seven days an earlier run loaded
        cluster.create_db(EMPTY_DB, fresh=True)
        (opts.work.resolve() / f"api-key-{EMPTY_DB}.txt").unlink(missing_ok=True)  # its key went with the db
    manage(app_env(cluster, EMPTY_DB), "migrate", "--noinput", "-v0")
    for db, label in ((EMPTY_DB, "empty"), (SCALE_DB, "scale")):
        measure_db(opts, cluster, db, label, days, built[-1] if label == "scale" else new_month)
    with cluster.connect() as conn:
        sizes = dict(conn.execute("SELECT datname, pg_database_size(datname) FROM pg_database").fetchall())
    disk = shutil.disk_usage(cluster.pgdata)
    emit(
        "end_state",
        _meminfo("MemAvailable"),
        "bytes available memory",
        database_bytes=sizes,
        disk_free_bytes=disk.free,
        disk_total_bytes=disk.total,
        loadavg_1m=round(os.getloadavg()[0], 2),
    )


def _meminfo(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


# ------------------------------------------------------------------------------------------------ children


def child_uncompact(month: str) -> None:
    """Reopen one month of every premise into day rows (untimed set-up for the compaction figure)."""
    import django

    django.setup()
    import numpy as np
    from django.db import connection, transaction

    from usage.storage import uncompact_months
    from usage.timegrid import day_num

    first = date.fromisoformat(month)
    with connection.cursor() as cur:
        cur.execute("SELECT premise_id, channel FROM usage_intervalmonth WHERE month = %s", [first])
        keys = cur.fetchall()
    opened = 0
    for i in range(0, len(keys), 2000):
        part = np.array(keys[i : i + 2000], dtype=np.int64)
        with transaction.atomic():
            opened += uncompact_months(part[:, 0], part[:, 1], np.full(len(part), day_num(first), np.int64))
    print(orjson.dumps({"months": opened}).decode(), flush=True)


def child_copy_month(source: str, target: str) -> None:
    """Copy one month's blocks to another month (the partition retention then drops)."""
    import django

    django.setup()
    from django.db import connection

    from usage.storage import ensure_partitions

    ensure_partitions(date.fromisoformat(target), date.fromisoformat(target))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM usage_intervalmonth WHERE month = %s", [target])
        cur.execute(
            "INSERT INTO usage_intervalmonth (premise_id, channel, month, day_mask, data) "
            "SELECT premise_id, channel, %s, day_mask, data FROM usage_intervalmonth WHERE month = %s",
            [target, source],
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", choices=("build", "measure", "status"))
    ap.add_argument("--meters", type=int, default=30_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--solar-share", type=float, default=0.10)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument(
        "--steps",
        type=lambda v: set(v.split(",")),
        default=set(STEPS),
        help="measure only these (comma list of " + ", ".join(STEPS) + "; all by default)",
    )
    ap.add_argument("--pgdata", type=Path, default=ROOT / "var" / "scale" / "pg")
    ap.add_argument("--port", type=int, default=5499)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "scale" / "work")
    ap.add_argument("--child-seed-api")
    ap.add_argument("--child-retention")
    ap.add_argument("--child-uncompact")
    ap.add_argument("--child-copy-month", nargs=2)
    opts = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")
    if opts.child_seed_api:
        return child_seed_api(opts.child_seed_api)
    if opts.child_retention:
        return child_retention(opts.child_retention)
    if opts.child_uncompact:
        return child_uncompact(opts.child_uncompact)
    if opts.child_copy_month:
        return child_copy_month(*opts.child_copy_month)
    opts.work.mkdir(parents=True, exist_ok=True)
    shutil.chown(opts.work, "root")
    {"build": build, "measure": measure, "status": status}[opts.command or "status"](opts)


if __name__ == "__main__":
    main()
