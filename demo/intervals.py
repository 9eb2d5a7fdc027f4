"""The demo's interval data: synthetic TDU files delivered into the inbox, then loaded the way the Celery task does.

The generator writes one file per TDU per day. The last ``DAILY_DAYS`` days are delivered like that, as a TDU sends
them every morning; older days are delivered as one history file per TDU and calendar month (a TDU's backfill),
which the CONTRACTS layout allows (a file may hold any days). The loader's cost is partly per file, so this cuts a
year's load from 1,825 files to about 200.

Idempotent: which days of which TDU were loaded is read back from the ingest reports (the file names say which
days they hold); only the days still missing are generated and loaded.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection

from usage.models import IngestFile
from usage.synth import TDUS, generate, interval_file_name
from usage.synth.tdus import TDU_BY_DUNS
from usage.tasks import inbox_dirs, load_inbox_file

DAILY_DAYS = 31  # the most recent days arrive as daily files; older ones as monthly history files
_DAILY = re.compile(r"^(?P<duns>\d+)_(?P<day>\d{8})_INTERVAL\.csv(\.gz)?$")
_HISTORY = re.compile(r"^(?P<duns>\d+)_(?P<last>\d{8})_HISTORY_(?P<first>\d{8})\.csv(\.gz)?$")


@dataclass
class IntervalResult:
    days_wanted: int
    days_generated: int = 0
    files_written: int = 0
    rows_written: int = 0
    generate_seconds: float = 0.0
    files_loaded: int = 0
    readings_stored: int = 0
    readings_rejected: int = 0
    files_failed: list[str] = field(default_factory=list)
    files_elsewhere: int = 0  # claimed from the inbox by a running Celery worker, which loads them
    load_seconds: float = 0.0
    loader: str = ""  # how the files were loaded, or why they were not


@dataclass(frozen=True)
class Delivery:
    """One file to put into the inbox: some days of one TDU."""

    duns: str
    days: tuple[date, ...]  # consecutive
    daily: bool = True  # a daily delivery (one day, named like the TDUs' daily files), else a history file

    @property
    def name(self) -> str:
        first, last = self.days[0], self.days[-1]
        if len(self.days) == 1 and self.daily:
            return f"{self.duns}_{first:%Y%m%d}_INTERVAL.csv"
        return f"{self.duns}_{last:%Y%m%d}_HISTORY_{first:%Y%m%d}.csv"


def _ymd(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time


def loaded_days(duns_list: Sequence[str]) -> dict[str, set[date]]:
    """The days each TDU's interval files delivered, as the ingest reports of loaded files tell."""
    done = {IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS}
    covered: dict[str, set[date]] = {duns: set() for duns in duns_list}
    for duns in duns_list:
        names = IngestFile.objects.filter(name__startswith=f"{duns}_", status__in=done).values_list(
            "name", flat=True
        )
        for name in names:
            if m := _DAILY.match(name):
                covered[duns].add(_ymd(m["day"]))
            elif m := _HISTORY.match(name):
                first, last = _ymd(m["first"]), _ymd(m["last"])
                covered[duns].update(first + timedelta(days=k) for k in range((last - first).days + 1))
    return covered


def plan_deliveries(*, missing: dict[str, list[date]], end: date) -> list[Delivery]:
    """Daily files for the last DAILY_DAYS days up to ``end``; one history file per run of days in a month before."""
    daily_from = end - timedelta(days=DAILY_DAYS - 1)
    history: list[Delivery] = []
    daily: list[Delivery] = []
    for duns, days in missing.items():
        run: list[date] = []
        for day in sorted(days):
            if day >= daily_from:
                daily.append(Delivery(duns, (day,), daily=True))
                continue
            if run and (day - run[-1] != timedelta(days=1) or day.month != run[-1].month):
                history.append(Delivery(duns, tuple(run), daily=False))
                run = []
            run.append(day)
        if run:
            history.append(Delivery(duns, tuple(run), daily=False))
    return sorted(history, key=lambda d: (d.days[0], d.duns)) + sorted(
        daily, key=lambda d: (d.days[0], d.duns)
    )


def _deliver(delivery: Delivery, staging: Path, inbox: Path, compress: bool) -> Path:
    """Write one delivery into the inbox from the generator's daily files, whole and under its final name.

    Written as a ``.part`` file and renamed when complete, so an inbox scanner never sees half a file; with
    ``compress`` gzipped (level 1, no name or time in the header: the same bytes every time)."""

    tdu = TDU_BY_DUNS[delivery.duns]
    sources = [staging / interval_file_name(tdu, day) for day in delivery.days]
    target = inbox / (delivery.name + (".gz" if compress else ""))
    part = target.with_name(target.name + ".part")
    with part.open("wb") as raw:
        out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) if compress else raw
        )
        with out if compress else contextlib.nullcontext(out):
            for i, source in enumerate(sources):
                with source.open("rb") as src:
                    if i:
                        src.readline()  # the header line: one per file
                    shutil.copyfileobj(src, out, 1 << 20)
    part.rename(target)
    for source in sources:
        source.unlink()
    return target


