"""E-mail to an organization: its contact address and every member, with a link to the developer pages."""

from __future__ import annotations

from typing import Any

from portal.accounts.mail import email_send_template, url
from thirdparty.models import Organization


def organization_mail(organization: Organization, template: str, **context: Any) -> None:
    """Send ``thirdparty/email/<template>`` to the organization's contact address and its members."""
    recipients = {organization.contact_email} | {
        m.user.email for m in organization.membership_set.select_related("user") if m.user.email
    }
    recipients.discard("")
    if not recipients:
        return
    email_send_template(
        template_prefix=f"thirdparty/email/{template}",
        to=sorted(recipients),
        context={"organization": organization, "dev_url": url("thirdparty:dev_home"), **context},
    )
