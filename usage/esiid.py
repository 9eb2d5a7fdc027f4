"""ESI ID rules: 17 or 22 digits whose prefix names the TDU that issued it. Pure: no Django."""

import re

ESIID_LENGTHS = (17, 22)
_SEPARATORS = re.compile(r"[\s\-']")


class InvalidEsiid(ValueError):
    """An ESI ID that cannot be right, with a message a person can act on; ``reason`` ("missing",
    "not_digits", "length", "prefix") and ``esiid`` let the portal say it in the reader's language."""

    def __init__(self, message: str, *, reason: str = "", esiid: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.esiid = esiid


def esiid_normalize(raw: str) -> str:
    """Drop what people and spreadsheets add (spaces, dashes, a leading apostrophe)."""
    return _SEPARATORS.sub("", raw or "")


def esiid_validate(raw: str, prefixes: tuple[str, ...] | list[str] | None = None) -> str:
    """Return the normalised ESI ID or raise InvalidEsiid saying what is wrong."""
    esiid = esiid_normalize(raw)
    if not esiid:
        raise InvalidEsiid(
            "Enter the ESI ID printed on your electricity bill (17 or 22 digits).", reason="missing"
        )
    if not esiid.isdigit() or not esiid.isascii():
        raise InvalidEsiid("An ESI ID has digits only; check it against your bill.", reason="not_digits")
    if len(esiid) not in ESIID_LENGTHS:
        raise InvalidEsiid(
            f"An ESI ID has 17 or 22 digits; this one has {len(esiid)}.", reason="length", esiid=esiid
        )
    if prefixes is not None and not any(esiid.startswith(p) for p in prefixes):
        raise InvalidEsiid(
            f"ESI ID {esiid} does not belong to this utility (its ESI IDs start with {', '.join(prefixes)}).",
            reason="prefix",
            esiid=esiid,
        )
    return esiid
