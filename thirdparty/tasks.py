"""Celery tasks of the third-party side: webhook delivery and agreement housekeeping. Thin: they call services.

Services enqueue these tasks once their transaction commits; they name a task rather than import this
module, so imports run one way: tasks → services → models.
"""

from celery import shared_task

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


@shared_task(ignore_result=True)
def data_available_for_file(file_id: int) -> int:
    return agreements.data_available_for_file(file_id=file_id)
