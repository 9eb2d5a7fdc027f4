"""Alert rules: save a resident's settings, decide which alerts a loaded file or a completed read calls for,
and send each one once (an ``AlertSent`` row claimed in the same transaction as the e-mail's enqueue).

Only days inside the subscriber's own access window count (a former occupant hears nothing of the next
one), and only recent days (ALERT_LOOKBACK_DAYS): a backfill or a revision of last spring sends nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.access_window import customer_windows, market_today
from portal.accounts.language import recipient_language
from portal.accounts.mail import absolute_url, email_enqueue, email_render, url
from portal.alerts.tokens import Unsubscribe, unsubscribe_read, unsubscribe_token
from portal.models import AlertSent, AlertSubscription, MeterReadRequest
from usage import storage
from usage.models import Channel, IngestFile, IntervalDay, Premise

log = logging.getLogger(__name__)
Kind = AlertSubscription.Kind
ALERT_LOOKBACK_DAYS = 7
THRESHOLD_MAX_KWH = Decimal("100000")
EMAIL_PREFIX = "portal/alerts/email/"


def alert_settings_save(
    *,
    user: Any,
    premise: Premise,
    threshold_kwh: Decimal | None,
    on_data_arrived: bool,
    on_read_completed: bool,
) -> AlertSubscription:
    """Store one account's alerts for one premise (the caller checked the account may see it)."""
    subscription, _created = AlertSubscription.objects.update_or_create(
        user=user,
        premise=premise,
        defaults={
            "threshold_kwh": threshold_kwh,
            "on_data_arrived": on_data_arrived,
            "on_read_completed": on_read_completed,
        },
    )
    return subscription


def alert_unsubscribe(*, token: str) -> tuple[AlertSubscription, str]:
    """Turn off the kind of alert a one-click link names. Idempotent; raises tokens.BadToken, or
    AlertSubscription.DoesNotExist when the subscription has gone."""
    wanted: Unsubscribe = unsubscribe_read(token)
    subscription = AlertSubscription.objects.select_related("premise").get(pk=wanted.subscription_id)
    if wanted.kind == Kind.THRESHOLD:
        subscription.threshold_kwh = None
    elif wanted.kind == Kind.DATA_ARRIVED:
        subscription.on_data_arrived = False
    else:
        subscription.on_read_completed = False
    subscription.save(update_fields=["threshold_kwh", "on_data_arrived", "on_read_completed", "updated_at"])
    return subscription, wanted.kind


@dataclass(frozen=True)
class DayUse:
    day: date
    kwh: Decimal
    estimated: bool


def _wanted_q() -> Q:
    return Q(threshold_kwh__isnull=False) | Q(on_data_arrived=True)


def alerts_for_file(*, file_id: int, today: date | None = None) -> int:
    """Send the threshold and data-arrived alerts the days a loaded file changed call for. Returns how many
    e-mails were queued (0 when all were sent before: a reload, a re-delivery, a retry)."""
    report = IngestFile.objects.filter(pk=file_id).only("tdu_id").first()
    if report is None or report.tdu_id is None:
        return 0
    today = today or market_today()
    earliest = today - timedelta(days=ALERT_LOOKBACK_DAYS)
    subscriptions = list(
        AlertSubscription.objects.filter(_wanted_q(), premise__tdu_id=report.tdu_id, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "premise")
    )
    if not subscriptions:
        return 0
    touched = _days_changed(
        file_id=file_id,
        premise_ids=sorted({s.premise_id for s in subscriptions}),
        start=earliest,
        before=today,
    )
    uses: dict[int, list[DayUse]] = {}
    queued = 0
    for subscription in subscriptions:
        days = touched.get(subscription.premise_id)
        if not days:
            continue
        if subscription.premise_id not in uses:
            found = daily_use(premise_id=subscription.premise_id, start=min(days), end=max(days))
            uses[subscription.premise_id] = [u for u in found if u.day in days]
        windows = customer_windows(user=subscription.user, premise=subscription.premise, today=today)
        for use in uses[subscription.premise_id]:
            if not any(use.day in w for w in windows):
                continue
            threshold = subscription.threshold_kwh
            if threshold is not None and use.kwh > threshold:
                queued += _send_day_alert(subscription, Kind.THRESHOLD, use, threshold=threshold)
            if subscription.on_data_arrived and use.day == today - timedelta(days=1):
                queued += _send_day_alert(subscription, Kind.DATA_ARRIVED, use)
    return queued


