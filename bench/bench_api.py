#!/usr/bin/env python
"""API benchmark (`make bench`): prints one JSON object per line.

What it does, on PostgreSQL (database ``smt_bench`` by default, or BENCH_DATABASE_URL) and Redis:
1. migrates and, once, seeds BENCH_PREMISES (1,000) premises with 13 months of 15-minute data stored the way
   the app stores settled data (meter-month blocks, recent days as day rows), each with an occupant, an
   approved third party's agreement and a bearer token; plus the naive baseline table (one row per reading)
   for BENCH_BASELINE_PREMISES premises;
2. serves the app with gunicorn (2 sync workers) on 127.0.0.1 under the ``benchmark`` throttle profile
   (API_THROTTLE_PROFILE=benchmark: limits far above what the machine can serve, documented in docs/api.md);
3. measures, from plain http.client clients:
   - latency of one premise's 13 months of 15-minute data, JSON and CSV, one client (median, p95);
   - the same JSON's bytes on the wire without compression, with gzip and with brotli, its latency with each,
     and the latency of a 304 answering If-None-Match;
   - 10,000 JSON requests over random premises from 8 concurrent clients (time, errors);
   - the baseline (unpaginated ListAPIView + ModelSerializer, 200 requests) and our API over the same
     premises with the same concurrency, and the throughput ratio.

Environment: BENCH_PREMISES, BENCH_REQUESTS (10000), BENCH_CLIENTS (8), BENCH_BASELINE_REQUESTS (200),
BENCH_LATENCY_REQUESTS (200), BENCH_PORT (8765), BENCH_RESEED=1 to rebuild the data, BENCH_ONLY (a comma list of
latency, compression, concurrent, baseline, export; all by default). The last line gives the 1-minute load average: figures
taken while other work shares the machine are not the machine's.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import SERVING_ENV, WORKERS  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/smt_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
N_PREMISES = int(os.environ.get("BENCH_PREMISES", "1000"))
N_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "10000"))
N_CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
N_BASELINE = int(os.environ.get("BENCH_BASELINE_REQUESTS", "200"))
N_BASELINE_PREMISES = int(os.environ.get("BENCH_BASELINE_PREMISES", "20"))
N_LATENCY = int(os.environ.get("BENCH_LATENCY_REQUESTS", "200"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))  # >1: gthread workers with that many threads each
ONLY = set(os.environ.get("BENCH_ONLY", "latency,compression,concurrent,baseline,export").split(","))
ESIID_PREFIX = "1099999"
TOKEN_SALT = "bench-token-"

ENV = {
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
    **SERVING_ENV,
    "SITE_URL": f"http://127.0.0.1:{PORT}",
}


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def token_for(i: int) -> str:
    return f"{TOKEN_SALT}{i:06d}-{hashlib.sha256(f'{TOKEN_SALT}{i}'.encode()).hexdigest()[:24]}"


def esiid_for(i: int) -> str:
    return f"{ESIID_PREFIX}{i:010d}"


def bench_range(today: date) -> tuple[date, date]:
    """13 months (396 days) of whole local days ending yesterday."""
    end = today - timedelta(days=1)
    return end - timedelta(days=395), end


# ------------------------------------------------------------------------------------------- setup


def ensure_database() -> None:
    import psycopg

    base, _, name = DB_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup() -> None:
    os.environ.update(ENV)
    import django

    django.setup()


def seed(today: date) -> dict:
    """Idempotent: does nothing when the data is already there (BENCH_RESEED=1 rebuilds it)."""
    from usage.models import Premise, Tdu

    start, end = bench_range(today)
    tdu, _ = Tdu.objects.get_or_create(
        duns="9999999990000",
        defaults={"name": "Bench TDU", "short_name": "Bench", "esiid_prefixes": [ESIID_PREFIX]},
    )
    have = Premise.objects.filter(tdu=tdu).count()
    marker = Path(ROOT / "var" / "bench" / f"seeded-{N_PREMISES}-{start}-{end}")
    if have >= N_PREMISES and marker.exists() and os.environ.get("BENCH_RESEED") != "1":
        return {"seeded": False, "premises": have}
    t0 = time.perf_counter()
    _wipe_bench_data(tdu)
    move_in = start - timedelta(days=30)
    premises = _seed_accounts(tdu, move_in)
    days, baseline_rows = _seed_intervals(premises, move_in, end)
    _seed_baseline(days, baseline_rows)
    marker.parent.mkdir(parents=True, exist_ok=True)
    for old in marker.parent.glob("seeded-*"):
        old.unlink()
    marker.touch()
    return {"seeded": True, "premises": N_PREMISES, "seconds": round(time.perf_counter() - t0, 1)}


def _wipe_bench_data(tdu) -> None:
    """Drop the baseline table and delete every row an earlier seed made."""
    from django.db import connection, transaction

    from portal.models import PremiseRegistration, ServicePeriod, User
    from thirdparty.models import AccessToken, Agreement, AgreementPremise
    from usage.models import Premise

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_baseline_reading")
    # wipe previous bench data
    premises_qs = Premise.objects.filter(tdu=tdu)
    ids = list(premises_qs.values_list("pk", flat=True))
    with transaction.atomic():
        with connection.cursor() as cur:
            if ids:
                cur.execute("DELETE FROM usage_intervalday WHERE premise_id = ANY(%s)", [ids])
                cur.execute("DELETE FROM usage_intervalmonth WHERE premise_id = ANY(%s)", [ids])
        AccessToken.objects.filter(application__name="Bench app").delete()
        AgreementPremise.objects.filter(premise_id__in=ids).delete()
        Agreement.objects.filter(organization__legal_name="Bench Third Party").delete()
        PremiseRegistration.objects.filter(period__premise_id__in=ids).delete()
        ServicePeriod.objects.filter(premise_id__in=ids).delete()
        premises_qs.delete()
        User.objects.filter(username__startswith="bench-").delete()


def _seed_accounts(tdu, move_in: date) -> list:
    """N_PREMISES premises from ``move_in``, each with an occupant, an agreement and a bearer token."""
    from django.db import transaction
    from django.utils import timezone

    from portal.codes import code_encrypt, code_generate
    from portal.models import PremiseRegistration, Rep, ServicePeriod, User
    from thirdparty.models import AccessToken, Agreement, AgreementPremise, Application, Organization
    from usage.models import Premise

    rep, _ = Rep.objects.get_or_create(legal_name="Bench Retail Energy LLC")
    org, _ = Organization.objects.get_or_create(
        legal_name="Bench Third Party",
        defaults={"contact_email": "bench@example.com", "status": Organization.Status.APPROVED},
    )
    app = Application.objects.filter(name="Bench app").first() or Application.objects.create(
        name="Bench app",
        organization=org,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://bench.example/cb",
        allowed_scopes=["usage:read"],
    )
    now = timezone.now()
    with transaction.atomic():
        premises = Premise.objects.bulk_create(
            [
                Premise(
                    esiid=esiid_for(i),
                    tdu=tdu,
                    address_line1=f"{i} Bench St",
                    city="Austin",
                    zip_code="78701",
                )
                for i in range(N_PREMISES)
            ]
        )
        code = code_encrypt(code_generate())
        periods = ServicePeriod.objects.bulk_create(
            [
                ServicePeriod(
                    premise=p,
                    rep=rep,
                    starts_on=move_in,
                    rep_since=move_in,
                    registration_code_encrypted=code,
                    code_rotated_at=now,
                )
                for p in premises
            ]
        )
        users = User.objects.bulk_create(
            [User(username=f"bench-{i}", email=f"b{i}@example.com", password="!") for i in range(N_PREMISES)]
        )
        PremiseRegistration.objects.bulk_create(
            [PremiseRegistration(user=u, period=sp) for u, sp in zip(users, periods, strict=True)]
        )
        agreements = Agreement.objects.bulk_create(
            [
                Agreement(
                    customer=u,
                    organization=org,
                    application=app,
                    scopes=["usage:read"],
                    history_start=move_in,
                    valid_from=now - timedelta(days=1),
                    valid_until=now + timedelta(days=365),
                )
                for u in users
            ]
        )
        AgreementPremise.objects.bulk_create(
            [
                AgreementPremise(agreement=a, premise=p, service_period=sp)
                for a, p, sp in zip(agreements, premises, periods, strict=True)
            ]
        )
        AccessToken.objects.bulk_create(
            [
                AccessToken(
                    user=u,
                    application=app,
                    agreement=a,
                    scope="usage:read",
                    token="",
                    token_checksum=hashlib.sha256(token_for(i).encode()).hexdigest(),
                    expires=now + timedelta(days=30),
                )
                for i, (u, a) in enumerate(zip(users, agreements, strict=True))
            ]
        )
    return premises


def _seed_intervals(premises: list, day0: date, end: date) -> tuple[list[date], list]:
    """Interval data from ``day0`` to ``end``: settled months as meter-month blocks, the last 45 days as day
    rows (as compaction leaves it). Returns the days and the baseline premises' readings."""
    import numpy as np
    from django.db import transaction

    from usage import codec, storage, timegrid

    days = [day0 + timedelta(days=k) for k in range((end - day0).days + 1)]
    counts = np.array([timegrid.slots_in_day(d) for d in days], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    total = int(offsets[-1])
    settle = end - timedelta(days=45)
    cutoff = settle.replace(day=1)
    rng = np.random.default_rng(7)
    slot_hour = np.concatenate([np.arange(c) * 24 / c for c in counts])
    shape = 1.0 + 0.8 * np.sin((slot_hour - 9) / 24 * 2 * np.pi)
    baseline_rows = []
    for b in range(0, N_PREMISES, 50):
        part = premises[b : b + 50]
        day_rows = ([], [], [], [])
        month_rows = []
        for p in part:
            values = np.maximum(0, (rng.normal(1.0, 0.35, total) * shape * rng.uniform(60, 400))).astype(
                np.int64
            )
            est = rng.random(total) < 0.002
            revs = np.repeat(np.array([timegrid.day_start_epoch(d) + 2 * 86400 for d in days]), counts)
            # months before the cutoff: one block per month
            month_rows.extend(_month_blocks(p.pk, values, est, revs, days, offsets, cutoff))
            recent = [k for k, d in enumerate(days) if d >= cutoff]
            if recent:
                a = int(offsets[recent[0]])
                sub_off = offsets[recent[0] :] - a
                blocks = codec.encode_many(values[a:], sub_off, estimated=est[a:], revisions=revs[a:])
                day_rows[0].extend([p.pk] * len(recent))
                day_rows[1].extend([1] * len(recent))
                day_rows[2].extend([storage.day_num(days[k]) for k in recent])
                day_rows[3].extend(blocks)
            if p.pk in {q.pk for q in premises[:N_BASELINE_PREMISES]}:
                baseline_rows.append((p.pk, values, est, day0))
        with transaction.atomic():
            storage.write_month_blocks(month_rows)
            storage.write_day_blocks(
                np.array(day_rows[0]),
                np.array(day_rows[1]),
                np.array(day_rows[2]),
                day_rows[3],
                source_file_id=None,
                replace=False,
            )
    return days, baseline_rows


def _month_blocks(pk: int, values, est, revs, days: list[date], offsets, cutoff: date) -> list[tuple]:
    """The meter-month rows of one premise's readings on the days before ``cutoff``."""
    from usage import codec

    month_first: dict[date, list[int]] = {}
    for k, d in enumerate(days):
        if d < cutoff:
            month_first.setdefault(d.replace(day=1), []).append(k)
    rows = []
    for m, ks in month_first.items():
        a, z = int(offsets[ks[0]]), int(offsets[ks[-1] + 1])
        mask = 0
        for k in ks:
            mask |= 1 << (days[k].day - 1)
        data = codec.encode(values[a:z], estimated=est[a:z], revisions=revs[a:z])
        rows.append((pk, 1, m, mask - (1 << 32) if mask >= 1 << 31 else mask, data))
    return rows


def _seed_baseline(days: list[date], baseline_rows: list) -> None:
    """The naive baseline table: one row per reading of the baseline premises."""
    import numpy as np
    from django.db import connection

    from usage import timegrid

    # the baseline: one row per reading
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_baseline_reading (id bigserial PRIMARY KEY, premise_id integer NOT NULL, "
            "start timestamptz NOT NULL, kwh numeric(10,3) NOT NULL, estimated boolean NOT NULL DEFAULT false)"
        )
        starts = np.concatenate([timegrid.slot_start_epochs(d) for d in days]).astype("datetime64[s]")
        start_text = np.datetime_as_string(starts, timezone="UTC").astype(object) + "+00"
        with (
            cur.connection.cursor() as pcur,
            pcur.copy("COPY bench_baseline_reading (premise_id, start, kwh, estimated) FROM STDIN") as cp,
        ):
            for pid, values, est, _ in baseline_rows:
                kwh = [f"{v / 1000:.3f}" for v in values.tolist()]
                flags = ["t" if e else "f" for e in est.tolist()]
                cp.write(
                    "".join(
                        f"{pid}\t{t}\t{k}\t{f}\n"
                        for t, k, f in zip(start_text.tolist(), kwh, flags, strict=True)
                    )
                )
        cur.execute("CREATE INDEX bench_baseline_premise_start ON bench_baseline_reading (premise_id, start)")
        cur.execute("ANALYZE")


# ------------------------------------------------------------------------------------------ client


def _get(
    path: str, token: str, accept: str = "application/json", extra: dict | None = None
) -> tuple[int, int, float]:
    """(status, body bytes on the wire, seconds) of one GET on a fresh connection (gunicorn sync workers
    close it). ``extra``: more request headers (Accept-Encoding, If-None-Match)."""
    status, n, dt, _ = _get_full(path, token, accept, extra)
    return status, n, dt


def _get_full(path: str, token: str, accept: str = "application/json", extra: dict | None = None):
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    try:
        headers = {"Authorization": f"Bearer {token}", "Accept": accept, **(extra or {})}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, len(body), time.perf_counter() - t0, resp
    finally:
        conn.close()


def _worker(args) -> tuple[int, int, int, list[float]]:
    paths_tokens, accept, extra = args
    ok = errors = nbytes = 0
    times = []
    for path, token in paths_tokens:
        try:
            status, n, dt = _get(path, token, accept, extra)
        except Exception:  # noqa: BLE001 - counted as an error
            errors += 1
            continue
        times.append(dt)
        nbytes += n
        if status == 200:
            ok += 1
        else:
            errors += 1
    return ok, errors, nbytes, times


def run_concurrent(
    jobs: list[tuple[str, str]], clients: int, accept: str = "application/json", extra: dict | None = None
) -> dict:
    chunks = [jobs[i::clients] for i in range(clients)]
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(clients) as pool:
        results = pool.map(_worker, [(c, accept, extra) for c in chunks])
    seconds = time.perf_counter() - t0
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    nbytes = sum(r[2] for r in results)
    times = sorted(t for r in results for t in r[3])
    return {
        "requests": len(jobs),
        "ok": ok,
        "errors": errors,
        "seconds": round(seconds, 2),
        "rps": round(len(jobs) / seconds, 1),
        "median_ms": round(statistics.median(times) * 1000, 1) if times else None,
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1) if times else None,
        "mb": round(nbytes / 1e6, 1),
    }


