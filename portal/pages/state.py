"""The usage page's state, held in the URL: granularity, range (a preset or custom dates) and window.

Parsing never raises: a bad or out-of-reach date becomes an explained message and the nearest range the
customer may see. Pure apart from settings: testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from portal.access_window import months_before, window_start

GRANULARITIES = ("15min", "hour", "day", "month", "billing")
GRANULARITY_LABELS = {
    "15min": gettext_lazy("15 minutes"),
    "hour": gettext_lazy("Hourly"),
    "day": gettext_lazy("Daily"),
    "month": gettext_lazy("Monthly"),
    "billing": gettext_lazy("Billing periods"),
}
PRESETS = ("yesterday", "7d", "month", "12m", "window")
PRESET_LABELS = {
    "yesterday": gettext_lazy("Yesterday"),
    "7d": gettext_lazy("Last 7 days"),
    "month": gettext_lazy("This month"),
    "12m": gettext_lazy("Last 12 months"),
    "window": gettext_lazy("Whole window"),
}
NATURAL_GRANULARITY = {"yesterday": "15min", "7d": "hour", "month": "day", "12m": "month", "window": "month"}
DEFAULT_PRESET = "7d"
# The most days one granularity shows on screen (downloads have no such limit).
SCREEN_MAX_DAYS = {"15min": 62, "hour": 190}


@dataclass(frozen=True)
class Window:
    """One access window (inclusive local dates) and why it starts and ends where it does."""

    start: date
    end: date
    start_reason: str
    end_reason: str
    moved_out_on: date | None = None  # the move-out date (the day after ``end``) of a former occupant

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class UsageState:
    granularity: str
    preset: str | None
    start: date
    end: date
    window: Window
    window_index: int
    multi_window: bool = False
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    requested_granularity: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def params(self, **changes) -> dict:
        p: dict = {"granularity": self.granularity}
        if self.multi_window:
            p["period"] = self.window_index
        preset = changes.pop("preset", self.preset)
        if preset:
            p["preset"] = preset
        else:
            p["start"] = changes.pop("start", self.start).isoformat()
            p["end"] = changes.pop("end", self.end).isoformat()
        p.update({k: v for k, v in changes.items() if v is not None})
        return p

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    def range_query(self) -> str:
        """The explicit range (what downloads and bookmarks of "exactly this" use)."""
        return urlencode(
            {"granularity": self.granularity, "start": self.start.isoformat(), "end": self.end.isoformat()}
        )


def explain_window(
    start: date, end: date, *, period_start: date | None, period_end: date | None, today: date
):
    """A Window with the reasons for its edges, in words a customer understands."""
    months = settings.ACCESS_WINDOW_MONTHS
    if period_start is not None and start == period_start and start != window_start(today):
        start_reason = _(
            "your service at this address began on %(day)s (move-in); earlier data belongs to the previous occupant"
        ) % {"day": _d(start)}
    else:
        start_reason = _(
            "data is kept available for %(months)d months, so %(day)s is the earliest date anyone can see today"
        ) % {"months": months, "day": _d(start)}
    if end >= today:
        end_reason = _(
            "today is the latest date; each day's readings arrive from the utility the next morning"
        )
    elif period_end is not None:
        end_reason = _(
            "your service at this address ended on %(day)s (move-out); later data belongs to the next occupant"
        ) % {"day": _d(end + timedelta(days=1))}
    else:
        end_reason = _("%(day)s is the end of your access") % {"day": _d(end)}
    moved_out_on = end + timedelta(days=1) if end < today and period_end is not None else None
    return Window(
        start=start, end=end, start_reason=start_reason, end_reason=end_reason, moved_out_on=moved_out_on
    )


def _d(day: date) -> str:
    """ "Jul 1, 2025" (Spanish "1 jul 2025")."""
    return date_format(day, pgettext("date format", "M j, Y"))


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def preset_range(preset: str, window: Window, today: date) -> tuple[date, date] | None:
    """The dates of a preset inside ``window``, or None when it does not meet the window at all."""
    yesterday = today - timedelta(days=1)
    last = max(window.start, min(window.end, yesterday))
    if preset == "yesterday":
        lo = hi = yesterday
    elif preset == "7d":
        lo, hi = last - timedelta(days=6), last
    elif preset == "month":
        hi = min(window.end, today)
        lo = hi.replace(day=1)
    elif preset == "12m":
        lo, hi = months_before(last, 12) + timedelta(days=1), last
    elif preset == "window":
        lo, hi = window.start, window.end
    else:
        return None
    lo, hi = max(lo, window.start), min(hi, window.end)
    return (lo, hi) if lo <= hi else None


def preset_unavailable_reason(preset: str, window: Window, today: date) -> str | None:
    if preset_range(preset, window, today) is not None:
        return None
    if preset == "yesterday":
        if today - timedelta(days=1) < window.start:
            return _("Yesterday is before your access begins: %(reason)s.") % {"reason": window.start_reason}
        return _("Yesterday is after your access ends: %(reason)s.") % {"reason": window.end_reason}
    return _("Not within your access window.")


def parse_state(params, windows: list[Window], today: date) -> UsageState:
    """The page state from the query string; every problem becomes a message, never an exception."""
    errors: list[str] = []
    notices: list[str] = []
    start_raw, end_raw = params.get("start"), params.get("end")
    req_start, req_end = _parse_date(start_raw), _parse_date(end_raw)
    index = _window_index(params.get("period"), req_start, req_end, windows)
    window = windows[index]
    granularity = _offered_granularity(params.get("granularity"), errors)
    if start_raw is not None or end_raw is not None:
        start, end, preset = _custom_range(req_start, req_end, window, today, errors)
    else:
        start, end, preset = _preset_choice(params.get("preset"), window, today, errors)
    if granularity is None:
        granularity = _natural_granularity(preset, start, end)
    granularity_for_screen = _screen_granularity(granularity, (end - start).days + 1, notices)
    state = UsageState(
        granularity=granularity_for_screen,
        preset=preset,
        start=start,
        end=end,
        window=window,
        window_index=index,
        multi_window=len(windows) > 1,
        errors=errors,
        notices=notices,
        requested_granularity=granularity if granularity != granularity_for_screen else None,
    )
    return state


def _window_index(raw_period, req_start: date | None, req_end: date | None, windows: list[Window]) -> int:
    """Which window (service period): explicit ?period=i, else the one holding the requested end (or start),
    else the latest."""
    index = len(windows) - 1
    if raw_period is not None and str(raw_period).isdigit() and int(raw_period) < len(windows):
        index = int(raw_period)
    elif req_end is not None:
        for i, w in enumerate(windows):
            if req_end in w or (req_start is not None and req_start in w):
                index = i
    return index


def _offered_granularity(granularity: str | None, errors: list[str]) -> str | None:
    """The requested granularity, or None (with an error) when it is not one we offer."""
    if granularity is not None and granularity not in GRANULARITIES:
        errors.append(
            _(
                "“%(granularity)s” is not a granularity we offer; choose 15 minutes, hourly, daily, monthly "
                "or billing periods."
            )
            % {"granularity": granularity[:20]}
        )
        return None
    return granularity


def _custom_range(
    req_start: date | None, req_end: date | None, window: Window, today: date, errors: list[str]
) -> tuple[date, date, str | None]:
    """(start, end, preset) of explicit ?start=&end= dates: a missing date falls back to the default preset,
    reversed dates are swapped, and the range is clipped to the window (each with an error)."""
    start, end = req_start, req_end
    if start is None or end is None:
        errors.append(
            _("The start date is missing or not a date; use the form YYYY-MM-DD.")
            if start is None
            else _("The end date is missing or not a date; use the form YYYY-MM-DD.")
        )
        start, end = preset_range(DEFAULT_PRESET, window, today) or (window.start, window.end)
        return start, end, DEFAULT_PRESET
    if end < start:
        errors.append(
            _("The end date (%(end)s) is before the start date (%(start)s).")
            % {"end": _d(end), "start": _d(start)}
        )
        start, end = end, start
    if end < window.start or start > window.end:
        # Wholly out of reach: the same number of days, moved to the nearest dates in reach.
        length = timedelta(days=(end - start).days)
        if end < window.start:
            near_start, near_end = window.start, min(window.start + length, window.end)
            reason = window.start_reason
        else:
            near_start, near_end = max(window.end - length, window.start), window.end
            reason = window.end_reason
        errors.append(
            _(
                "%(start)s – %(end)s is wholly out of reach (%(reason)s); showing the nearest dates in reach "
                "instead, %(near_start)s – %(near_end)s."
            )
            % {
                "start": _d(start),
                "end": _d(end),
                "reason": reason,
                "near_start": _d(near_start),
                "near_end": _d(near_end),
            }
        )
        return near_start, near_end, None
    if start < window.start:
        errors.append(
            _("Data before %(day)s is out of reach: %(reason)s.")
            % {"day": _d(window.start), "reason": window.start_reason}
        )
        start = window.start
    if end > window.end:
        errors.append(
            _("Data after %(day)s is out of reach: %(reason)s.")
            % {"day": _d(window.end), "reason": window.end_reason}
        )
        end = window.end
    return start, end, None


def _preset_choice(
    preset: str | None, window: Window, today: date, errors: list[str]
) -> tuple[date, date, str]:
    """(start, end, preset) of a range preset: an unknown one becomes the default, one that does not meet
    the window becomes the whole window (each with an error)."""
    if preset is not None and preset not in PRESETS:
        errors.append(_("That range preset is unknown; showing the last 7 days."))
        preset = None
    preset = preset or DEFAULT_PRESET
    rng = preset_range(preset, window, today)
    if rng is None:
        errors.append(preset_unavailable_reason(preset, window, today) or _("That range is unavailable."))
        preset = "window"
        rng = (window.start, window.end)
    return rng[0], rng[1], preset


def _natural_granularity(preset: str | None, start: date, end: date) -> str:
    """The granularity a preset (or, for custom dates, the range's length) calls for."""
    granularity = NATURAL_GRANULARITY.get(preset or "", "day")
    if preset is None:
        days = (end - start).days + 1
        granularity = "15min" if days <= 2 else "hour" if days <= 14 else "day" if days <= 92 else "month"
    return granularity


def _screen_granularity(granularity: str, days: int, notices: list[str]) -> str:
    """The granularity the chart shows: a coarser one (with a notice) when the range is too long for it."""
    limit = SCREEN_MAX_DAYS.get(granularity)
    if limit is not None and days > limit:
        coarser = "hour" if granularity == "15min" and days <= SCREEN_MAX_DAYS["hour"] else "day"
        notices.append(
            _(
                "The chart shows %(granularity)s data for up to %(limit)d days at a time; this range has %(days)d, "
                "so it is shown %(coarser)s. The downloads below still give %(granularity)s data for the whole range."
            )
            % {
                "granularity": str(GRANULARITY_LABELS[granularity]).lower(),
                "limit": limit,
                "days": days,
                "coarser": str(GRANULARITY_LABELS[coarser]).lower(),
            }
        )
        return coarser
    return granularity
