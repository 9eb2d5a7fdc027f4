"""``{{ device|device_failure }}``: why a device's join failed, in the page's language (``han.code_messages``);
works on a device and on one of its status changes alike."""

from django import template

from han.code_messages import device_failure_text
from han.models import Device, DeviceStatusChange

register = template.Library()


@register.filter
def device_failure(record: Device | DeviceStatusChange) -> str:
    return device_failure_text(record.failure_code, record.failure_message)
