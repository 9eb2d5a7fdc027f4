"""The customer's own access to a premise's pages: the one rule of portal.access_window, and a helpful 404."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render

from portal.access_window import customer_windows, market_today, window_start
from portal.pages.state import Window, explain_window
from usage.esiid import esiid_normalize
from usage.models import Premise


class NoAccess(Exception):
    """Not this customer's premise (or no such premise): answered with a 404 that says what to do."""


def premise_for_customer(request, esiid: str):
    """(premise, [Window, ...], today) for a premise the signed-in customer registered; raises NoAccess."""
    try:
        normalized = esiid_normalize(esiid)
    except Exception as exc:  # a malformed ESI ID in a URL is simply not one of theirs
        raise NoAccess from exc
    premise = Premise.objects.select_related("tdu").filter(esiid=normalized).first()
    if premise is None:
        raise NoAccess
    today = market_today()
    ranges = customer_windows(user=request.user, premise=premise, today=today)
    if not ranges:
        raise NoAccess
    # Why each edge is where it is, from the rule itself: the window floor, today, or the occupancy.
    floor = window_start(today)
    windows = [
        explain_window(
            r.start,
            r.end,
            period_start=None if r.start == floor else r.start,
            period_end=None if r.end >= today else r.end + timedelta(days=1),
            today=today,
        )
        for r in ranges
    ]
    return premise, windows, today


def no_access_response(request, esiid: str):
    return render(request, "portal/usage_not_found.html", {"esiid": esiid[:30]}, status=404)


__all__ = ["NoAccess", "Window", "no_access_response", "premise_for_customer"]
