"""Webhook settings of an application and the log of every delivery (the third party can see and replay it)."""

import secrets
import uuid

from django.conf import settings
from django.db import models


def webhook_secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """Where and how an application receives events: the URL lives on the Application, the secret here."""

    class Style(models.TextChoices):
        JSON = "json", "Signed JSON events"
        ESPI = "espi", "Green Button BatchList notification"

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoint"
    )
    secret = models.CharField(max_length=80, default=webhook_secret_generate)
    style = models.CharField(max_length=8, choices=Style.choices, default=Style.JSON)
    espi_notify_url = models.URLField(
        blank=True, help_text="Green Button notify URL; BatchList notifications go here when set."
    )
    rotated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook endpoint"

    def __str__(self):
        return f"Webhook of {self.application}"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one application, with every attempt's outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        RETRYING = "retrying", "Failed, will retry"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "thirdparty.Organization", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="webhook_deliveries",
    )
    event = models.CharField(max_length=40, db_index=True)
    style = models.CharField(max_length=8, default="json")
    url = models.URLField(max_length=500)
    body = models.TextField(help_text="The exact bytes sent (UTF-8).")
    content_type = models.CharField(max_length=60, default="application/json")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    attempt_log = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} → {self.url} ({self.get_status_display()})"
