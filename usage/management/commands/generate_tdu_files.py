"""Write realistic synthetic TDU interval (and billing-period) files and register their premises and meters."""

import os
import re
import sys
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from usage.services import synthetic_premises_register
from usage.synth import generate, synth_premises
from usage.timegrid import local_today

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AUTO_WORKERS_METER_DAYS = 50_000  # below this, starting a second process costs more than it saves


def _start_date(value: str) -> date:
    if not _DATE.match(value or ""):
        raise CommandError(f"--start must be a date as YYYY-MM-DD, not {value!r}.")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--start {value} is not a real date ({exc}).") from exc


def _share(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise CommandError(f"{name} is a share between 0 and 1 (0.1 means 10%), not {value}.")
    return value


def _check_sizes(meters: int, days: int, workers: int | None) -> None:
    if meters < 1:
        raise CommandError(f"--meters must be at least 1, not {meters}.")
    if days < 1:
        raise CommandError(f"--days must be at least 1, not {days}.")
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) >= 2 and meters * days >= AUTO_WORKERS_METER_DAYS else 1
    if workers < 1:
        raise CommandError(f"--workers must be at least 1, not {workers}.")


def _out_dir(out: Path) -> Path:
    """The output directory, created if need be."""
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"Cannot create --out {out}: {exc.strerror}.") from exc
    return out


def _progress_bar(days: int):
    """A tqdm bar over the days when writing to a terminal and there is more than one day, else None."""
    if sys.stdout.isatty() and days > 1:
        from tqdm import tqdm

        return tqdm(total=days, unit="day", desc="generating", leave=False)
    return None


def _advance(bar, done: int, total: int) -> None:
    bar.update(done - bar.n)


class Command(BaseCommand):
    help = (
        "Write synthetic TDU interval files (one per TDU per day, the SMT CSV layout) and billing-period files "
        "for N meters, and register the premises and meters so the files load. Same seed, same bytes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--meters", type=int, required=True, help="number of meters (premises)")
        parser.add_argument("--start", required=True, help="first local day, YYYY-MM-DD")
        parser.add_argument("--days", type=int, required=True, help="number of days")
        parser.add_argument("--out", required=True, help="directory to write the files into")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--solar-share", type=float, default=0.1, help="share of meters with solar (0.1)")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of corrupted rows (0)")
        parser.add_argument("--no-register", action="store_true", help="do not register premises and meters")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes writing days in parallel (same bytes); default 1",
        )

    def handle(self, *args, **opts):
        meters, days = opts["meters"], opts["days"]
        _check_sizes(meters, days, opts["workers"])
        start = _start_date(opts["start"])
        try:
            start + timedelta(days=days)
        except OverflowError as exc:
            raise CommandError(f"--start {start} plus {days} days is past the year 9999.") from exc
        solar_share = _share("--solar-share", opts["solar_share"])
        error_rate = _share("--error-rate", opts["error_rate"])
        out = _out_dir(Path(opts["out"]))

        t0 = time.perf_counter()
        premises = synth_premises(meters, opts["seed"], install_before=start)
        registered = None
        if not opts["no_register"]:
            registered = synthetic_premises_register(premises=premises)

        bar = _progress_bar(days)
        progress = None if bar is None else partial(_advance, bar)
        try:
            summary = generate(
                out, premises, start, days, opts["seed"], solar_share, error_rate, progress=progress
            )
        except OSError as exc:
            raise CommandError(f"Cannot write into {out}: {exc}.") from exc
        finally:
            if bar is not None:
                bar.close()
        seconds = time.perf_counter() - t0
        today = local_today()
        if start + timedelta(days=days - 1) > today:
            self.stderr.write(
                f"Note: days after {today} are in the future; the loader rejects their rows (future_date)."
            )
        reg = "not registered" if registered is None else f"{registered:,} premises newly registered"
        self.stdout.write(
            f"{summary.files:,} files, {summary.rows:,} interval rows ({summary.corrupted_rows:,} corrupted), "
            f"{summary.billing_periods:,} billing periods, {meters:,} meters x {days} day{'s' if days != 1 else ''}, {reg}, "
            f"{seconds:.1f} s, into {out}"
        )
