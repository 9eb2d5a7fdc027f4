"""A failed or refused meter read's message in the reader's language, from its ``failure_code``.

The head-end answers with a code and its own English text, which the read keeps as it came (the audit trail,
the webhooks and the Smart Meter Texas compatibility API's ``statusReason`` show it as stored). The portal and
the API show the message for a code listed here in the reader's language (the resident's, or the caller's
``Accept-Language``); a code not listed here — a real head-end may send its own — shows the stored text."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

#: the head-end adapters' codes (``usage.headend.simulated_meter``) and our own (``portal.reads.services``)
READ_FAILURES: dict[str, Promise] = {
    "no_response": gettext_lazy(
        "The meter did not answer: its radio network did not reach it this time. Please try again in a "
        "few minutes."
    ),
    "meter_busy": gettext_lazy(
        "The meter was busy sending its scheduled data and refused the request. Please try again shortly."
    ),
    "headend_timeout": gettext_lazy(
        "The utility's meter network timed out before the meter answered. Please try again later."
    ),
    "no_meter": gettext_lazy("No meter is installed here."),
    "timeout": gettext_lazy(
        "The meter did not answer within %(minutes)d minutes. This happens when the meter's radio network is "
        "busy; please try again later."
    ),
    "limit_hour": gettext_lazy(
        "This meter had already had its %(per_hour)d reads that hour, the most a meter's network allows us to "
        "ask for."
    ),
    "limit_day": gettext_lazy(
        "This meter had already had its %(per_day)d reads in 24 hours, the most a meter's network allows us "
        "to ask for."
    ),
    "limit": gettext_lazy(
        "This meter had already had the most reads a meter's network allows us to ask for."
    ),
}


def read_failure_text(code: str, stored: str) -> str:
    """The message for ``code`` in the active language; ``stored`` (the head-end's own words) for a code this
    module does not know."""
    text = READ_FAILURES.get(code)
    if text is None:
        return stored
    return str(text) % {
        "minutes": settings.ON_DEMAND_READ_TIMEOUT_SECONDS // 60,
        "per_hour": settings.ON_DEMAND_READS_PER_HOUR,
        "per_day": settings.ON_DEMAND_READS_PER_DAY,
    }
