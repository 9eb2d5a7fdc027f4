"""The one place the portfolio asks what a premise's use cost: ``portfolio_costs``.

The portfolio shows a cost column (and a portfolio total) only for premises this returns a figure for: those
where the account has a plan (portal.bills) for its occupancy. The figure is the sum of the daily costs the usage
page shows (``portal.bills.services.bill_costs``), over the days of the portfolio's range that are inside the
account's window and have data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Q

from portal.bills.compute import tenths_to_dollars
from portal.bills.models import BillPlan
from portal.bills.selectors import tdu_tariffs
from portal.bills.services import bill_costs
from usage.models import Premise


@dataclass(frozen=True)
class PremiseUse:
    """What the portfolio read of one premise: kWh of each local day ``start + i`` of the range, NaN for a
    day without data or outside the account's window (so never another occupant's use)."""

    premise: Premise
    consumption_kwh: np.ndarray
    generation_kwh: np.ndarray


def _plans(*, user: Any, premise_ids: list[int], start: date, end: date) -> dict[int, BillPlan]:
    """Premise id -> the plan of the account's latest occupancy of it overlapping ``start``..``end``."""
    plans: dict[int, BillPlan] = {}
    rows = (
        BillPlan.objects.filter(
            period__premise_id__in=premise_ids, period__registrations__user=user, period__starts_on__lte=end
        )
        .filter(Q(period__ends_on__isnull=True) | Q(period__ends_on__gte=start))
        .select_related("period")
        .order_by("period__starts_on")
    )
    for plan in rows:
        plans[plan.period.premise_id] = plan  # the latest occupancy wins
    return plans


def portfolio_costs(*, user: Any, uses: Sequence[PremiseUse], start: date, end: date) -> dict[int, Decimal]:
    """Premise id -> cost in dollars of its use over ``start``..``end`` under its plan, for the premises
    that have a plan; a premise without one is absent (the page then shows no figure for it). Days outside
    the account's window (NaN in ``uses``) cost nothing here, whatever is stored for them."""
    plans = _plans(user=user, premise_ids=[u.premise.pk for u in uses], start=start, end=end)
    tariffs: dict[int, list] = {}
    costs: dict[int, Decimal] = {}
    for use in uses:
        plan = plans.get(use.premise.pk)
        if plan is None:
            continue
        tdu_id = use.premise.tdu_id
        if tdu_id not in tariffs:
            tariffs[tdu_id] = tdu_tariffs(tdu_id)
        daily = bill_costs(
            premise=use.premise, plan=plan, start=start, end=end, granularity="day", tariffs=tariffs[tdu_id]
        )
        tenths = daily.series.wh
        counted = ~daily.series.null & ~np.isnan(use.consumption_kwh[: len(tenths)])
        if counted.any():
            costs[use.premise.pk] = tenths_to_dollars(int(tenths[counted].sum()))
    return costs
