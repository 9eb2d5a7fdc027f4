"""The demo's interval data: synthetic TDU files written into the inbox, then loaded the way the Celery task does.

Idempotent: days whose files were already loaded (an ingest report with that file name, loaded) are neither
generated nor loaded again.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings


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


def _expected_names(premises: Sequence, start: date, days: int) -> dict[date, list[str]]:
    from usage.synth import TDUS, interval_file_name

    present = {p.tdu_duns for p in premises}
    tdus = [t for t in TDUS if t.duns in present]
    return {
        start + timedelta(days=k): [interval_file_name(t, start + timedelta(days=k)) for t in tdus]
        for k in range(days)
    }


def _loaded_names(names: list[str]) -> set[str]:
    """Those of ``names`` loaded before, plain or gzip-compressed (reported without the .gz)."""
    from usage.models import IngestFile

    done = {IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS}
    loaded: set[str] = set()
    for k in range(0, len(names), 500):
        chunk = names[k : k + 500]
        found = IngestFile.objects.filter(name__in=chunk + [n + ".gz" for n in chunk], status__in=done)
        loaded.update(name.removesuffix(".gz") for name in found.values_list("name", flat=True))
    return loaded


def _deliver(path: Path, inbox: Path, compress: bool) -> Path:
    """Put a generated file into the inbox the way a TDU delivery should arrive: whole, under its final name.

    With ``compress`` it is gzipped (level 1, no name or time in the header: same bytes every time) into a
    ``.part`` file that is renamed when complete, so an inbox scanner never sees half a file."""
    if not compress:
        return Path(shutil.move(str(path), inbox / path.name))
    target = inbox / (path.name + ".gz")
    part = target.with_name(target.name + ".part")
    with (
        path.open("rb") as src,
        part.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)
    part.rename(target)
    path.unlink()
    return target


def _inbox_loader() -> tuple[Callable[[Path], object] | None, str]:
    """The Celery task's own code path, run in-process: claim into processing/, then load_inbox_file."""
    try:
        from usage.tasks import inbox_dirs, load_inbox_file
    except ImportError as exc:  # the ingest issue has not landed: leave the files in the inbox
        return None, f"not loaded: no loader yet ({exc})"

    def load(path: Path):
        claimed = inbox_dirs()["processing"] / path.name
        try:
            path.rename(claimed)
        except FileNotFoundError:  # a Celery worker's inbox scan claimed it first: it loads it
            return "claimed by a Celery worker, which loads it"
        return load_inbox_file(str(claimed))  # called directly: runs now, in this process, like an eager task

    return load, "usage.tasks.load_inbox_file (the Celery task's code, run in-process)"


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
    """Write the TDU files of the days not yet loaded into the inbox, then load them (unless ``load`` is False).

    ``compress``: gzip each file (CONTRACTS allows ``.csv.gz``): a year for 300 meters is about 1 GB of CSV and
    about 110 MB compressed, and the files stay on disk in ``processed/`` after loading."""
    from usage.synth import generate

    inbox = Path(inbox or settings.SMT_INBOX_DIR)
    result = IntervalResult(days_wanted=days)
    expected = _expected_names(premises, start, days)
    loaded = _loaded_names([n for names in expected.values() for n in names])
    missing_days = [d for d, names in expected.items() if not set(names) <= loaded]
    if not missing_days:
        result.loader = "nothing to do: every day was loaded before"
        return result
    first = missing_days[0]
    span = (start + timedelta(days=days - 1) - first).days + 1
    wanted = {n for d in missing_days for n in expected[d]}

    t0 = time.perf_counter()
    say = progress or (lambda message: None)
    staging = inbox.parent / "demo-staging"  # generated here, then delivered into the inbox file by file
    inbox.mkdir(parents=True, exist_ok=True)
    say(f"generating {span} days x {len(premises)} meters from {first}")
    # Billing-period files wait for the billing loader; the interval loader takes interval files only.
    summary = generate(staging, premises, first, span, seed, solar_share, 0.0, billing=False)
    result.generate_seconds = time.perf_counter() - t0
    generated = []
    for path in summary.interval_files:
        if path.name in wanted:
            generated.append(path)
        else:  # a day inside the span that was loaded already
            path.unlink(missing_ok=True)
    result.days_generated = len(missing_days)
    result.files_written = len(generated)
    result.rows_written = summary.rows

    loader, how = _inbox_loader() if load else (None, "not loaded (--no-load): the files wait in the inbox")
    result.loader = how
    from usage.models import IngestFile

    t1 = time.perf_counter()
    # Compressing (zlib releases the GIL) runs ahead of loading, on the other core; files are loaded in order.
    with ThreadPoolExecutor(max_workers=1) as pool:
        for i, path in enumerate(pool.map(lambda p: _deliver(p, inbox, compress), generated), 1):
            if loader is None:
                continue
            outcome = loader(path)
            if isinstance(outcome, str):
                result.files_elsewhere += 1
                continue
            report = (
                IngestFile.objects.filter(pk=outcome.get("report")).first()
                if isinstance(outcome, dict)
                else None
            )
            if report is None or report.status == IngestFile.Status.FAILED:
                result.files_failed.append(f"{path.name}: {report.message if report else outcome}")
                continue
            result.files_loaded += 1
            result.readings_stored += report.stored
            result.readings_rejected += report.rejected
            if i % 250 == 0:
                say(f"loaded {i} of {len(generated)} files ({time.perf_counter() - t1:.0f} s)")
    with contextlib.suppress(OSError):
        staging.rmdir()
    result.load_seconds = time.perf_counter() - t1
    return result
