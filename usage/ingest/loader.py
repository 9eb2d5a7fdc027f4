"""Load TDU files into interval storage: the one service that the CLI, the Celery task and the admin use.

A file is applied in one transaction (all or nothing). Every data row ends up stored, superseded (an
older or equal revision, or an identical duplicate) or rejected with a reason; the report says how many of
each, and ``rows == stored + superseded + rejected`` always holds. The file's layout (interval or billing
period) is told by its header; ``load_intervals`` and ``load_billing`` do the rest.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from datetime import date
from pathlib import Path
from typing import BinaryIO

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from usage import timegrid
from usage.ingest.billing import is_billing_header
from usage.ingest.intervals import HEADER
from usage.ingest.load_billing import load_billing
from usage.ingest.load_intervals import load_intervals
from usage.ingest.reasons import FileRejected
from usage.ingest.source import line_chunks
from usage.models import IngestFile, RejectedRow, Tdu

__all__ = ["ingest_file", "ingest_reapply_rejects", "ingest_stream"]

log = logging.getLogger(__name__)
SIZE_REASONS = frozenset({"too_large", "gzip_ratio", "too_many_rows"})
# database trouble that a retry can cure: raised to the caller (the Celery task retries), never a report
TRANSIENT_ERRORS = (OperationalError, InterfaceError, IntegrityError)

FILE_NAME = re.compile(r"^(?P<duns>\d{9,13})_(?P<ymd>\d{8})_.*\.csv(\.gz)?$", re.IGNORECASE)


def tdu_for_file_name(name: str) -> Tdu:
    m = FILE_NAME.match(name)
    if not m:
        raise FileRejected("bad_file_name", name)
    tdu = Tdu.objects.filter(duns=m["duns"]).first()
    if tdu is None:
        raise FileRejected("unknown_tdu", m["duns"])
    return tdu


class _HashingReader:
    """A read-only stream that computes the SHA-256 of the underlying file as it is read, once: bytes
    read again after a seek back are not hashed twice."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._hash = hashlib.sha256()
        self._pos = 0
        self._hashed = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        end = self._pos + len(data)
        if end > self._hashed:
            self._hash.update(memoryview(data)[self._hashed - self._pos :])
            self._hashed = end
        self._pos = end
        return data

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._stream.seek(offset, whence)
        return self._pos

    def hexdigest(self) -> str:
        """The digest of the whole stream (reads what was not read yet)."""
        self._stream.seek(self._hashed)
        self._pos = self._hashed
        while self.read(1 << 20):
            pass
        return self._hash.hexdigest()


class _Duplicate(Exception):  # control flow: roll the load back
    def __init__(self, earlier: IngestFile):
        self.earlier = earlier