def _inbox_loader() -> tuple[Callable[[Path], dict | str], str]:
    """The Celery task's own code path, run in-process: claim into processing/, then load_inbox_file."""

    def load(path: Path) -> dict | str:
        claimed = inbox_dirs()["processing"] / path.name
        try:
            path.rename(claimed)
        except FileNotFoundError:  # a Celery worker's inbox scan claimed it first: it loads it
            return "claimed by a Celery worker, which loads it"
        return load_inbox_file(str(claimed))  # called directly: runs now, in this process, like an eager task

    return load, "usage.tasks.load_inbox_file (the Celery task's code, run in-process)"


@contextlib.contextmanager
def _bulk_load_mode():
    """On SQLite, skip the fsync of every commit while the demo loads (PRAGMA synchronous=OFF on this connection
    only, restored afterwards): a crash of the process loses nothing, a power cut may; it is demo data."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # SQLite refuses it inside a transaction
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(before)}")


def interval_data_ensure(
    *,
    premises: Sequence,
    start: date,
    days: int,
    seed: int,
    solar_share: float = 0.1,
    inbox: Path | None = None,
    load: bool = True,
    compress: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IntervalResult:
    """Deliver the days from ``start`` not yet loaded into the inbox, then load them (unless ``load`` is False).

    ``compress``: gzip each file (CONTRACTS allows ``.csv.gz``): a year for 300 meters is about 1 GB of CSV and
    about 110 MB compressed, and the files stay on disk in ``processed/`` after loading."""

    inbox = Path(inbox or settings.SMT_INBOX_DIR)
    result = IntervalResult(days_wanted=days)
    end = start + timedelta(days=days - 1)
    present = {p.tdu_duns for p in premises}
    duns_list = [t.duns for t in TDUS if t.duns in present]
    covered = loaded_days(duns_list)
    all_days = [start + timedelta(days=k) for k in range(days)]
    missing = {duns: [d for d in all_days if d not in covered[duns]] for duns in duns_list}
    missing = {duns: ds for duns, ds in missing.items() if ds}
    if not missing:
        result.loader = "nothing to do: every day was loaded before"
        return result
    deliveries = plan_deliveries(missing=missing, end=end)
    first = min(ds[0] for ds in missing.values())
    span = (end - first).days + 1

    t0 = time.perf_counter()
    say = progress or (lambda message: None)
    staging = inbox.parent / "demo-staging"  # generated here, then delivered into the inbox file by file
    inbox.mkdir(parents=True, exist_ok=True)
    say(f"generating {span} days x {len(premises)} meters from {first}")
    # Billing-period files wait for the billing loader; the interval loader takes interval files only.
    summary = generate(staging, premises, first, span, seed, solar_share, 0.0, billing=False)
    result.generate_seconds = time.perf_counter() - t0
    wanted = {(d.duns, day) for d in deliveries for day in d.days}
    for t in TDUS:
        for k in range(span):
            day = first + timedelta(days=k)
            if t.duns in present and (t.duns, day) not in wanted:  # loaded before
                (staging / f"{t.duns}_{day:%Y%m%d}_INTERVAL.csv").unlink(missing_ok=True)
    result.days_generated = len({day for _, day in wanted})
    result.files_written = len(deliveries)
    result.rows_written = summary.rows

    loader, result.loader = (
        _inbox_loader() if load else (None, "not loaded (--no-load): files wait in the inbox")
    )
    t1 = time.perf_counter()
    # Compressing (zlib releases the GIL) runs ahead of loading, on the other core; files are loaded in order.
    with _bulk_load_mode(), ThreadPoolExecutor(max_workers=1) as pool:
        for i, path in enumerate(pool.map(lambda d: _deliver(d, staging, inbox, compress), deliveries), 1):
            if loader is None:
                continue
            outcome = loader(path)
            if isinstance(outcome, str):
                result.files_elsewhere += 1
                continue
            report_id = outcome.get("report")
            report = IngestFile.objects.filter(pk=report_id).first() if report_id is not None else None
            if report is None or report.status == IngestFile.Status.FAILED:
                result.files_failed.append(f"{path.name}: {report.message if report else outcome}")
                continue
            result.files_loaded += 1
            result.readings_stored += report.stored
            result.readings_rejected += report.rejected
            if i % 50 == 0:
                say(f"loaded {i} of {len(deliveries)} files ({time.perf_counter() - t1:.0f} s)")
    with contextlib.suppress(OSError):
        staging.rmdir()
    result.load_seconds = time.perf_counter() - t1
    return result
