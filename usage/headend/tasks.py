"""Celery tasks of the built-in head-end simulator: its delayed answers to read and HAN orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from celery import shared_task
from django.conf import settings

from usage.headend import ReadOrder, simulated_han
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


@shared_task(ignore_result=True)
def simulated_han_join(device_id: int, attempt: int, meter_id: int, mac: str, window_seconds: int) -> None:
    """The meter opens its join window (or is unreachable); the result follows a few seconds later, or at the
    window's end for a device that never answers. The install code never goes through the broker."""
    if simulated_han.join_start(device_id=device_id, attempt=attempt, meter_id=meter_id):
        never = mac.startswith(simulated_han.NEVER_ANSWERS_PREFIX)
        delay = window_seconds if never else settings.HEADEND_SIMULATOR_DELAY_SECONDS
        simulated_han_join_end.apply_async(args=[device_id, attempt, mac], countdown=delay)


@shared_task(ignore_result=True)
def simulated_han_join_end(device_id: int, attempt: int, mac: str) -> None:
    simulated_han.join_end(device_id=device_id, attempt=attempt, mac=mac)


@shared_task(ignore_result=True)
def simulated_han_remove(device_id: int) -> None:
    simulated_han.remove(device_id=device_id)


@shared_task(ignore_result=True)
def simulated_han_message(message_id: int, mac: str, confirm: bool) -> None:
    simulated_han.deliver(message_id=message_id, mac=mac, confirm=confirm)
