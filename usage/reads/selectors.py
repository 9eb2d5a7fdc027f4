"""Django-facing reads of interval data: one storage query, then pure numpy (usage.reads.aggregate).

Every function takes a premise and a local inclusive date range and returns plain data structures the
writers (usage.writers) and the pages render. No access rules here: callers decide who may read what.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from usage import storage
from usage.models import BillingPeriod, Channel, Premise
from usage.reads.aggregate import GRANULARITIES, BilledPeriod, Reads, build_reads, day_range, lay_on_grid
from usage.reads.summary import summarize


def _epoch(value: datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def billed_periods_for(*, premise: Premise, start: date, end: date) -> list[BilledPeriod]:
    """Billing periods as the TDU reported them that lie wholly inside ``start``..``end``, oldest first.

    A period the TDU reported as "NA" has ``wh=None`` (missing, not zero)."""
    rows = (
        BillingPeriod.objects.filter(premise=premise, start_date__gte=start, end_date__lte=end)
        .order_by("start_date")
        .values_list("start_date", "end_date", "wh", "estimated", "revised_at")
    )
    return [
        BilledPeriod(start_date=a, end_date=b, wh=wh, estimated=est, revised_at=_epoch(rev))
        for a, b, wh, est, rev in rows
    ]


def data_stamp(*, premise: Premise, start: date, end: date, billing: bool) -> tuple[int, str]:
    """(last modified, Unix seconds; a digest) of what a read of ``start``..``end`` returns, from revision
    times and row counts alone (no value decoded): a conditional request's validators. ``billing``: the
    billing periods count too (XML and the billing granularity show them)."""
    latest, stored = storage.revision_stamp(premise_id=premise.pk, start=start, end=end)
    parts: list[object] = [premise.pk, latest, stored]
    if billing:
        revs = list(
            BillingPeriod.objects.filter(premise=premise, start_date__gte=start, end_date__lte=end)
            .order_by("start_date")
            .values_list("revised_at", flat=True)
        )
        latest = max([latest, *(_epoch(r) or 0 for r in revs)])
        parts += [latest, len(revs), *(_epoch(r) for r in revs)]
    return latest, "-".join(str(p) for p in parts)


def intervals_for(
    *,
    premise: Premise,
    start: date,
    end: date,
    granularity: str,
    with_billing: bool = True,
    with_revisions: bool = False,
) -> Reads:
    """Both channels of ``premise`` over ``start``..``end`` at ``granularity`` (15min, hour, day, month,
    billing), with quality, in one storage query plus one for billing periods.

    ``billing`` gives the TDU's billing periods that lie wholly inside the range; ``Reads.billed`` holds
    those periods (Green Button writes a UsageSummary for each). ``with_billing=False`` skips that query
    when neither is needed (granularity other than billing, no XML) and leaves ``billed`` empty.
    ``with_revisions`` brings each interval's stored revision time (the 15-minute CSV prints it)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    if end < start:
        raise ValueError("end before start")
    channels = storage.read_channels(premise_id=premise.pk, start=start, end=end, revisions=with_revisions)
    with_billing = with_billing or granularity == "billing"
    billed = billed_periods_for(premise=premise, start=start, end=end) if with_billing else []
    return build_reads(
        esiid=premise.esiid,
        start=start,
        end=end,
        granularity=granularity,
        consumption=channels.get(int(Channel.CONSUMPTION)),
        generation=channels.get(int(Channel.GENERATION)),
        billed=billed,
    )


def summary_for(*, premise: Premise, start: date, end: date, previous: bool = True) -> dict:
    """The summary of ``start``..``end`` (usage.reads.summary) and, under ``"previous"``, the same for the
    equal period just before it - both from one storage query."""
    n = (end - start).days + 1
    if n <= 0:
        raise ValueError("end before start")
    prev_start = start - timedelta(days=n)
    channels = storage.read_channels(premise_id=premise.pk, start=prev_start if previous else start, end=end)
    cons = channels.get(int(Channel.CONSUMPTION))
    gen = channels.get(int(Channel.GENERATION))
    rng = day_range(start, end)
    out = summarize(rng, lay_on_grid(rng, cons), lay_on_grid(rng, gen))
    if previous:
        prng = day_range(prev_start, start - timedelta(days=1))
        out["previous"] = summarize(prng, lay_on_grid(prng, cons), lay_on_grid(prng, gen))
    return out
