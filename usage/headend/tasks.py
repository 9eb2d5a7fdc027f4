"""Celery tasks of the built-in head-end simulator: its delayed answer to one read order."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from usage.headend import ReadOrder
from usage.headend.simulated_meter import answer


@shared_task(ignore_result=True)
def simulated_meter_answer(request_id: int, meter_id: int, premise_id: int, requested_at: str) -> None:
    """The simulator answers one order (scheduled with a countdown when the order was committed)."""
    order = ReadOrder(
        request_id=request_id,
        meter_id=meter_id,
        premise_id=premise_id,
        requested_at=datetime.fromisoformat(requested_at),
    )
    answer(order)
