"""Query parameters of the API, parsed strictly: a bad value is a 400 naming the parameter."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from api.problems import invalid_parameter

GRANULARITIES = ("15min", "hour", "day", "month", "billing")
FORMATS = ("json", "csv", "xml")
MAX_RANGE_DAYS = 3 * 366
#: the dates the API speaks of: far enough back and ahead for any meter, near enough that every date and
#: time computed from them (a day after, a UTC offset away) stays a valid date
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2199, 12, 31)


def check_date(name: str, value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise invalid_parameter(
            name,
            _("%(name)s must lie between %(min)s and %(max)s.")
            % {"name": name, "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
        )
    return value


def parse_date(request, name: str, *, required: bool = True) -> date | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid_parameter(
                name, _("Give %(name)s as a local date YYYY-MM-DD (inclusive).") % {"name": name}
            )
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise invalid_parameter(
            name,
            _("%(name)s=%(raw)s is not a date; use YYYY-MM-DD, e.g. 2025-07-01.")
            % {"name": name, "raw": repr(raw)},
        ) from None
    return check_date(name, value)


def parse_range(request, *, required: bool = True) -> tuple[date | None, date | None]:
    start = parse_date(request, "start", required=required)
    end = parse_date(request, "end", required=required)
    if start and end:
        if end < start:
            raise invalid_parameter(
                "end",
                _("end (%(end)s) is before start (%(start)s); both are inclusive.")
                % {"end": end.isoformat(), "start": start.isoformat()},
            )
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise invalid_parameter(
                "end", _("Ask for at most %(days)d days in one request.") % {"days": MAX_RANGE_DAYS}
            )
    return start, end


def parse_granularity(request, default: str = "15min") -> str:
    raw = request.query_params.get("granularity") or default
    if raw not in GRANULARITIES:
        raise invalid_parameter(
            "granularity",
            _("granularity=%(raw)s is not supported; use one of: %(choices)s.")
            % {"raw": repr(raw), "choices": ", ".join(GRANULARITIES)},
        )
    return raw


def parse_datetime_param(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+"))
    except ValueError:  # well formed but not a time (month 13, an offset of 99 hours)
        value = None
    if value is None:
        try:
            d = date.fromisoformat(raw)
            # midnight of the date in the current zone (what make_aware below would give)
            value = datetime(d.year, d.month, d.day, tzinfo=timezone.get_current_timezone())
        except ValueError:
            value = None
    if value is None:
        raise invalid_parameter(
            name,
            _("%(name)s=%(raw)s is not a time; use ISO 8601, e.g. 2025-07-01T00:00:00Z.")
            % {"name": name, "raw": repr(raw)},
        )
    check_date(name, value.date())
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value


def parse_int(request, name: str, *, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_parameter(
            name, _("%(name)s=%(raw)s is not a whole number.") % {"name": name, "raw": repr(raw)}
        ) from None
    if not lo <= value <= hi:
        raise invalid_parameter(
            name, _("%(name)s must be between %(lo)d and %(hi)d.") % {"name": name, "lo": lo, "hi": hi}
        )
    return value
