"""Agreements: the record of one consent, from creation at the consent page to its end.

An agreement ends in exactly one of these ways, each stopping every token of it at once:
revoked by the customer, terminated by the third party, expired (periodic task), ended by move-out
(signal from portal), organization suspended (onboarding.organization_suspend).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access_window import market_today, months_before, window_start
from portal.accounts.language import recipient_language
from portal.accounts.mail import email_send_template, url
from portal.models import PremiseRegistration, ServicePeriod
from thirdparty.models import (
    AccessToken,
    Agreement,
    AgreementPremise,
    Application,
    Grant,
    Organization,
    RefreshToken,
)
from thirdparty.scopes import SCOPES, scopes_expand
from thirdparty.webhooks.delivery import webhook_send
from usage.models import IngestFile, IntervalDay
from usage.timegrid import MARKET_TZ

log = logging.getLogger(__name__)

ENDED_EVENTS = {
    Agreement.Status.REVOKED: "agreement.revoked",
    Agreement.Status.TERMINATED: "agreement.terminated",
    Agreement.Status.EXPIRED: "agreement.expired",
    Agreement.Status.ENDED_BY_MOVE_OUT: "agreement.ended_by_move_out",
}


def max_months() -> int:
    return getattr(settings, "AGREEMENT_MAX_MONTHS", 36)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (clamped to the month's last day), on the market's wall
    clock: approved at 14:05 CDT in July, it ends at 14:05 CST in January, not at 13:05 (UTC arithmetic)."""
    local = moment.astimezone(MARKET_TZ) if moment.tzinfo is not None else moment
    day = months_before(local.date(), -months)
    end = local.replace(year=day.year, month=day.month, day=day.day)
    return end.astimezone(moment.tzinfo) if moment.tzinfo is not None else end


@dataclass(frozen=True)
class PremiseChoice:
    """One premise a customer can share: the open service period they registered, and how far back it goes."""

    premise: object
    period: ServicePeriod
    earliest: date  # the earliest date this customer may share here today

    @property
    def esiid(self) -> str:
        return self.premise.esiid


def shareable_premises(*, user, today: date | None = None) -> list[PremiseChoice]:
    """The customer's current premises (open occupancy they registered), by ESI ID."""
    today = today or market_today()
    regs = (
        PremiseRegistration.objects.filter(user=user, period__ends_on__isnull=True)
        .select_related("period__premise", "period__rep")
        .order_by("period__premise__esiid")
    )
    out = []
    for reg in regs:
        period = reg.period
        if period.starts_on > today:
            continue
        out.append(
            PremiseChoice(
                premise=period.premise, period=period, earliest=max(period.starts_on, window_start(today))
            )
        )
    return out


@dataclass(frozen=True)
class SharedPremise:
    premise: object
    shared_from: date  # the later of the agreement's history start and the customer's move-in


def agreement_premises_shared(agreement: Agreement) -> list[SharedPremise]:
    """Each premise of an agreement with the first date actually shared there (what the card shows)."""
    return [
        SharedPremise(
            premise=ap.premise, shared_from=max(agreement.history_start, ap.service_period.starts_on)
        )
        for ap in agreement.premises.all()
    ]


def agreement_payload(agreement: Agreement) -> dict:
    """What webhooks say about an agreement (no customer identity: that is what ``profile:read`` is for)."""
    return {
        "agreement_id": agreement.pk,
        "client_id": agreement.application.client_id if agreement.application_id else None,
        "status": agreement.status,
        "scopes": list(agreement.scopes),
        "premises": [ap.premise.esiid for ap in agreement.premises.select_related("premise")],
        "history_start": agreement.history_start.isoformat(),
        "valid_from": agreement.valid_from.isoformat(timespec="seconds"),
        "valid_until": agreement.valid_until.isoformat(timespec="seconds"),
        "status_changed_at": agreement.status_changed_at.isoformat(timespec="seconds")
        if agreement.status_changed_at
        else None,
        "status_reason": agreement.status_reason,
    }


