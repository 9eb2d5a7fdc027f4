"""``device.status_changed`` and ``device.message_status`` to the third parties whose live agreement on the
device's occupancy grants a HAN scope (connected in HanConfig.ready; sent after the change is committed)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from han.models import Device, DeviceMessage
from han.signals import device_status_changed, message_status_changed
from thirdparty.access import HAN_SCOPES
from thirdparty.models import Agreement
from thirdparty.webhooks import webhook_send


def _agreements(device: Device) -> list[Agreement]:
    live = Agreement.objects.live().filter(premises__service_period_id=device.period_id).distinct()
    return [a for a in live.select_related("organization", "application") if set(a.scopes) & set(HAN_SCOPES)]


def _send(device: Device, event: str, data: dict[str, Any]) -> None:
    agreements = _agreements(device)
    if not agreements:
        return
    apps = {a.application_id: a for a in agreements}  # one delivery per application
    with transaction.atomic():
        for agreement in apps.values():
            webhook_send(
                organization=agreement.organization,
                event=event,
                data=data,
                application=agreement.application,
            )


@receiver(device_status_changed, dispatch_uid="han.webhooks.device_status_changed")
def device_status_webhook(sender: type, device: Device, **kwargs: Any) -> None:
    data = {
        "device": device.pk,
        "esiid": device.premise.esiid,
        "status": device.status,
        "failure": {"code": device.failure_code, "message": device.failure_message}
        if device.status == Device.Status.FAILED
        else None,
        "at": device.status_changed_at.isoformat(),
    }
    _send(device, "device.status_changed", data)


@receiver(message_status_changed, dispatch_uid="han.webhooks.message_status")
def message_status_webhook(sender: type, message: DeviceMessage, **kwargs: Any) -> None:
    device = message.device
    data = {
        "message": message.pk,
        "device": device.pk,
        "esiid": device.premise.esiid,
        "kind": message.kind,
        "status": message.status,
        "at": message.status_changed_at.isoformat(),
    }
    _send(device, "device.message_status", data)