def latency(
    paths_tokens: list[tuple[str, str]], accept: str, extra: dict | None = None, expect: int = 200
) -> dict:
    times, sizes, errors = [], [], 0
    for path, token in paths_tokens:
        status, n, dt = _get(path, token, accept, extra)
        if status != expect:
            errors += 1
        times.append(dt)
        sizes.append(n)
    times.sort()
    return {
        "requests": len(times),
        "errors": errors,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
        "bytes": int(statistics.median(sizes)),
    }


# -------------------------------------------------------------------------------------------- main


def start_server() -> subprocess.Popen:
    env = dict(os.environ, **ENV)
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "bench.wsgi_bench:application",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{PORT}",
        "--log-level",
        "warning",
        "--timeout",
        "300",
        "--backlog",
        "2048",
    ]
    if THREADS > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(THREADS)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - our own gunicorn
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError("gunicorn did not start")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    ensure_database()
    django_setup()
    from django.core.management import call_command

    from portal.access_window import market_today

    call_command("migrate", verbosity=0, interactive=False)
    today = market_today()
    emit(bench="api.seed", **seed(today))
    start, end = bench_range(today)
    query = f"start={start.isoformat()}&end={end.isoformat()}"

    def path(i: int, fmt: str = "json") -> str:
        return f"/api/v1/premises/{esiid_for(i)}/intervals/?{query}&granularity=15min" + (
            "&format=csv" if fmt == "csv" else ""
        )

    from django.db import connection, connections

    # benchmark hygiene: no checkpoint of earlier writes (another benchmark's, the seed's) in the middle of
    # the measurements
    with connection.cursor() as cur, contextlib.suppress(Exception):  # not a superuser: measure anyway
        cur.execute("CHECKPOINT")
    connections.close_all()
    proc = start_server()
    try:
        # warm both workers (imports, connections); not measured
        for i in range(8):
            _get(path(i), token_for(i))
        rnd = random.Random(42)
        picks = [rnd.randrange(N_PREMISES) for _ in range(N_LATENCY)]
        if "latency" in ONLY:
            emit(
                bench="api.latency.json",
                days=(end - start).days + 1,
                **latency([(path(i), token_for(i)) for i in picks], "application/json"),
            )
            emit(
                bench="api.latency.csv",
                **latency([(path(i, "csv"), token_for(i)) for i in picks], "text/csv"),
            )
        if "compression" in ONLY:
            bench_compression([(path(i), token_for(i)) for i in picks])
        jobs = [(path(i), token_for(i)) for i in (rnd.randrange(N_PREMISES) for _ in range(N_REQUESTS))]
        if "concurrent" in ONLY:
            emit(
                bench="api.concurrent.json",
                clients=N_CLIENTS,
                workers=WORKERS,
                **run_concurrent(jobs, N_CLIENTS),
            )
            emit(
                bench="api.concurrent.json.br",
                clients=N_CLIENTS,
                workers=WORKERS,
                **run_concurrent(jobs, N_CLIENTS, extra={"Accept-Encoding": "br"}),
            )
        # the naive baseline and our API on the same premises, same concurrency, same run
        base_picks = [rnd.randrange(N_BASELINE_PREMISES) for _ in range(N_BASELINE)]
        if "baseline" not in ONLY:
            base_picks = []
        base_jobs = [
            (f"/bench/baseline/premises/{esiid_for(i)}/readings/?{query}", token_for(i)) for i in base_picks
        ]
        if base_picks:
            baseline = run_concurrent(base_jobs, N_CLIENTS)
            emit(bench="baseline.concurrent.json", clients=N_CLIENTS, **baseline)
            ours_jobs = [(path(i), token_for(i)) for i in base_picks] * 5
            ours = run_concurrent(ours_jobs, N_CLIENTS)
            emit(bench="api.concurrent.json.same_premises", clients=N_CLIENTS, **ours)
            emit(
                bench="api.vs_baseline",
                ratio=round(ours["rps"] / baseline["rps"], 1) if baseline["rps"] else None,
                api_rps=ours["rps"],
                baseline_rps=baseline["rps"],
            )
    finally:
        stop_server(proc)
    if "export" in ONLY:
        for data_format in ("jsonl", "csv"):
            emit(bench=f"api.export.{data_format}", **bench_export(start, end, data_format))
    emit(bench="api.load", loadavg_1min=round(os.getloadavg()[0], 2), cpus=os.cpu_count())
    return 0


