"""Sending events to third parties: the delivery log, signed POSTs, retries with exponential backoff."""

import json
import logging
import uuid
from datetime import timedelta
from xml.sax.saxutils import escape

import urllib3
from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from smt.outage import REDIS_ERRORS
from thirdparty.models import WebhookDelivery, WebhookEndpoint
from thirdparty.webhooks.signing import SIGNATURE_HEADER, backoff_seconds, signature_header
from thirdparty.webhooks.transport import Refused, pinned_post, webhook_target

log = logging.getLogger(__name__)

EVENTS = {
    "agreement.created": "A customer approved a consent request: a new agreement is active.",
    "agreement.revoked": "The customer revoked the agreement; its tokens stopped working at once.",
    "agreement.terminated": "Your organization terminated the agreement.",
    "agreement.expired": "The agreement reached the end of its period.",
    "agreement.ended_by_move_out": "The customer moved out of a premise; the agreement ended at move-out.",
    "data.available": "New or revised interval data is available for a premise you may read.",
    "registration_code.rotated": "For REPs: a premise's registration code changed; fetch the new one by API.",
    "device.status_changed": "An in-home device (HAN) of a premise you hold a han:* scope on changed status.",
    "device.message_status": "A message or price signal to an in-home device was delivered, confirmed or failed.",
}


def max_attempts() -> int:
    return getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 13)


def _backoff(attempt: int) -> int:
    return backoff_seconds(
        attempt,
        base=getattr(settings, "WEBHOOK_BACKOFF_BASE_SECONDS", 60),
        cap=getattr(settings, "WEBHOOK_BACKOFF_CAP_SECONDS", 6 * 3600),
    )


def webhook_endpoint_for(application) -> WebhookEndpoint:
    endpoint, _ = WebhookEndpoint.objects.get_or_create(application=application)
    return endpoint


def _json_body(*, event: str, data: dict, delivery_id: uuid.UUID, created, sequence: int) -> str:
    payload = {
        "id": str(delivery_id),
        "type": event,
        "created": created.isoformat(timespec="seconds"),
        "sequence": sequence,
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)


def _batchlist_body(resources: list[str]) -> str:
    items = "".join(f"<resources>{escape(uri)}</resources>" for uri in resources)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><BatchList xmlns="http://naesb.org/espi">{items}</BatchList>'
    )


def _espi_resources(event: str, data: dict) -> list[str]:
    base = settings.SITE_URL.rstrip("/") + "/espi/1_1/resource"
    agreement_id = data.get("agreement_id")
    if agreement_id is None:
        return []
    if event == "data.available":
        return [f"{base}/Batch/Subscription/{agreement_id}"]
    return [f"{base}/Authorization/{agreement_id}"]


