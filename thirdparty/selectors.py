"""Reads of the third-party side for pages: a customer's agreements and access log, an organization's lists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from portal.access_window import customer_premises
from thirdparty.models import AccessLogEntry, Agreement


def agreements_of_customer(*, user):
    last_read = (
        AccessLogEntry.objects.filter(agreement=OuterRef("pk"))
        .order_by()
        .values("agreement")
        .annotate(last=Max("at"))
        .values("last")
    )
    return (
        Agreement.objects.filter(customer=user)
        .select_related("organization", "application", "status_changed_by")
        .prefetch_related("premises__premise", "premises__service_period")
        .annotate(last_read_at=Subquery(last_read))
        .order_by("-created_at")
    )


def access_log_of_customer(
    *,
    user,
    esiid: str = "",
    organization_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
):
    """Every read of this customer's data by someone else: reads under their agreements, and reads (by a REP
    or anyone) of their premises that touch dates inside their own occupancy. Newest first."""
    visible = Q(agreement__customer=user)
    for item in customer_premises(user=user):
        for window in item.windows:
            overlaps = Q(range_start__lte=window.end, range_end__gte=window.start)
            undated = Q(range_start__isnull=True) & Q(
                at__date__gte=window.start, at__date__lte=window.end + timedelta(days=1)
            )
            visible |= Q(premise=item.premise) & (overlaps | undated)
    qs = AccessLogEntry.objects.filter(visible).select_related(
        "premise", "organization", "application", "api_key", "agreement"
    )
    if esiid:
        qs = qs.filter(premise__esiid=esiid)
    if organization_id:
        qs = qs.filter(organization_id=organization_id)
    tz = timezone.get_default_timezone()
    if since:
        qs = qs.filter(at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until:
        qs = qs.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz))
    return qs.order_by("-at")


def customer_initials(user) -> str:
    names = [n for n in (user.first_name, user.last_name) if n]
    if not names:
        names = [user.get_username()]
    return "".join(n[0].upper() + "." for n in names)