def _notify_customer(agreement: Agreement, template: str, **extra) -> None:
    if not agreement.customer.email:
        return
    try:
        apps_url = url("thirdparty:apps")
    except Exception:  # noqa: BLE001 - the URL is a nicety in an e-mail, never a reason to fail
        apps_url = settings.SITE_URL
    email_send_template(
        template_prefix=f"thirdparty/email/{template}",
        to=[agreement.customer.email],
        language=recipient_language(agreement.customer),
        context={"agreement": agreement, "apps_url": apps_url, "customer": agreement.customer, **extra},
    )


@transaction.atomic
def agreement_create(
    *,
    customer,
    application: Application,
    scopes: list[str],
    premises: list[PremiseChoice],
    history_start: date,
    months: int,
    now: datetime | None = None,
) -> Agreement:
    """Record a consent. Every limit is checked here, so no caller can grant more than the rules allow."""
    now = now or timezone.now()
    organization = application.organization
    if organization is None or organization.status != Organization.Status.APPROVED:
        raise ValidationError(_("This application's organization is not approved to receive data."))
    granted = sorted(scopes_expand(scopes), key=list(SCOPES).index)
    if not granted:
        raise ValidationError(_("The request asks for no scope we know."))
    not_allowed = [s for s in granted if s not in (application.allowed_scopes or [])]
    if not_allowed:
        raise ValidationError(
            _("%(app)s is not registered to ask for: %(scopes)s.")
            % {"app": application.name, "scopes": ", ".join(not_allowed)}
        )
    if not premises:
        raise ValidationError(_("Choose at least one premise to share."))
    if not 1 <= months <= max_months():
        raise ValidationError(_("An agreement lasts from 1 to %(months)d months.") % {"months": max_months()})
    today = market_today()
    mine = {c.period.pk: c for c in shareable_premises(user=customer, today=today)}
    for choice in premises:
        if choice.period.pk not in mine:
            raise ValidationError(
                _("ESI ID %(esiid)s is not one of your current premises.") % {"esiid": choice.esiid}
            )
    history_start = max(history_start, window_start(today))
    if history_start > today:
        history_start = today
    agreement = Agreement.objects.create(
        customer=customer,
        organization=organization,
        application=application,
        scopes=granted,
        history_start=history_start,
        valid_from=now,
        valid_until=add_months(now, months),
        status=Agreement.Status.ACTIVE,
        status_changed_at=now,
        status_changed_by=customer,
    )
    AgreementPremise.objects.bulk_create(
        [AgreementPremise(agreement=agreement, premise=c.premise, service_period=c.period) for c in premises]
    )
    webhook_send(
        organization=organization,
        event="agreement.created",
        data=agreement_payload(agreement),
        application=application,
    )
    _notify_customer(agreement, "agreement_created")
    return agreement


def _stop_tokens(agreement: Agreement, now: datetime) -> None:
    RefreshToken.objects.filter(agreement=agreement, revoked__isnull=True).update(revoked=now)
    AccessToken.objects.filter(agreement=agreement).delete()
    Grant.objects.filter(agreement=agreement).delete()


