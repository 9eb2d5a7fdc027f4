"""One clock format site-wide: 24-hour local (market) time with its zone, "Dec 6, 2026, 14:03 CST".

Charts label intervals "00:15–00:30 CDT"; every other time on the site reads the same way, through these
functions in Python and the ``clock`` template filters (``portal/templatetags/clock.py``) in templates."""

from __future__ import annotations

from datetime import datetime

from django.utils import dateformat, timezone
from django.utils.translation import pgettext


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt) if timezone.is_aware(dt) else dt


def clock(dt: datetime, *, seconds: bool = False) -> str:
    """ "14:03 CST" (or "14:03:27 CST")."""
    local = _local(dt)
    return f"{local:%H:%M:%S %Z}" if seconds else f"{local:%H:%M %Z}"


def when(dt: datetime, *, year: bool = True, seconds: bool = False) -> str:
    """ "Dec 6, 2026, 14:03 CST"; without the year "Dec 6, 14:03 CST" (in Spanish "6 dic 2026, 14:03 CST")."""
    local = _local(dt)
    pattern = pgettext("date format", "M j, Y") if year else pgettext("date format", "M j")
    return f"{dateformat.format(local, pattern)}, {clock(local, seconds=seconds)}"
