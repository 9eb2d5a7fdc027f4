"""Reads for account pages: premises with windows, household members, the "my account data" export."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from portal.access_window import (  # noqa: F401 (re-export)
    CustomerPremise,
    customer_premises,
    customer_windows,
)
from portal.models import MembershipRequest, PremiseRegistration, ServicePeriod


def household_members(*, period: ServicePeriod, exclude_user=None) -> list[str]:
    """Usernames of the accounts registered in ``period`` (the household), sorted."""
    qs = get_user_model().objects.filter(premise_registrations__period=period, is_active=True)
    if exclude_user is not None:
        qs = qs.exclude(pk=exclude_user.pk)
    return sorted(qs.values_list("username", flat=True).distinct())


def household_members_by_period(*, user) -> dict[int, list[str]]:
    """For each period ``user`` registered: the other accounts registered in it (one query)."""
    rows = (
        PremiseRegistration.objects.filter(period__registrations__user=user, user__is_active=True)
        .exclude(user=user)
        .values_list("period_id", "user__username")
        .distinct()
    )
    out: dict[int, list[str]] = {}
    for period_id, username in rows:
        out.setdefault(period_id, []).append(username)
    return {k: sorted(v) for k, v in out.items()}


def household_rows(*, user) -> dict:
    """For the account page: per period ``user`` is a member of, the members (registrations, ``user`` too)
    and the pending requests to join; and ``user``'s own pending requests ("mine")."""
    periods = PremiseRegistration.objects.filter(user=user).values("period_id")
    members: dict[int, list[PremiseRegistration]] = {}
    for reg in (
        PremiseRegistration.objects.filter(period_id__in=periods)
        .select_related("user")
        .order_by("created_at")
    ):
        members.setdefault(reg.period_id, []).append(reg)
    requests: dict[int, list[MembershipRequest]] = {}
    for req in MembershipRequest.objects.filter(period_id__in=periods).select_related("user"):
        requests.setdefault(req.period_id, []).append(req)
    mine = list(MembershipRequest.objects.filter(user=user).select_related("period__premise"))
    return {"members": members, "requests": requests, "mine": mine}


def account_data_export(*, user) -> dict:
    """Everything the account holds about its owner, as JSON-ready data ("download my account data")."""
    from allauth.account.models import EmailAddress

    premises = []
    for cp in customer_premises(user=user):
        premises.append(
            {
                "esiid": cp.premise.esiid,
                "address": cp.premise.address,
                "current": cp.is_current,
                "occupancies": [
                    {
                        "move_in": p.starts_on.isoformat(),
                        "move_out": p.ends_on.isoformat() if p.ends_on else None,
                    }
                    for p in cp.periods
                ],
                "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in cp.windows],
            }
        )
    sessions = []
    try:
        from allauth.usersessions.models import UserSession

        for s in UserSession.objects.filter(user=user).order_by("-created_at"):
            sessions.append(
                {
                    "ip": s.ip,
                    "user_agent": s.user_agent,
                    "started": s.created_at.isoformat(),
                    "last_seen": s.last_seen_at.isoformat() if s.last_seen_at else None,
                }
            )
    except (ImportError, LookupError, RuntimeError):
        pass
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "two_factor": sorted(user.authenticator_set.values_list("type", flat=True)),
        "premises": premises,
        "sessions": sessions,
    }
