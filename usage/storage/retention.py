"""Retention: interval data and billing periods older than INTERVAL_RETENTION_YEARS go."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction

from usage.models import BillingPeriod, IntervalDay, IntervalMonth
from usage.storage.days import month_start
from usage.timegrid import local_today


def retention_cutoff(today: date | None = None) -> date:
    """The first local date still kept: ``INTERVAL_RETENTION_YEARS`` (default 7) before today."""
    today = today or local_today()
    years = int(getattr(settings, "INTERVAL_RETENTION_YEARS", 7))
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def purge_expired(*, today: date | None = None) -> dict:
    """Delete interval data older than the retention period. A month block is deleted once all of its
    month is older (so up to a month more than the period may be kept); billing periods that ended
    before the cutoff go too."""
    cutoff = retention_cutoff(today)
    with transaction.atomic():
        days, _ = IntervalDay.objects.filter(day__lt=cutoff).delete()
        months, _ = IntervalMonth.objects.filter(month__lt=month_start(cutoff)).delete()
        billing, _ = BillingPeriod.objects.filter(end_date__lt=cutoff).delete()
    return {"cutoff": cutoff.isoformat(), "days": days, "months": months, "billing_periods": billing}
