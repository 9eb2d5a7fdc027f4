"""ZigBee Smart Energy identifiers typed by people: the device's EUI-64 MAC and its install code.

Pure functions (no Django): the form, the API and the services all check with these, before anything is sent
to a head-end. An install code is 6, 8, 12 or 16 bytes followed by their CRC-16/X-25, low byte first.
"""

from __future__ import annotations

INSTALL_CODE_LENGTHS = (6, 8, 12, 16)  # bytes before the CRC
_SEPARATORS = " :-."


class HanCodeError(ValueError):
    """What is wrong with a typed MAC or install code, in English words a person can act on, with a stable
    ``code`` and its ``params`` so a caller with translations (the Devices form) can say it in their language.

    Codes: ``mac_not_hex``/``install_code_not_hex`` (params ``bad``), ``mac_length`` (``length``),
    ``mac_reserved``, ``install_code_length`` (``allowed``, ``length``), ``install_code_check``."""

    def __init__(self, code: str, message: str, **params: str | int) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25 (poly 0x1021 reflected, init 0xFFFF, final XOR 0xFFFF), as ZigBee install codes use."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def _hex_digits(typed: str, what: str, field: str) -> str:
    digits = "".join(ch for ch in (typed or "") if ch not in _SEPARATORS).upper()
    bad = "".join(sorted({ch for ch in digits if ch not in "0123456789ABCDEF"}))
    if bad:
        raise HanCodeError(
            f"{field}_not_hex",
            f"The {what} may contain only hexadecimal digits (0-9, A-F); found {bad!r}.",
            bad=bad,
        )
    return digits


def eui64_normalize(typed: str) -> str:
    """16 upper-case hex digits from a MAC typed with or without separators; HanCodeError otherwise."""
    digits = _hex_digits(typed, "MAC address", "mac")
    if len(digits) != 16:
        raise HanCodeError(
            "mac_length",
            f"A device MAC (EUI-64) has 16 hexadecimal digits; this one has {len(digits)}.",
            length=len(digits),
        )
    if digits in ("0" * 16, "F" * 16):
        raise HanCodeError("mac_reserved", "A MAC of all zeros or all Fs is not a real device's address.")
    return digits


def eui64_display(mac: str) -> str:
    """Grouped as printed on devices: 00:0D:6F:00:0A:1B:2C:3D."""
    return ":".join(mac[i : i + 2] for i in range(0, len(mac), 2))


def install_code_normalize(typed: str) -> str:
    """The install code (data and CRC) as upper-case hex, when its length and CRC are right; HanCodeError
    naming what is wrong otherwise (a typo almost always breaks the CRC)."""
    digits = _hex_digits(typed, "install code", "install_code")
    allowed = ", ".join(str((n + 2) * 2) for n in INSTALL_CODE_LENGTHS)
    if len(digits) % 2 or len(digits) // 2 - 2 not in INSTALL_CODE_LENGTHS:
        raise HanCodeError(
            "install_code_length",
            f"An install code has {allowed} hexadecimal digits (including its 4-digit check code); "
            f"this one has {len(digits)}.",
            allowed=allowed,
            length=len(digits),
        )
    raw = bytes.fromhex(digits)
    data, check = raw[:-2], raw[-2:]
    if int.from_bytes(check, "little") != crc16_x25(data):
        raise HanCodeError(
            "install_code_check",
            "The install code's check digits do not match: please compare it with the label on the device.",
        )
    return digits


def install_code_with_crc(data_hex: str) -> str:
    """``data_hex`` followed by its CRC (low byte first): to make valid codes in the demo and tests."""
    data = bytes.fromhex(data_hex)
    return (data + crc16_x25(data).to_bytes(2, "little")).hex().upper()