def bench_compression(paths_tokens: list[tuple[str, str]]) -> None:
    """Bytes on the wire without and with compression, the latency with it, and a 304's latency, for 13
    months of one premise's 15-minute JSON (smt.compression, api.conditional)."""
    sizes = {}
    for coding in ("identity", "gzip", "br"):
        sizes[coding] = _get(*paths_tokens[0], extra={"Accept-Encoding": coding})[1]
    emit(
        bench="api.wire.json",
        identity_bytes=sizes["identity"],
        gzip_bytes=sizes["gzip"],
        br_bytes=sizes["br"],
        gzip_ratio=round(sizes["identity"] / sizes["gzip"], 1),
        br_ratio=round(sizes["identity"] / sizes["br"], 1),
    )
    for coding in ("gzip", "br"):
        emit(
            bench=f"api.latency.json.{coding}",
            **latency(paths_tokens, "application/json", {"Accept-Encoding": coding}),
        )
    etags = {}
    for p, tok in paths_tokens:
        etags[p] = _get_full(p, tok, extra={"Accept-Encoding": "br"})[3].getheader("ETag")
    times, errors = [], 0
    for p, tok in paths_tokens:
        status, _, dt = _get(p, tok, extra={"Accept-Encoding": "br", "If-None-Match": etags[p]})
        errors += status != 304
        times.append(dt)
    times.sort()
    emit(
        bench="api.latency.304",
        requests=len(times),
        errors=errors,
        median_ms=round(statistics.median(times) * 1000, 2),
        p95_ms=round(times[int(len(times) * 0.95) - 1] * 1000, 2),
    )


