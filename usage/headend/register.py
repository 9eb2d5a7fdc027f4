"""What a meter's register shows at an instant, as far as the stored data tells: its starting register, plus
the consumption stored up to then, plus the meter's recent average rate over the time since the last stored
interval. The simulator answers with it; the portal uses it for "about N kWh since midnight"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np

from usage.models import Channel, Meter
from usage.storage import read_channel_days
from usage.timegrid import MARKET_TZ, day_bounds_utc

RATE_DAYS = 7  # the recent average rate is taken over the last week of stored data
MAX_EXTRAPOLATED_SECONDS = 3 * 86400


@dataclass(frozen=True)
class RegisterEstimate:
    kwh: Decimal
    wh_per_second: float  # the recent average rate (0 without data)
    exact: bool  # every interval up to the instant is stored (nothing extrapolated)


def estimated_register(*, meter: Meter, premise_id: int, at: datetime) -> RegisterEstimate:
    """The register at ``at``: stored consumption up to the last stored interval before ``at``, then the rate."""
    last_day: date = at.astimezone(MARKET_TZ).date()
    days = read_channel_days(
        premise_id=premise_id,
        channel=int(Channel.CONSUMPTION),
        start=meter.installed_on,
        end=last_day - timedelta(days=1),
    )
    present = ~days.missing
    total_wh = int(days.values_wh[present].sum()) if len(days.values_wh) else 0
    rate = 0.0
    extrapolated = 0.0
    if len(days.dates):
        last_end = day_bounds_utc(days.dates[-1].astype(object))[1]
        a = int(days.offsets[max(0, len(days.dates) - RATE_DAYS)])
        recent = days.values_wh[a:][present[a:]]
        if recent.size:
            rate = float(np.mean(recent)) / 900.0
            elapsed = max(0.0, (at - last_end).total_seconds())
            extrapolated = rate * min(elapsed, MAX_EXTRAPOLATED_SECONDS)
    kwh = Decimal(meter.starting_register_kwh) + (Decimal(total_wh) + Decimal(round(extrapolated))) / 1000
    return RegisterEstimate(
        kwh=kwh.quantize(Decimal("0.001")),
        wh_per_second=rate,
        exact=extrapolated == 0 and bool(present.all()),
    )
