"""A plan and tariff for the bills tests, and the cost the way a person would work it out by hand from the
readings the fixtures load (``tests.helpers.portal_usage.consumption_wh``) and the charges."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from portal.bills.models import BillPlan, TduTariff
from tests.helpers.portal_usage import consumption_wh
from usage import timegrid

ENERGY = Decimal("12.5")  # ¢/kWh
BASE = Decimal("9.95")  # $/month
DELIVERY = Decimal("5.6")  # ¢/kWh
DELIVERY_MONTHLY = Decimal("4.25")  # $/month


def tariff_for(
    tdu, *, effective_from=date(2020, 1, 1), cents=DELIVERY, dollars=DELIVERY_MONTHLY
) -> TduTariff:
    return TduTariff.objects.create(
        tdu=tdu,
        effective_from=effective_from,
        delivery_cents_per_kwh=cents,
        monthly_dollars=dollars,
        source="Test tariff sheet",
        source_date=date(2025, 9, 1),
    )


def plan_for(period, **changes) -> BillPlan:
    fields = {
        "energy_cents_per_kwh": ENERGY,
        "base_dollars_per_month": BASE,
        "tdu_charges": "tariff",
        **changes,
    }
    return BillPlan.objects.create(period=period, **fields)


def day_kwh(day: date) -> Fraction:
    return Fraction(sum(consumption_wh(day, s) for s in range(timegrid.slots_in_day(day))), 1000)


def day_cost_cents(day: date, *, delivery=DELIVERY, delivery_monthly=DELIVERY_MONTHLY) -> Fraction:
    """kWh × (energy + delivery ¢/kWh) + (base + delivery monthly, in cents) ÷ days in the month."""
    rate = Fraction(ENERGY + delivery)
    monthly = Fraction((BASE + delivery_monthly) * 100)
    return day_kwh(day) * rate + monthly / calendar.monthrange(day.year, day.month)[1]


def tenths(cents: Fraction) -> int:
    """Round to tenths of a cent, half up (what the code stores per bucket)."""
    return int(
        (Decimal(cents.numerator) / Decimal(cents.denominator) * 10).quantize(Decimal(1), ROUND_HALF_UP)
    )


def dollars(t: int) -> str:
    return f"${(Decimal(t) / 1000).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def days(a: date, b: date):
    d = a
    while d <= b:
        yield d
        d += timedelta(days=1)
