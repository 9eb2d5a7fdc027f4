"""The head-end's HAN side: open a join window for a device on a meter, drop a device, send it a message.

Like reads, every order is answered later: the adapter reports with :func:`report_device` and
:func:`report_message` (from a task, a webhook or a poller), which send ``device_answered`` and
``message_answered``; the app that keeps the devices records them. ``attempt`` is echoed so that a late answer
to an earlier attempt is recognised and ignored. ``raw`` is what the head-end said, kept for support staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from usage.headend.signals import device_answered, message_answered

# what a head-end reports about a device
WINDOW_OPEN = "join_window_open"
JOINED = "joined"
FAILED = "failed"
REMOVED = "removed"

# failure codes a head-end reports, with a message a person understands
INSTALL_CODE_MISMATCH = "install_code_mismatch"
NO_ANSWER = "no_answer"
METER_UNREACHABLE = "meter_unreachable"
MESSAGE_NOT_ACKNOWLEDGED = "message_not_acknowledged"  # a message the device never acknowledged

# what a head-end reports about a message
DELIVERED = "delivered"
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class JoinOrder:
    """Let the device with this MAC and install code join the meter's HAN (a join window of
    ``window_seconds``)."""

    device_id: int
    attempt: int
    meter_id: int
    meter_number: str
    mac: str  # 16 upper-case hex digits
    install_code: str  # upper-case hex, CRC included; never logged
    window_seconds: int


@dataclass(frozen=True)
class RemoveOrder:
    device_id: int
    meter_id: int
    meter_number: str
    mac: str


@dataclass(frozen=True)
class MessageOrder:
    """A text message (``text``) or a price signal (``price_*``), to one device of a meter."""

    message_id: int
    meter_id: int
    meter_number: str
    mac: str
    kind: str  # "text" or "price"
    text: str = ""
    duration_minutes: int = 0
    confirm: bool = False
    price_tier: int | None = None
    price_per_kwh: Decimal | None = None
    starts_at: datetime | None = None
    rate_label: str = ""


@dataclass(frozen=True)
class DeviceOutcome:
    device_id: int
    attempt: int
    status: str  # WINDOW_OPEN, JOINED, FAILED or REMOVED
    failure_code: str = ""
    failure_message: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MessageOutcome:
    message_id: int
    status: str  # DELIVERED, CONFIRMED or FAILED
    failure_message: str = ""
    raw: dict = field(default_factory=dict)
    failure_code: str = ""


def report_device(outcome: DeviceOutcome) -> None:
    """An adapter reports what became of a join or removal order."""
    device_answered.send(sender=DeviceOutcome, outcome=outcome)


def report_message(outcome: MessageOutcome) -> None:
    """An adapter reports what became of a message order."""
    message_answered.send(sender=MessageOutcome, outcome=outcome)
