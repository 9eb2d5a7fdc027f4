"""Benchmark of reads and writers: one JSON object per line (run by ``make bench``).

From arrays: a meter-year (and 13 months) of 15-minute data for one premise, consumption plus surplus
generation, aggregated and written as JSON, CSV (the TDU layout) and Green Button XML. From storage: the
same through ``usage.writers.export.export_intervals`` (storage read + aggregation + writer) on a throwaway
test database (SQLite, or PostgreSQL when DATABASE_URL says so). Each figure is the median of several runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")

ESIID = "10443720000000001"
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
MONTHS13 = (date(2025, 1, 1), date(2026, 1, 31))


_LAST: dict = {}


def emit(metric: str, value: float, unit: str, **extra) -> None:
    """One line; ``min`` and ``cpu`` (median process CPU time) of the last ``timed`` call ride along: on a
    shared machine the wall-clock median also measures the neighbours."""
    rec = {"metric": metric, "value": round(value, 3), "unit": unit, **_LAST, **extra}
    print(orjson.dumps(rec).decode(), flush=True)


def timed(fn, runs: int = 15) -> tuple[float, object]:
    """Median wall-clock milliseconds of ``runs`` calls after one warm-up call."""
    result = fn()  # warm caches (day grids, lookup tables)
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    _LAST.clear()
    _LAST.update(min=round(min(times), 3), cpu=round(statistics.median(cpu), 3), runs=runs)
    return statistics.median(times), result


def from_arrays() -> None:
    from usage.reads.aggregate import build_reads, day_range, lay_on_grid
    from usage.reads.fixtures import synthetic_days
    from usage.reads.summary import summarize
    from usage.writers.csv import render_csv
    from usage.writers.espi import render_espi
    from usage.writers.json import render_json

    def data(start, end, solar=True):
        cons = synthetic_days(start, end, seed=1, revision=1_767_000_000)
        gen = synthetic_days(start, end, seed=2, max_wh=900, revision=1_767_000_000) if solar else None
        return cons, gen

    cons, gen = data(*YEAR)

    def run(fmt, gran, c=cons, g=gen, rng=YEAR):
        def go():
            r = build_reads(
                esiid=ESIID, start=rng[0], end=rng[1], granularity=gran, consumption=c, generation=g
            )
            if fmt == "json":
                return render_json(r)
            if fmt == "csv":
                return render_csv(r)
            return render_espi(r, site_url="https://smt.example.org")

        return go

    ms, body = timed(run("json", "15min", g=None))
    emit("read_meter_year_15min_json_ms", ms, "ms", bytes=len(body), source="arrays", channels=1)
    ms, body = timed(run("json", "15min"))
    emit("read_meter_year_15min_json_2ch_ms", ms, "ms", bytes=len(body), source="arrays", channels=2)
    for gran in ("hour", "day", "month"):
        ms, body = timed(run("json", gran))
        emit(f"read_meter_year_{gran}_json_ms", ms, "ms", bytes=len(body), source="arrays")
    ms, body = timed(run("csv", "15min", g=None))
    emit("read_meter_year_15min_csv_ms", ms, "ms", bytes=len(body), source="arrays", channels=1)

    c13, g13 = data(*MONTHS13)
    ms, body = timed(run("csv", "15min", c=c13, g=None, rng=MONTHS13))
    emit("read_13mo_15min_csv_ms", ms, "ms", bytes=len(body), source="arrays", channels=1)
    ms, body = timed(run("json", "15min", c=c13, g=None, rng=MONTHS13))
    emit("read_13mo_15min_json_ms", ms, "ms", bytes=len(body), source="arrays", channels=1)
    ms, body = timed(run("xml", "15min", c=c13, g=None, rng=MONTHS13), runs=5)
    emit("read_13mo_15min_xml_ms", ms, "ms", bytes=len(body), source="arrays", channels=1)

    rng = day_range(*YEAR)
    ms, _ = timed(lambda: summarize(rng, lay_on_grid(rng, cons), lay_on_grid(rng, gen)))
    emit("summary_meter_year_ms", ms, "ms", source="arrays")


def from_storage() -> None:
    import django

    django.setup()
    import numpy as np
    from django.db import connection
    from django.test.utils import setup_test_environment

    from usage import codec, storage
    from usage.models import Channel, Premise, Tdu
    from usage.reads.fixtures import synthetic_days
    from usage.writers.export import export_intervals

    setup_test_environment()
    if connection.vendor != "sqlite":  # a database of its own: never the one a test run is using
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_reads_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        tdu = Tdu.objects.create(name="Bench TDU", duns="1039940674000", esiid_prefixes=["1044372"])
        premise = Premise.objects.create(
            esiid=ESIID, tdu=tdu, address_line1="1 Main St", city="Austin", zip_code="78701"
        )
        start, end = MONTHS13
        for ch, seed, max_wh in ((Channel.CONSUMPTION, 1, 2500), (Channel.GENERATION, 2, 900)):
            days = synthetic_days(start, end, seed=seed, max_wh=max_wh)
            n = len(days.dates)
            blocks = [
                codec.encode(
                    days.values_wh[days.offsets[i] : days.offsets[i + 1]],
                    estimated=days.estimated[days.offsets[i] : days.offsets[i + 1]],
                    missing=days.missing[days.offsets[i] : days.offsets[i + 1]],
                    revisions=1_767_000_000,
                )
                for i in range(n)
            ]
            day_nums = np.array(
                [storage.day_num(start + timedelta(days=i)) for i in range(n)], dtype=np.int64
            )
            storage.write_day_blocks(
                np.full(n, premise.pk, dtype=np.int64),
                np.full(n, int(ch), dtype=np.int64),
                day_nums,
                blocks,
                source_file_id=None,
                replace=False,
            )
        vendor = connection.vendor
        for layout in ("day rows", "month blocks"):
            if layout == "month blocks":  # settled data, as the periodic compaction leaves it
                storage.compact_months(before=end + timedelta(days=62))
            source = f"storage ({vendor}, {layout})"
            suffix = "" if layout == "day rows" else "_compacted"
            for fmt, gran, rng, metric in (
                ("json", "15min", YEAR, "export_meter_year_15min_json_ms"),
                ("json", "15min", MONTHS13, "export_13mo_15min_json_ms"),
                ("csv", "15min", MONTHS13, "export_13mo_15min_csv_ms"),
                ("json", "day", MONTHS13, "export_13mo_day_json_ms"),
                ("xml", "15min", YEAR, "export_meter_year_15min_xml_ms"),
            ):
                ms, res = timed(
                    lambda fmt=fmt, gran=gran, rng=rng: export_intervals(
                        premise=premise, start=rng[0], end=rng[1], granularity=gran, fmt=fmt
                    ),
                    runs=5 if fmt == "xml" else 15,
                )
                emit(metric + suffix, ms, "ms", bytes=len(res.body), source=source, channels=2)
            ms, _ = timed(lambda: storage.read_channels(premise_id=premise.pk, start=YEAR[0], end=YEAR[1]))
            emit("storage_read_meter_year_2ch_ms" + suffix, ms, "ms", source=source)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    from_arrays()
    from_storage()
