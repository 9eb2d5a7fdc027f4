"""Adding, retrying and removing HAN devices, sending them messages, and recording what the head-end answers.

Who may call these is decided before, in ``thirdparty.access.han_decide``. The install code is a secret: kept
encrypted (``portal.codes``, the registration codes' key) only while a join may still need it, never logged.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from han.code_messages import han_code_message
from han.messages import MessageSpec
from han.models import Device, DeviceMessage, DeviceStatusChange
from han.signals import device_status_changed, message_status_changed
from portal.access_window import market_today
from portal.codes import code_decrypt, code_encrypt
from portal.models import ServicePeriod
from usage.headend import HeadEndUnavailable, get_adapter
from usage.headend import han as he
from usage.headend.hancodes import HanCodeError, eui64_normalize, install_code_normalize
from usage.models import Meter, Premise

Status = Device.Status


class HanInvalid(ValueError):
    """A bad input, naming the field (400), in the active language; ``code`` is ``HanCodeError``'s stable code
    for a MAC or install code (empty otherwise)."""

    def __init__(self, field: str, message: str, code: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class HanConflict(Exception):
    """The request contradicts the meter's state (409): MAC held elsewhere, too many devices, no meter."""

    def __init__(self, message: str, slug: str) -> None:
        super().__init__(message)
        self.slug = slug


@dataclass(frozen=True)
class Sender:
    """Who acts: a person (customer, household member) or an organization (REP, third party)."""

    user: Any = None
    organization: Any = None
    label: str = ""


def current_period(premise: Premise, today: date | None = None) -> ServicePeriod | None:
    """The premise's current occupancy: open, without a recorded move-out (one recorded, even ahead, ends HAN
    at once)."""
    today = today or market_today()
    return ServicePeriod.objects.filter(premise=premise, starts_on__lte=today, ends_on__isnull=True).first()


def _current_meter(premise: Premise) -> Meter | None:
    return premise.meters.filter(removed_on__isnull=True).order_by("-installed_on").first()


def _record(
    device: Device, status: str, *, code: str = "", message: str = "", raw: dict | None = None
) -> None:
    now = timezone.now()
    device.status = status
    device.failure_code = code[:32]
    device.failure_message = message[:300]
    device.status_changed_at = now
    DeviceStatusChange.objects.create(
        device=device,
        status=status,
        attempt=device.attempt,
        at=now,
        failure_code=device.failure_code,
        failure_message=device.failure_message,
        raw=raw or {},
    )
    # robust: a failing listener (a webhook) never undoes or breaks the device's own progress
    transaction.on_commit(lambda: device_status_changed.send(sender=Device, device=device), robust=True)


def _adapter_name() -> str:
    adapter = get_adapter()
    return str(getattr(adapter, "name", type(adapter).__name__))


def _order_join(device: Device, install_code: str) -> None:
    order = he.JoinOrder(
        device_id=device.pk,
        attempt=device.attempt,
        meter_id=device.meter_id,
        meter_number=device.meter.meter_number,
        mac=device.mac,
        install_code=install_code,
        window_seconds=settings.HAN_JOIN_WINDOW_SECONDS,
    )
    try:
        get_adapter().open_join_window(order)
    except HeadEndUnavailable as exc:
        _fail(device, he.METER_UNREACHABLE, str(exc) or "The utility's meter network is unavailable.")


def _fail(device: Device, code: str, message: str, raw: dict | None = None) -> None:
    _record(device, Status.FAILED, code=code, message=message, raw=raw)
    if device.attempt >= settings.HAN_JOIN_MAX_ATTEMPTS:
        device.install_code_encrypted = None  # retries exhausted: the secret is no longer needed
    device.save()


