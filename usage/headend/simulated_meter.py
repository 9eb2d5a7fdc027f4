"""The meter the built-in simulator pretends to read: a plausible register, and now and then a failure.

The reading is what a real register would show: the meter's starting register, plus all consumption stored
since it was installed, plus a plausible amount for the time since the last stored interval (the unreported
rest of today and a part of the current interval), drawn from the meter's recent average rate.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from usage.headend import ReadOrder, report_failure, report_reading
from usage.models import Channel, Meter
from usage.storage import read_channel_days
from usage.timegrid import day_bounds_utc

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


def simulated_register(*, meter: Meter, premise_id: int, now: datetime, rng: random.Random) -> Decimal:
    """Starting register + stored consumption since install + a plausible amount since the last interval."""
    today = timezone.localdate(now)
    days = read_channel_days(
        premise_id=premise_id, channel=int(Channel.CONSUMPTION), start=meter.installed_on, end=today
    )
    present = ~days.missing
    total_wh = int(days.values_wh[present].sum()) if len(days.values_wh) else 0
    since_wh = 0.0
    if len(days.dates):
        last_day = days.dates[-1].astype(object)
        last_end = day_bounds_utc(last_day)[1]
        recent = max(0, len(days.dates) - 7)
        a = int(days.offsets[recent])
        window_vals = days.values_wh[a:][present[a:]]
        if window_vals.size:
            wh_per_second = float(window_vals.mean()) / 900.0
            elapsed = max(0.0, (now - last_end).total_seconds())
            since_wh = wh_per_second * min(elapsed, 3 * 86400) * rng.uniform(0.8, 1.2)
    kwh = Decimal(meter.starting_register_kwh) + (Decimal(total_wh) + Decimal(round(since_wh))) / 1000
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
    register = simulated_register(meter=meter, premise_id=order.premise_id, now=now, rng=rng)
    # A real meter reports the instant it latched the register: a moment after the request reached it.
    read_at = now.astimezone(UTC) - timedelta(seconds=rng.randint(0, 2))
    report_reading(
        request_id=order.request_id, register_kwh=register, read_at=max(read_at, order.requested_at)
    )
