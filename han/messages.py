"""The checks on a message or price signal someone asks to send, each naming the field it refuses.

ZigBee Smart Energy bounds: a price tier 1-6, a rate label of at most 12 characters (PublishPrice), a duration
of at most a day here (longer signals are re-sent by their sender)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DURATION_MINUTES = 1440
MAX_TIER = 6
MAX_PRICE_PER_KWH = Decimal("10")
MAX_RATE_LABEL = 12
MAX_START_AHEAD = timedelta(days=7)
MAX_START_BEHIND = timedelta(minutes=5)


class MessageInvalid(ValueError):
    """What is wrong with a message, in English, naming its ``field``, with a stable ``code`` and its ``params``
    so a caller with translations (``han.code_messages``) can say it in the reader's language.

    Codes: ``whole_number`` (params ``name``, ``low``, ``high``), ``out_of_range`` (``name``, ``low``,
    ``high``, ``number``), ``not_boolean`` (``name``), ``text_and_price``, ``text_required``, ``text_too_long``
    (``length``, ``most``), ``price_not_number``, ``price_out_of_range`` (``most``), ``starts_at_not_time``,
    ``starts_at_no_offset``, ``starts_at_out_of_range``, ``rate_label_too_long`` (``most``)."""

    def __init__(self, field: str, message: str, code: str, **params: str | int) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.params = params


@dataclass(frozen=True)
class MessageSpec:
    kind: str  # "text" or "price"
    duration_minutes: int
    text: str = ""
    confirm: bool = False
    price_tier: int | None = None
    price_per_kwh: Decimal | None = None
    starts_at: datetime | None = None
    rate_label: str = ""


def _not_whole(name: str, low: int, high: int) -> MessageInvalid:
    return MessageInvalid(
        name,
        f"{name} must be a whole number from {low} to {high}.",
        "whole_number",
        name=name,
        low=low,
        high=high,
    )


def _int(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _not_whole(name, low, high)
    try:
        number = int(value)
    except ValueError:
        raise _not_whole(name, low, high) from None
    if not low <= number <= high:
        raise MessageInvalid(
            name,
            f"{name} must be from {low} to {high}; got {number}.",
            "out_of_range",
            name=name,
            low=low,
            high=high,
            number=number,
        )
    return number


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if value in (True, False, "true", "false", "on", "", None):
        return value in (True, "true", "on")
    raise MessageInvalid(name, f"{name} must be true or false.", "not_boolean", name=name)


def message_spec(data: dict[str, Any], *, max_chars: int, now: datetime) -> MessageSpec:
    """A text message (``text``) or a price signal (``price_tier`` and the other price fields), checked."""
    is_price = any(k in data for k in ("price_tier", "price_per_kwh", "rate_label", "starts_at"))
    if "text" in data and is_price:
        raise MessageInvalid(
            "text",
            "Send either a text message (text) or a price signal (price_*), not both.",
            "text_and_price",
        )
    duration = _int(data, "duration_minutes", 1, MAX_DURATION_MINUTES)
    if not is_price:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise MessageInvalid(
                "text", "text is required: the message to show on the device.", "text_required"
            )
        text = " ".join(text.split())
        if len(text) > max_chars:
            raise MessageInvalid(
                "text",
                f"text has {len(text)} characters; devices show at most {max_chars}.",
                "text_too_long",
                length=len(text),
                most=max_chars,
            )
        return MessageSpec("text", duration, text=text, confirm=_bool(data, "confirm"))
    return _price_spec(data, duration, now)


def _price_spec(data: dict[str, Any], duration: int, now: datetime) -> MessageSpec:
    tier = _int(data, "price_tier", 1, MAX_TIER)
    try:
        price = Decimal(str(data.get("price_per_kwh")))
    except (InvalidOperation, ValueError):
        raise MessageInvalid(
            "price_per_kwh", "price_per_kwh must be a number of dollars, e.g. 0.125.", "price_not_number"
        ) from None
    exponent = price.as_tuple().exponent  # a letter for NaN and infinities
    if not isinstance(exponent, int) or exponent < -5 or not Decimal(0) <= price <= MAX_PRICE_PER_KWH:
        raise MessageInvalid(
            "price_per_kwh",
            f"price_per_kwh must be from 0 to {MAX_PRICE_PER_KWH} dollars, at most 5 decimals.",
            "price_out_of_range",
            most=str(MAX_PRICE_PER_KWH),
        )
    raw_start = data.get("starts_at")
    try:
        starts_at = datetime.fromisoformat(str(raw_start)) if raw_start not in (None, "") else now
    except ValueError:
        raise MessageInvalid(
            "starts_at", "starts_at must be an ISO 8601 time with its offset.", "starts_at_not_time"
        ) from None
    if starts_at.tzinfo is None:
        raise MessageInvalid(
            "starts_at",
            "starts_at needs its UTC offset, e.g. 2026-07-01T14:00:00-05:00.",
            "starts_at_no_offset",
        )
    if not now - MAX_START_BEHIND <= starts_at <= now + MAX_START_AHEAD:
        raise MessageInvalid(
            "starts_at", "starts_at must be from now to 7 days ahead.", "starts_at_out_of_range"
        )
    label = data.get("rate_label", "")
    if not isinstance(label, str) or len(label) > MAX_RATE_LABEL:
        raise MessageInvalid(
            "rate_label",
            f"rate_label must be text of at most {MAX_RATE_LABEL} characters.",
            "rate_label_too_long",
            most=MAX_RATE_LABEL,
        )
    return MessageSpec(
        "price",
        duration,
        price_tier=tier,
        price_per_kwh=price,
        starts_at=starts_at,
        rate_label=label.strip(),
    )
