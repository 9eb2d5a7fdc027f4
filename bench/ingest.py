"""Benchmark of TDU file ingest and interval storage on PostgreSQL: one JSON object per line.

    python bench/ingest.py [--meters 2000] [--days 30] [--workers 2] [--big-file]

Needs DATABASE_URL (PostgreSQL); it works in a scratch database ``<name>_ingest_bench`` on the same
server, dropped and created anew. Steps (generation is not timed):
1. generate_tdu_files for N meters x D days (the generator's defaults: 10% solar), load the files with
   --workers loader processes (default: one per CPU, as a Celery worker of that concurrency runs one
   task per file, each file in its own transaction): ingest readings/s for new days (parse + validate +
   store + commit, wall time from the first file to the last commit), loader CPU s, peak RSS;
2. the next D days, with 5% of the set's readings being later revisions of stored readings: readings/s;
3. compaction of the settled months, then bytes per reading (pg_total_relation_size of the interval tables
   with indexes / readings stored), split into payload (the codec blocks) and row + index overhead;
4. a meter-year for a few meters, compacted: milliseconds to read one premise-year into numpy arrays;
5. with --big-file: one file of one TDU made of all its rows (about 1 GB with --meters 4000 --days 30),
   loaded into emptied interval tables: readings/s and peak RSS of that load.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")
PY = sys.executable


def emit(metric: str, value, unit: str, **extra) -> None:
    if isinstance(value, float):
        value = round(value, 3)
    print(orjson.dumps({"metric": metric, "value": value, "unit": unit, **extra}).decode(), flush=True)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "load_avg_1m": round(os.getloadavg()[0], 2)}


# ------------------------------------------------------------------------------------------------ child


def _load_share(files: list[Path], out) -> None:
    """One loader process: its share of the files, totals sent back through ``out``."""
    from usage.ingest.loader import ingest_file

    totals = {"files": 0, "rows": 0, "stored": 0, "superseded": 0, "rejected": 0, "failed": 0}
    c0 = time.process_time()
    for f in files:
        r = ingest_file(path=f)
        totals["files"] += 1
        totals["rows"] += r.rows
        totals["stored"] += r.stored
        totals["superseded"] += r.superseded
        totals["rejected"] += r.rejected
        totals["failed"] += r.status == "failed"
    totals["cpu_seconds"] = time.process_time() - c0
    totals["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send(totals)
    out.close()


def child_load(paths: list[str], workers: int) -> None:
    """Load files with ``workers`` loader processes, as a Celery worker with that concurrency does (one
    task per file, each file in its own transaction), and print one JSON line: totals, wall seconds from
    the first file to the last commit, loader CPU seconds and the largest loader's peak RSS."""
    import multiprocessing as mp

    import django

    django.setup()
    from django.db import connections
    from django.db.models.signals import post_save

    from usage.models import IngestFile

    if os.environ.get("BENCH_KEEP_HOOKS") != "1":
        # the data.available webhook fan-out (thirdparty) is its own Celery task in production, not part
        # of ingest; without a broker it would run inline here
        post_save.disconnect(sender=IngestFile, dispatch_uid="thirdparty.data_available")

    files = []
    for p in paths:
        path = Path(p)
        files += sorted(x for x in path.iterdir() if "INTERVAL" in x.name) if path.is_dir() else [path]
    workers = max(1, min(workers, len(files)))
    connections.close_all()  # each loader opens its own connection
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    procs, pipes = [], []
    for i in range(workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_load_share, args=(files[i::workers], send))
        proc.start()
        procs.append(proc)
        pipes.append(recv)
    parts = [r.recv() for r in pipes]
    for proc in procs:
        proc.join()
    totals = {
        k: sum(p[k] for p in parts) for k in ("files", "rows", "stored", "superseded", "rejected", "failed")
    }
    totals["seconds"] = time.perf_counter() - t0
    totals["cpu_seconds"] = sum(p["cpu_seconds"] for p in parts)
    totals["max_rss_mb"] = max(p["max_rss_mb"] for p in parts)
    totals["workers"] = workers
    print(orjson.dumps(totals).decode(), flush=True)


def child_compact(before: str) -> None:
    import django

    django.setup()
    from usage import storage

    t0 = time.perf_counter()
    stats = storage.compact_months(before=date.fromisoformat(before))
    stats["seconds"] = time.perf_counter() - t0
    print(orjson.dumps(stats).decode(), flush=True)


# ------------------------------------------------------------------------------------------------ parent


def run(args: list[str], env: dict, capture: bool = True) -> str:
    out = subprocess.run(args, env=env, cwd=ROOT, check=True, capture_output=capture, text=True)  # noqa: S603
    return out.stdout if capture else ""


