"""Registration with ESI ID + registration code, premises on an account, household notices, account deletion.

The public entry points are ``registration_check`` (validate a typed ESI ID + code), ``premise_register_check``
(the same for an account: also refuses a premise already on it), ``premise_register`` (add a premise to a
signed-in account), ``premise_registration_create`` (link an account to a period without a code:
administrators, demo data, and sign-up once the account exists) and ``account_delete``.

Enumeration: an unknown ESI ID, a premise without a current occupancy and a wrong code all get the same answer
and all count against the per-IP and per-IP-and-ESI-ID limits, so nobody without the bill learns whether an ESI ID
exists. Only someone who typed a code that *was* right learns more (the occupancy ended; no smart meter yet).
"""

from __future__ import annotations

import logging
from functools import cache as memoize

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from portal.accounts.language import recipient_language
from portal.accounts.mail import email_send_template, url
from portal.accounts.ratelimit import Throttle, registration_failure_record, registration_throttle
from portal.accounts.signals import account_deleting
from portal.codes import code_encrypt, code_matches, code_normalize
from portal.models import MembershipRequest, PremiseRegistration, ServicePeriod
from portal.services import registration_code_rotate
from usage.esiid import InvalidEsiid, esiid_validate
from usage.models import Premise, Tdu

logger = logging.getLogger(__name__)

# How many ended occupancies to try an old code against (to say "that code is from an ended occupancy").
ENDED_PERIODS_CHECKED = 3


