"""Cost of a premise's energy under the resident's plan: per bucket, bill-to-date and a projection.

The one entry point for cost is :func:`bill_costs` (the usage page, the dashboard and downloads call it;
so may other pages, e.g. a portfolio of sites). A day's cost is

    kWh × (plan energy charge + TDU delivery charge, ¢/kWh)
    + (plan base charge + TDU customer and metering charges, $/month) ÷ days in that calendar month

with the TDU charges in effect on that day (``TduTariff`` rows, by effective date) or the resident's own
figures. Taxes, PUC assessment and other fees are excluded; surplus generation is not credited (buyback
terms differ by plan). Arithmetic is exact (portal.bills.compute); results are tenths of a cent.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import numpy as np

from portal.access_window import months_before
from portal.bills import compute
from portal.bills.models import BillPlan, TduTariff
from portal.bills.selectors import tdu_tariffs
from usage import storage
from usage.models import BillingPeriod, Channel, Premise
from usage.reads.aggregate import DayRange, DaysLike, Series, day_range, lay_on_grid


@dataclass(frozen=True)
class BillCosts:
    """Cost per bucket: ``tenths[i]`` tenths of a cent for the bucket ``starts[i]``..``ends[i]`` (Unix
    seconds), None where there is no cost (no consumption reading, or no tariff that day)."""

    series: Series  # ``wh`` holds tenths of a cent; ``null`` marks "no cost"
    uncovered_days: int  # days of the range with no TDU tariff in effect (published charges only)

    @property
    def tenths(self) -> list[int | None]:
        return [
            None if n else t for t, n in zip(self.series.wh.tolist(), self.series.null.tolist(), strict=True)
        ]

    @property
    def total_tenths(self) -> int | None:
        """The sum of the buckets with a cost; None when none has one."""
        if self.series.null.all():
            return None
        return int(self.series.wh[~self.series.null].sum())


def day_charges(*, plan: BillPlan, tariffs: list[TduTariff], rng: DayRange) -> compute.DayCharges:
    """The rate and monthly charges of each day of ``rng`` under ``plan``."""
    n = rng.n_days
    energy = compute.rate_units(plan.energy_cents_per_kwh)
    base = compute.dollars_to_cents(plan.base_dollars_per_month)
    if plan.tdu_charges == BillPlan.TduCharges.OWN:
        rate = np.full(
            n, energy + compute.rate_units(plan.delivery_cents_per_kwh or Decimal(0)), dtype=np.int64
        )
        monthly = np.full(
            n, base + compute.dollars_to_cents(plan.delivery_dollars_per_month or Decimal(0)), dtype=np.int64
        )
        return compute.DayCharges(rate=rate, monthly_cents=monthly, known=np.ones(n, dtype=bool))
    rate = np.zeros(n, dtype=np.int64)
    monthly = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=bool)
    days = rng.dates
    for i, t in enumerate(tariffs):  # oldest first: each row overrides from its effective date on
        until = tariffs[i + 1].effective_from if i + 1 < len(tariffs) else None
        sel = days >= np.datetime64(t.effective_from, "D")
        if until is not None:
            sel &= days < np.datetime64(until, "D")
        rate[sel] = energy + compute.rate_units(t.delivery_cents_per_kwh)
        monthly[sel] = base + compute.dollars_to_cents(t.monthly_dollars)
        known[sel] = True
    return compute.DayCharges(rate=rate, monthly_cents=monthly, known=known)


def bill_costs(
    *,
    premise: Premise,
    plan: BillPlan,
    start: date,
    end: date,
    granularity: str,
    consumption: DaysLike | None = None,
    tariffs: list[TduTariff] | None = None,
    periods: list[tuple[date, date]] | None = None,
) -> BillCosts:
    """Cost per bucket of ``granularity`` (15min, hour, day, month, or billing with ``periods``) of
    ``premise`` from ``start`` to ``end`` (local, inclusive) under ``plan``.

    ``consumption`` (the premise's stored consumption covering the range) and ``tariffs`` (the TDU's rows)
    save a query each when the caller has them. Access is the caller's business: pass a plan only to
    someone who may see it (``portal.bills.selectors.plan_period``)."""
    rng = day_range(start, end)
    if consumption is None:
        stored = storage.read_channels(premise_id=premise.pk, start=start, end=end)
        consumption = cast("DaysLike | None", stored.get(int(Channel.CONSUMPTION)))
    if tariffs is None and plan.tdu_charges == BillPlan.TduCharges.TARIFF:
        tariffs = tdu_tariffs(premise.tdu_id)
    charges = day_charges(plan=plan, tariffs=tariffs or [], rng=rng)
    grid = lay_on_grid(rng, consumption)
    series = compute.bucket_tenths(rng, grid, charges, granularity, periods)
    return BillCosts(series=series, uncovered_days=int((~charges.known).sum()))


# --------------------------------------------------------------------------------------- the cycle


@dataclass(frozen=True)
class Cycle:
    start: date
    end: date  # inclusive
    from_billing_period: bool  # else from the resident's cycle day (or the 1st of the month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def bill_cycle(*, premise: Premise, plan: BillPlan, today: date) -> Cycle:
    """The billing cycle that contains ``today``: from the resident's cycle day when set, else from the
    day after the end of the last billing period the utility reported (rolled forward a month at a time),
    else from the 1st of the month. A cycle lasts until the day before the same date a month later."""
    if plan.cycle_day:
        day = plan.cycle_day
        start = _on_day(today.year, today.month, day)
        if start > today:
            prev = months_before(today.replace(day=1), 1)
            start = _on_day(prev.year, prev.month, day)
        return Cycle(start, _on_day_next_month(start, day) - timedelta(days=1), False)
    last_end = (
        BillingPeriod.objects.filter(premise=premise, end_date__lt=today)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )
    if last_end is None:
        start = today.replace(day=1)
        return Cycle(start, months_before(start, -1) - timedelta(days=1), False)
    start = last_end + timedelta(days=1)
    day = start.day
    while _on_day_next_month(start, day) <= today:
        start = _on_day_next_month(start, day)
    return Cycle(start, _on_day_next_month(start, day) - timedelta(days=1), True)


def _on_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, or its last day when the month is shorter (a cycle day of 31 in February)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _on_day_next_month(start: date, day: int) -> date:
    nxt = months_before(start.replace(day=1), -1)
    return _on_day(nxt.year, nxt.month, day)


@dataclass(frozen=True)
class BillToDate:
    """The current cycle so far and where it is heading.

    ``projection = to_date + average per day so far × days left``, in tenths of a cent, where "so far"
    ends on the latest day with data (the utility sends a day the next morning)."""

    cycle: Cycle
    through: date | None  # the latest day of the cycle with consumption data
    to_date_tenths: int | None
    days_so_far: int
    days_left: int
    average_tenths: int | None
    projection_tenths: int | None
    days_without_data: int


def bill_to_date(*, premise: Premise, plan: BillPlan, today: date, window_start: date) -> BillToDate | None:
    """Bill-to-date and projection of the cycle containing ``today``; None when the cycle lies wholly
    before ``window_start`` (nothing of it belongs to this occupant)."""
    cycle = bill_cycle(premise=premise, plan=plan, today=today)
    start = max(cycle.start, window_start)
    last = min(today - timedelta(days=1), cycle.end)
    if last < start:
        return BillToDate(cycle, None, None, 0, cycle.days, None, None, 0)
    days = bill_costs(premise=premise, plan=plan, start=start, end=last, granularity="day")
    has = ~days.series.null
    if not has.any():
        return BillToDate(cycle, None, None, 0, cycle.days, None, None, int((~has).sum()))
    i_last = int(np.flatnonzero(has)[-1])
    through = start + timedelta(days=i_last)
    so_far = i_last + 1
    to_date = int(days.series.wh[:so_far][has[:so_far]].sum())
    counted = int(has[:so_far].sum())
    average = _div_half_up(to_date, counted)
    left = (cycle.end - through).days
    return BillToDate(
        cycle=cycle,
        through=through,
        to_date_tenths=to_date,
        days_so_far=so_far,
        days_left=left,
        average_tenths=average,
        projection_tenths=to_date + _div_half_up(to_date * left, counted),
        days_without_data=so_far - counted,
    )


def _div_half_up(a: int, b: int) -> int:
    return (2 * a + b) // (2 * b)


def plan_save(*, period: Any, user: Any, data: dict[str, Any]) -> BillPlan:
    """Create or replace the occupancy's plan from a cleaned ``PlanForm``."""
    own = data["tdu_charges"] == BillPlan.TduCharges.OWN
    plan, _ = BillPlan.objects.update_or_create(
        period=period,
        defaults={
            "energy_cents_per_kwh": data["energy_cents_per_kwh"],
            "base_dollars_per_month": data["base_dollars_per_month"],
            "tdu_charges": data["tdu_charges"],
            "delivery_cents_per_kwh": data["delivery_cents_per_kwh"] if own else None,
            "delivery_dollars_per_month": data["delivery_dollars_per_month"] if own else None,
            "cycle_day": data.get("cycle_day"),
            "updated_by": user,
        },
    )
    return plan


def plan_initial(plan: BillPlan | None, tariff: TduTariff | None) -> dict:
    """The form's starting values: the saved plan, else the TDU's current charges prefilled."""
    if plan is not None:
        return {
            "energy_cents_per_kwh": plan.energy_cents_per_kwh,
            "base_dollars_per_month": plan.base_dollars_per_month,
            "tdu_charges": plan.tdu_charges,
            "delivery_cents_per_kwh": plan.delivery_cents_per_kwh
            if plan.delivery_cents_per_kwh is not None
            else (tariff.delivery_cents_per_kwh if tariff else None),
            "delivery_dollars_per_month": plan.delivery_dollars_per_month
            if plan.delivery_dollars_per_month is not None
            else (tariff.monthly_dollars if tariff else None),
            "cycle_day": plan.cycle_day,
        }
    return {
        "tdu_charges": BillPlan.TduCharges.TARIFF if tariff else BillPlan.TduCharges.OWN,
        "delivery_cents_per_kwh": tariff.delivery_cents_per_kwh if tariff else None,
        "delivery_dollars_per_month": tariff.monthly_dollars if tariff else None,
    }
