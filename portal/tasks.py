"""Celery tasks of the portal: e-mail delivery with retries, and expiry of meter reads nobody answered.

E-mails are rendered in the request (templates, links, codes) and handed over as plain data; the task only
delivers them, retrying on SMTP and network errors with exponential back-off. Enqueued with
``transaction.on_commit`` (see portal.accounts.mail) so that a rolled-back sign-up sends nothing; with no broker
configured the task runs in-process (CELERY_TASK_ALWAYS_EAGER).
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection

from portal.alerts.services import alerts_for_file as alerts_for_file_send
from portal.alerts.services import alerts_for_read as alerts_for_read_send
from portal.alerts.sweep import alerts_checked
from portal.alerts.sweep import alerts_sweep as alerts_sweep_run
from portal.reads.services import read_expire_stale

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
)
def email_send(self, message: dict) -> int:
    """Deliver one e-mail given as ``{"subject", "body", "from_email", "to", "html", "headers"}``."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message.get("from_email"),
        to=message["to"],
        headers=message.get("headers") or None,
        connection=get_connection(),
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    sent = email.send()
    logger.info("e-mail sent", extra={"subject": message["subject"], "recipients": len(message["to"])})
    return sent


@shared_task(ignore_result=True)
def expire_stale_reads() -> int:
    """Requests no head-end answered in time become failed, with a message that says so."""
    return read_expire_stale()


@shared_task(ignore_result=True, acks_late=True)
def alerts_for_file(file_id: int) -> int:
    """The alert e-mails one loaded file calls for; each is recorded once, so a retry sends nothing twice."""
    queued = alerts_for_file_send(file_id=file_id)
    alerts_checked(file_id=file_id)
    return queued


@shared_task(ignore_result=True, acks_late=True)
def alerts_for_read(read_id: int) -> int:
    """The alert e-mails of one completed meter read."""
    queued = alerts_for_read_send(read_id=read_id)
    alerts_checked(read_id=read_id)
    return queued


@shared_task(ignore_result=True)
def alerts_sweep() -> int:
    """Enqueue the alert tasks of loads and reads whose task the broker refused when they committed."""
    return alerts_sweep_run(for_file=alerts_for_file.delay, for_read=alerts_for_read.delay)
