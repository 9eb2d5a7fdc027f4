"""The alert sweep: a loaded file or a completed read whose alert task never ran (the broker refused it when the
load committed) gets it enqueued again, like thirdparty's data.available sweep. Bounded: only what finished in the
last SWEEP_HORIZON, and not before SWEEP_AFTER (the task may just be waiting in its queue). Enqueueing twice is
harmless: AlertSent's unique constraints keep each e-mail to one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.models import AlertCheck, MeterReadRequest
from usage.models import IngestFile

SWEEP_AFTER = timedelta(minutes=10)
SWEEP_HORIZON = timedelta(days=2)
SWEEP_BATCH = 1000


def alerts_checked(*, file_id: int | None = None, read_id: int | None = None) -> None:
    """Record that the alerts of a file or a read were worked out, so the sweep leaves it alone."""
    AlertCheck.objects.get_or_create(file_id=file_id, read_id=read_id)


def alerts_unchecked_files() -> list[int]:
    """Loaded interval files that stored rows, finished inside the sweep's window, with no AlertCheck."""
    now = timezone.now()
    return list(
        IngestFile.objects.filter(
            kind=IngestFile.Kind.INTERVAL,
            status__in=[IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS],
            stored__gt=0,
            finished_at__lt=now - SWEEP_AFTER,
            finished_at__gte=now - SWEEP_HORIZON,
        )
        .exclude(Exists(AlertCheck.objects.filter(file_id=OuterRef("pk"))))
        .order_by("finished_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def alerts_unchecked_reads() -> list[int]:
    """Completed meter reads answered inside the sweep's window, with no AlertCheck."""
    now = timezone.now()
    return list(
        MeterReadRequest.objects.filter(
            status=MeterReadRequest.Status.COMPLETED,
            answered_at__lt=now - SWEEP_AFTER,
            answered_at__gte=now - SWEEP_HORIZON,
        )
        .exclude(Exists(AlertCheck.objects.filter(read_id=OuterRef("pk"))))
        .order_by("answered_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def alerts_sweep(*, for_file: Callable[[int], object], for_read: Callable[[int], object]) -> int:
    """Enqueue (through the callables: the tasks' ``delay``) what was never checked. Returns how many."""
    files = alerts_unchecked_files()
    reads = alerts_unchecked_reads()
    for file_id in files:
        for_file(file_id)
    for read_id in reads:
        for_read(read_id)
    return len(files) + len(reads)
