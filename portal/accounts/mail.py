"""Every e-mail of the accounts side goes out through here: rendered now, delivered by a Celery task."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

SUBJECT_PREFIX = "[Open SMT] "


def absolute_url(path: str) -> str:
    """``SITE_URL`` + path: e-mails link to the public site, never to whatever Host a request carried."""
    return settings.SITE_URL + path


def url(name: str, *args, **kwargs) -> str:
    return absolute_url(reverse(name, args=args, kwargs=kwargs))


def email_serialize(message: EmailMessage) -> dict:
    html = None
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                html = content
    return {
        "subject": str(message.subject),
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "html": html,
        "headers": dict(message.extra_headers or {}),
    }


def email_enqueue(message: EmailMessage | dict) -> None:
    """Send once the current transaction commits (at once outside one), through ``portal.tasks.email_send``."""
    from portal.tasks import email_send

    data = message if isinstance(message, dict) else email_serialize(message)
    transaction.on_commit(lambda: email_send.delay(data), robust=True)


def email_render(*, template_prefix: str, to: list[str], context: dict, language: str | None = None) -> dict:
    """Render ``<prefix>_subject.txt`` and ``<prefix>_message.txt`` with the site's links in the context, in
    ``language`` (the recipient's: ``portal.accounts.language.recipient_language``), else the site's default."""
    ctx = {"site_url": settings.SITE_URL, "site_name": "Open Smart Meter Texas", **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", ctx).splitlines()).strip()
        body = render_to_string(f"{template_prefix}_message.txt", ctx).strip() + "\n"
    return {
        "subject": SUBJECT_PREFIX + subject,
        "body": body,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "to": to,
        "html": None,
        "headers": {},
    }


def email_send_template(
    *, template_prefix: str, to: list[str], context: dict, language: str | None = None
) -> None:
    email_enqueue(email_render(template_prefix=template_prefix, to=to, context=context, language=language))
