"""The dashboard: every premise of the account with its address, REP, latest data and recent usage.

Queries: the account's registrations (one), billing periods of all its premises (one), the latest stored
day of all its premises (one), then one storage read per premise for the current billing period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Max

from portal.access_window import customer_premises, market_today
from portal.bills.models import BillPlan
from portal.bills.services import BillToDate, bill_to_date
from usage import storage
from usage.models import BillingPeriod, Channel, IntervalDay
from usage.reads.aggregate import day_range, lay_on_grid


@dataclass
class PremiseCard:
    premise: object
    is_current: bool
    rep_name: str  # the brand the customer knows
    rep_legal_name: str
    window_start: date
    window_end: date
    moved_out_on: date | None
    latest_day: date | None = None
    yesterday_kwh: float | None = None
    yesterday_estimated: bool = False
    day: date | None = None  # the day of ``yesterday_kwh``: yesterday, or the latest day with data
    yesterday: date | None = None
    cycle_start: date | None = None
    cycle_end: date | None = None
    cycle_kwh: float | None = None
    cycle_is_billing: bool = False
    generation_cycle_kwh: float | None = None
    notes: list[str] = field(default_factory=list)
    bill: BillToDate | None = None  # with a plan: the current cycle's bill so far and its projection

    @property
    def esiid(self) -> str:
        return self.premise.esiid


def dashboard_cards(*, user, today: date | None = None) -> list[PremiseCard]:
    today = today or market_today()
    yesterday = today - timedelta(days=1)
    cards: list[PremiseCard] = []
    items = [cp for cp in customer_premises(user=user, today=today) if cp.windows]
    if not items:
        return cards
    ids = [cp.premise.pk for cp in items]
    last_billed: dict[int, date] = {}
    for pid, end in (
        BillingPeriod.objects.filter(
            premise_id__in=ids, end_date__lte=yesterday, end_date__gte=today - timedelta(days=75)
        )
        .values_list("premise_id", "end_date")
        .order_by("premise_id", "end_date")
    ):
        last_billed[pid] = end
    latest = dict(
        IntervalDay.objects.filter(premise_id__in=ids, channel=int(Channel.CONSUMPTION))
        .values("premise_id")
        .annotate(last=Max("day"))
        .values_list("premise_id", "last")
    )
    plans = {
        p.period_id: p
        for p in BillPlan.objects.filter(period__in=[cp.latest_period for cp in items if cp.is_current])
    }
    for cp in items:
        window = cp.windows[-1]
        period = cp.latest_period
        card = PremiseCard(
            premise=cp.premise,
            is_current=cp.is_current,
            rep_name=period.rep.display_name,
            rep_legal_name=period.rep.legal_name,
            window_start=window.start,
            window_end=window.end,
            moved_out_on=cp.moved_out_on,
            yesterday=yesterday,
        )
        last = latest.get(cp.premise.pk)
        card.latest_day = min(last, window.end) if last else None
        # The current billing period: from the day after the last billed period (else the 1st of the month).
        ref = min(window.end, yesterday)
        if cp.premise.pk in last_billed and cp.is_current:
            start = last_billed[cp.premise.pk] + timedelta(days=1)
            card.cycle_is_billing = True
        else:
            start = ref.replace(day=1)
        start = max(start, window.start)
        if start <= ref:
            card.cycle_start, card.cycle_end = start, ref
            channels = storage.read_channels(premise_id=cp.premise.pk, start=start, end=ref)
            rng = day_range(start, ref)
            cons = lay_on_grid(rng, channels.get(int(Channel.CONSUMPTION)))
            gen = lay_on_grid(rng, channels.get(int(Channel.GENERATION)))
            if cons.has_data:
                card.cycle_kwh = int(cons.values_wh[~cons.missing].sum()) / 1000
            if gen.has_data:
                card.generation_cycle_kwh = int(gen.values_wh[~gen.missing].sum()) / 1000
            if cp.is_current and cons.has_data:
                # The latest day with data in this period: yesterday, unless the utility has not sent it yet.
                per_day = np.add.reduceat(~cons.missing, rng.offsets[:-1])
                i = int(np.flatnonzero(per_day)[-1])
                a, b = int(rng.offsets[i]), int(rng.offsets[i + 1])
                present = ~cons.missing[a:b]
                card.day = rng.day(i)
                card.yesterday_kwh = int(cons.values_wh[a:b][present].sum()) / 1000
                card.yesterday_estimated = bool(cons.estimated[a:b].any())
        plan = plans.get(period.pk)
        if plan is not None:
            card.bill = bill_to_date(premise=cp.premise, plan=plan, today=today, window_start=window.start)
        cards.append(card)
    return cards
