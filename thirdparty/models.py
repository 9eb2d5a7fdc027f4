"""Organizations that receive data (third parties, REPs), their consents (agreements), API keys, the access
log, webhook settings and deliveries, and our own OAuth 2.0 models.

django-oauth-toolkit's models are swapped for these from the first migration so that tokens and grants can
carry the consent agreement they belong to.
"""

import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractDeviceGrant,
    AbstractGrant,
    AbstractIDToken,
    AbstractRefreshToken,
)

from portal.models import Rep


class Organization(models.Model):
    """A data recipient: a third party (energy app, installer, broker) or a REP."""

    class Kind(models.TextChoices):
        THIRD_PARTY = "third_party", "Third party"
        REP = "rep", "Retail electric provider"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        SUSPENDED = "suspended", "Suspended"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.THIRD_PARTY)
    legal_name = models.CharField(max_length=200)
    puct_registration = models.CharField("PUCT registration number", max_length=40, blank=True)
    rep = models.OneToOneField(
        Rep,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organization",
        help_text="For REP organizations: the REP whose customers it may read.",
    )
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField()
    website = models.URLField(blank=True)
    privacy_policy_url = models.URLField(blank=True)
    logo = models.FileField(
        upload_to="logos/", blank=True, help_text="PNG, JPEG or SVG, shown on the consent page."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organizations"
    )

    class Meta:
        ordering = ["legal_name"]

    def __str__(self):
        return self.legal_name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_user")
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) at {self.organization}"


class AgreementQuerySet(models.QuerySet):
    def live(self, *, at: datetime | None = None):
        """The agreements that let their app read at ``at`` (default now): the one definition of "live".

        Live means: status active, ``valid_from <= at < valid_until``, and the organization approved.
        ``Agreement.is_live`` answers the same question for one loaded agreement."""
        at = at or timezone.now()
        return self.filter(
            status=Agreement.Status.ACTIVE,
            valid_from__lte=at,
            valid_until__gt=at,
            organization__status=Organization.Status.APPROVED,
        )


class Agreement(models.Model):
    """The record of one consent: a customer lets an organization's app read some premises, for a while.

    Tied to the customer's occupancy through AgreementPremise.service_period: a grant never reaches data
    outside the granting customer's own period, and move-out ends it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked by the customer")
        TERMINATED = "terminated", _("Terminated by the third party")
        ENDED_BY_MOVE_OUT = "ended_by_move_out", _("Ended by move-out")
        SUSPENDED = "suspended", _("Organization suspended")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreements"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="agreements")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements",
    )
    scopes = models.JSONField(default=list)
    history_start = models.DateField(help_text="The earliest local date of data the grant covers.")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_reason = models.CharField(max_length=300, blank=True)
    expiry_warning_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.organization} ← {self.customer} ({self.get_status_display()})"

    def is_live(self, *, at: datetime | None = None) -> bool:
        """Whether this agreement lets its app read at ``at`` (default now): ``Agreement.objects.live``'s
        conditions checked on this instance (load ``organization`` with it to save a query)."""
        at = at or timezone.now()
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from <= at < self.valid_until
            and self.organization.status == Organization.Status.APPROVED
        )


class AgreementPremise(models.Model):
    """One premise an agreement covers, within the granting customer's service period."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="premises")
    premise = models.ForeignKey("usage.Premise", on_delete=models.CASCADE, related_name="agreement_grants")
    service_period = models.ForeignKey(
        "portal.ServicePeriod", on_delete=models.CASCADE, related_name="agreement_grants"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "premise"], name="one_grant_per_premise")]

    def __str__(self):
        return f"{self.agreement_id}: {self.premise_id}"


class ApiKey(models.Model):
    """A server-to-server key of an organization: shown once, stored as a SHA-256 digest."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Visible part, e.g. smt_k3J9pQ2v.")
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.name})"


class AccessLogEntry(models.Model):
    """One read of a customer's data by someone other than the customer (the customer can read this log)."""

    at = models.DateTimeField(db_index=True)
    premise = models.ForeignKey("usage.Premise", on_delete=models.CASCADE, related_name="access_log")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="access_log")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(max_length=12, help_text="third_party or rep")
    resource = models.CharField(max_length=40, help_text="intervals, billing, summary, espi, export, ...")
    range_start = models.DateField(null=True, blank=True)
    range_end = models.DateField(null=True, blank=True)
    granularity = models.CharField(max_length=10, blank=True)
    data_format = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["premise", "-at"])]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.organization} read {self.premise_id}"


class Application(AbstractApplication):
    """An OAuth client registered by an organization."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="applications"
    )
    allowed_scopes = models.JSONField(
        default=list, blank=True, help_text="The scopes this application may ask customers for."
    )
    webhook_url = models.URLField(blank=True)
    description = models.TextField(blank=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"


class Grant(AbstractGrant):
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Kept (not deleted) once exchanged, so a replay is recognised and revokes what the code issued.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"


class AccessToken(AbstractAccessToken):
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.CASCADE, related_name="access_tokens"
    )

    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.CASCADE, related_name="refresh_tokens"
    )

    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"


class DeviceGrant(AbstractDeviceGrant):
    class Meta(AbstractDeviceGrant.Meta):
        swappable = "OAUTH2_PROVIDER_DEVICE_GRANT_MODEL"


def webhook_secret_generate() -> str:
    """A new webhook signing secret (``whsec_`` and 256 random bits)."""
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
    last_sequence = models.PositiveBigIntegerField(
        default=0, help_text="The sequence number of the last event queued for this application."
    )

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
        Organization, on_delete=models.CASCADE, related_name="webhook_deliveries"
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
    sequence = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Per application (subscription), in the order events were queued."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} → {self.url} ({self.get_status_display()})"
