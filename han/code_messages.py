"""The Devices form's words for what ``usage.headend.hancodes`` finds wrong with a typed MAC or install code.

The checks are hot code without Django, so they raise a stable code; this module says it in the resident's
language."""

from __future__ import annotations

from django.utils.translation import gettext

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
