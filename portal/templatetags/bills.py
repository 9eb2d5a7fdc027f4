"""``{{ tenths|dollars }}``: tenths of a cent as "$12.35" (2 decimals, half up; "—" for none)."""

from decimal import Decimal

from django import template

from portal.bills.compute import dollars_text

register = template.Library()


@register.filter
def dollars(tenths: int | None) -> str:
    return dollars_text(tenths)


@register.filter
def plain_number(value: Decimal | None) -> str:
    """A Decimal without trailing zeros or exponent: 12.5000 → "12.5", 10 → "10"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