def webhook_send(*, organization, event: str, data: dict, application=None) -> list[WebhookDelivery]:
    """Queue ``event`` for the organization's applications (or just ``application``) that have a webhook URL.

    Each delivery is logged and sent after the surrounding transaction commits, then retried with
    exponential backoff for more than 24 hours until the receiver answers 2xx.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; known events: {', '.join(EVENTS)}")
    apps = [application] if application is not None else list(organization.applications.all())
    deliveries = []
    now = timezone.now()
    for app in apps:
        endpoint = WebhookEndpoint.objects.filter(application=app).first()
        style = endpoint.style if endpoint else WebhookEndpoint.Style.JSON
        if style == WebhookEndpoint.Style.ESPI and endpoint is not None and endpoint.espi_notify_url:
            resources = _espi_resources(event, data)
            if not resources:
                continue
            delivery = WebhookDelivery(
                organization=organization,
                application=app,
                event=event,
                style=style,
                url=endpoint.espi_notify_url,
                body=_batchlist_body(resources),
                content_type="application/atom+xml",
            )
        else:
            if not app.webhook_url:
                continue
            delivery = WebhookDelivery(
                organization=organization,
                application=app,
                event=event,
                style=WebhookEndpoint.Style.JSON,
                url=app.webhook_url,
                content_type="application/json",
            )
            delivery.sequence = _next_sequence(app)
            delivery.body = _json_body(
                event=event, data=data, delivery_id=delivery.id, created=now, sequence=delivery.sequence
            )
        if delivery.sequence is None:
            delivery.sequence = _next_sequence(app)
        delivery.next_attempt_at = now
        delivery.save()
        deliveries.append(delivery)
        _enqueue(delivery.pk, 1)
    return deliveries


def _next_sequence(app) -> int:
    """The application's next sequence number: one counter per subscription, taken under the endpoint's row lock,
    so events of one application are numbered in the order their transactions queued them."""
    endpoint = webhook_endpoint_for(app)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_sequence=F("last_sequence") + 1)
    return WebhookEndpoint.objects.values_list("last_sequence", flat=True).get(pk=endpoint.pk)


DELIVER_TASK = "thirdparty.tasks.webhook_deliver"


def _enqueue(delivery_id, attempt: int, countdown: int | None = None) -> None:
    """Queue attempt ``attempt`` of a delivery once the transaction commits (the task is named, not imported:
    thirdparty.tasks imports this module).

    The delivery is already in the database, so a broker that does not answer costs nothing but time: the
    failure is logged and the sweep (``webhook_retry_due``) sends it; it never turns the committed action that
    queued it (a revoke, a consent) into an error page."""

    def send():
        task = current_app.tasks[DELIVER_TASK]
        try:
            task.apply_async((str(delivery_id), attempt), countdown=countdown or None)
        except REDIS_ERRORS as exc:
            log.warning("webhook delivery %s not queued (%s); the retry sweep will send it", delivery_id, exc)

    transaction.on_commit(send, robust=True)


def _post(*, url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str]:
    """(HTTP status or None, error): sent to the address that was checked (thirdparty/webhooks/transport.py)."""
    allow_private = getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", settings.DEBUG)
    try:
        target = webhook_target(url, allow_private=allow_private)
        status = pinned_post(target, body=body, headers=headers, timeout=timeout)
    except Refused as exc:
        return None, str(exc)
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", None) or exc)[:300]
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def webhook_attempt(*, delivery_id, attempt: int) -> WebhookDelivery | None:
    """Make attempt number ``attempt`` (1-based) of a delivery; idempotent: a stale or repeated call does nothing."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        attempts=attempt - 1,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
    ).update(attempts=attempt, last_attempt_at=timezone.now())
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("application").get(pk=delivery_id)
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": delivery.content_type,
        "User-Agent": "OpenSmartMeterTexas-Webhooks/1",
        "SMT-Event": delivery.event,
        "SMT-Delivery": str(delivery.pk),
    }
    if delivery.sequence is not None:
        headers["SMT-Sequence"] = str(delivery.sequence)
    if delivery.application_id is not None:
        endpoint = webhook_endpoint_for(delivery.application)
        headers[SIGNATURE_HEADER] = signature_header(secret=endpoint.secret, body=body)
    status_code, error = _post(
        url=delivery.url, body=body, headers=headers, timeout=getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)
    )
    now = timezone.now()
    delivery.last_status_code = status_code
    delivery.last_error = error
    delivery.attempt_log = [
        *delivery.attempt_log,
        {"attempt": attempt, "at": now.isoformat(timespec="seconds"), "status": status_code, "error": error},
    ][-30:]
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif attempt >= max_attempts():
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delay = _backoff(attempt)
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save(
        update_fields=[
            "last_status_code",
            "last_error",
            "attempt_log",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    if delivery.status == WebhookDelivery.Status.RETRYING and not settings.CELERY_TASK_ALWAYS_EAGER:
        # With a broker the retry is scheduled at once; without one the periodic sweep picks it up.
        _enqueue(delivery.pk, attempt + 1, countdown=_backoff(attempt))
    return delivery


def claim_stale_seconds() -> int:
    """After this long, a claimed attempt whose outcome was never written is taken as lost (its worker died)."""
    return getattr(settings, "WEBHOOK_CLAIM_STALE_SECONDS", 300)


def webhook_retry_due(*, now=None) -> int:
    """The safety net behind countdown retries; returns how many attempts it made. It sends

    - deliveries due (``pending`` ones whose first attempt was never queued or got lost, ``retrying`` ones whose
      countdown task got lost) that no attempt has claimed since they fell due, and
    - stale claims: an attempt claimed more than ``WEBHOOK_CLAIM_STALE_SECONDS`` ago whose outcome was never
      written (the worker was killed mid-POST); the next attempt goes out.

    An attempt claims its delivery by raising ``attempts`` and stamping ``last_attempt_at``; writing its outcome
    moves ``next_attempt_at`` past the claim (or clears it). So ``last_attempt_at >= next_attempt_at`` means
    "claimed, outcome not written yet"."""
    now = now or timezone.now()
    open_statuses = [WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING]
    unclaimed_due = Q(next_attempt_at__lte=now - timedelta(seconds=30)) & (
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=F("next_attempt_at"))
    )
    stale_claim = Q(
        last_attempt_at__gte=F("next_attempt_at"),
        last_attempt_at__lte=now - timedelta(seconds=claim_stale_seconds()),
    )
    due = (
        WebhookDelivery.objects.filter(status__in=open_statuses)
        .filter(unclaimed_due | stale_claim)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:500]
    )
    count = 0
    for pk, attempts in due:
        if webhook_attempt(delivery_id=pk, attempt=attempts + 1) is not None:
            count += 1
    return count


def webhook_replay(*, delivery: WebhookDelivery, organization) -> WebhookDelivery:
    """Send the same event again as a new delivery (same body, fresh signature), logged as a replay."""
    if delivery.organization_id != organization.pk:
        raise ValidationError("This delivery belongs to another organization.")
    if delivery.application_id is None:
        raise ValidationError("The application of this delivery was deleted; it cannot be replayed.")
    copy = WebhookDelivery.objects.create(
        organization=delivery.organization,
        application=delivery.application,
        event=delivery.event,
        style=delivery.style,
        url=delivery.url,
        body=delivery.body,
        content_type=delivery.content_type,
        next_attempt_at=timezone.now(),
        replay_of=delivery,
        sequence=delivery.sequence,  # the same event: receivers order it where it was
    )
    _enqueue(copy.pk, 1)
    return copy
