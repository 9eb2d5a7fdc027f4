"""The portfolio page's figures: every premise of the account over one range, read in one storage query
(``usage.storage.read_day_totals_many``): daily totals straight from the stored blocks; days outside the account's own
windows (before a move-in, after a move-out) count as no data, never as someone else's use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from portal.access_window import DateRange, customer_premises
from portal.portfolio.cost import PremiseUse, portfolio_costs
from usage import storage
from usage.models import Channel, Premise

GRANULARITIES = ("day", "month")


@dataclass
class PremiseRow:
    premise: Premise
    consumption_kwh: float | None
    generation_kwh: float | None
    days_with_data: int
    cost: Decimal | None = None


@dataclass
class Portfolio:
    start: date
    end: date
    granularity: str
    periods: list[date]  # first day of each bar: days, or the first day of each (clipped) month
    rows: list[PremiseRow]
    series: np.ndarray  # premises x periods, kWh consumption, NaN where no data
    total_consumption_kwh: float | None
    total_generation_kwh: float | None
    total_cost: Decimal | None
    has_generation: bool
    has_cost: bool
    days: int = field(default=0)


def business_premises(*, user: Any) -> list[tuple[Premise, list[DateRange]]]:
    """The account's premises with their windows, when it holds at least one business premise; else []."""
    items = [(cp.premise, cp.windows) for cp in customer_premises(user=user) if cp.windows]
    if not any(p.kind == Premise.Kind.BUSINESS for p, _ in items):
        return []
    return items


def _window_mask(windows: list[DateRange], start: date, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for w in windows:
        a = max(0, (w.start - start).days)
        b = min(n, (w.end - start).days + 1)
        if a < b:
            mask[a:b] = True
    return mask


def _sum(values: np.ndarray) -> float | None:
    return None if np.isnan(values).all() else round(float(np.nansum(values)), 3)


def portfolio_load(
    *, user: Any, premises: list[tuple[Premise, list[DateRange]]], start: date, end: date, granularity: str
) -> Portfolio:
    n = (end - start).days + 1
    totals = storage.read_day_totals_many(premise_ids=[p.pk for p, _ in premises], start=start, end=end)
    days = [start + timedelta(days=i) for i in range(n)]
    outside = ~np.array([_window_mask(windows, start, n) for _, windows in premises]).reshape(
        len(premises), n
    )
    cons = totals.wh[int(Channel.CONSUMPTION)] / 1000
    gen = totals.wh[int(Channel.GENERATION)] / 1000
    cons[outside] = np.nan
    gen[outside] = np.nan
    uses = [
        PremiseUse(premise=premise, consumption_kwh=cons[i], generation_kwh=gen[i])
        for i, (premise, _) in enumerate(premises)
    ]
    costs = portfolio_costs(user=user, uses=uses, start=start, end=end)
    rows = [
        PremiseRow(
            premise=premise,
            consumption_kwh=_sum(cons[i]),
            generation_kwh=_sum(gen[i]),
            days_with_data=int((~np.isnan(cons[i])).sum()),
            cost=costs.get(premise.pk),
        )
        for i, (premise, _) in enumerate(premises)
    ]
    if granularity == "month":
        periods = [d for d in days if d.day == 1 or d == start]
        starts = np.array([(d - start).days for d in periods], dtype=np.int64)
        filled = np.where(np.isnan(cons), 0.0, cons)
        series = np.add.reduceat(filled, starts, axis=1) if n else filled
        some = np.add.reduceat(~np.isnan(cons), starts, axis=1) > 0 if n else ~np.isnan(cons)
        series[~some] = np.nan
    else:
        periods, series = days, cons
    has_cost = bool(costs)
    return Portfolio(
        start=start,
        end=end,
        granularity=granularity,
        periods=periods,
        rows=rows,
        series=series,
        total_consumption_kwh=_sum(cons),
        total_generation_kwh=_sum(gen),
        total_cost=sum(costs.values(), Decimal(0)) if has_cost else None,
        has_generation=bool((~np.isnan(gen)).any()),
        has_cost=has_cost,
        days=n,
    )