def tokens_revoke_for_replayed_code(grant: Grant) -> None:
    """RFC 6749 4.1.2: a code presented twice was probably stolen, so every token issued from it (its
    agreement's tokens, rotated refreshes included: one consent, one code) is revoked. The consent stays."""
    if grant.agreement_id is None:
        return
    RefreshToken.objects.filter(agreement_id=grant.agreement_id, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(agreement_id=grant.agreement_id).delete()


def _end(
    agreement: Agreement,
    *,
    status: str,
    by=None,
    reason: str = "",
    at: datetime | None = None,
    notify: bool = True,
) -> Agreement:
    now = timezone.now()
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != Agreement.Status.ACTIVE:
        return locked
    if at is not None:
        at = max(at, locked.valid_from)  # never before the agreement began
    locked.status = status
    locked.status_changed_at = at or now
    locked.status_changed_by = by
    locked.status_reason = reason[:300]
    if at is not None and at < locked.valid_until:
        locked.valid_until = at
    locked.save(
        update_fields=["status", "status_changed_at", "status_changed_by", "status_reason", "valid_until"]
    )
    _stop_tokens(locked, now)
    event = ENDED_EVENTS.get(status)
    if event:
        webhook_send(
            organization=locked.organization,
            event=event,
            data=agreement_payload(locked),
            application=locked.application,
        )
    if notify:
        _notify_customer(locked, "agreement_ended")
    return locked


@transaction.atomic
def agreement_revoke(*, agreement: Agreement, by) -> Agreement:
    """The customer takes the consent back; the app stops reading now."""
    if agreement.customer_id != by.pk:
        raise ValidationError(_("Only the customer who granted an agreement can revoke it."))
    if agreement.status != Agreement.Status.ACTIVE:
        raise ValidationError(
            _("This agreement already ended (%(status)s).")
            % {"status": agreement.get_status_display().lower()}
        )
    return _end(agreement, status=Agreement.Status.REVOKED, by=by, reason="Revoked by the customer.")


@transaction.atomic
def agreement_terminate(
    *, agreement: Agreement, by, organization: Organization, reason: str = ""
) -> Agreement:
    """The third party ends an agreement it no longer needs."""
    if agreement.organization_id != organization.pk:
        raise ValidationError("This agreement belongs to another organization.")  # i18n: not user-facing
    if agreement.status != Agreement.Status.ACTIVE:
        raise ValidationError(
            _("This agreement already ended (%(status)s).")
            % {"status": agreement.get_status_display().lower()}
        )
    return _end(
        agreement,
        status=Agreement.Status.TERMINATED,
        by=by,
        reason=reason or f"Terminated by {organization.legal_name}.",
    )


def agreements_expire_due(*, now: datetime | None = None) -> int:
    """End every active agreement whose period is over (periodic task). Returns how many ended."""
    now = now or timezone.now()
    ids = list(
        Agreement.objects.filter(status=Agreement.Status.ACTIVE, valid_until__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            agreement = Agreement.objects.get(pk=pk)
            _end(
                agreement,
                status=Agreement.Status.EXPIRED,
                reason="The agreed period ended.",
                at=agreement.valid_until,
            )
    return len(ids)


def agreements_warn_expiring(*, now: datetime | None = None) -> int:
    """E-mail the customer once, some days before an agreement expires. Returns how many warnings went out."""
    now = now or timezone.now()
    horizon = now + timedelta(days=getattr(settings, "AGREEMENT_EXPIRY_WARNING_DAYS", 14))
    due = (
        Agreement.objects.live(at=now)
        .filter(valid_until__lte=horizon, expiry_warning_sent_at__isnull=True)
        .select_related("customer", "organization", "application")
    )
    count = 0
    for agreement in due:
        with transaction.atomic():
            claimed = Agreement.objects.filter(pk=agreement.pk, expiry_warning_sent_at__isnull=True).update(
                expiry_warning_sent_at=now
            )
            if claimed:
                _notify_customer(agreement, "agreement_expiring")
                count += 1
    return count


@transaction.atomic
def agreements_end_by_move_out(*, period: ServicePeriod) -> int:
    """End every active agreement granted on this occupancy at its move-out time.

    Only agreements tied to this service period end (another occupant's consent on the same premise is
    untouched). An agreement that also covers other premises ends too: the customer consented to the
    whole set, and a consent that silently shrinks would surprise both sides.
    """
    if period.ends_on is None:
        return 0
    tz = timezone.get_default_timezone()
    moved_out_at = datetime.combine(period.ends_on, datetime.min.time(), tzinfo=tz)
    ids = (
        AgreementPremise.objects.filter(service_period=period, agreement__status=Agreement.Status.ACTIVE)
        .values_list("agreement_id", flat=True)
        .distinct()
    )
    count = 0
    for agreement in Agreement.objects.filter(pk__in=list(ids)):
        _end(
            agreement,
            status=Agreement.Status.ENDED_BY_MOVE_OUT,
            reason=f"Moved out of {period.premise.esiid} on {period.ends_on:%m/%d/%Y}.",
            at=min(moved_out_at, timezone.now()),
        )
        count += 1
    return count


def agreements_suspend_for_organization(*, organization: Organization, by=None, reason: str = "") -> int:
    """Stop every active agreement of a suspended organization (called inside its transaction)."""
    count = 0
    for agreement in Agreement.objects.filter(organization=organization, status=Agreement.Status.ACTIVE):
        _end(
            agreement,
            status=Agreement.Status.SUSPENDED,
            by=by,
            reason=reason or f"{organization.legal_name} was suspended.",
        )
        count += 1
    return count


def agreements_end_for_deleted_account(*, user) -> int:
    """End (as revoked) every active agreement of an account being deleted; the third parties are told."""
    count = 0
    for agreement in Agreement.objects.filter(customer=user, status=Agreement.Status.ACTIVE):
        _end(
            agreement,
            status=Agreement.Status.REVOKED,
            by=None,
            reason="The customer closed the account.",
            notify=False,
        )
        count += 1
    return count


def data_available_for_file(*, file_id: int) -> int:
    """Send ``data.available`` for the premises a loaded TDU file touched, to each organization holding a live
    agreement on them (one event per agreement, with the premise and the range of days that changed).

    Only the days inside the agreement's reach are announced (never before its history start or outside the
    granting customer's occupancy). Returns the number of events queued."""
    report = IngestFile.objects.filter(pk=file_id).only("tdu_id").first()
    if report is None:
        return 0
    now = timezone.now()
    # Start from the (few) premises some live agreement grants, never from the whole interval table: the
    # lookup then walks the interval primary key (premise, channel, day) for those premises only.
    grants = list(
        AgreementPremise.objects.filter(
            premise__tdu_id=report.tdu_id, agreement__in=Agreement.objects.live(at=now)
        )
        .select_related("agreement__organization", "agreement__application", "premise", "service_period")
        .order_by("agreement_id")
    )
    if not grants:
        return 0
    touched: dict[int, tuple] = {}
    premise_ids = sorted({g.premise_id for g in grants})
    earliest = min(g.agreement.history_start for g in grants)
    for i in range(0, len(premise_ids), 2000):
        rows = (
            IntervalDay.objects.filter(
                premise_id__in=premise_ids[i : i + 2000], day__gte=earliest, source_file_id=file_id
            )
            .values("premise_id")
            .annotate(first=Min("day"), last=Max("day"))
        )
        touched.update({row["premise_id"]: (row["first"], row["last"]) for row in rows})
    grants = [g for g in grants if g.premise_id in touched]
    sent = 0
    for grant in grants:
        agreement = grant.agreement
        first, last = touched[grant.premise_id]
        lo = max(first, agreement.history_start, grant.service_period.starts_on)
        hi = (
            last
            if grant.service_period.ends_on is None
            else min(last, grant.service_period.ends_on - timedelta(days=1))
        )
        if lo > hi:
            continue
        webhook_send(
            organization=agreement.organization,
            event="data.available",
            application=agreement.application,
            data={
                "agreement_id": agreement.pk,
                "esiid": grant.premise.esiid,
                "start": lo.isoformat(),
                "end": hi.isoformat(),
                "url": f"{settings.SITE_URL}/api/v1/premises/{grant.premise.esiid}/intervals/"
                f"?start={lo.isoformat()}&end={hi.isoformat()}",
            },
        )
        sent += 1
    return sent
