"""Celery tasks of the built-in head-end simulator: its delayed answer to one read order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from celery import shared_task

from usage.headend import ReadOrder
from usage.headend.simulated_meter import answer


@shared_task(ignore_result=True)
def simulated_meter_answer(
    request_id: int,
    meter_id: int,
    premise_id: int,
    requested_at: str,
    last_register_kwh: str | None = None,
    last_read_at: str | None = None,
) -> None:
    """The simulator answers one order (scheduled with a countdown when the order was committed)."""
    order = ReadOrder(
        request_id=request_id,
        meter_id=meter_id,
        premise_id=premise_id,
        requested_at=datetime.fromisoformat(requested_at),
        last_register_kwh=Decimal(last_register_kwh) if last_register_kwh is not None else None,
        last_read_at=datetime.fromisoformat(last_read_at) if last_read_at is not None else None,
    )
    answer(order)