class RegistrationRefused(Exception):
    """Why an ESI ID + code was not accepted, in words for the person, and which field to fix."""

    def __init__(
        self, message: str, *, code: str, field: str | None = None, throttle: Throttle | None = None
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.throttle = throttle


def _no_match_message(attempts_left: int) -> str:
    message = _(
        "That ESI ID and registration code do not match a current service. Check both against your most "
        "recent bill: the code is printed next to the ESI ID, and it changes when a new occupant moves in."
    )
    if attempts_left <= 2:
        message += " " + ngettext(
            "%(count)d more attempt this hour from your network before you have to wait.",
            "%(count)d more attempts this hour from your network before you have to wait.",
            attempts_left,
        ) % {"count": attempts_left}
    return message


def _day(d) -> str:
    return date_format(d, pgettext("date format", "F j, Y"))


def _esiid_problem(exc: InvalidEsiid) -> str:
    """What is wrong with a typed ESI ID, in the reader's language (``usage.esiid`` stays free of Django)."""
    if exc.reason == "missing":
        return _("Enter the ESI ID printed on your electricity bill (17 or 22 digits).")
    if exc.reason == "not_digits":
        return _("An ESI ID has digits only; check it against your bill.")
    if exc.reason == "length":
        return _("An ESI ID has 17 or 22 digits; this one has %(count)d.") % {"count": len(exc.esiid)}
    return str(exc)


@memoize
def _dummy_token() -> bytes:
    return code_encrypt("UNUSEDUNUSED")


def esiid_clean(raw: str) -> str:
    """The normalised ESI ID, or RegistrationRefused saying what is wrong with its form (reveals nothing)."""
    try:
        esiid = esiid_validate(raw)
    except InvalidEsiid as exc:
        raise RegistrationRefused(_esiid_problem(exc), code="esiid_invalid", field="esiid") from exc
    prefixes = [
        p for prefixes in Tdu.objects.values_list("esiid_prefixes", flat=True) for p in prefixes or []
    ]
    every_tdu_has_prefixes = not Tdu.objects.filter(esiid_prefixes=[]).exists()
    if prefixes and every_tdu_has_prefixes and not any(esiid.startswith(p) for p in prefixes):
        raise RegistrationRefused(
            _(
                "No Texas utility issues ESI IDs that start with %(prefix)s. Check the number on your bill "
                "(it is usually labelled “ESI ID” or “ESID”)."
            )
            % {"prefix": esiid[:7]},
            code="esiid_unknown_utility",
            field="esiid",
        )
    return esiid


def registration_check(*, esiid: str, code: str, client_ip: str | None = None) -> ServicePeriod:
    """The open service period that ``esiid`` + ``code`` register, or RegistrationRefused.

    Failed attempts count against REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR and ..._PER_IP_ESIID_PER_HOUR; once
    either is used up, attempts from that address are refused (code "throttled", with the Throttle) without
    being checked. Nobody else's failures count against an address, so the right code always works for a
    person within their own limits."""
    esiid = esiid_clean(esiid)
    if not code_normalize(code):
        raise RegistrationRefused(
            _("Enter the registration code printed on your bill next to the ESI ID."),
            code="code_missing",
            field="registration_code",
        )
    throttle = registration_throttle(esiid=esiid, ip=client_ip)
    if throttle is not None:
        logger.warning("registration throttled", extra={"scope": throttle.scope})
        raise RegistrationRefused(throttle.message, code="throttled", throttle=throttle)

    premise = Premise.objects.filter(esiid=esiid).first()
    matched = None
    if premise is None:
        code_matches(_dummy_token(), code)  # same work as a wrong code, so timing tells nothing either
    else:
        periods = list(premise.service_periods.order_by("-starts_on")[: ENDED_PERIODS_CHECKED + 1])
        periods.sort(key=lambda p: (not p.is_open, -p.starts_on.toordinal()))
        matched = next((p for p in periods if code_matches(p.registration_code_encrypted, code)), None)

    if matched is None or not matched.is_open:
        left = registration_failure_record(esiid=esiid, ip=client_ip)
        if matched is not None:
            raise RegistrationRefused(
                _(
                    "That registration code belonged to an occupancy that ended on %(day)s. "
                    "Each new occupant gets a new code: use the one on your most recent bill, or ask your "
                    "retail electric provider for it."
                )
                % {"day": _day(matched.ends_on)},
                code="code_ended",
                field="registration_code",
            )
        raise RegistrationRefused(_no_match_message(left), code="no_match", field="registration_code")

    if not premise.meters.filter(removed_on__isnull=True).exists():
        raise RegistrationRefused(
            _(
                "Your premise has no smart meter yet, so there is no data to show. %(tdu)s installs the "
                "meters: ask them when yours is due, then register here with the code on your next bill."
            )
            % {"tdu": premise.tdu},
            code="no_meter",
            field="esiid",
        )
    return matched


def premise_register_check(*, user, esiid: str, code: str, client_ip: str | None = None) -> ServicePeriod:
    """The open service period ``user`` may register with ``esiid`` + ``code``, or RegistrationRefused:
    ``registration_check``, then "already on your account" when ``user`` registered that period before.
    ``user`` is None at sign-up (no account yet, so nothing is on it)."""
    period = registration_check(esiid=esiid, code=code, client_ip=client_ip)
    if user is not None and PremiseRegistration.objects.filter(user=user, period=period).exists():
        raise RegistrationRefused(
            _("ESI ID %(esiid)s is already on your account.") % {"esiid": period.premise.esiid},
            code="already_registered",
            field="esiid",
        )
    if user is not None and MembershipRequest.objects.filter(user=user, period=period).exists():
        raise RegistrationRefused(
            _(
                "You already asked to join the household of ESI ID %(esiid)s; a member has to "
                "approve it (they were told by e-mail)."
            )
            % {"esiid": period.premise.esiid},
            code="already_requested",
            field="esiid",
        )
    return period


def premise_register(
    *,
    user,
    esiid: str,
    code: str,
    client_ip: str | None = None,
    source: str = PremiseRegistration.Source.ADD_PREMISE,
) -> PremiseRegistration | MembershipRequest:
    """Add the premise of ``esiid`` to ``user``'s account for its current occupancy (code from the bill): at once
    with a fresh code, else as a request a member approves (``premise_join``)."""
    period = premise_register_check(user=user, esiid=esiid, code=code, client_ip=client_ip)
    return premise_join(user=user, period=period, source=source)


def code_admits_freely(*, period: ServicePeriod) -> bool:
    """True when the period's current code was issued after its newest member joined (or it has no member):
    whoever holds it is the first registration, or was handed a fresh code by the occupant."""
    newest = PremiseRegistration.objects.filter(period=period).aggregate(newest=Max("created_at"))["newest"]
    return newest is None or period.code_rotated_at > newest


@transaction.atomic
def premise_join(
    *, user, period: ServicePeriod, source: str = PremiseRegistration.Source.SIGNUP
) -> PremiseRegistration | MembershipRequest:
    """Join ``period`` with its code: a code issued after the newest member joined admits ``user`` at once; an
    older one makes a ``MembershipRequest`` that an existing member approves or declines (they are e-mailed)."""
    ServicePeriod.objects.select_for_update().filter(pk=period.pk).first()
    if code_admits_freely(period=period):
        return premise_registration_create(user=user, period=period, source=source)
    request, created = MembershipRequest.objects.get_or_create(
        user=user, period=period, defaults={"source": source}
    )
    if created:
        _household_mail(
            period=period,
            template="household_join_requested",
            context={"requester": user.username},
        )
    return request


@transaction.atomic
def premise_registration_create(
    *, user, period: ServicePeriod, source: str = PremiseRegistration.Source.ADMIN, notify: bool = True
) -> PremiseRegistration:
    """Link ``user`` to ``period`` (idempotent); tell the period's other accounts (household members)."""
    registration, created = PremiseRegistration.objects.get_or_create(
        user=user, period=period, defaults={"source": source}
    )
    if created and notify:
        household_notify(registration=registration)
    return registration


def household_notify(*, registration: PremiseRegistration) -> int:
    """E-mail every other account registered in the same period; return how many were told."""
    period = registration.period
    premise = period.premise
    others = (
        get_user_model()
        .objects.filter(premise_registrations__period=period, is_active=True)
        .exclude(pk=registration.user_id)
        .exclude(email="")
        .distinct()
    )
    members = sorted(
        PremiseRegistration.objects.filter(period=period).values_list("user__username", flat=True)
    )
    told = 0
    for other in others:
        email_send_template(
            template_prefix="portal/accounts/email/household_member_added",
            to=[other.email],
            language=recipient_language(other),
            context={
                "recipient": other,
                "new_member": registration.user.username,
                "premise": premise,
                "members": members,
                "account_url": url("account_overview"),
            },
        )
        told += 1
    return told


class HouseholdRefused(Exception):
    """A household action the account may not take (not a member, not found)."""


def _member_registration(*, member, period_id: int) -> PremiseRegistration:
    registration = PremiseRegistration.objects.filter(user=member, period_id=period_id).first()
    if registration is None:
        raise HouseholdRefused(_("Only a member of this household can do that."))
    return registration


def _household_mail(*, period: ServicePeriod, template: str, context: dict, extra_users=()) -> int:
    """E-mail every member of ``period`` (and ``extra_users``) one of the household templates."""
    members = list(
        get_user_model().objects.filter(premise_registrations__period=period, is_active=True).distinct()
    )
    recipients = {u.pk: u for u in [*members, *extra_users] if u.email}
    names = sorted(u.username for u in members)
    for user in recipients.values():
        email_send_template(
            template_prefix=f"portal/accounts/email/{template}",
            to=[user.email],
            language=recipient_language(user),
            context={
                "recipient": user,
                "premise": period.premise,
                "members": names,
                "account_url": url("account_overview"),
                **context,
            },
        )
    return len(recipients)


@transaction.atomic
def membership_approve(*, member, request_id: int) -> PremiseRegistration:
    """A member lets a pending requester into the household; the requester and the others are told."""
    request = (
        MembershipRequest.objects.select_related("user", "period__premise").filter(pk=request_id).first()
    )
    if request is None:
        raise HouseholdRefused(_("That request was already answered or withdrawn."))
    _member_registration(member=member, period_id=request.period_id)
    requester, period = request.user, request.period
    request.delete()
    registration = premise_registration_create(
        user=requester, period=period, source=PremiseRegistration.Source.APPROVED
    )
    _answer_mail(requester=requester, period=period, approved=True, by=member)
    return registration


@transaction.atomic
def membership_decline(*, member, request_id: int) -> None:
    request = (
        MembershipRequest.objects.select_related("user", "period__premise").filter(pk=request_id).first()
    )
    if request is None:
        raise HouseholdRefused(_("That request was already answered or withdrawn."))
    _member_registration(member=member, period_id=request.period_id)
    request.delete()
    _answer_mail(requester=request.user, period=request.period, approved=False, by=member)


def _answer_mail(*, requester, period: ServicePeriod, approved: bool, by) -> None:
    if requester.email:
        email_send_template(
            template_prefix="portal/accounts/email/household_join_answered",
            to=[requester.email],
            language=recipient_language(requester),
            context={
                "recipient": requester,
                "premise": period.premise,
                "approved": approved,
                "by": by.username,
                "account_url": url("account_overview"),
            },
        )


@transaction.atomic
def membership_remove(*, member, registration_id: int) -> ServicePeriod:
    """Any member removes another (or leaves): the code is rotated, so the removed account cannot rejoin with
    the code it held, and every member (the removed one too) is told by e-mail."""
    registration = (
        PremiseRegistration.objects.select_related("user", "period__premise")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise HouseholdRefused(_("That account is no longer in the household."))
    _member_registration(member=member, period_id=registration.period_id)
    period, removed = registration.period, registration.user
    registration.delete()
    if period.is_open:
        registration_code_rotate(period=period)
    _household_mail(
        period=period,
        template="household_member_removed",
        context={"removed": removed.username, "by": member.username},
        extra_users=[removed],
    )
    return period


@transaction.atomic
def household_code_renew(*, member, period_id: int) -> str:
    """A member gets a fresh code for the current occupancy, to hand to someone joining the household: a code
    issued after the newest member joined admits its holder without approval. The bill's code stops working."""
    registration = _member_registration(member=member, period_id=period_id)
    period = registration.period
    if not period.is_open:
        raise HouseholdRefused(_("This occupancy has ended; it has no registration code any more."))
    registration_code_rotate(period=period)
    period.refresh_from_db()
    return period.registration_code or ""


@transaction.atomic
def household_reset(*, period: ServicePeriod, by: str) -> int:
    """Settle a dispute (the REP of record or an administrator): end every membership and pending request of
    the occupancy and rotate its code; the occupant registers again with the new code. Returns how many
    memberships ended; every member is told by e-mail."""
    members = list(get_user_model().objects.filter(premise_registrations__period=period).distinct())
    ended, _by_model = PremiseRegistration.objects.filter(period=period).delete()
    MembershipRequest.objects.filter(period=period).delete()
    if period.is_open:
        registration_code_rotate(period=period)
    _household_mail(period=period, template="household_reset", context={"by": by}, extra_users=members)
    return ended


def account_delete(*, user) -> None:
    """Delete the account: higher layers end its agreements first (signal), then its data access ends."""
    with transaction.atomic():
        account_deleting.send(sender=type(user), user=user)
        user.delete()