def device_add(
    *, premise: Premise, mac: str, install_code: str, type: str, name: str, sender: Sender
) -> Device:
    """Register a device with the premise's meter and ask the head-end to let it join."""
    try:
        mac = eui64_normalize(mac)
    except HanCodeError as exc:
        raise HanInvalid("mac", han_code_message(exc), exc.code) from None
    try:
        code = install_code_normalize(install_code)
    except HanCodeError as exc:
        raise HanInvalid("install_code", han_code_message(exc), exc.code) from None
    if type not in Device.Type.values:
        raise HanInvalid(
            "type", _("type must be one of: %(types)s.") % {"types": ", ".join(Device.Type.values)}
        )
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise HanInvalid("name", _("name is required: up to 60 characters to tell your devices apart."))
    with transaction.atomic():
        Premise.objects.select_for_update().filter(pk=premise.pk).first()
        period = current_period(premise)
        meter = _current_meter(premise)
        if period is None or meter is None:
            raise HanConflict(
                _("This premise has no smart meter in service to connect devices to."), "no-meter"
            )
        if Device.objects.filter(mac=mac, status__in=Device.HOLDS_MAC).exists():
            raise HanConflict(
                _(
                    "A device with this MAC is already connected to a meter (or joining one); it must be "
                    "removed there first."
                ),
                "mac-taken",
            )
        held = Device.objects.filter(meter=meter, status__in=Device.HOLDS_MAC).count()
        if held >= settings.HAN_DEVICES_PER_METER:
            raise HanConflict(
                _(
                    "This meter already has %(held)d devices, the most it accepts (%(most)d); remove one first."
                )
                % {"held": held, "most": settings.HAN_DEVICES_PER_METER},
                "too-many-devices",
            )
        try:
            with transaction.atomic():
                device = Device.objects.create(
                    premise=premise,
                    meter=meter,
                    period=period,
                    mac=mac,
                    install_code_encrypted=code_encrypt(code),
                    type=type,
                    name=name,
                    added_by=sender.user,
                    added_by_organization=sender.organization,
                    adapter=_adapter_name(),
                )
        except IntegrityError:  # the same MAC added elsewhere at the same instant
            raise HanConflict(
                _("A device with this MAC is already being connected to a meter."), "mac-taken"
            ) from None
        _record(device, Status.PENDING, raw={"added_by": sender.label})
        device.save()
        _order_join(device, code)
    return device


def device_retry(*, device: Device) -> Device:
    """Try a failed join again (one click): a new attempt with the kept install code."""
    with transaction.atomic():
        device = Device.objects.select_for_update().select_related("meter").get(pk=device.pk)
        if device.status != Status.FAILED:
            raise HanConflict(_("Only a device whose joining failed can be tried again."), "not-failed")
        code = code_decrypt(bytes(device.install_code_encrypted)) if device.install_code_encrypted else None
        if code is None:
            raise HanConflict(
                _("This device has used all its attempts; remove it and add it again with its install code."),
                "retries-exhausted",
            )
        if Device.objects.filter(mac=device.mac, status__in=Device.HOLDS_MAC).exclude(pk=device.pk).exists():
            raise HanConflict(_("A device with this MAC is now connected to another meter."), "mac-taken")
        device.attempt += 1
        _record(device, Status.PENDING, raw={"retry": device.attempt})
        device.save()
        _order_join(device, code)
    return device


def device_remove(*, device: Device, reason: str = "") -> Device:
    """Drop a device from its meter: ``removing`` until the head-end confirms (a failed one is removed at once,
    the meter never knew it)."""
    with transaction.atomic():
        device = Device.objects.select_for_update().select_related("meter").get(pk=device.pk)
        if device.status in (Status.REMOVED, Status.REMOVING):
            return device
        device.install_code_encrypted = None
        if device.status == Status.FAILED:
            _record(device, Status.REMOVED, raw={"reason": reason or "removed before it joined"})
            device.save()
            return device
        _record(device, Status.REMOVING, raw={"reason": reason} if reason else {})
        device.save()
        order = he.RemoveOrder(
            device_id=device.pk,
            meter_id=device.meter_id,
            meter_number=device.meter.meter_number,
            mac=device.mac,
        )
        # unavailable: it stays ``removing``; the meter drops unknown devices on its next HAN audit
        with contextlib.suppress(HeadEndUnavailable):
            get_adapter().remove_device(order)
    return device


def devices_remove_for_period(*, period: ServicePeriod) -> int:
    """A move-out: every device of the occupancy is removed at once (the next occupant sees none of them)."""
    n = 0
    for device in Device.objects.filter(period=period).exclude(status__in=(Status.REMOVED, Status.REMOVING)):
        device_remove(device=device, reason="move-out")
        n += 1
    return n


