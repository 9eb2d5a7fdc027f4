"""Illustrative TDU delivery charges for the demo, so plans and costs have something to show without any
network look-up. Labelled as such: they are round figures of the size residential delivery charges had in
2025, not any TDU's tariff; an administrator keeps the real ones in Django admin (TDU delivery tariffs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.bills.models import TduTariff
from usage.models import Tdu

SOURCE = (
    "Illustrative demo figures (round numbers of the size of 2025 residential delivery charges), not a tariff"
)
SOURCE_DATE = date(2025, 9, 1)
EFFECTIVE_FROM = date(2020, 1, 1)
# short name -> (delivery ¢ per kWh, customer and metering charges $ per month)
DEMO_CHARGES = {
    "Oncor": (Decimal("5.6000"), Decimal("4.25")),
    "CenterPoint": (Decimal("5.5000"), Decimal("4.40")),
    "AEP Central": (Decimal("5.7000"), Decimal("4.80")),
    "AEP North": (Decimal("5.3000"), Decimal("4.80")),
    "TNMP": (Decimal("6.0000"), Decimal("7.85")),
}


def demo_tariffs_ensure(tdus: list[Tdu]) -> int:
    """One illustrative row per demo TDU (idempotent); the number created."""
    created = 0
    for tdu in tdus:
        charges = DEMO_CHARGES.get(tdu.short_name)
        if charges is None:
            continue
        _, new = TduTariff.objects.get_or_create(
            tdu=tdu,
            effective_from=EFFECTIVE_FROM,
            defaults={
                "delivery_cents_per_kwh": charges[0],
                "monthly_dollars": charges[1],
                "source": SOURCE,
                "source_date": SOURCE_DATE,
            },
        )
        created += new
    return created
