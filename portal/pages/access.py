"""The customer's own access to a premise's pages: the one rule of portal.access_window, and a helpful 404."""

from __future__ import annotations

from django.shortcuts import render

from portal.access_window import customer_windows, market_today
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
    periods = list(
        premise.service_periods.filter(registrations__user=request.user).order_by("starts_on").distinct()
    )
    windows = []
    for r in ranges:
        period = next(
            (p for p in periods if p.starts_on <= r.end and (p.ends_on is None or r.start < p.ends_on)), None
        )
        windows.append(
            explain_window(
                r.start,
                r.end,
                period_start=period.starts_on if period else None,
                period_end=period.ends_on if period else None,
                today=today,
            )
        )
    return premise, windows, today


def no_access_response(request, esiid: str):
    return render(request, "portal/usage_not_found.html", {"esiid": esiid[:30]}, status=404)


__all__ = ["NoAccess", "Window", "no_access_response", "premise_for_customer"]
