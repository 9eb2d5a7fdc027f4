"""``{{ dt|when }}`` "Dec 6, 2026, 14:03 CST", ``{{ dt|when:"short" }}`` without the year, ``{{ dt|when:"seconds" }}``
with seconds, ``{{ dt|clock }}`` "14:03 CST": the site's one clock format (``portal/timefmt.py``)."""

from __future__ import annotations

from datetime import datetime

from django import template

from portal import timefmt

register = template.Library()


@register.filter
def when(value: datetime | None, options: str = "") -> str:
    if not value:
        return ""
    opts = options.split(",")
    return timefmt.when(value, year="short" not in opts, seconds="seconds" in opts)


@register.filter
def clock(value: datetime | None, options: str = "") -> str:
    if not value:
        return ""
    return timefmt.clock(value, seconds="seconds" in options)