def devices_expire_stale(*, premise: Premise, now: datetime | None = None) -> int:
    """Joins the head-end never answered fail with ``no_answer`` once the window (and a minute's grace) is
    over: a real head-end may lose an order; the page must not wait forever."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.HAN_JOIN_WINDOW_SECONDS + 60)
    stale = Device.objects.filter(
        premise=premise, status__in=(Status.PENDING, Status.JOIN_WINDOW_OPEN), status_changed_at__lt=limit
    )
    n = 0
    for device in stale:
        n += device_outcome_record(
            outcome=he.DeviceOutcome(
                device.pk,
                device.attempt,
                he.FAILED,
                he.NO_ANSWER,
                "The device did not answer before the meter stopped listening. Check that it is powered on, "
                "within range of the meter and in pairing mode, then try again.",
                raw={"expired": "no answer from the head-end"},
            )
        )
    return n


_NEXT = {
    he.WINDOW_OPEN: (Status.PENDING,),
    he.JOINED: (Status.PENDING, Status.JOIN_WINDOW_OPEN),
    he.FAILED: (Status.PENDING, Status.JOIN_WINDOW_OPEN),
    he.REMOVED: (Status.REMOVING,),
}


def device_outcome_record(*, outcome: he.DeviceOutcome) -> bool:
    """Record a head-end answer; answers to an earlier attempt, or out of order, are ignored. True on change."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=outcome.device_id).first()
        if device is None or device.status not in _NEXT.get(outcome.status, ()):
            return False
        if outcome.status != he.REMOVED and outcome.attempt != device.attempt:
            return False
        if outcome.status == he.FAILED:
            _fail(device, outcome.failure_code, outcome.failure_message, outcome.raw)
            return True
        if outcome.status in (he.JOINED, he.REMOVED):
            device.install_code_encrypted = None
        _record(device, outcome.status, raw=outcome.raw)
        device.save()
    return True


def message_send(
    *, premise: Premise, spec: MessageSpec, sender: Sender, device: Device | None = None
) -> list[DeviceMessage]:
    """Send a message or price signal to one joined device, or to every joined device of the premise's current
    occupancy (``device`` None); one record per device, sharing a batch id."""
    period = current_period(premise)
    targets = Device.objects.filter(premise=premise, period=period, status=Status.JOINED).select_related(
        "meter"
    )
    if device is not None:
        targets = targets.filter(pk=device.pk)
    targets_list = list(targets)
    if not targets_list:
        raise HanConflict(
            _("The device has not joined the meter, so it cannot receive messages.")
            if device is not None
            else _("No device has joined this meter yet."),
            "not-joined",
        )
    batch = uuid.uuid4()
    out = []
    adapter = get_adapter()
    with transaction.atomic():
        for target in targets_list:
            msg = DeviceMessage.objects.create(
                device=target,
                batch=batch,
                kind=spec.kind,
                text=spec.text,
                duration_minutes=spec.duration_minutes,
                confirm=spec.confirm,
                price_tier=spec.price_tier,
                price_per_kwh=spec.price_per_kwh,
                starts_at=spec.starts_at,
                rate_label=spec.rate_label,
                sent_by=sender.user,
                sent_by_organization=sender.organization,
                sender_label=sender.label[:200],
            )
            order = he.MessageOrder(
                message_id=msg.pk,
                meter_id=target.meter_id,
                meter_number=target.meter.meter_number,
                mac=target.mac,
                kind=spec.kind,
                text=spec.text,
                duration_minutes=spec.duration_minutes,
                confirm=spec.confirm,
                price_tier=spec.price_tier,
                price_per_kwh=spec.price_per_kwh,
                starts_at=spec.starts_at,
                rate_label=spec.rate_label,
            )
            try:
                adapter.send_message(order)
            except HeadEndUnavailable as exc:
                _message_status(
                    msg,
                    DeviceMessage.Status.FAILED,
                    str(exc) or "The meter network is unavailable.",
                    {},
                    code=he.METER_UNREACHABLE,
                )
            out.append(msg)
    return out


def _message_status(msg: DeviceMessage, status: str, failure: str, raw: dict, *, code: str = "") -> None:
    msg.status = status
    msg.failure_code = code[:32]
    msg.failure_message = failure[:300]
    msg.status_changed_at = timezone.now()
    msg.raw = [*msg.raw, {"status": status, **raw}]
    msg.save(update_fields=["status", "failure_code", "failure_message", "status_changed_at", "raw"])
    transaction.on_commit(lambda: message_status_changed.send(sender=DeviceMessage, message=msg), robust=True)


_MESSAGE_NEXT = {
    he.DELIVERED: (DeviceMessage.Status.SENT,),
    he.CONFIRMED: (DeviceMessage.Status.SENT, DeviceMessage.Status.DELIVERED),
    he.FAILED: (DeviceMessage.Status.SENT,),
}


def message_outcome_record(*, outcome: he.MessageOutcome) -> bool:
    with transaction.atomic():
        msg = DeviceMessage.objects.select_for_update().filter(pk=outcome.message_id).first()
        if msg is None or msg.status not in _MESSAGE_NEXT.get(outcome.status, ()):
            return False
        _message_status(msg, outcome.status, outcome.failure_message, outcome.raw, code=outcome.failure_code)
    return True