def bench_export(start: date, end: date, data_format: str) -> dict:
    """One bulk export job of every premise, run the way the Celery worker runs it (api.exports.export_run)."""
    from api import exports, tasks
    from thirdparty import access
    from thirdparty.apikeys import apikey_create
    from thirdparty.models import Organization

    org = Organization.objects.get(legal_name="Bench Third Party")
    row, _ = apikey_create(organization=org, name="bench export", scopes=["usage:read"])
    actor = access.actor_for_api_key(row)
    tasks.export_run_task.delay = lambda job_id: None  # run below, timed, in this process
    job = exports.export_create(
        actor=actor,
        esiids=[esiid_for(i) for i in range(N_PREMISES)],
        start=start,
        end=end,
        granularity="15min",
        data_format=data_format,
        compression="zstd",
    )
    t0 = time.perf_counter()
    job = exports.export_run(str(job.pk))
    seconds = time.perf_counter() - t0
    path = exports.export_path(job)
    if path is not None:
        path.unlink(missing_ok=True)
    return {
        "premises": job.premises_done,
        "days": (end - start).days + 1,
        "status": job.status,
        "seconds": round(seconds, 1),
        "compressed_mb": round(job.size_bytes / 1e6, 1),
        "not_included": len(job.not_included),
    }


if __name__ == "__main__":
    sys.exit(main())
