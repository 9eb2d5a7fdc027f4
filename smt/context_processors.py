"""Values every page may show: the support contact (``SUPPORT_CONTACT``), for people whose e-mail is not arriving."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {"support_contact": settings.SUPPORT_CONTACT}