def _earlier_load(sha256: str, *, tdu: Tdu, exclude: int | None = None) -> IngestFile | None:
    """The earlier successful load of the same bytes from the same TDU (another TDU's identical file, say
    an empty one, is another delivery)."""
    qs = IngestFile.objects.filter(
        sha256=sha256, tdu=tdu, status__in=[IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS]
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("received_at").first()


def _duplicate_report(*, name, sha256, size, received, started, earlier: IngestFile) -> IngestFile:
    return IngestFile.objects.create(
        name=name,
        sha256=sha256,
        size_bytes=size,
        tdu=earlier.tdu,
        kind=earlier.kind,
        received_at=received,
        finished_at=timezone.now(),
        status=IngestFile.Status.DUPLICATE,
        duplicate_of=earlier,
        message=f"Same content as {earlier.name}, loaded {earlier.received_at:%Y-%m-%d %H:%M} UTC "
        f"(report #{earlier.pk}); nothing changed.",
        seconds=time.perf_counter() - started,
    )


def ingest_file(*, path: str | Path, force: bool = False, today: date | None = None) -> IngestFile:
    """Load one TDU file (plain or gzip) and return its ingest report.

    The same content loaded before (by SHA-256, computed while the file is read) changes nothing and gives
    a report with status ``duplicate``, unless ``force``. A file-level problem gives a report with status
    ``failed`` and the reason in ``message``; the database is then as before."""
    path = Path(path)
    try:
        fh = path.open("rb")
        size = path.stat().st_size
    except OSError as exc:
        return _failed(
            name=path.name,
            sha="",
            size=0,
            received=timezone.now(),
            tdu=None,
            exc=FileRejected("io_error", str(exc)),
        )
    with fh:
        return ingest_stream(stream=fh, name=path.name, sha256=None, size=size, force=force, today=today)


def ingest_stream(
    *,
    stream: BinaryIO,
    name: str,
    sha256: str | None,
    size: int = 0,
    force: bool = False,
    today: date | None = None,
    tdu: Tdu | None = None,
) -> IngestFile:
    """Load a TDU file from an open binary stream (see ``ingest_file``). With ``sha256=None`` the digest
    is computed while the stream is read (it must then be seekable) and a duplicate is recognised after
    reading, inside the file's transaction, which it rolls back."""
    received = timezone.now()
    started = time.perf_counter()
    reader = None
    if sha256 is None:
        reader = _HashingReader(stream)
        stream = reader  # type: ignore[assignment]
    try:
        if tdu is None:
            tdu = tdu_for_file_name(name)
        if sha256 is not None and not force:
            earlier = _earlier_load(sha256, tdu=tdu)
            if earlier is not None:
                return _duplicate_report(
                    name=name, sha256=sha256, size=size, received=received, started=started, earlier=earlier
                )
        return _load(
            stream,
            reader,
            name=name,
            sha256=sha256,
            size=size,
            force=force,
            today=today,
            tdu=tdu,
            received=received,
            started=started,
        )
    except _Duplicate as dup:
        return _duplicate_report(
            name=name,
            sha256=dup.earlier.sha256,
            size=size,
            received=received,
            started=started,
            earlier=dup.earlier,
        )
    except FileRejected as exc:
        # a file refused for its size is not read to its end for a digest (it may be many gigabytes)
        sha = (sha256 or "") if exc.code in SIZE_REASONS else _digest_so_far(sha256, reader)
        return _failed(name=name, sha=sha, size=size, received=received, tdu=tdu, exc=exc, started=started)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:  # any bug or surprise fails this file with a report, never the caller
        log.exception("ingest of %s failed with an unexpected error", name)
        sha = _digest_so_far(sha256, reader)
        detail = f"{type(exc).__name__}: {exc}"[:500]
        return _failed(
            name=name,
            sha=sha,
            size=size,
            received=received,
            tdu=tdu,
            exc=FileRejected("internal_error", detail),
            started=started,
        )


def _load(
    stream: BinaryIO,
    reader: _HashingReader | None,
    *,
    name: str,
    sha256: str | None,
    size: int,
    force: bool,
    today: date | None,
    tdu: Tdu,
    received,
    started: float,
) -> IngestFile:
    """The file's transaction: its report, its rows, and (when the digest is computed while reading) the
    duplicate check, which raises ``_Duplicate`` to roll the load back."""
    with transaction.atomic():
        report = IngestFile.objects.create(
            name=name, sha256=sha256 or "", size_bytes=size, tdu=tdu, received_at=received
        )
        if _is_billing(stream):
            report.kind = IngestFile.Kind.BILLING
            load_billing(report, stream, tdu=tdu, today=today or timegrid.local_today())
        else:
            load_intervals(report, stream, tdu=tdu, today=today or timegrid.local_today())
        if reader is not None:
            report.sha256 = reader.hexdigest()
            if not force:
                earlier = _earlier_load(report.sha256, tdu=tdu, exclude=report.pk)
                if earlier is not None:
                    raise _Duplicate(earlier)
        report.seconds = time.perf_counter() - started
        report.finished_at = timezone.now()
        report.status = IngestFile.Status.LOADED_WITH_REJECTS if report.rejected else IngestFile.Status.LOADED
        report.save()
    return report


def _digest_so_far(sha256: str | None, reader: _HashingReader | None) -> str:
    """The digest for a failed file's report: the one given, else what was read so far, else blank."""
    sha = sha256 or ""
    if reader is not None:
        try:
            sha = reader.hexdigest()
        except (OSError, ValueError, io.UnsupportedOperation):
            sha = ""
    return sha


def _failed(*, name, sha, size, received, tdu, exc: FileRejected, started: float | None = None) -> IngestFile:
    return IngestFile.objects.create(
        name=name,
        sha256=sha,
        size_bytes=size,
        tdu=tdu,
        received_at=received,
        finished_at=timezone.now(),
        status=IngestFile.Status.FAILED,
        message=exc.message,
        rejected_by_reason={exc.code: 0, **exc.counts},
        seconds=(time.perf_counter() - started) if started else 0.0,
    )


def _is_billing(stream: BinaryIO) -> bool:
    """Tell the billing-period layout from the interval layout by the header line."""
    if not stream.seekable():
        return False
    try:
        first = next(line_chunks(stream, 1 << 16), b"")
    except FileRejected:
        first = b""
    stream.seek(0)
    return is_billing_header(first.split(b"\n", 1)[0])


def ingest_reapply_rejects(*, file_id: int, today: date | None = None) -> IngestFile:
    """Re-apply a file's rejected rows (after their cause was fixed, say the missing premise was added).

    The rows go through the same ingest path as a new file named after the original; rows that now load
    are marked re-applied on the original; rows still wrong appear as rejects of the new report."""
    original = IngestFile.objects.get(pk=file_id)
    pending = list(original.rejected_rows.filter(reapplied_at__isnull=True).order_by("line_number"))
    lines = [r.raw for r in pending if r.raw]
    data = ("\n".join([original.header or HEADER] + lines) + "\n").encode("utf-8")
    name = f"{original.name} (re-applied {timezone.now():%Y-%m-%d %H:%M:%S})"
    report = ingest_stream(
        stream=io.BytesIO(data),
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        force=True,
        today=today,
        tdu=original.tdu,
    )
    if report.status != IngestFile.Status.FAILED:
        still = set(report.rejected_rows.values_list("raw", flat=True))
        now = timezone.now()
        RejectedRow.objects.filter(pk__in=[r.pk for r in pending if r.raw not in still]).update(
            reapplied_at=now
        )
    return report
