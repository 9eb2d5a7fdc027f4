"""The API's window onto the data engine: the same functions the portal and ``export_intervals`` call.

``intervals_export`` is the one export function of ``usage.writers.export`` (same request, same bytes);
the summary and billing selectors come from ``usage.reads``. Nothing here knows about callers or access.
"""

from __future__ import annotations

from datetime import date

from api.problems import invalid_parameter
from usage.models import BillingPeriod, Premise
from usage.reads.selectors import summary_for
from usage.writers.export import ExportError, export_intervals


def intervals_export(*, premise: Premise, start: date, end: date, granularity: str, fmt: str):
    """(body bytes, content type, file name) exactly as every other path produces them.

    A request the writers refuse becomes a 400 naming the parameter."""
    try:
        result = export_intervals(premise=premise, start=start, end=end, granularity=granularity, fmt=fmt)
    except ExportError as exc:
        raise invalid_parameter(exc.param, str(exc)) from None
    return result.body, result.content_type, result.filename


def billing_periods(*, premise: Premise, start: date, end: date) -> list[dict]:
    """Billing periods that lie wholly inside ``start``..``end``, oldest first."""
    rows = BillingPeriod.objects.filter(premise=premise, start_date__gte=start, end_date__lte=end).order_by(
        "start_date"
    )
    return [
        {
            "start_date": r.start_date.isoformat(),
            "end_date": r.end_date.isoformat(),
            "kwh": None if r.wh is None else r.wh / 1000,
            "estimated": r.estimated,
            "revised_at": r.revised_at.isoformat(),
        }
        for r in rows.only("start_date", "end_date", "wh", "estimated", "revised_at")
    ]


def usage_summary(*, premise: Premise, start: date, end: date) -> dict:
    """The summary of a range (usage.reads.selectors.summary_for) - without the previous period, which
    may lie outside the caller's window."""
    return summary_for(premise=premise, start=start, end=end, previous=False)