def generate_files(
    env: dict,
    *,
    out: Path,
    meters: int,
    start: date,
    days: int,
    seed: int,
    solar_share: float | None = None,
    workers: int | None = None,
) -> None:
    """TDU interval files of ``days`` days from ``start`` for ``meters`` meters (``manage.py generate_tdu_files``)."""
    args = ["--meters", str(meters), "--start", start.isoformat(), "--days", str(days), "--out", str(out)]
    args += ["--seed", str(seed)]
    if solar_share is not None:
        args += ["--solar-share", str(solar_share)]
    if workers:
        args += ["--workers", str(workers)]
    run([PY, "manage.py", "generate_tdu_files", *args], env)


def load(env: dict, *paths: Path, workers: int = 1) -> dict:
    out = run([PY, __file__, "--child-load", *map(str, paths), "--workers", str(workers)], env)
    return orjson.loads(out.strip().splitlines()[-1])


def make_revision_set(old_dir: Path, new_dir: Path, share: float, seed: int = 5) -> int:
    """Add to every file of ``new_dir`` later revisions of random rows of the file of the same TDU
    ``days`` earlier in ``old_dir``, so that ``share`` of the set's readings are revisions."""
    rng = random.Random(seed)
    old_files = {f.name.split("_")[0] + f.name.split("_")[1]: f for f in old_dir.glob("*INTERVAL*")}
    added = 0
    for new_file in sorted(new_dir.glob("*INTERVAL*")):
        duns, ymd = new_file.name.split("_")[:2]
        new_day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
        candidates = sorted(old_files.items())
        match = [f for k, f in candidates if k.startswith(duns)]
        if not match:
            continue
        old = match[(new_day.toordinal()) % len(match)]
        old_lines = old.read_bytes().split(b"\r\n")[1:]
        old_lines = [x for x in old_lines if x]
        new_bytes = new_file.read_bytes()
        new_rows = new_bytes.count(b"\n") - 1
        want = int(round(new_rows * share / (1 - share)))
        picked = rng.sample(old_lines, min(want, len(old_lines)))
        out = []
        for line in picked:
            f = line.split(b",")
            f[2] = new_day.strftime("%m/%d/%Y 23:59:59").encode()  # later than the original revision
            f[5] = b"%.3f" % (float(f[5]) + 0.001)
            out.append(b",".join(f))
        if not new_bytes.endswith(b"\r\n"):
            new_bytes += b"\r\n"
        new_file.write_bytes(new_bytes + b"\r\n".join(out) + b"\r\n")
        added += len(out)
    return added


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meters", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--year-meters", type=int, default=3)
    ap.add_argument("--big-file", action="store_true", help="also load one large file of one TDU")
    ap.add_argument("--keep-files", action="store_true", help="keep the generated files (removed by default)")
    ap.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="loader processes for the file sets (one file per task, as a Celery worker of this concurrency)",
    )
    ap.add_argument("--parts-only", action="store_true", help="only the parts-of-one-TDU-day figure")
    ap.add_argument("--child-load", nargs="+")
    ap.add_argument("--child-compact")
    opts = ap.parse_args()
    if opts.child_load:
        return child_load(opts.child_load, opts.workers)
    if opts.child_compact:
        return child_compact(opts.child_compact)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        emit("ingest_readings_per_s", None, "readings/s", skipped="needs PostgreSQL: set DATABASE_URL")
        return
    import psycopg

    base, _, dbname = url.rpartition("/")
    dbname = dbname.split("?")[0]
    bench_db = f"{dbname}_ingest_bench"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_db}"')
        conn.execute(f'CREATE DATABASE "{bench_db}"')
    env = {**os.environ, "DATABASE_URL": f"{base}/{bench_db}", "DJANGO_SETTINGS_MODULE": "smt.settings"}
    env.pop("REDIS_URL", None)
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    work = Path(tempfile.mkdtemp(prefix="smt-ingest-bench-"))
    try:
        run_steps(opts, env, work, psycopg)
    finally:
        if not opts.keep_files:
            shutil.rmtree(work, ignore_errors=True)


