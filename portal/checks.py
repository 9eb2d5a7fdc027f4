"""System checks for invariants that settings alone cannot express."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=True)
def production_secrets(app_configs, **kwargs):
    problems = []
    if not settings.REGISTRATION_CODE_KEY:
        problems.append(
            Error(
                "REGISTRATION_CODE_KEY is not set: registration codes would use a development key.",
                hint="Set REGISTRATION_CODE_KEY to a long random value, kept apart from SECRET_KEY.",
                id="smt.E001",
            )
        )
    if not settings.USE_TZ:
        problems.append(Error("USE_TZ must be True: instants are stored in UTC.", id="smt.E002"))
    if not settings.ALLOWED_HOSTS:
        problems.append(Error("ALLOWED_HOSTS is empty.", hint="Set ALLOWED_HOSTS.", id="smt.E003"))
    if settings.SITE_URL.startswith("http://") and not settings.DEBUG:
        problems.append(
            Warning(
                "SITE_URL is not https: links in e-mails and Green Button XML will be insecure.",
                id="smt.W001",
            )
        )
    return problems


@register()
def access_window(app_configs, **kwargs):
    if settings.ACCESS_WINDOW_MONTHS < 13:
        return [
            Error(
                f"ACCESS_WINDOW_MONTHS is {settings.ACCESS_WINDOW_MONTHS}: it must be at least 13.",
                hint="Everyone must be able to see a whole year and the same month a year ago; set 13 or more.",
                id="smt.E004",
            )
        ]
    return []
