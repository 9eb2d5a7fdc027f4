"""In-home devices joined to a smart meter's HAN, their status history, and the messages sent to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import ServicePeriod
from thirdparty.models import Organization
from usage.headend.hancodes import eui64_display
from usage.models import Meter, Premise


class Device(models.Model):
    """A device a person registered with a meter; ``period`` is the occupancy it belongs to (a move-out removes
    it, and the next occupant never sees it)."""

    class Type(models.TextChoices):
        IN_HOME_DISPLAY = "in_home_display", _("In-home display")
        THERMOSTAT = "thermostat", _("Programmable thermostat")
        LOAD_CONTROL = "load_control", _("Load control switch")
        SMART_PLUG = "smart_plug", _("Smart plug")
        RANGE_EXTENDER = "range_extender", _("Range extender")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Sent to the meter")
        JOIN_WINDOW_OPEN = "join_window_open", _("Meter listening for the device")
        JOINED = "joined", _("Joined")
        FAILED = "failed", _("Failed")
        REMOVING = "removing", _("Being removed")
        REMOVED = "removed", _("Removed")

    PASSING = (Status.PENDING, Status.JOIN_WINDOW_OPEN, Status.REMOVING)  # the page polls while any is here
    HOLDS_MAC = (Status.PENDING, Status.JOIN_WINDOW_OPEN, Status.JOINED, Status.REMOVING)  # until removed

    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="han_devices")
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="han_devices")
    period = models.ForeignKey(ServicePeriod, on_delete=models.CASCADE, related_name="han_devices")
    mac = models.CharField("MAC (EUI-64)", max_length=16)
    install_code_encrypted = models.BinaryField(null=True, blank=True, editable=False)
    type = models.CharField(max_length=20, choices=Type.choices)
    name = models.CharField(max_length=60)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    adapter = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["premise", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mac"],
                condition=Q(status__in=["pending", "join_window_open", "joined", "removing"]),
                name="han_mac_held_by_one_meter",
            )
        ]
        indexes = [models.Index(fields=["meter", "status"], name="han_device_meter_status")]

    def __str__(self) -> str:
        return f"{self.name} ({eui64_display(self.mac)}) {self.status}"

    @property
    def mac_display(self) -> str:
        return eui64_display(self.mac)

    @property
    def is_passing(self) -> bool:
        return self.status in self.PASSING


class DeviceStatusChange(models.Model):
    """One step of a device's status, with what the head-end said (``raw``)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=Device.Status.choices)
    attempt = models.PositiveSmallIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["device", "at", "id"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.status} {self.at:%Y-%m-%d %H:%M:%S}"


class DeviceMessage(models.Model):
    """A text message or a price signal (ZigBee SE PublishPrice) to one device, and its delivery status."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text message"
        PRICE = "price", "Price signal"

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        CONFIRMED = "confirmed", _("Confirmed on the device")
        FAILED = "failed", _("Failed")

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="messages")
    batch = models.UUIDField(help_text="Messages sent together (to all devices of a meter) share it.")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    text = models.CharField(max_length=500, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    confirm = models.BooleanField(default=False)
    price_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    price_per_kwh = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    rate_label = models.CharField(max_length=12, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_label = models.CharField(max_length=200, help_text="Who sent it, as the customer sees it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=list, blank=True, help_text="The head-end's answers, in order.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.device_id} {self.status}"
