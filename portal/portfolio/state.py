"""The portfolio's range and granularity from the URL: last 13 months daily unless asked otherwise, kept
inside the account's windows; a date that cannot be read is an error the page explains (400)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from portal.access_window import DateRange, months_before
from portal.portfolio.selectors import GRANULARITIES

DEFAULT_MONTHS = 13
DOWNLOAD_GRANULARITIES = ("15min", "hour", "day", "month")


@dataclass
class PortfolioRange:
    start: date
    end: date
    granularity: str
    earliest: date
    latest: date
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _date(params: Any, name: str, errors: list[str]) -> date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(
            _("The %(name)s date “%(text)s” is not a date: use YYYY-MM-DD.")
            % {"name": name, "text": text[:20]}
        )
        return None


def portfolio_range(
    params: Any, *, windows: list[DateRange], today: date, granularities: tuple[str, ...] = GRANULARITIES
) -> PortfolioRange:
    earliest = min(w.start for w in windows)
    latest = min(max(w.end for w in windows), today - timedelta(days=1))
    latest = max(latest, earliest)
    errors: list[str] = []
    notices: list[str] = []
    granularity = params.get("granularity") or "day"
    if granularity not in granularities:
        errors.append(_("Choose one of: %(choices)s.") % {"choices": ", ".join(granularities)})
        granularity = "day"
    end = _date(params, "end", errors) or latest
    start = _date(params, "start", errors) or max(
        earliest, months_before(end, DEFAULT_MONTHS) + timedelta(days=1)
    )
    if start > end:
        errors.append(_("The start date is after the end date."))
        start = end
    if start < earliest or end > latest:
        notices.append(
            _(
                "Your premises have data you may see from %(earliest)s to %(latest)s; the range was kept inside."
            )
            % {"earliest": earliest.isoformat(), "latest": latest.isoformat()}
        )
        start, end = max(start, earliest), min(end, latest)
        start = min(start, end)
    return PortfolioRange(
        start=start,
        end=end,
        granularity=granularity,
        earliest=earliest,
        latest=latest,
        errors=errors,
        notices=notices,
    )
