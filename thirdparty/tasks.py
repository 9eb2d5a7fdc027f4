"""Celery tasks of the third-party side: webhook delivery and agreement housekeeping. Thin: they call services."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: str, attempt: int) -> None:
    """Attempt ``attempt`` of one webhook delivery; failures schedule the next attempt with backoff."""
    from thirdparty.webhooks.delivery import webhook_attempt

    webhook_attempt(delivery_id=delivery_id, attempt=attempt)


@shared_task(ignore_result=True)
def webhook_retry_due() -> int:
    from thirdparty.webhooks.delivery import webhook_retry_due as sweep

    return sweep()


@shared_task(ignore_result=True)
def agreements_expire() -> int:
    from thirdparty.services.agreements import agreements_expire_due

    return agreements_expire_due()


@shared_task(ignore_result=True)
def agreements_warn_expiring() -> int:
    from thirdparty.services.agreements import agreements_warn_expiring as warn

    return warn()


@shared_task(ignore_result=True)
def data_available_for_file(file_id: int) -> int:
    from thirdparty.services.agreements import data_available_for_file as announce

    return announce(file_id=file_id)
