"""Celery tasks of on-demand meter reads (the simulator's delayed answer, and expiry of unanswered reads)."""

from celery import shared_task


@shared_task(ignore_result=True)
def simulated_meter_answer(read_id: int) -> None:
    """The built-in head-end simulator answers one read request (scheduled with a countdown)."""
    from portal.headend.simulator import answer

    answer(read_id)


@shared_task(ignore_result=True)
def expire_stale_reads() -> int:
    """Requests no head-end answered in time become failed, with a message that says so."""
    from portal.headend.services import read_expire_stale

    return read_expire_stale()
