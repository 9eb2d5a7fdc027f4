"""``{{ read|read_failure }}``: a failed or refused read's message in the page's language
(``portal.reads.failures``)."""

from django import template

from portal.reads.failures import read_failure_text

register = template.Library()


@register.filter
def read_failure(read) -> str:
    return read_failure_text(read.failure_code, read.failure_message)
