"""Dates for tests that are relative to today: the DST days are computed, never written down.

Tests either fix every date (and pass ``today=`` explicitly) or take every date from today; these helpers give
the second kind the daylight-saving days they need, wherever the (possibly shifted) clock stands.
"""

from __future__ import annotations

from datetime import date, timedelta

from usage import timegrid

FALL_BACK_SLOTS = 100
SPRING_FORWARD_SLOTS = 92


def _last_day_with(slots: int, *, on_or_before: date, not_before: date) -> date:
    day = on_or_before
    while day >= not_before:
        if timegrid.slots_in_day(day) == slots:
            return day
        day -= timedelta(days=1)
    raise LookupError(f"no {slots}-interval day between {not_before} and {on_or_before}")


def last_fall_back(*, on_or_before: date, not_before: date) -> date:
    """The most recent fall-back day (100 intervals) in ``[not_before, on_or_before]``."""
    return _last_day_with(FALL_BACK_SLOTS, on_or_before=on_or_before, not_before=not_before)


def last_spring_forward(*, on_or_before: date, not_before: date) -> date:
    """The most recent spring-forward day (92 intervals) in ``[not_before, on_or_before]``."""
    return _last_day_with(SPRING_FORWARD_SLOTS, on_or_before=on_or_before, not_before=not_before)


def ordinary_day(*, on_or_before: date) -> date:
    """The latest day of 96 intervals on or before ``on_or_before``."""
    return _last_day_with(
        timegrid.NORMAL_SLOTS, on_or_before=on_or_before, not_before=on_or_before - timedelta(days=3)
    )


def short_date(day: date) -> str:
    """A date as the pages print it with Django's ``M j, Y``: ``May 31, 2025``."""
    return f"{day:%b} {day.day}, {day.year}"


def long_date(day: date) -> str:
    """A date as messages spell it: ``June 1, 2025``."""
    return f"{day:%B} {day.day}, {day.year}"
