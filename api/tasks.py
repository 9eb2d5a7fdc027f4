"""Celery tasks of the API: bulk exports and Idempotency-Key expiry. Thin: they call api.exports (which enqueues by task name)."""

from celery import shared_task

from api.exports import EXPORT_RUN_TASK, export_files_purge, export_run, export_sweep
from api.idempotency import idempotency_purge


@shared_task(name=EXPORT_RUN_TASK, acks_late=True, ignore_result=True)
def export_run_task(job_id: str) -> None:
    export_run(job_id)


@shared_task(ignore_result=True, acks_late=False)
def exports_sweep() -> int:
    """Queue again the export jobs the broker lost or whose worker died."""
    return export_sweep()


@shared_task(ignore_result=True, acks_late=False)
def idempotency_keys_purge() -> int:
    """Forget Idempotency-Keys older than 24 hours."""
    return idempotency_purge()


@shared_task(ignore_result=True)
def exports_purge_expired() -> int:
    """Delete export files whose link expired or whose credential or agreement no longer stands."""
    return export_files_purge()
