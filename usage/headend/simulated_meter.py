"""The meter the built-in simulator pretends to read: a plausible register, and now and then a failure.

The reading is what a real register would show: the meter's starting register, plus all consumption stored
since it was installed, plus the meter's recent average rate over the time since the last stored interval
(``usage.headend.register``); never less than the meter's previous reading (the order carries it).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from usage.headend import ReadOrder, report_failure, report_reading
from usage.headend.register import estimated_register
from usage.models import Meter

FAILURES = (
    (
        "no_response",
        "The meter did not answer: its radio network did not reach it this time. Please try again in a "
        "few minutes.",
    ),
    (
        "meter_busy",
        "The meter was busy sending its scheduled data and refused the request. Please try again shortly.",
    ),
    (
        "headend_timeout",
        "The utility's meter network timed out before the meter answered. Please try again later.",
    ),
)


def simulated_register(*, meter: Meter, order: ReadOrder, now: datetime) -> Decimal:
    """What the register shows: never less than the last reading plus the recent rate since it was taken.

    A real register only counts up; an estimate from stored data alone could fall below an earlier answer
    (the day's real consumption lower than the rate guessed), so the last reading the caller knows bounds it."""
    estimate = estimated_register(meter=meter, premise_id=order.premise_id, at=now)
    kwh = estimate.kwh
    if order.last_register_kwh is not None and order.last_read_at is not None:
        since = max(0.0, (now - order.last_read_at).total_seconds())
        floor = order.last_register_kwh + Decimal(round(estimate.wh_per_second * since)) / 1000
        kwh = max(kwh, floor)
    return kwh.quantize(Decimal("0.001"))


def answer(order: ReadOrder, *, now: datetime | None = None, rng: random.Random | None = None) -> None:
    """The simulated meter's answer to one order, reported to whoever keeps the request."""
    rng = rng or random.Random()  # a simulation, not security
    now = now or timezone.now()
    meter = Meter.objects.filter(pk=order.meter_id).first()
    if meter is None:
        report_failure(request_id=order.request_id, code="no_meter", message="No meter is installed here.")
        return
    if rng.random() < settings.HEADEND_SIMULATOR_FAILURE_RATE:
        code, message = rng.choice(FAILURES)
        report_failure(request_id=order.request_id, code=code, message=message)
        return
    register = simulated_register(meter=meter, order=order, now=now)
    # A real meter reports the instant it latched the register: a moment after the request reached it, and
    # always after its previous reading.
    read_at = max(now.astimezone(UTC) - timedelta(seconds=rng.randint(0, 2)), order.requested_at)
    if order.last_read_at is not None and read_at <= order.last_read_at:
        read_at = order.last_read_at + timedelta(seconds=1)
    report_reading(request_id=order.request_id, register_kwh=register, read_at=read_at)
