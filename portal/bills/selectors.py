"""Reads of plans and tariffs; who may see a plan is decided here, from the portal's one access rule."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from portal.bills.models import BillPlan, TduTariff
from portal.models import ServicePeriod
from usage.models import Premise, Tdu


def plan_period(*, user: Any, premise: Premise, window_end: date) -> ServicePeriod | None:
    """The occupancy ``user`` registered whose access window ends on ``window_end`` (one of the windows of
    ``portal.access_window.customer_windows``), with its plan: a plan is seen and set only by accounts
    registered in that occupancy. None when the account has no such occupancy."""
    return (
        ServicePeriod.objects.filter(premise=premise, registrations__user=user, starts_on__lte=window_end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=window_end))
        .select_related("bill_plan")
        .order_by("-starts_on")
        .first()
    )


def period_plan(period: ServicePeriod | None) -> BillPlan | None:
    if period is None:
        return None
    try:
        return period.bill_plan
    except BillPlan.DoesNotExist:
        return None


def tdu_tariffs(tdu: Tdu | int) -> list[TduTariff]:
    """The TDU's tariff rows, oldest first."""
    return list(TduTariff.objects.filter(tdu=tdu).order_by("effective_from"))


def tariff_on(tariffs: list[TduTariff], day: date) -> TduTariff | None:
    """The row in effect on ``day`` (the latest effective on or before it)."""
    found = None
    for t in tariffs:
        if t.effective_from <= day:
            found = t
    return found
