"""The e-mail every member of an organization (and its contact address) gets when a credential that reaches
customers' data is created or replaced on its account: an API key, an OAuth client (or its secret), a webhook
signing secret. A credential nobody in the organization expected is the first sign of a stolen account."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from thirdparty.mail import organization_mail
from thirdparty.models import Organization


def credential_created_notify(*, organization: Organization | None, what: str, by: Any = None) -> None:
    """E-mail the organization that ``what`` ("API key “billing”", …) was created, by whom and when."""
    if organization is None:
        return
    organization_mail(
        organization,
        "credential_created",
        what=what,
        by=getattr(by, "username", "") or "an administrator or a script",
        when=timezone.localtime(),
    )
