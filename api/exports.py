"""Bulk exports: up to 10,000 premises, one range, written by a Celery task into one compressed file.

The task decides access for every ESI ID at once (thirdparty.access.access_decide_many: two queries), reads
each allowed premise through the same export function as the API (so a premise's bytes in the file are the
API's bytes), compresses as it goes (zstd or gzip at a fast level), logs every read in one bulk insert, and
lists what it could not include and why. Progress is written every few hundred premises.
"""

from __future__ import annotations

import gzip
import logging
import os
import queue
import threading
from datetime import date, timedelta
from pathlib import Path

import orjson
import zstandard
from celery import current_app
from django.conf import settings
from django.core import signing
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from api.data import intervals_export
from api.models import ExportJob
from thirdparty import access
from thirdparty.accesslog import LoggedRead, access_log_record_many
from thirdparty.models import Organization
from thirdparty.scopes import USAGE_READ

log = logging.getLogger(__name__)

MAX_PREMISES = 10_000
LINK_SECONDS = 24 * 3600
PROGRESS_EVERY = 100
_SIGNER_SALT = "api.exports.download"
#: api/tasks.py runs jobs by calling this module; this module enqueues them by the task's name (no import cycle)
EXPORT_RUN_TASK = "api.tasks.export_run_task"

REASON_TEXT = {
    access.NOT_FOUND: "unknown ESI ID, or no grant on it",
    access.SCOPE_MISSING: "your grant lacks the scope usage:read",
    access.OUTSIDE_WINDOW: "the range is outside your access window",
    access.ORGANIZATION_INACTIVE: "your organization is not active",
}


def export_dir() -> Path:
    path = Path(getattr(settings, "API_EXPORT_DIR", settings.VAR_DIR / "exports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_create(
    *,
    actor: access.Actor,
    esiids: list[str],
    start: date,
    end: date,
    granularity: str,
    data_format: str,
    compression: str,
) -> ExportJob:
    job = ExportJob.objects.create(
        actor_kind=actor.kind,
        user=actor.user if actor.kind == access.CUSTOMER or actor.application_id else None,
        organization=actor.organization,
        application_id=actor.application_id,
        agreement_id=actor.agreement_id,
        api_key_id=actor.api_key_id,
        credential=actor.cache_key[:80],
        scopes=sorted(actor.scopes),
        esiids=list(dict.fromkeys(esiids)),
        start=start,
        end=end,
        granularity=granularity,
        data_format=data_format,
        compression=compression,
        premises_total=len(dict.fromkeys(esiids)),
    )
    transaction.on_commit(lambda: export_enqueue(job.pk), robust=True)
    return job


def export_enqueue(job_id) -> bool:
    """Hand a job to the broker and note when. A broker that does not answer is logged, never raised: the
    job is in the database and ``export_sweep`` queues it again, so the client still gets its 202."""
    try:
        current_app.tasks[EXPORT_RUN_TASK].delay(str(job_id))
    except Exception as exc:  # noqa: BLE001 - any publish failure; the sweep retries
        log.warning("export %s not queued (%s); the sweep will queue it", job_id, exc)
        return False
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(enqueued_at=timezone.now())
    return True


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name, default)))


def waiting_for_worker(job: ExportJob, now=None) -> bool:
    """A queued job no worker has started within ``API_EXPORT_WAIT_NOTE_SECONDS`` (no worker is running,
    or all are busy): its status says so."""
    now = now or timezone.now()
    return job.status == ExportJob.Status.QUEUED and job.created_at < now - _seconds(
        "API_EXPORT_WAIT_NOTE_SECONDS", 30
    )


