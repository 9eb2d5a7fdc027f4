"""``{{ user_agent|device_name }}``: "Firefox on Windows" for the sessions pages."""

from django import template

from portal.accounts.useragent import device_name as _device_name

register = template.Library()


@register.filter
def device_name(user_agent):
    return _device_name(user_agent)
