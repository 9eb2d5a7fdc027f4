"""The demo third party: one approved organization with a confidential OAuth application.

portal sits below thirdparty (imports run api → thirdparty → portal → usage), so this module reaches the
thirdparty models through the app registry instead of importing them; only ``seed_demo`` calls it.

The client secret is a fixed, documented demo value so the API guide's examples work on every machine.
django-oauth-toolkit stores it hashed (``hash_client_secret``); the plaintext lives only here and in the docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from thirdparty.models import Application, Membership, Organization

ORGANIZATION_NAME = "WattWise Energy Insights LLC"
CLIENT_ID = "wattwise-demo-client"
CLIENT_SECRET = "wattwise-demo-secret-do-not-use-in-production"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
SCOPES = ["profile:read", "premises:read", "usage:read", "billing:read"]


@dataclass
class DemoThirdParty:
    organization: Organization
    application: Application
    created: bool


@transaction.atomic
def demo_third_party_ensure(*, member=None) -> DemoThirdParty:
    """Create (or find) the approved organization and its OAuth application; ``member`` becomes its admin."""
    organization, _ = Organization.objects.get_or_create(
        legal_name=ORGANIZATION_NAME,
        defaults={
            "kind": Organization.Kind.THIRD_PARTY,
            "contact_name": "Priya Shah",
            "contact_email": "developers@wattwise.example.com",
            "website": "https://wattwise.example.com/",
            "privacy_policy_url": "https://wattwise.example.com/privacy",
            "status": Organization.Status.APPROVED,
            "approved_at": timezone.now(),
        },
    )
    if organization.status != Organization.Status.APPROVED:
        organization.status = Organization.Status.APPROVED
        organization.approved_at = organization.approved_at or timezone.now()
        organization.save(update_fields=["status", "approved_at"])
    if member is not None and not Membership.objects.filter(user=member).exists():
        Membership.objects.create(organization=organization, user=member, role=Membership.Role.ADMIN)

    application = Application.objects.filter(client_id=CLIENT_ID).first()
    created = application is None
    if created:
        application = Application(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,  # hashed on save
            hash_client_secret=True,
            name="WattWise home energy report",
            organization=organization,
            user=member,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=REDIRECT_URI,
            allowed_scopes=SCOPES,
            description="Demo application: monthly home energy reports from your 15-minute data.",
        )
        application.save()
    return DemoThirdParty(organization=organization, application=application, created=created)
