"""Celery tasks of the meter-data engine: the TDU inbox, compaction and retention.

Thin: each calls one service. Schedules live in smt/celery.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError

from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import IngestFile
from usage.timegrid import local_today

log = logging.getLogger(__name__)


def stale_claim_seconds() -> int:
    """A file in processing/ whose claim has not been refreshed for this long lost its worker: a live load
    refreshes it every ``INGEST_CLAIM_HEARTBEAT_SECONDS`` (``claim_heartbeat``), so a claim goes stale within
    minutes of its worker's death, not after the broker's visibility timeout."""
    return int(getattr(settings, "INGEST_STALE_CLAIM_SECONDS", 180))


@contextlib.contextmanager
def claim_heartbeat(path: Path) -> Iterator[None]:
    """Refresh the claim (the file's mtime in processing/) from a thread while the load runs, even while the
    load waits on the database; the thread dies with its process, so a killed worker's claim goes stale."""
    every = float(getattr(settings, "INGEST_CLAIM_HEARTBEAT_SECONDS", 30))
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                os.utime(path)
            except OSError:  # moved or removed: the load is over
                return

    thread = threading.Thread(target=beat, name=f"claim-heartbeat:{path.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every)


# Retries while the database is away: 15 s, 30 s, 1, 2, 4 min, then every 5 min; eight of them ride out about
# 20 minutes. No jitter: Celery's jitter draws from [0, delay], which spent six of eight retries in six seconds.
LOAD_RETRY = {"retry_backoff": 15, "retry_backoff_max": 300, "retry_jitter": False, "max_retries": 8}


def inbox_dirs() -> dict[str, Path]:
    """The inbox and its siblings: processing/ (claimed), processed/ and failed/."""
    inbox = Path(settings.SMT_INBOX_DIR)
    dirs = {
        "inbox": inbox,
        "processing": inbox.parent / "processing",
        "processed": inbox.parent / "processed",
        "failed": inbox.parent / "failed",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    return dirs


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    n = 1
    while target.exists():
        target = directory / f"{name}.{n}"
        n += 1
    return target


@shared_task(name="usage.scan_inbox")
def scan_inbox() -> list[str]:
    """Claim every file in the inbox (move it to processing/, stamping the claim time) and enqueue one load task
    per file. Files whose claim was not refreshed for ``INGEST_STALE_CLAIM_SECONDS`` (their worker died) are enqueued
    again; if the first task is handed back too (after the broker's visibility timeout), it finds the file gone."""
    dirs = inbox_dirs()
    claimed = []
    for path in sorted(dirs["inbox"].iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name.endswith((".part", ".tmp")):
            continue
        target = _free_name(dirs["processing"], path.name)
        try:
            path.rename(target)
        except OSError:  # another scanner took it
            continue
        # The claim time is the file's mtime in processing/, stamped now: a file copied in with its old
        # timestamp must not look stale (it was queued two and three times when the copy's mtime counted).
        os.utime(target)
        claimed.append(str(target))
    now = time.time()
    for path in sorted(dirs["processing"].iterdir()):
        if str(path) not in claimed and path.is_file() and now - path.stat().st_mtime > stale_claim_seconds():
            path.touch()  # claimed again, now
            claimed.append(str(path))
    for path in claimed:
        load_inbox_file.delay(path)
    return claimed


@shared_task(
    name="usage.load_inbox_file",
    # IntegrityError: two loads wrote the same new day at once; on retry the day exists and merges
    autoretry_for=(OperationalError, InterfaceError, IntegrityError),
    **LOAD_RETRY,
    acks_late=True,
    reject_on_worker_lost=True,
)
def load_inbox_file(path: str) -> dict:
    """Load one claimed file and move it to processed/ (or failed/ when the file was rejected)."""
    source = Path(path)
    if not source.exists():
        return {"path": path, "status": "gone"}
    with claim_heartbeat(source):
        report = ingest_file(path=source)
    dirs = inbox_dirs()
    folder = dirs["failed"] if report.status == IngestFile.Status.FAILED else dirs["processed"]
    target = _free_name(folder, source.name)
    shutil.move(str(source), target)
    log.info(
        "ingested %s: %s, %s stored, %s rejected%s",
        source.name,
        report.status,
        report.stored,
        report.rejected,
        f" ({report.message})" if report.message else "",
    )
    return {"path": str(target), "status": report.status, "report": report.pk, "message": report.message}


@shared_task(
    name="usage.compact_intervals",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=False,  # a periodic sweep: beat sends it again; no visibility timeout to outlast
    time_limit=4 * 3600,
    soft_time_limit=4 * 3600 - 60,
)
def compact_intervals() -> dict:
    """Compact settled day rows into meter-month rows."""
    return storage.compact_months()


@shared_task(
    name="usage.purge_expired_intervals",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=False,  # a periodic sweep: beat sends it again; no visibility timeout to outlast
    time_limit=4 * 3600,
    soft_time_limit=4 * 3600 - 60,
)
def purge_expired_intervals() -> dict:
    """Delete interval data older than INTERVAL_RETENTION_YEARS."""
    return storage.purge_expired()


@shared_task(
    name="usage.create_interval_partitions",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=False,  # a periodic sweep: beat sends it again; no visibility timeout to outlast
)
def create_interval_partitions() -> list[str]:
    """Create the interval tables' partitions of this month and the next INTERVAL_PARTITIONS_AHEAD months."""
    return storage.ensure_partitions_ahead(today=local_today())
