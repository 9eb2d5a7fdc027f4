"""Celery tasks of the API: bulk exports. Thin: they call api.exports."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def export_run_task(job_id: str) -> None:
    from api.exports import export_run

    export_run(job_id)


@shared_task(ignore_result=True)
def exports_purge_expired() -> int:
    """Delete export files whose download link has expired."""
    from django.utils import timezone

    from api.exports import export_path
    from api.models import ExportJob

    n = 0
    for job in ExportJob.objects.filter(expires_at__lt=timezone.now()).exclude(file_name=""):
        path = export_path(job)
        if path is not None:
            path.unlink(missing_ok=True)
            n += 1
        ExportJob.objects.filter(pk=job.pk).update(file_name="")
    return n
