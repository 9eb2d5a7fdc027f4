"""Demo in-home devices on the demo home: one joined (with a message), one failed, one removed, so ``make run``
shows the Devices page. Written as finished records (the head-end is not asked); safe to run twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from han.models import Device, DeviceMessage, DeviceStatusChange
from han.services import current_period
from usage.headend.simulated_han import MESSAGES
from usage.models import Premise

# MACs in the simulator's ranges: a DEAD... device never answers (docs/han.md)
DEVICES = (
    (
        "Kitchen display",
        Device.Type.IN_HOME_DISPLAY,
        "000D6F000A1B2C3D",
        ["pending", "join_window_open", "joined"],
    ),
    (
        "Hallway thermostat",
        Device.Type.THERMOSTAT,
        "DEAD00000000BEEF",
        ["pending", "join_window_open", "failed"],
    ),
    (
        "Old smart plug",
        Device.Type.SMART_PLUG,
        "001788010203A4B5",
        ["pending", "join_window_open", "joined", "removing", "removed"],
    ),
)


@transaction.atomic
def demo_devices_ensure(*, esiid: str) -> int:
    """The demo devices of the home's current occupancy; returns how many were created (0 when there)."""
    premise = Premise.objects.filter(esiid=esiid).first()
    period = current_period(premise) if premise is not None else None
    meter = premise.meters.filter(removed_on__isnull=True).first() if premise is not None else None
    if premise is None or period is None or meter is None or Device.objects.filter(premise=premise).exists():
        return 0
    user = period.registrations.order_by("created_at").first()
    now = timezone.now()
    for i, (name, kind, mac, steps) in enumerate(DEVICES):
        start = now - timedelta(days=20 - 5 * i)
        device = Device.objects.create(
            premise=premise,
            meter=meter,
            period=period,
            mac=mac,
            type=kind,
            name=name,
            added_by=user.user if user else None,
            status=steps[-1],
            created_at=start,
            status_changed_at=start + timedelta(seconds=8 * len(steps)),
            adapter="simulator",
        )
        if steps[-1] == "failed":
            device.failure_code = "no_answer"
            device.failure_message = MESSAGES["no_answer"]
            device.attempt = 3  # retries used up: its install code is gone
            device.save()
        for n, status in enumerate(steps):
            failed = status == "failed"
            DeviceStatusChange.objects.create(
                device=device,
                status=status,
                at=start + timedelta(seconds=8 * n),
                failure_code="no_answer" if failed else "",
                failure_message=MESSAGES["no_answer"] if failed else "",
                raw={"simulator": "demo"},
            )
        if steps[-1] == "joined":
            DeviceMessage.objects.create(
                device=device,
                batch=uuid.UUID(int=i + 1),
                kind=DeviceMessage.Kind.TEXT,
                text="Peak prices 4-7 pm today: run the dishwasher later.",
                duration_minutes=60,
                sender_label="Your retail electric provider",
                status=DeviceMessage.Status.DELIVERED,
                created_at=start + timedelta(days=1),
                status_changed_at=start + timedelta(days=1, seconds=5),
            )
    return len(DEVICES)
