"""The HAN side of the built-in simulator: a field network that takes seconds, and sometimes fails.

Documented behaviours (the demo and the tests use them):

* a MAC starting with ``DEAD`` is a device that never answers: its join window opens, and closes after
  HAN_JOIN_WINDOW_SECONDS with "the device did not answer"; messages to it fail;
* a MAC starting with ``BADC`` is a device whose label differs from the typed install code: it fails with
  "the install code does not match";
* HEADEND_SIMULATOR_HAN_FAILURE_RATE is the share of *first* attempts that fail with "the meter is
  unreachable" (a retry then succeeds, as in the field).
"""

from __future__ import annotations

import random

from django.conf import settings

from usage.headend.han import (
    CONFIRMED,
    DELIVERED,
    FAILED,
    INSTALL_CODE_MISMATCH,
    JOINED,
    MESSAGE_NOT_ACKNOWLEDGED,
    METER_UNREACHABLE,
    NO_ANSWER,
    REMOVED,
    WINDOW_OPEN,
    DeviceOutcome,
    MessageOutcome,
    report_device,
    report_message,
)
from usage.models import Meter

NEVER_ANSWERS_PREFIX = "DEAD"
WRONG_CODE_PREFIX = "BADC"

MESSAGES = {
    METER_UNREACHABLE: "The meter did not answer the utility's network, so it could not listen for the device. "
    "Please try again in a few minutes.",
    NO_ANSWER: "The device did not answer before the meter stopped listening. Check that it is powered on, "
    "within range of the meter and in pairing mode, then try again.",
    INSTALL_CODE_MISMATCH: "The install code does not match the device. Check the code on the device's label "
    "and add the device again.",
}


def join_start(*, device_id: int, attempt: int, meter_id: int, rng: random.Random | None = None) -> bool:
    """The meter is asked to open its join window: True when it did (and the result must follow)."""
    rng = rng or random.Random()  # a simulation, not security
    first_fails = attempt == 1 and rng.random() < settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE
    if not Meter.objects.filter(pk=meter_id, removed_on__isnull=True).exists() or first_fails:
        report_device(
            DeviceOutcome(
                device_id,
                attempt,
                FAILED,
                METER_UNREACHABLE,
                MESSAGES[METER_UNREACHABLE],
                raw={"simulator": "meter did not acknowledge the join window"},
            )
        )
        return False
    report_device(DeviceOutcome(device_id, attempt, WINDOW_OPEN, raw={"simulator": "permit join sent"}))
    return True


def join_end(*, device_id: int, attempt: int, mac: str) -> None:
    """The device joined, or the window closed without it."""
    if mac.startswith(NEVER_ANSWERS_PREFIX):
        code = NO_ANSWER
    elif mac.startswith(WRONG_CODE_PREFIX):
        code = INSTALL_CODE_MISMATCH
    else:
        report_device(
            DeviceOutcome(device_id, attempt, JOINED, raw={"simulator": "device announced", "mac": mac})
        )
        return
    report_device(DeviceOutcome(device_id, attempt, FAILED, code, MESSAGES[code], raw={"simulator": code}))


def remove(*, device_id: int) -> None:
    report_device(DeviceOutcome(device_id, 0, REMOVED, raw={"simulator": "device left the network"}))


def deliver(*, message_id: int, mac: str, confirm: bool) -> None:
    """Delivered (and confirmed when asked), or failed for a device that never answers."""
    if mac.startswith(NEVER_ANSWERS_PREFIX):
        report_message(
            MessageOutcome(
                message_id,
                FAILED,
                "The device did not acknowledge the message.",
                {"simulator": "nak"},
                failure_code=MESSAGE_NOT_ACKNOWLEDGED,
            )
        )
        return
    report_message(MessageOutcome(message_id, DELIVERED, raw={"simulator": "ack"}))
    if confirm:
        report_message(MessageOutcome(message_id, CONFIRMED, raw={"simulator": "confirmed on the device"}))
