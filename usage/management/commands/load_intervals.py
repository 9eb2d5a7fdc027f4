"""load_intervals PATH [PATH ...]: load TDU files through the same service the Celery task uses."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from usage.ingest.loader import ingest_file
from usage.models import IngestFile


def collect_files(paths: list[str]) -> list[Path]:
    """Every file named, and every file in a named directory (not recursive, hidden files skipped)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{raw}: no such file or directory")
    return files


class Command(BaseCommand):
    help = "Load TDU interval files (a directory means every file in it) and print a summary."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--force", action="store_true", help="load files even if the same content was loaded"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")

    def handle(self, *args, **options):
        files = collect_files(options["paths"])
        if not files:
            raise CommandError("no files to load")
        show_bar = not options["no_progress"] and sys.stderr.isatty()
        bar = None
        if show_bar:
            from tqdm import tqdm

            bar = tqdm(total=sum(p.stat().st_size for p in files), unit="B", unit_scale=True, desc="loading")
        started = time.perf_counter()
        reports: list[IngestFile] = []
        for path in files:
            try:
                report = ingest_file(path=path, force=options["force"])
            except Exception as exc:  # noqa: BLE001 - one broken file must not stop the others
                report = IngestFile(
                    name=path.name,
                    status=IngestFile.Status.FAILED,
                    message=f"could not be processed: {type(exc).__name__}: {exc}",
                )
            reports.append(report)
            if bar is not None:
                bar.update(path.stat().st_size)
                bar.set_postfix_str(f"{path.name}: {report.get_status_display()}")
        if bar is not None:
            bar.close()
        seconds = time.perf_counter() - started
        self._summary(reports, seconds)
        failed = [r for r in reports if r.status == IngestFile.Status.FAILED]
        if failed:
            raise SystemExit(1)

    def _summary(self, reports: list[IngestFile], seconds: float) -> None:
        rows = sum(r.rows for r in reports)
        stored = sum(r.stored for r in reports)
        rejected = sum(r.rejected for r in reports)
        superseded = sum(r.superseded for r in reports)
        failed = sum(1 for r in reports if r.status == IngestFile.Status.FAILED)
        dupes = sum(1 for r in reports if r.status == IngestFile.Status.DUPLICATE)
        rate = rows / seconds if seconds > 0 else 0.0
        out = self.stdout
        for r in reports:
            if r.status == IngestFile.Status.FAILED:
                out.write(self.style.ERROR(f"{r.name}: FAILED, {r.message}"))
            elif r.status == IngestFile.Status.DUPLICATE:
                out.write(f"{r.name}: already loaded, {r.message}")
            elif r.rejected or r.message:
                reasons = ", ".join(f"{k} {v}" for k, v in r.rejected_by_reason.items())
                first = r.rejected_rows.order_by("line_number").first() if r.pk else None
                example = f"; first: line {first.line_number}, {first.message}" if first else ""
                note = f"; {r.message}" if r.message else ""
                out.write(
                    self.style.WARNING(
                        f"{r.name}: {r.get_status_display().lower()}, {r.stored:,} stored, {r.rejected:,} "
                        f"rejected ({reasons or 'none'}){example}{note}"
                    )
                )
        out.write(
            f"files: {len(reports)} ({failed} failed, {dupes} already loaded)\n"
            f"readings stored: {stored:,}\n"
            f"readings rejected: {rejected:,}\n"
            f"readings superseded: {superseded:,}\n"
            f"seconds: {seconds:.2f}\n"
            f"readings per second: {rate:,.0f}"
        )
