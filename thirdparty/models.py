"""Organizations that receive data (third parties, REPs) and our own OAuth 2.0 models.

django-oauth-toolkit's models are swapped for these from the first migration so that tokens and grants can
carry the consent agreement they belong to.
"""

from django.conf import settings
from django.db import models
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

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.APPROVED


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
    class Meta(AbstractGrant.Meta):
        swappable = "OAUTH2_PROVIDER_GRANT_MODEL"


class AccessToken(AbstractAccessToken):
    class Meta(AbstractAccessToken.Meta):
        swappable = "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL"


class RefreshToken(AbstractRefreshToken):
    class Meta(AbstractRefreshToken.Meta):
        swappable = "OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL"


class IDToken(AbstractIDToken):
    class Meta(AbstractIDToken.Meta):
        swappable = "OAUTH2_PROVIDER_ID_TOKEN_MODEL"


class DeviceGrant(AbstractDeviceGrant):
    class Meta(AbstractDeviceGrant.Meta):
        swappable = "OAUTH2_PROVIDER_DEVICE_GRANT_MODEL"
