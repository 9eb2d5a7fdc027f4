#!/usr/bin/env python
"""Customer portal benchmark (`make bench`): prints one JSON object per line.

On PostgreSQL (database ``smt_bench_portal``, or BENCH_PORTAL_DATABASE_URL): migrates, and once seeds one
customer with one premise and 400 days of 15-minute data (both channels) loaded through the real TDU-file
loader, then compacted the way the periodic task compacts settled months. It then measures the server time
of the pages (Django's whole request handling in-process: middleware, session, queries, rendering; no
network), median and p95 of BENCH_PORTAL_RUNS (30) requests each, and the queries each page makes:
- usage page, 13 months of daily data (target < 150 ms);
- usage page, 31 days of 15-minute data (target < 300 ms);
- usage page, 12 months of monthly data; the dashboard;
- usage page, 13 months daily again with a plan set (cost per day, bill-to-date, projection) and last year's
  overlay, and its ratio to the plain page (issue 23's figure: within 2x). Last year's overlay needs data a
  year before the range: BENCH_PORTAL_DAYS=800 gives the whole of it (the default 400 days, a part).
BENCH_PORTAL_RESEED=1 rebuilds the data (needed after changing BENCH_PORTAL_DAYS).
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
    "BENCH_PORTAL_DATABASE_URL", "postgres://root@127.0.0.1:5432/smt_bench_portal"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")
RUNS = int(os.environ.get("BENCH_PORTAL_RUNS", "30"))
ESIID = "10443720000777001"
USERNAME = "bench-portal"
DAYS = int(os.environ.get("BENCH_PORTAL_DAYS", "400"))


def emit(metric: str, value, unit: str, **extra) -> None:
    print(json.dumps({"metric": metric, "value": value, "unit": unit, **extra}), flush=True)


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(today: date) -> None:
    from portal.models import PremiseRegistration, User
    from portal.services import rep_create, service_period_move_in
    from usage import storage, timegrid
    from usage.ingest.loader import ingest_file
    from usage.models import Meter, Premise
    from usage.services import premise_create, tdus_ensure

    if Premise.objects.filter(esiid=ESIID).exists() and os.environ.get("BENCH_PORTAL_RESEED") != "1":
        return
    Premise.objects.filter(esiid=ESIID).delete()
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    from portal.models import Rep

    rep = Rep.objects.filter(puct_certificate="10007").first() or rep_create(
        legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007"
    )
    premise = premise_create(
        tdu=oncor, esiid=ESIID, address_line1="1 Bench St", city="Dallas", zip_code="75201"
    )
    Meter.objects.create(premise=premise, meter_number="MBENCH777001", installed_on=date(2020, 1, 1))
    period = service_period_move_in(
        premise=premise, rep=rep, starts_on=today - timedelta(days=max(700, DAYS + 1))
    )
    user = User.objects.filter(username=USERNAME).first() or User.objects.create_user(
        username=USERNAME, email="bench@example.com", password="bench portal passphrase"
    )
    PremiseRegistration.objects.get_or_create(user=user, period=period)
    lines = [
        "ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
        "CONSUMPTION_SURPLUSGENERATION"
    ]
    d = today - timedelta(days=DAYS)
    while d < today:
        rev = (datetime.combine(d + timedelta(days=1), datetime.min.time()) + timedelta(hours=7)).strftime(
            "%m/%d/%Y %H:%M:%S"
        )
        for slot in range(timegrid.slots_in_day(d)):
            start, end = timegrid.slot_wallclock(d, slot)
            wh = 150 + (slot * 37 + d.toordinal()) % 400
            g = 0 if not 40 <= slot < 64 else 200 + (slot * 13) % 150
            flag = "E" if d.toordinal() % 31 == 0 else "A"
            lines.append(f"{ESIID},{d:%m/%d/%Y},{rev},{start},{end},{wh / 1000:.3f},{flag},Consumption")
            lines.append(f"{ESIID},{d:%m/%d/%Y},{rev},{start},{end},{g / 1000:.3f},A,Surplus Generation")
        d += timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{oncor.duns}_{today:%Y%m%d}_BENCHPORTAL.csv"
        path.write_text("\n".join(lines) + "\n")
        report = ingest_file(path=path)
    assert report.rejected == 0, report.rejected_by_reason
    storage.compact_months()


def measure(client, url: str) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(ctx.captured_queries)


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
    emit("portal_seed_seconds", round(time.perf_counter() - t, 1), "s")
    client = Client()
    client.force_login(User.objects.get(username=USERNAME))
    end = today - timedelta(days=1)
    base = f"/premises/{ESIID}/usage/"
    pages = [
        ("usage_13_months_daily", f"{base}?granularity=day&start={months_before(end, 13)}&end={end}", 150),
        ("usage_31_days_15min", f"{base}?granularity=15min&start={end - timedelta(days=30)}&end={end}", 300),
        ("usage_12_months_monthly", f"{base}?granularity=month&preset=12m", None),
        ("dashboard", "/dashboard/", None),
    ]
    medians = {}
    for name, url, target in pages:
        median, p95, queries = measure(client, url)
        medians[name] = median
        extra = {"p95_ms": round(p95, 1), "queries": queries, "runs": RUNS}
        if target:
            extra["target_ms"] = target
        emit(f"portal_{name}_ms", round(median, 1), "ms", **extra)
    with_cost(client, pages[0][1], medians["usage_13_months_daily"])


def with_cost(client, url: str, plain_ms: float) -> None:
    """The 13-month daily page with a plan (and last year's overlay where the data reaches): its time and
    its ratio to the plain page. The plan is removed afterwards, so the plain figures stay plain."""
    from decimal import Decimal

    from portal.bills.models import BillPlan, TduTariff
    from usage.models import Premise

    premise = Premise.objects.select_related("tdu").get(esiid=ESIID)
    period = premise.service_periods.get(ends_on__isnull=True)
    TduTariff.objects.get_or_create(
        tdu=premise.tdu,
        effective_from=date(2020, 1, 1),
        defaults={
            "delivery_cents_per_kwh": Decimal("5.6"),
            "monthly_dollars": Decimal("4.25"),
            "source": "bench",
            "source_date": date(2025, 9, 1),
        },
    )
    BillPlan.objects.filter(period=period).delete()
    BillPlan.objects.create(
        period=period, energy_cents_per_kwh=Decimal("12.5"), base_dollars_per_month=Decimal("9.95")
    )
    try:
        resp = client.get(url)
        overlay = b'"meta":"last_year"' in resp.content
        median, p95, queries = measure(client, url)
    finally:
        BillPlan.objects.filter(period=period).delete()
    emit(
        "portal_usage_13_months_daily_cost_last_year_ms",
        round(median, 1),
        "ms",
        p95_ms=round(p95, 1),
        queries=queries,
        runs=RUNS,
        last_year_overlay=overlay,
        data_days=DAYS,
    )
    emit("portal_cost_last_year_ratio", round(median / plain_ms, 2), "x", target="<= 2")


if __name__ == "__main__":
    main()
