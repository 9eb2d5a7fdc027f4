"""Third-party onboarding: an organization signs up, an administrator approves or suspends it (reason e-mailed).

Suspension stops the organization's every token and API key at once, and ends its active agreements
with the status "organization suspended". A REP organization follows its REP through a registry merge.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from portal.models import Rep
from thirdparty.access import cache_bump_on_commit
from thirdparty.mail import organization_mail
from thirdparty.models import AccessToken, ApiKey, Grant, Membership, Organization, RefreshToken
from thirdparty.services.agreements import agreements_suspend_for_organization


@transaction.atomic
def organization_signup(
    *,
    user,
    legal_name: str,
    contact_email: str,
    contact_name: str = "",
    puct_registration: str = "",
    website: str = "",
    privacy_policy_url: str = "",
    logo=None,
) -> Organization:
    """A new third-party organization, waiting for approval, with ``user`` as its administrator."""
    if Membership.objects.filter(user=user).exists():
        raise ValidationError("Your account already belongs to an organization.")
    organization = Organization(
        kind=Organization.Kind.THIRD_PARTY,
        legal_name=(legal_name or "").strip(),
        contact_email=(contact_email or "").strip(),
        contact_name=(contact_name or "").strip(),
        puct_registration=(puct_registration or "").strip(),
        website=(website or "").strip(),
        privacy_policy_url=(privacy_policy_url or "").strip(),
        status=Organization.Status.PENDING,
    )
    if logo:
        organization.logo = logo
    organization.full_clean(exclude=["rep", "logo"])
    organization.save()
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    organization_mail(organization, "organization_received")
    transaction.on_commit(
        lambda: mail_admins(
            f"Third party waiting for approval: {organization.legal_name}",
            f"Review it in the admin: {settings.SITE_URL}/admin/thirdparty/organization/{organization.pk}/change/",
            fail_silently=True,
        )
    )
    return organization


@transaction.atomic
def organization_approve(*, organization: Organization, by=None, reason: str = "") -> Organization:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    organization.status = Organization.Status.APPROVED
    organization.status_reason = reason
    organization.approved_at = organization.approved_at or timezone.now()
    organization.suspended_at = None
    organization.save(update_fields=["status", "status_reason", "approved_at", "suspended_at"])
    organization_mail(organization, "organization_approved", reason=reason)
    return organization


@transaction.atomic
def organization_suspend(*, organization: Organization, reason: str, by=None) -> Organization:
    """Suspend now: every token and key stops, every active agreement ends ("organization suspended")."""
    if not (reason or "").strip():
        raise ValidationError("Give the reason for the suspension: it is e-mailed to the organization.")
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    now = timezone.now()
    organization.status = Organization.Status.SUSPENDED
    organization.status_reason = reason.strip()
    organization.suspended_at = now
    organization.save(update_fields=["status", "status_reason", "suspended_at"])
    apps = organization.applications.all()
    RefreshToken.objects.filter(application__in=apps, revoked__isnull=True).update(revoked=now)
    AccessToken.objects.filter(application__in=apps).delete()
    Grant.objects.filter(application__in=apps).delete()
    ApiKey.objects.filter(organization=organization, revoked_at__isnull=True).update(revoked_at=now)
    cache_bump_on_commit()  # the keys were revoked in bulk (no signal)
    agreements_suspend_for_organization(organization=organization, by=by, reason=reason.strip())
    organization_mail(organization, "organization_suspended", reason=reason.strip())
    return organization


@transaction.atomic
def organization_follow_rep_merge(*, survivor: Rep, duplicate: Rep) -> Organization | None:
    """After ``portal.services.rep_merge`` moved ``duplicate``'s service periods to ``survivor``: the REP
    organization of ``duplicate`` goes on reading them. Returns the survivor's organization, if any.

    When the survivor has no organization, the duplicate's moves to it whole (members, API keys,
    applications). When it has one, the duplicate organization's API keys move to it, so the servers using
    them keep working; its members stay where they are (membership of the survivor's organization is an
    administrator's decision)."""
    moved = Organization.objects.select_for_update().filter(rep=duplicate).first()
    target = Organization.objects.select_for_update().filter(rep=survivor).first()
    if moved is not None:
        if target is None:
            moved.rep = survivor
            moved.save(update_fields=["rep"])
            target = moved
        else:
            ApiKey.objects.filter(organization=moved).update(organization=target)
    cache_bump_on_commit()  # the merge moved service periods (and maybe keys) in bulk: REP grants changed
    return target


def organization_of(user) -> Organization | None:
    """The organization ``user`` belongs to (a third party, or a REP managing its API keys and webhooks)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("-organization__kind")  # "third_party" before "rep"
        .first()
    )
    return membership.organization if membership else None
