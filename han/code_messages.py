"""The words for what ``usage.headend.hancodes`` finds wrong with a typed MAC or install code, what
``han.messages`` finds wrong with a message, and why the head-end failed a device's join or a message, for the
Devices page and the HAN API.

The checks are hot code without Django, so they raise a stable code; this module says it in the reader's
language (the resident's, or the API caller's ``Accept-Language``). A failed device or message keeps the
head-end's own English text as it came (the audit trail and the webhooks show it as stored); a code not listed
here — a real head-end may send its own — shows that stored text."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from han.messages import MessageInvalid
from usage.headend import han as he
from usage.headend.hancodes import HanCodeError


def han_code_message(error: HanCodeError) -> str:
    """The translated message for ``error``; its English text if the code is one this module does not know."""
    params = error.params
    if error.code == "mac_not_hex":
        return gettext(
            "The MAC address may contain only the characters 0-9 and A-F; remove or correct: %(bad)s."
        ) % {"bad": params["bad"]}
    if error.code == "install_code_not_hex":
        return gettext(
            "The install code may contain only the characters 0-9 and A-F; remove or correct: %(bad)s."
        ) % {"bad": params["bad"]}
    if error.code == "mac_length":
        return gettext(
            "A device's MAC address has 16 characters; you typed %(length)d. Copy it again from the label."
        ) % {"length": int(params["length"])}
    if error.code == "mac_reserved":
        return gettext(
            "A MAC address of all zeros or all Fs is not a real device's: copy the one on the device's label."
        )
    if error.code == "install_code_length":
        return gettext(
            "An install code has 16, 20, 28 or 36 characters (with its 4-character check code); you typed "
            "%(length)d. Copy it again from the label."
        ) % {"length": int(params["length"])}
    if error.code == "install_code_check":
        return gettext(
            "The install code's check digits do not match: compare it, character by character, with the label "
            "on the device."
        )
    return str(error)


#: ``han.messages.MessageInvalid`` codes in words (translated when read); the params fill the placeholders
MESSAGE_TEXTS = {
    "whole_number": gettext_lazy("%(name)s must be a whole number from %(low)d to %(high)d."),
    "out_of_range": gettext_lazy("%(name)s must be from %(low)d to %(high)d; got %(number)d."),
    "not_boolean": gettext_lazy("%(name)s must be true or false."),
    "text_and_price": gettext_lazy(
        "Send either a text message (text) or a price signal (price_*), not both."
    ),
    "text_required": gettext_lazy("text is required: the message to show on the device."),
    "text_too_long": gettext_lazy("text has %(length)d characters; devices show at most %(most)d."),
    "price_not_number": gettext_lazy("price_per_kwh must be a number of dollars, e.g. 0.125."),
    "price_out_of_range": gettext_lazy(
        "price_per_kwh must be from 0 to %(most)s dollars, at most 5 decimals."
    ),
    "starts_at_not_time": gettext_lazy("starts_at must be an ISO 8601 time with its offset."),
    "starts_at_no_offset": gettext_lazy("starts_at needs its UTC offset, e.g. 2026-07-01T14:00:00-05:00."),
    "starts_at_out_of_range": gettext_lazy("starts_at must be from now to 7 days ahead."),
    "rate_label_too_long": gettext_lazy("rate_label must be text of at most %(most)d characters."),
}


def message_invalid_text(error: MessageInvalid) -> str:
    """The translated message for ``error``; its English text if the code is one this module does not know."""
    text = MESSAGE_TEXTS.get(error.code)
    if text is None:
        return str(error)
    return str(text) % error.params if error.params else str(text)


#: why a join failed: the head-end adapters' codes (``usage.headend.han``) and our own (``han.services``)
DEVICE_FAILURES: dict[str, Promise] = {
    he.METER_UNREACHABLE: gettext_lazy(
        "The meter did not answer the utility's network, so it could not listen for the device. "
        "Please try again in a few minutes."
    ),
    he.NO_ANSWER: gettext_lazy(
        "The device did not answer before the meter stopped listening. Check that it is powered on, "
        "within range of the meter and in pairing mode, then try again."
    ),
    he.INSTALL_CODE_MISMATCH: gettext_lazy(
        "The install code does not match the device. Check the code on the device's label and add the device "
        "again."
    ),
}

#: why a message was not delivered
MESSAGE_FAILURES: dict[str, Promise] = {
    he.METER_UNREACHABLE: gettext_lazy(
        "The utility's meter network did not take the message. Please send it again in a few minutes."
    ),
    he.MESSAGE_NOT_ACKNOWLEDGED: gettext_lazy("The device did not acknowledge the message."),
}


def device_failure_text(code: str, stored: str) -> str:
    """A failed join's message for ``code`` in the active language; ``stored`` for a code not listed."""
    text = DEVICE_FAILURES.get(code)
    return stored if text is None else str(text)


def message_failure_text(code: str, stored: str) -> str:
    """A failed message's words for ``code`` in the active language; ``stored`` for a code not listed."""
    text = MESSAGE_FAILURES.get(code)
    return stored if text is None else str(text)
