"""A customer's own window on a premise's data: the one rule, defined once (ARCHITECTURE "Security model").

For each service period in which the account registered the premise:

    [max(period start, today − ACCESS_WINDOW_MONTHS months), min(period end − 1 day, today)]

both ends inclusive local (America/Chicago) dates. ``ServicePeriod.ends_on`` is the move-out date and is not
part of the period, hence the "− 1 day". A former occupant keeps their own period; a new occupant sees nothing
before their move-in; an account sees nothing of a period in which it did not register.

Callers: the portal's pages, the API and ``thirdparty.access`` (for the customer's own reads).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings

from portal.models import PremiseRegistration, ServicePeriod
from usage.models import Premise
from usage.timegrid import local_today

__all__ = [
    "CustomerPremise",
    "DateRange",
    "customer_premises",
    "customer_windows",
    "market_today",
    "months_before",
    "period_window",
    "window_start",
]


@dataclass(frozen=True, order=True)
class DateRange:
    """Local calendar dates from ``start`` to ``end``, both inclusive."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"empty range: {self.start} > {self.end}")

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def market_today() -> date:
    """Today's local date in the market's time zone (America/Chicago): the time grid's, one definition."""
    return local_today()


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the month's last day (Mar 31 − 1 → Feb 28/29).

    The project's one piece of calendar-month arithmetic; a negative ``months`` counts forward."""
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def window_start(today: date) -> date:
    """The earliest date anyone may see today: ``today − ACCESS_WINDOW_MONTHS`` months."""
    return months_before(today, settings.ACCESS_WINDOW_MONTHS)


def period_window(period: ServicePeriod, today: date) -> DateRange | None:
    """The window one registered period gives today, or None when it gives nothing (yet, or any more)."""
    start = max(period.starts_on, window_start(today))
    end = today if period.ends_on is None else min(period.ends_on - timedelta(days=1), today)
    return DateRange(start, end) if start <= end else None


def customer_windows(*, user, premise: Premise, today: date | None = None) -> list[DateRange]:
    """The account's windows on ``premise``, oldest first; empty when it has none.

    One range per service period in which ``user`` registered the premise (periods of one premise never
    overlap, so neither do the ranges)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    today = today or market_today()
    periods = ServicePeriod.objects.filter(premise=premise, registrations__user=user).order_by("starts_on")
    windows = [period_window(p, today) for p in periods]
    return [w for w in windows if w is not None]


@dataclass
class CustomerPremise:
    """A premise on an account: the periods the account registered, its windows, and whether it is current."""

    premise: Premise
    periods: list[ServicePeriod] = field(default_factory=list)
    windows: list[DateRange] = field(default_factory=list)
    is_current: bool = False

    @property
    def latest_period(self) -> ServicePeriod:
        return max(self.periods, key=lambda p: p.starts_on)

    @property
    def moved_out_on(self) -> date | None:
        """The move-out date of the latest registered period, None while it lasts."""
        return None if self.is_current else self.latest_period.ends_on


def customer_premises(*, user, today: date | None = None) -> list[CustomerPremise]:
    """Every premise the account registered: current ones first, then past ones (moved out), by ESI ID.

    A premise is current while the latest period the account registered has not ended by ``today``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    today = today or market_today()
    registrations = (
        PremiseRegistration.objects.filter(user=user)
        .select_related("period__premise__tdu", "period__rep")
        .order_by("period__starts_on")
    )
    by_premise: dict[int, CustomerPremise] = {}
    for reg in registrations:
        period = reg.period
        item = by_premise.setdefault(period.premise_id, CustomerPremise(premise=period.premise))
        item.periods.append(period)
        window = period_window(period, today)
        if window is not None:
            item.windows.append(window)
        if period.ends_on is None or period.ends_on > today:
            item.is_current = True
    return sorted(by_premise.values(), key=lambda cp: (not cp.is_current, cp.premise.esiid))
