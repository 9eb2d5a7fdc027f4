#!/usr/bin/env python
"""Business portfolio benchmark (`make bench`): prints one JSON object per line.

On PostgreSQL (database ``smt_bench_portfolio``, or BENCH_PORTFOLIO_DATABASE_URL): migrates, and once seeds
one business account with BENCH_PORTFOLIO_PREMISES (50) premises, each with 400 days of 15-minute data
(consumption; every fifth premise also surplus generation) loaded through the real TDU-file loader and
compacted the way the periodic task compacts settled months. It then measures the server time of the
portfolio page (in-process request handling, no network), median and p95 of BENCH_PORTFOLIO_RUNS (20)
requests, and the queries it makes:
- portfolio, 13 months daily, every premise (target < 300 ms for 50 premises);
- portfolio, 13 months monthly;
- the combined daily CSV download of every premise over 13 months.
BENCH_PORTFOLIO_RESEED=1 rebuilds the data.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PORTFOLIO_DATABASE_URL", "postgres://root@127.0.0.1:5432/smt_bench_portfolio"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")
RUNS = int(os.environ.get("BENCH_PORTFOLIO_RUNS", "20"))
PREMISES = int(os.environ.get("BENCH_PORTFOLIO_PREMISES", "50"))
DAYS = 400
USERNAME = "bench-portfolio"
ESI_BASE = 10443720000888000


def emit(metric: str, value: object, unit: str, **extra: object) -> None:
    print(json.dumps({"metric": metric, "value": value, "unit": unit, **extra}), flush=True)


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _day_lines(esiid: str, d: date, n: int, solar: bool) -> list[str]:
    from usage import timegrid

    rev = (datetime.combine(d + timedelta(days=1), datetime.min.time()) + timedelta(hours=7)).strftime(
        "%m/%d/%Y %H:%M:%S"
    )
    out = []
    for slot in range(timegrid.slots_in_day(d)):
        start, end = timegrid.slot_wallclock(d, slot)
        wh = 150 + n * 7 + (slot * 37 + d.toordinal()) % 400
        out.append(f"{esiid},{d:%m/%d/%Y},{rev},{start},{end},{wh / 1000:.3f},A,Consumption")
        if solar:
            g = 0 if not 40 <= slot < 64 else 200 + (slot * 13) % 150
            out.append(f"{esiid},{d:%m/%d/%Y},{rev},{start},{end},{g / 1000:.3f},A,Surplus Generation")
    return out


def seed(today: date) -> None:
    from portal.models import PremiseRegistration, Rep, User
    from portal.services import rep_create, service_period_move_in
    from usage import storage
    from usage.ingest.loader import ingest_file
    from usage.models import Meter, Premise
    from usage.services import premise_create, tdus_ensure

    esiids = [str(ESI_BASE + i) for i in range(PREMISES)]
    have = Premise.objects.filter(esiid__in=esiids).count()
    if have == PREMISES and os.environ.get("BENCH_PORTFOLIO_RESEED") != "1":
        return
    User.objects.filter(username=USERNAME).delete()
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    rep = Rep.objects.filter(puct_certificate="10007").first() or rep_create(
        legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007"
    )
    user = User.objects.create_user(
        username=USERNAME, email="bench@example.com", password="bench portfolio phrase"
    )
    header = (
        "ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
        "CONSUMPTION_SURPLUSGENERATION"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n, esiid in enumerate(esiids):
            premise = Premise.objects.filter(esiid=esiid).first() or premise_create(
                tdu=oncor,
                esiid=esiid,
                address_line1=f"{100 + n} Commerce St",
                city="Dallas",
                zip_code="75201",
            )
            Premise.objects.filter(pk=premise.pk).update(kind=Premise.Kind.BUSINESS)
            if not premise.meters.exists():
                Meter.objects.create(
                    premise=premise, meter_number=f"MBPF{esiid[-6:]}", installed_on=date(2020, 1, 1)
                )
            period = premise.service_periods.filter(ends_on__isnull=True).first() or service_period_move_in(
                premise=premise, rep=rep, starts_on=today - timedelta(days=700)
            )
            PremiseRegistration.objects.get_or_create(user=user, period=period)
            lines = [header]
            for k in range(DAYS, 0, -1):
                lines.extend(_day_lines(esiid, today - timedelta(days=k), n, solar=n % 5 == 0))
            path = Path(tmp) / f"{oncor.duns}_{today:%Y%m%d}_BPF{n:03d}.csv"
            path.write_text("\n".join(lines) + "\n")
            report = ingest_file(path=path)
            assert report.rejected == 0, report.rejected_by_reason
            path.unlink()
    storage.compact_months()


def measure(client, url: str, *, streaming: bool = False) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        if streaming:
            b"".join(resp.streaming_content)

    get()
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        get()
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        get()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(ctx.captured_queries)


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0, interactive=False)
    from django.test import Client

    from portal.access_window import market_today, months_before
    from portal.models import User

    today = market_today()
    t = time.perf_counter()
    seed(today)
    emit("portfolio_seed_seconds", round(time.perf_counter() - t, 1), "s", premises=PREMISES)
    client = Client()
    client.force_login(User.objects.get(username=USERNAME))
    end = today - timedelta(days=1)
    start = months_before(end, 13) + timedelta(days=1)
    pages = [
        ("portfolio_13_months_daily", f"/portfolio/?granularity=day&start={start}&end={end}", 300, False),
        (
            "portfolio_13_months_monthly",
            f"/portfolio/?granularity=month&start={start}&end={end}",
            None,
            False,
        ),
        (
            "portfolio_download_13_months_daily",
            f"/portfolio/download.csv?granularity=day&start={start}&end={end}",
            None,
            True,
        ),
    ]
    for name, url, target, streaming in pages:
        median, p95, queries = measure(client, url, streaming=streaming)
        extra: dict[str, object] = {
            "p95_ms": round(p95, 1),
            "queries": queries,
            "runs": RUNS,
            "premises": PREMISES,
        }
        if target:
            extra["target_ms"] = target
        emit(f"{name}_ms", round(median, 1), "ms", **extra)


if __name__ == "__main__":
    main()
