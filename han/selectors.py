"""What the surfaces list: a premise's devices of the current occupancy, their messages, who is acting."""

from __future__ import annotations

from django.db.models import QuerySet

from han.models import Device, DeviceMessage
from han.services import Sender, current_period
from thirdparty.access import CUSTOMER, Actor
from usage.models import Premise


def devices_visible(premise: Premise) -> QuerySet[Device]:
    """The devices of the premise's current occupancy (a new occupant never sees the previous one's)."""
    period = current_period(premise)
    if period is None:
        return Device.objects.none()
    return Device.objects.filter(premise=premise, period=period).order_by("-created_at", "-id")


def device_in_premise(premise: Premise, device_id: int) -> Device | None:
    return devices_visible(premise).filter(pk=device_id).select_related("meter").first()


def messages_visible(device: Device) -> QuerySet[DeviceMessage]:
    return device.messages.order_by("-created_at", "-id")


def sender_for(actor: Actor) -> Sender:
    """The person or organization acting, and how the customer sees them named."""
    if actor.kind == CUSTOMER:
        user = actor.user
        name = (user.get_full_name() or user.get_username()) if user is not None else ""  # type: ignore[attr-defined]
        return Sender(user=user, label=name or "You")
    org = actor.organization
    return Sender(organization=org, label=org.legal_name if org is not None else "An organization")