def _days_changed(*, file_id: int, premise_ids: list[int], start: date, before: date) -> dict[int, set[date]]:
    """Premise id -> the consumption days the file wrote, from ``start`` to the day before ``before``; the
    lookup walks the interval key for the subscribed premises only."""
    touched: dict[int, set[date]] = {}
    for i in range(0, len(premise_ids), 2000):
        rows = IntervalDay.objects.filter(
            premise_id__in=premise_ids[i : i + 2000],
            channel=int(Channel.CONSUMPTION),
            day__gte=start,
            day__lt=before,
            source_file_id=file_id,
        ).values_list("premise_id", "day")
        for premise_id, day in rows:
            touched.setdefault(premise_id, set()).add(day)
    return touched


def daily_use(*, premise_id: int, start: date, end: date) -> list[DayUse]:
    """Consumption of each day with data in ``start``..``end`` (the sum of its delivered intervals)."""
    cons = storage.read_channel_days(
        premise_id=premise_id, channel=int(Channel.CONSUMPTION), start=start, end=end
    )
    if not len(cons.dates):
        return []
    present = np.where(cons.missing, 0, cons.values_wh)
    totals = np.add.reduceat(present, cons.offsets[:-1])
    estimated = np.logical_or.reduceat(cons.estimated & ~cons.missing, cons.offsets[:-1])
    return [
        DayUse(day=d, kwh=Decimal(int(wh)) / 1000, estimated=bool(e))
        for d, wh, e in zip(
            cons.dates.astype(object).tolist(), totals.tolist(), estimated.tolist(), strict=True
        )
    ]


def alerts_for_read(*, read_id: int) -> int:
    """E-mail the accounts that asked to hear of completed reads of this premise (inside their window)."""
    read = (
        MeterReadRequest.objects.select_related("premise")
        .filter(pk=read_id, status=MeterReadRequest.Status.COMPLETED)
        .first()
    )
    if read is None or read.read_at is None:
        return 0
    today = market_today()
    queued = 0
    subscriptions = (
        AlertSubscription.objects.filter(
            premise_id=read.premise_id, on_read_completed=True, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user", "premise")
    )
    for subscription in subscriptions:
        if not customer_windows(user=subscription.user, premise=read.premise, today=today):
            continue
        with transaction.atomic():
            if not _claim(subscription, Kind.READ_COMPLETED, read=read):
                continue
            email_enqueue(
                _render(
                    subscription,
                    Kind.READ_COMPLETED,
                    {
                        "read": read,
                        "reads_url": url("portal:reads", esiid=read.premise.esiid),
                    },
                )
            )
            queued += 1
    return queued


def _claim(
    subscription: AlertSubscription,
    kind: str,
    *,
    day: date | None = None,
    read: MeterReadRequest | None = None,
) -> bool:
    """Record the alert; False when it was recorded before (the unique constraints decide, even in a race)."""
    try:
        with transaction.atomic():
            AlertSent.objects.create(subscription=subscription, kind=kind, day=day, read=read)
    except IntegrityError:
        return False
    return True


def _send_day_alert(
    subscription: AlertSubscription, kind: str, use: DayUse, *, threshold: Decimal | None = None
) -> int:
    with transaction.atomic():
        if not _claim(subscription, kind, day=use.day):
            return 0
        usage_url = absolute_url(
            reverse("portal:usage", kwargs={"esiid": subscription.premise.esiid})
            + f"?start={use.day.isoformat()}&end={use.day.isoformat()}&granularity=hour"
        )
        context = {
            "use": use,
            "kwh": kwh_text(use.kwh),
            "threshold": kwh_text(threshold) if threshold is not None else None,
            "usage_url": usage_url,
        }
        email_enqueue(_render(subscription, kind, context))
    return 1


def _render(subscription: AlertSubscription, kind: str, context: dict[str, Any]) -> dict[str, Any]:
    """The e-mail of one alert, in the recipient's saved language, with RFC 8058 one-click unsubscribe headers for
    that kind of alert."""
    unsubscribe_url = url(
        "portal:alert_unsubscribe", token=unsubscribe_token(subscription_id=subscription.pk, kind=kind)
    )
    message = email_render(
        template_prefix=EMAIL_PREFIX + kind,
        to=[subscription.user.email],
        language=recipient_language(subscription.user),
        context={
            "recipient": subscription.user,
            "premise": subscription.premise,
            "settings_url": url("portal:alerts"),
            "unsubscribe_url": unsubscribe_url,
            **context,
        },
    )
    message["headers"] = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    log.info("alert queued", extra={"kind": kind, "subscription": subscription.pk})
    return message


def kwh_text(value: Decimal) -> str:
    """48, 48.5, 100 (never 48.000 or 1E+2)."""
    return f"{value.normalize():f}"


def kind_label(kind: str) -> str:
    """What a kind of alert is called on the pages and in the confirmation after unsubscribing."""
    return {
        Kind.THRESHOLD: _("daily use over your threshold"),
        Kind.DATA_ARRIVED: _("yesterday's data has arrived"),
        Kind.READ_COMPLETED: _("a meter read completed"),
    }[Kind(kind)]