def run_steps(opts, env: dict, work: Path, psycopg) -> None:
    from usage.timegrid import local_today

    info = machine()
    today = local_today()  # the market's date, as the loader uses
    p1 = (today - timedelta(days=2 * opts.days + 2)).replace(day=1)
    p2 = p1 + timedelta(days=opts.days)
    d1, d2, dy = work / "p1", work / "p2", work / "year"

    generate_files(env, out=d1, meters=opts.meters, start=p1, days=opts.days, seed=1)
    if opts.parts_only:
        parts_of_tdu_days(opts, env, work, d1, psycopg, info)
        return
    scale = {"meters": opts.meters, "days": opts.days, **info}
    if opts.workers > 1:
        # for comparison: the same set through one loader process, then the tables emptied again
        alone = load(env, d1, workers=1)
        emit(
            "ingest_readings_per_s_one_process",
            alone["rows"] / alone["seconds"],
            "readings/s",
            readings=alone["rows"],
            seconds=round(alone["seconds"], 2),
            readings_per_cpu_s=round(alone["rows"] / alone["cpu_seconds"]),
            workers=1,
            case="new days",
            **scale,
        )
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("TRUNCATE usage_intervalday, usage_intervalmonth, usage_rejectedrow")
            conn.execute("UPDATE usage_ingestfile SET status = 'failed'")  # not duplicates any more
            conn.execute("VACUUM ANALYZE")
    first = load(env, d1, workers=opts.workers)
    emit(
        "ingest_readings_per_s",
        first["rows"] / first["seconds"],
        "readings/s",
        readings=first["rows"],
        stored=first["stored"],
        seconds=round(first["seconds"], 2),
        cpu_seconds=round(first["cpu_seconds"], 2),
        readings_per_cpu_s=round(first["rows"] / first["cpu_seconds"]),
        files=first["files"],
        workers=first["workers"],
        case="new days",
        **scale,
    )
    emit("ingest_peak_rss", first["max_rss_mb"], "MB", case="new days, the largest loader process", **scale)

    generate_files(env, out=d2, meters=opts.meters, start=p2, days=opts.days, seed=1)
    revised = make_revision_set(d1, d2, 0.05)
    second = load(env, d2, workers=opts.workers)
    emit(
        "ingest_readings_per_s_with_revisions",
        second["rows"] / second["seconds"],
        "readings/s",
        readings=second["rows"],
        revisions=revised,
        stored=second["stored"],
        superseded=second["superseded"],
        seconds=round(second["seconds"], 2),
        cpu_seconds=round(second["cpu_seconds"], 2),
        readings_per_cpu_s=round(second["rows"] / second["cpu_seconds"]),
        workers=second["workers"],
        case="new days + 5% revisions of stored readings",
        **scale,
    )

    before = (p2 + timedelta(days=opts.days + 31)).replace(day=1)
    comp = orjson.loads(
        run([PY, __file__, "--child-compact", before.isoformat()], env).strip().splitlines()[-1]
    )
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        # the tables are partitioned (docs/scaling.md): a partitioned table's own size is 0, its partitions' count
        size_sql = (
            "SELECT (SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_partition_tree('usage_intervalday')),"
            " (SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_partition_tree('usage_intervalmonth'))"
        )
        conn.execute("VACUUM ANALYZE usage_intervalday")
        conn.execute("VACUUM ANALYZE usage_intervalmonth")
        day_before, _ = conn.execute(size_sql).fetchone()
        # the day table's indexes keep the pages of the compacted days until new days reuse them;
        # rebuild them so that the figure is the compacted data's (the pages left are reported)
        conn.execute("REINDEX TABLE usage_intervalday")
        day_size, month_size = conn.execute(size_sql).fetchone()
        total = day_size + month_size
        payload = conn.execute(
            "SELECT coalesce((SELECT sum(octet_length(data)) FROM usage_intervalday), 0)"
            " + coalesce((SELECT sum(octet_length(data)) FROM usage_intervalmonth), 0)"
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT (SELECT count(*) FROM usage_intervalday), (SELECT count(*) FROM usage_intervalmonth)"
        ).fetchone()
    readings = first["stored"] + second["stored"] - revised  # distinct stored readings
    emit(
        "storage_bytes_per_reading",
        total / readings,
        "bytes/reading",
        payload_bytes_per_reading=round(float(payload) / readings, 3),
        overhead_bytes_per_reading=round((total - float(payload)) / readings, 3),
        total_bytes=total,
        month_table_bytes=month_size,
        day_table_bytes=day_size,
        day_table_bytes_before_reindex=day_before,
        readings=readings,
        day_rows=rows[0],
        month_rows=rows[1],
        compaction_seconds=round(comp["seconds"], 2),
        **scale,
    )

    # a meter-year, compacted, read back into numpy arrays
    year_start = (p1 - timedelta(days=365)).replace(day=1)
    generate_files(env, out=dy, meters=opts.year_meters, start=year_start, days=365, seed=7)
    load(env, dy)
    run([PY, __file__, "--child-compact", (year_start + timedelta(days=400)).replace(day=1).isoformat()], env)
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    import django

    django.setup()
    from usage.models import Premise
    from usage.storage import read_channels
    from usage.synth.premises import synth_premises

    esiid = synth_premises(opts.year_meters, 7)[0].esiid
    pid = Premise.objects.get(esiid=esiid).pk
    end = year_start + timedelta(days=364)
    got = read_channels(premise_id=pid, start=year_start, end=end)
    times, cpu = [], []
    for _ in range(40):
        t0, c0 = time.perf_counter(), time.process_time()
        got = read_channels(premise_id=pid, start=year_start, end=end)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    emit(
        "read_meter_year_ms",
        statistics.median(times),
        "ms",
        p90=round(sorted(times)[35], 3),
        cpu_ms_median=round(statistics.median(cpu), 3),
        days=int(got[1].dates.size),
        readings=int(got[1].values_wh.size + got[2].values_wh.size),
        case="one premise, both channels, 365 days from meter-month rows into numpy arrays",
        **info,
    )

    parts_of_tdu_days(opts, env, work, d1, psycopg, info)

    if opts.big_file:
        duns = "1039940674000"
        big = work / f"{duns}_{p1:%Y%m%d}_BIG.csv"
        with big.open("wb") as out:
            header_written = False
            for folder in (d1, d2):
                for f in sorted(folder.glob(f"{duns}_*INTERVAL*")):
                    data = f.read_bytes()
                    head, _, body = data.partition(b"\r\n")
                    if not header_written:
                        out.write(head + b"\r\n")
                        header_written = True
                    out.write(body)
        size_mb = big.stat().st_size / 1e6
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("TRUNCATE usage_intervalday, usage_intervalmonth, usage_rejectedrow")
            conn.execute("UPDATE usage_ingestfile SET status = 'failed'")
        res = load(env, big)
        emit(
            "ingest_big_file",
            res["rows"] / res["seconds"],
            "readings/s",
            file_mb=round(size_mb, 1),
            readings=res["rows"],
            seconds=round(res["seconds"], 2),
            max_rss_mb=round(res["max_rss_mb"], 1),
            cpu_seconds=round(res["cpu_seconds"], 2),
            case="one file of one TDU, new days",
            **info,
        )