def export_sweep(now=None) -> int:
    """Queue again the jobs the broker lost: queued and never handed over (the broker was down at commit)
    for ``API_EXPORT_REQUEUE_SECONDS``, or handed over long ago (``API_EXPORT_LOST_SECONDS``) without a
    start, and running jobs whose worker died (claimed longer ago than the broker's visibility timeout).
    A job runs once however often it is queued (``export_run`` claims it). Returns how many were queued."""
    now = now or timezone.now()
    queued = ExportJob.Status.QUEUED
    grace = now - _seconds("API_EXPORT_REQUEUE_SECONDS", 60)
    lost = now - _seconds("API_EXPORT_LOST_SECONDS", settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    stale = now - _seconds("API_EXPORT_STALE_CLAIM_SECONDS", settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    ids = list(
        ExportJob.objects.filter(
            Q(status=queued, enqueued_at__isnull=True, created_at__lt=grace)
            | Q(status=queued, enqueued_at__lt=lost)
            | Q(status=ExportJob.Status.RUNNING, started_at__lt=stale)
        ).values_list("pk", flat=True)[:1000]
    )
    return sum(export_enqueue(job_id) for job_id in ids)


def _claim(job_id, now) -> bool:
    """Mark the job running, if it is queued or its last claim is stale (one worker runs it at a time)."""
    stale = now - _seconds("API_EXPORT_STALE_CLAIM_SECONDS", settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    return bool(
        ExportJob.objects.filter(
            Q(status=ExportJob.Status.QUEUED) | Q(status=ExportJob.Status.RUNNING, started_at__lt=stale),
            pk=job_id,
        ).update(status=ExportJob.Status.RUNNING, started_at=now, premises_done=0)
    )


def actor_for_job(job: ExportJob) -> access.Actor:
    org = (
        Organization.objects.select_related("rep").get(pk=job.organization_id)
        if job.organization_id
        else None
    )
    return access.Actor(
        kind=job.actor_kind,
        user=job.user,
        organization=org,
        scopes=frozenset(job.scopes),
        agreement_id=job.agreement_id,
        application_id=job.application_id,
        api_key_id=job.api_key_id,
        credential=job.credential,
    )


def download_token(job: ExportJob) -> str:
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(job.pk))


def download_token_check(job_id: str, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=_SIGNER_SALT).unsign(token, max_age=LINK_SECONDS)
    except signing.BadSignature:
        return False
    return value == str(job_id)


class _Writer:
    """A compressed output file: zstd (level 1, all cores) or gzip (level 1)."""

    def __init__(self, path: Path, compression: str):
        self.raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        if compression == ExportJob.Compression.GZIP:
            self.stream = gzip.GzipFile(fileobj=self.raw, mode="wb", compresslevel=1, mtime=0)
        else:
            cctx = zstandard.ZstdCompressor(level=1, threads=-1)
            self.stream = cctx.stream_writer(self.raw, closefd=False)

    def write(self, data: bytes) -> None:
        self.stream.write(data)

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


def _strip_csv_header(body: bytes) -> bytes:
    nl = body.find(b"\n")
    return body[nl + 1 :] if nl >= 0 else b""


def _body_bytes(body) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return b"".join(body)


def _threads(n: int) -> int:
    """Reading and rendering run in worker threads (the database and numpy release the GIL) for big jobs."""
    threads = int(getattr(settings, "API_EXPORT_THREADS", 2))
    return threads if n >= 20 and threads > 1 else 1


def _ordered_map(func, items: list, *, threads: int):
    """(item, func(item)) in order; with threads, a few items ahead are computed in worker threads, each
    with its own database connection (closed when it finishes)."""
    if threads <= 1:
        for item in items:
            yield item, func(item)
        return
    yield from _ordered_map_threaded(func, items, threads)


def _ordered_map_threaded(func, items: list, threads: int):
    """``_ordered_map`` with ``threads`` workers, at most ``threads * 3`` results ahead of the caller."""
    work: queue.Queue = queue.Queue()
    results: dict[int, object] = {}
    ready = threading.Condition()
    ahead = threading.Semaphore(threads * 3)
    for i, item in enumerate(items):
        work.put((i, item))
    for _ in range(threads):
        work.put(None)
    pool = [
        threading.Thread(target=_ahead_worker, args=(func, work, results, ready, ahead), daemon=True)
        for _ in range(threads)
    ]
    for t in pool:
        t.start()
    try:
        for i, item in enumerate(items):
            with ready:
                while i not in results:
                    ready.wait()
                ok, value = results.pop(i)
            ahead.release()
            if not ok:
                raise value
            yield item, value
    finally:
        _stop_workers(work, ahead, pool)


def _ahead_worker(func, work: queue.Queue, results: dict, ready: threading.Condition, ahead) -> None:
    """One worker of ``_ordered_map_threaded``: takes (index, item) tasks until a None, stores (ok, value)."""
    try:
        while True:
            ahead.acquire()  # before taking a task, so every task taken holds a permit (no deadlock)
            task = work.get()
            if task is None:
                ahead.release()
                return
            i, item = task
            try:
                value = (True, func(item))
            except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
                value = (False, exc)
            with ready:
                results[i] = value
                ready.notify_all()
    finally:
        connections.close_all()


def _stop_workers(work: queue.Queue, ahead, pool: list[threading.Thread]) -> None:
    """Stop the workers early on an error (and join them when all went well)."""
    while True:
        try:
            work.get_nowait()
        except queue.Empty:
            break
    for _ in range(len(pool)):
        work.put(None)
        ahead.release()
    for t in pool:
        t.join(timeout=60)


def _split_decisions(esiids, decisions: dict) -> tuple[list, list[dict]]:
    """(allowed decisions, not-included entries with their reasons), both in ``esiids`` order."""
    allowed = []
    not_included = []
    for esiid in esiids:
        d = decisions[esiid]
        if d.allowed:
            allowed.append(d)
        else:
            entry = {"esiid": esiid, "reason": d.reason, "detail": REASON_TEXT.get(d.reason, d.detail)}
            if d.reason == access.OUTSIDE_WINDOW:
                entry["windows"] = [w.as_dict() for w in d.windows]
            not_included.append(entry)
    return allowed, not_included


def export_run(job_id: str) -> ExportJob:
    """Write the job's file (idempotent: a job finished, failed or running elsewhere is left alone)."""
    job = ExportJob.objects.get(pk=job_id)
    if not _claim(job.pk, timezone.now()):
        return job
    actor = actor_for_job(job)
    suffix = ".zst" if job.compression == ExportJob.Compression.ZSTD else ".gz"
    name = f"export-{job.pk}.{'csv' if job.data_format == ExportJob.Format.CSV else 'jsonl'}{suffix}"
    path = export_dir() / name
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        decisions = access.access_decide_many(
            actor=actor, esiids=list(job.esiids), scope=USAGE_READ, start=job.start, end=job.end
        )
        logged = []
        writer = _Writer(tmp, job.compression)
        fmt = "csv" if job.data_format == ExportJob.Format.CSV else "json"
        allowed, not_included = _split_decisions(job.esiids, decisions)

        def render(d):
            body, _, _ = intervals_export(
                premise=d.premise, start=job.start, end=job.end, granularity=job.granularity, fmt=fmt
            )
            return _body_bytes(body)

        first = True
        done = len(not_included)
        for d, body in _ordered_map(render, allowed, threads=_threads(len(allowed))):
            if fmt == "csv":
                writer.write(body if first else _strip_csv_header(body))
            else:
                writer.write(body.rstrip(b"\n") + b"\n")
            first = False
            logged.append(LoggedRead(d.premise.pk, d.agreement_id, job.start, job.end))
            done += 1
            if done % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(premises_done=done)
        if fmt == "json" and not_included:
            writer.write(orjson.dumps({"not_included": not_included}) + b"\n")
        writer.close()
        os.replace(tmp, path)
        access_log_record_many(
            actor=actor, reads=logged, resource="export", granularity=job.granularity, data_format=fmt
        )
        now = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            premises_done=done,
            not_included=not_included,
            file_name=name,
            size_bytes=path.stat().st_size,
            finished_at=now,
            expires_at=now + timedelta(seconds=LINK_SECONDS),
        )
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        tmp.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=f"The export could not be written ({type(exc).__name__}); please try again.",
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def export_path(job: ExportJob) -> Path | None:
    if not job.file_name:
        return None
    path = export_dir() / job.file_name
    return path if path.exists() else None


def export_files_delete(jobs) -> int:
    """Delete the files of ``jobs`` (an ExportJob queryset), e.g. those made under an agreement that ended.
    Returns how many files were removed."""
    removed = 0
    for job in jobs.exclude(file_name=""):
        path = export_path(job)
        if path is not None:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def export_files_purge(now=None) -> int:
    """Delete the files no link may serve any more: of jobs whose link expired, and of jobs whose credential
    or agreement no longer stands (ended, revoked or suspended in bulk, which sends no signal: the signal
    receivers in api/signals.py handle the single revocations at once). Returns how many files were removed."""
    now = now or timezone.now()
    removed = 0
    for job in ExportJob.objects.exclude(file_name="").iterator():
        expired = job.expires_at is not None and job.expires_at < now
        if not expired and access.export_credential_live(actor_for_job(job)):
            continue
        path = export_path(job)
        if path is not None:
            path.unlink(missing_ok=True)
            removed += 1
        ExportJob.objects.filter(pk=job.pk).update(file_name="")
    return removed
