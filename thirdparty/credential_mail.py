"""The e-mail every member of an organization (and its contact address) gets when a credential that reaches
customers' data is created or replaced on its account: an API key, an OAuth client (or its secret), a webhook
signing secret. A credential nobody in the organization expected is the first sign of a stolen account."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from portal.accounts.mail import email_send_template, url
from thirdparty.models import Organization


def credential_created_notify(*, organization: Organization | None, what: str, by: Any = None) -> None:
    """E-mail the organization that ``what`` ("API key “billing”", …) was created, by whom and when."""
    if organization is None:
        return
    recipients = {organization.contact_email} | {
        m.user.email for m in organization.membership_set.select_related("user") if m.user.email
    }
    recipients.discard("")
    if not recipients:
        return
    email_send_template(
        template_prefix="thirdparty/email/credential_created",
        to=sorted(recipients),
        context={
            "organization": organization,
            "what": what,
            "by": getattr(by, "username", "") or "an administrator or a script",
            "when": timezone.localtime(),
            "dev_url": url("thirdparty:dev_home"),
        },
    )