def split_interleaved(source: Path, out_dir: Path, parts: int) -> list[Path]:
    """Cut one TDU-day file into ``parts`` files by meter, dealing the meters out in turn (the way a TDU's
    own meter order may interleave with ours), each part with the file's header."""
    head, _, body = source.read_bytes().partition(b"\r\n")
    duns, day = source.name.split("_")[:2]
    by_meter: dict[bytes, int] = {}
    outs: list[list[bytes]] = [[] for _ in range(parts)]
    for line in body.split(b"\r\n"):
        if line:
            esiid = line.split(b",", 1)[0]
            outs[by_meter.setdefault(esiid, len(by_meter) % parts)].append(line)
    paths = []
    for i, lines in enumerate(outs):
        path = out_dir / f"{duns}_{day}_INTERVAL_PART{i + 1:03d}.csv"
        path.write_bytes(head + b"\r\n" + b"\r\n".join(lines) + b"\r\n")
        paths.append(path)
    return paths


def parts_of_tdu_days(opts, env: dict, work: Path, d1: Path, psycopg, info: dict) -> None:
    """The parts of one TDU-day load side by side: each day of the largest TDU cut into interleaved parts,
    loaded by one process and then by ``--workers`` processes (parts of the same day at the same time)."""
    if opts.workers < 2:
        return
    files = sorted(d1.glob("*INTERVAL*"))
    largest_duns = max(
        {f.name.split("_")[0] for f in files},
        key=lambda d: sum(f.stat().st_size for f in files if f.name.startswith(d)),
    )
    parts_dir = work / "parts"
    parts_dir.mkdir()
    for f in files:
        if f.name.startswith(largest_duns):
            split_interleaved(f, parts_dir, opts.workers)
    results = {}
    for workers in (1, opts.workers):
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("TRUNCATE usage_intervalday, usage_intervalmonth, usage_rejectedrow")
            conn.execute("UPDATE usage_ingestfile SET status = 'failed'")
            conn.execute("VACUUM ANALYZE")
        results[workers] = load(env, parts_dir, workers=workers)
    alone, side = results[1], results[opts.workers]
    emit(
        "ingest_tdu_day_parts_readings_per_s",
        side["rows"] / side["seconds"],
        "readings/s",
        one_process_readings_per_s=round(alone["rows"] / alone["seconds"]),
        speedup=round(alone["seconds"] / side["seconds"], 2),
        readings=side["rows"],
        files=side["files"],
        parts_per_day=opts.workers,
        workers=opts.workers,
        case="each TDU-day of the largest TDU in interleaved parts, parts of one day loaded at the same time",
        **info,
    )


if __name__ == "__main__":
    main()
