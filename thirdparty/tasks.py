"""Celery tasks of the third-party side: webhook delivery and agreement housekeeping. Thin: they call services.

Services enqueue these tasks once their transaction commits; they name a task rather than import this
module, so imports run one way: tasks → services → models.
"""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from thirdparty.services import agreements
from thirdparty.webhooks import delivery


@shared_task(
    acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=90, time_limit=120
)
def webhook_deliver(delivery_id: str, attempt: int) -> None:
    """Attempt ``attempt`` of one webhook delivery; failures schedule the next attempt with backoff."""
    delivery.webhook_attempt(delivery_id=delivery_id, attempt=attempt)


@shared_task(ignore_result=True)
def webhook_retry_due() -> int:
    return delivery.webhook_retry_due()


@shared_task(ignore_result=True)
def agreements_expire() -> int:
    return agreements.agreements_expire_due()


@shared_task(ignore_result=True)
def agreements_warn_expiring() -> int:
    return agreements.agreements_warn_expiring()


ANNOUNCE_AFTER = timedelta(minutes=10)  # a file loaded this long ago and not announced is swept
ANNOUNCE_HORIZON = timedelta(days=7)


@shared_task(ignore_result=True)
def data_available_for_file(file_id: int) -> int:
    """Announce a loaded file once: the claim (``announced_at``) and the events commit together, so a
    second enqueue of the same file (by the sweep) does nothing and a failure leaves it to the sweep."""
    from usage.models import IngestFile

    with transaction.atomic():
        if not IngestFile.objects.filter(pk=file_id, announced_at__isnull=True).update(
            announced_at=timezone.now()
        ):
            return 0
        return agreements.data_available_for_file(file_id=file_id)


@shared_task(ignore_result=True)
def data_available_sweep() -> int:
    """Enqueue the announcement of files loaded (with stored rows) more than ANNOUNCE_AFTER ago and never
    announced, say because the broker was unreachable when they committed. Returns how many."""
    from usage.models import IngestFile

    now = timezone.now()
    pending = IngestFile.objects.filter(
        status__in=[IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS],
        stored__gt=0,
        announced_at__isnull=True,
        finished_at__lt=now - ANNOUNCE_AFTER,
        finished_at__gte=now - ANNOUNCE_HORIZON,
    ).values_list("pk", flat=True)
    ids = list(pending[:1000])
    for file_id in ids:
        data_available_for_file.delay(file_id)
    return len(ids)
