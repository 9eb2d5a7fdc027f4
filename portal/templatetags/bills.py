"""``{{ tenths|dollars }}``: tenths of a cent as "$12.35" (2 decimals, half up; "—" for none)."""

from django import template

from portal.bills.compute import dollars_text

register = template.Library()


@register.filter
def dollars(tenths: int | None) -> str:
    return dollars_text(tenths)
