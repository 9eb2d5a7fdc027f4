"""Who may read what: the one decision for every actor (customer, REP, third party) and every API path.

    customer     the windows of ``portal.access_window.customer_windows`` (own registered occupancy, the
                 ACCESS_WINDOW_MONTHS floor, never after today); every scope on their own data.
    REP          the premise's service periods it is REP of record of (``ServicePeriod.objects.rep_of_record``:
                 the period is open, or its move-out is still ahead), each giving
                 ``[max(rep_since, floor), min(move-out − 1, today)]`` where ``rep_since`` is the start of the
                 REP's own tenure (the move-in, or the switch that made it REP of record); the scopes of its
                 API key.
    third party  the live agreements of its organization (``Agreement.objects.live``) that grant this
                 premise — only the token's own agreement for an OAuth token — each giving the granting
                 customer's period window cut at the agreement's ``history_start``; the scopes the agreement
                 grants and the credential carries.

Two paths find the grants: ``grants_on_premises`` (ORM; lists and bulk exports) and ``grants_on_esiid`` (one
prepared SQL query; the API's per-request check). tests/thirdparty/test_access_parity.py holds them to the
same grants on generated markets.

Outcomes, as the API reports them: unknown premise or no grant at all → 404 (the same answer, so nobody
learns which ESI IDs exist); an organization that is not approved → 403; a grant without the needed scope
→ 403 naming the scope; a requested range outside every window → 422 with the windows' bounds.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access_window import customer_premises, customer_windows, market_today, period_window
from portal.models import ServicePeriod
from smt.sql import columns, fetch_all, instance
from thirdparty.models import (
    AccessToken,
    Agreement,
    AgreementPremise,
    Application,
    Organization,
    RefreshToken,
)
from thirdparty.scopes import (
    ALL_SCOPES,
    APPLICATION_METADATA,
    HAN_MANAGE,
    HAN_MESSAGE,
    HAN_READ,
    scopes_expand,
)
from usage.esiid import esiid_normalize
from usage.models import Premise

CUSTOMER = "customer"
REP = "rep"
THIRD_PARTY = "third_party"

OK = "ok"
NOT_FOUND = "not_found"
ORGANIZATION_INACTIVE = "organization_inactive"
SCOPE_MISSING = "scope_missing"
OUTSIDE_WINDOW = "outside_window"
NO_WINDOW = "no_window"

MAX_ROW_ID = 2**63 - 1  # the largest id a database row can have (bigint)

STATUS = {OK: 200, NOT_FOUND: 404, ORGANIZATION_INACTIVE: 403, SCOPE_MISSING: 403, OUTSIDE_WINDOW: 422}


@dataclass(frozen=True)
class Actor:
    """Who is asking, and through which credential."""

    kind: str
    user: object | None = None
    organization: Organization | None = None
    scopes: frozenset[str] = ALL_SCOPES
    agreement_id: int | None = None  # an OAuth token is bound to one agreement
    application_id: int | None = None
    api_key_id: int | None = None
    credential: str = "session"  # "session", "oauth:<application client_id>", "api-key:<prefix>"

    @property
    def organization_id(self) -> int | None:
        return self.organization.pk if self.organization is not None else None

    @property
    def is_logged(self) -> bool:
        """Reads by anyone but the customer go to the access log."""
        return self.kind != CUSTOMER

    @property
    def cache_key(self) -> str:
        if self.kind == CUSTOMER:
            own = f"u{getattr(self.user, 'pk', '')}"
            # a personal token keeps its own exports: a billing-only token never downloads a usage export
            return own if self.credential == "session" else f"{own}:{self.credential}"
        return f"{self.kind}:{self.credential}:{self.agreement_id or ''}"


def actor_for_customer(user) -> Actor:
    return Actor(kind=CUSTOMER, user=user, scopes=ALL_SCOPES, credential="session")


def actor_for_personal_token(credential) -> Actor:
    """A resident's personal access token: the customer themselves (same windows, not logged), with only
    the token's scopes."""
    return Actor(
        kind=CUSTOMER,
        user=credential.user,
        scopes=frozenset(credential.scopes),
        credential=f"pat:{credential.prefix}",
    )


def actor_for_token(token) -> Actor:
    """A third-party app's OAuth access token (with ``application__organization`` and ``agreement`` loaded)."""
    app = token.application
    return actor_for_token_parts(
        user=token.user,
        organization=getattr(app, "organization", None) if app is not None else None,
        scope=token.scope,
        agreement_id=token.agreement_id,
        application_id=token.application_id,
        client_id=app.client_id if app is not None else None,
    )


def actor_for_token_parts(
    *, user, organization, scope: str, agreement_id, application_id, client_id: str | None
) -> Actor:
    org = organization
    return Actor(
        kind=THIRD_PARTY if org is None or org.kind != Organization.Kind.REP else REP,
        user=user,
        organization=org,
        scopes=scopes_expand(scope),
        agreement_id=agreement_id,
        application_id=application_id,
        credential=f"oauth:{client_id}" if client_id is not None else "oauth",
    )


def is_application_token(actor: Actor) -> bool:
    """A client-credentials token: the application's own, bound to no customer's agreement. It reads
    authorization metadata only (``metadata_application``), never a premise or its data."""
    return actor.kind == THIRD_PARTY and actor.application_id is not None and actor.agreement_id is None


def metadata_application(token) -> Application | None:
    """The application whose metadata (ApplicationInformation, its Authorizations, ReadServiceStatus) a
    bearer token may read: a customer's token while its agreement is live, or the application's own
    client-credentials token (scope ``application:metadata``). ``token``: an AccessToken with
    ``application__organization`` and ``agreement`` loaded."""
    if token is None or token.is_expired() or token.application is None:
        return None
    if token.agreement is not None:
        return token.application if token.agreement.is_live() else None
    if token.user_id is None and APPLICATION_METADATA in (token.scope or "").split():
        return token.application
    return None


def client_credentials_allowed(application) -> bool:
    """May this OAuth client get its own token (``client_credentials``)? A confidential client of an
    approved third-party organization."""
    org = getattr(application, "organization", None)
    return (
        application is not None
        and application.client_type == "confidential"
        and org is not None
        and org.kind == Organization.Kind.THIRD_PARTY
        and org.status == Organization.Status.APPROVED
    )


def subscription_actor(actor: Actor, agreement_id: int) -> Actor | None:
    """The actor reading Connect My Data ``Subscription/{agreement_id}``: an agreement's own token, or the
    organization's API key for any of its agreements; None for anyone else (an application's own
    client-credentials token included: it never reads a customer's data)."""
    if actor.kind != THIRD_PARTY or is_application_token(actor):
        return None
    if actor.agreement_id is not None:
        return actor if actor.agreement_id == agreement_id else None
    if not AgreementPremise.objects.filter(
        agreement_id=agreement_id, agreement__organization_id=actor.organization_id
    ).exists():
        return None
    return dataclasses.replace(actor, agreement_id=agreement_id)


def readable_subscriptions(
    actor: Actor, *, application_id: int | None = None, customer_id: int | None = None
) -> list[int]:
    """The live agreements (Connect My Data subscriptions) ``actor`` may read, of one application
    (``Batch/Bulk/{id}``) or one customer (``Batch/RetailCustomer/{id}``), oldest first. An agreement's
    token reaches its own agreement only; the organization's API key all of the organization's."""
    if actor.kind != THIRD_PARTY or is_application_token(actor) or actor.organization_id is None:
        return []
    if any(i is not None and not 0 < i <= MAX_ROW_ID for i in (application_id, customer_id)):
        return []  # no row has such an id (and SQLite cannot even compare it)
    live = Agreement.objects.live().filter(organization_id=actor.organization_id)
    if actor.agreement_id is not None:
        live = live.filter(pk=actor.agreement_id)
    if application_id is not None:
        live = live.filter(application_id=application_id)
    if customer_id is not None:
        live = live.filter(customer_id=customer_id)
    return list(live.order_by("pk").values_list("pk", flat=True))


def agreement_data_start(agreement, today: date | None = None) -> date:
    """The first local date an agreement lets its third party read: the earliest of its premises' window
    starts (history start, the customer's move-in and the access window's start, whichever is last)."""
    today = today or market_today()
    starts = []
    for grant in agreement.premises.all():
        sp = grant.service_period
        w = _period_window(sp.starts_on, sp.ends_on, today, floor=agreement.history_start)
        if w is not None:
            starts.append(w[0])
    return min(starts, default=agreement.history_start)


def actor_for_api_key(key) -> Actor:
    org = key.organization
    return Actor(
        kind=REP if org.kind == Organization.Kind.REP else THIRD_PARTY,
        organization=org,
        scopes=scopes_expand(key.scopes),
        api_key_id=key.pk,
        credential=f"api-key:{key.prefix}",
    )


@dataclass(frozen=True)
class Window:
    """Local dates ``start``..``end`` (inclusive) the actor may read, and the agreement that grants them."""

    start: date
    end: date
    agreement_id: int | None = None

    def covers(self, start: date, end: date) -> bool:
        return self.start <= start and end <= self.end

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Grant:
    """One source of access to one premise: an occupancy, a REP-of-record period, or an agreement."""

    scopes: frozenset[str]
    window: Window | None


@dataclass(frozen=True)
class Decision:
    reason: str
    premise: Premise | None = None
    windows: tuple[Window, ...] = ()
    scopes: frozenset[str] = frozenset()
    scope: str | None = None
    window: Window | None = None  # the window that covers the requested range
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.reason == OK

    @property
    def status(self) -> int:
        return STATUS.get(self.reason, 422 if self.reason == NO_WINDOW else 404)

    @property
    def agreement_id(self) -> int | None:
        return self.window.agreement_id if self.window else None


# ---------------------------------------------------------------------------------------------------
# grants


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Windows sorted, with touching or overlapping ones joined (the first one's agreement is kept: the
    lowest id among windows with the same bounds, so every path names the same one)."""
    out: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end, w.agreement_id or 0)):
        if out and w.start <= out[-1].end + timedelta(days=1):
            last = out[-1]
            if w.end > last.end:
                out[-1] = Window(last.start, w.end, last.agreement_id)
        else:
            out.append(w)
    return tuple(out)


def _period_window(starts_on: date, ends_on: date | None, today: date, *, floor: date | None = None):
    rng = period_window(SimpleNamespace(starts_on=starts_on, ends_on=ends_on), today)
    if rng is None:
        return None
    start = max(rng.start, floor) if floor else rng.start
    return (start, rng.end) if start <= rng.end else None


def _grant(actor: Actor, row: tuple, today: date) -> Grant:
    """The grant of one row: (premise id, REP tenure start, move-out) of a REP-of-record period, or (premise id,
    move-in, move-out, agreement id, agreement scopes, history start) of a live agreement's premise."""
    if actor.kind == REP:
        w = _period_window(row[1], row[2], today)
        return Grant(actor.scopes, Window(*w) if w else None)
    w = _period_window(row[1], row[2], today, floor=row[5])
    granted = scopes_expand(row[4]) & actor.scopes
    return Grant(granted, Window(w[0], w[1], row[3]) if w else None)


def _no_grants(actor: Actor) -> bool:
    """An organization credential that can hold no grant at all: no organization, a REP organization without
    its REP, or an OAuth token without an agreement."""
    org = actor.organization
    if org is None or (actor.kind == REP and org.rep_id is None):
        return True
    return actor.kind == THIRD_PARTY and actor.agreement_id is None and actor.application_id is not None


def _agreement_premises(actor: Actor, now: datetime):
    """The premises of the organization's live agreements (only the token's own agreement for a token)."""
    live = Agreement.objects.live(at=now).filter(organization_id=actor.organization_id)
    if actor.agreement_id is not None:
        live = live.filter(pk=actor.agreement_id)
    return AgreementPremise.objects.filter(agreement__in=live)


def grants_on_premises(
    *, actor: Actor, premises: list[Premise], today: date, now: datetime | None = None
) -> dict[int, list[Grant]]:
    """Every grant the actor holds on each of ``premises``, by premise id, through the ORM (premise lists and
    bulk exports: one query). The organization's status is not looked at: callers check ``actor_blocked``."""
    out: dict[int, list[Grant]] = defaultdict(list)
    ids = [p.pk for p in premises]
    if not ids:
        return out
    if actor.kind == CUSTOMER:
        for p in premises:
            for rng in customer_windows(user=actor.user, premise=p, today=today):
                out[p.pk].append(Grant(actor.scopes, Window(rng.start, rng.end)))  # a personal token: fewer
        return out
    if _no_grants(actor):
        return out
    if actor.kind == REP:
        rows = ServicePeriod.objects.rep_of_record(actor.organization.rep_id, today=today)
        names = ["premise_id", "rep_since", "ends_on"]  # the REP's own tenure, not the occupant's move-in
    else:
        rows = _agreement_premises(actor, now or timezone.now())
        names = [
            "premise_id",
            "service_period__starts_on",
            "service_period__ends_on",
            "agreement_id",
            "agreement__scopes",
            "agreement__history_start",
        ]
    for row in rows.filter(premise_id__in=ids).values_list(*names):
        out[row[0]].append(_grant(actor, row, today))
    return out


@lru_cache(maxsize=1)
def _grant_sql() -> tuple[str, str, tuple]:
    """Prepared SQL of the grants on one ESI ID (the API's per-request check): (REP, third party, premise
    fields). The same rules as ``ServicePeriod.objects.rep_of_record`` and ``Agreement.objects.live``, written
    in SQL for speed; tests/thirdparty/test_access_parity.py holds the two paths to the same grants."""
    fields, cols = columns(Premise, "p")
    premise_t, period_t = Premise._meta.db_table, ServicePeriod._meta.db_table
    rep = (
        f"SELECT sp.premise_id, sp.rep_since, sp.ends_on, {cols} FROM {period_t} sp "  # noqa: S608
        f"JOIN {premise_t} p ON p.id = sp.premise_id "
        "WHERE sp.rep_id = %s AND (sp.ends_on IS NULL OR sp.ends_on > %s) AND p.esiid = %s"
    )
    third = (
        "SELECT ap.premise_id, sp.starts_on, sp.ends_on, ap.agreement_id, ag.scopes, ag.history_start, "  # noqa: S608
        f"{cols} FROM {AgreementPremise._meta.db_table} ap "
        f"JOIN {Agreement._meta.db_table} ag ON ag.id = ap.agreement_id "
        f"JOIN {Organization._meta.db_table} o ON o.id = ag.organization_id "
        f"JOIN {premise_t} p ON p.id = ap.premise_id "
        f"JOIN {period_t} sp ON sp.id = ap.service_period_id "
        "WHERE ag.status = %s AND ag.valid_from <= %s AND ag.valid_until > %s AND o.status = %s "
        "AND ag.organization_id = %s AND p.esiid = %s AND (ap.agreement_id = %s OR %s)"
    )
    return rep, third, fields


def grants_on_esiid(
    *, actor: Actor, esiid: str, today: date, now: datetime | None = None
) -> tuple[Premise | None, list[Grant]]:
    """The premise with this (normalized) ESI ID, when the actor holds a grant on it, and those grants: the
    API's per-request path, one prepared SQL query for REPs and third parties (the ORM took twenty times the
    query's own time to build it). Same answers as ``grants_on_premises``."""
    if actor.kind == CUSTOMER:
        premise = Premise.objects.filter(esiid=esiid).first()
        if premise is None:
            return None, []
        return premise, grants_on_premises(actor=actor, premises=[premise], today=today).get(premise.pk, [])
    if _no_grants(actor):
        return None, []
    rep_sql, third_sql, fields = _grant_sql()
    org = actor.organization
    if actor.kind == REP:
        rows = fetch_all(rep_sql, [org.rep_id, today, esiid])
        n = 3
    else:
        now = now or timezone.now()
        any_agreement = actor.agreement_id is None  # an API key: every live agreement of its organization
        params = [
            Agreement.Status.ACTIVE.value,
            now,
            now,
            Organization.Status.APPROVED.value,
            org.pk,
            esiid,
            actor.agreement_id or 0,
            any_agreement,
        ]
        rows = fetch_all(third_sql, params)
        # jsonb arrives parsed from PostgreSQL's binary results, as text elsewhere
        rows = [(*r[:4], orjson.loads(r[4]) if isinstance(r[4], str | bytes) else r[4], *r[5:]) for r in rows]
        n = 6
    if not rows:
        return None, []
    premise = instance(Premise, fields, list(rows[0][n:]))
    return premise, [_grant(actor, r[:n], today) for r in rows]


def _decide(
    actor: Actor,
    premise: Premise | None,
    grants: list[Grant],
    scope: str | None,
    start: date | None,
    end: date | None,
) -> Decision:
    if premise is None or not grants:
        return Decision(NOT_FOUND, detail=_("No premise with this ESI ID is available to you."))
    scopes = frozenset().union(*(g.scopes for g in grants))
    if scope is not None:
        grants = [g for g in grants if scope in g.scopes]
        if not grants:
            return Decision(
                SCOPE_MISSING,
                premise=premise,
                scopes=scopes,
                scope=scope,
                detail=_("Your access to this premise does not include the scope %(scope)s.")
                % {"scope": repr(scope)},
            )
    windows = _merge(g.window for g in grants if g.window is not None)
    if start is None or end is None:
        return Decision(OK, premise=premise, windows=windows, scopes=scopes, scope=scope)
    for w in windows:
        if w.covers(start, end):
            return Decision(OK, premise=premise, windows=windows, scopes=scopes, scope=scope, window=w)
    if not windows:
        detail = _("No dates of this premise's data are available to you yet.")
    else:
        bounds = "; ".join(
            _("%(start)s to %(end)s") % {"start": w.start.isoformat(), "end": w.end.isoformat()}
            for w in windows
        )
        detail = _(
            "The dates %(start)s to %(end)s are outside your access window (%(bounds)s). Ask for dates inside it."
        ) % {"start": start.isoformat(), "end": end.isoformat(), "bounds": bounds}
    return Decision(
        OUTSIDE_WINDOW, premise=premise, windows=windows, scopes=scopes, scope=scope, detail=detail
    )


def actor_blocked(actor: Actor) -> Decision | None:
    """The refusal (403, ``ORGANIZATION_INACTIVE``) for an organization credential whose organization is not
    approved (pending or suspended), or None when the actor may go on (customers always may). Every path
    checks it before looking at grants."""
    org = actor.organization
    if actor.kind != CUSTOMER and org is not None and org.status != Organization.Status.APPROVED:
        if org.status == Organization.Status.SUSPENDED:
            detail = _("Your organization %(name)s is suspended; its credentials cannot read data.")
        else:
            detail = _("Your organization %(name)s is not approved yet; its credentials cannot read data.")
        return Decision(ORGANIZATION_INACTIVE, detail=detail % {"name": org.legal_name})
    return None


# ---------------------------------------------------------------------------------------------------
# a short-lived per-process cache of credentials and grants, voided at once by any change (generation)

GENERATION_KEY = "smt:access:generation"
_LOCAL: OrderedDict = OrderedDict()
_LOCAL_MAX = 20_000


def cache_seconds() -> float:
    return float(getattr(settings, "ACCESS_CACHE_SECONDS", 30))


def cache_generation() -> int | None:
    """The current generation (shared through the cache, i.e. Redis), or None when caching is off."""
    if cache_seconds() <= 0:
        return None
    try:
        generation = int(cache.get(GENERATION_KEY) or 0)
    except Exception:  # noqa: BLE001 - no cache, no caching
        return None
    if getattr(cache, "degraded", False):  # Redis is down (smt/cache.py): a bump elsewhere would go unseen
        local_clear()
        return None
    return generation


def cache_bump() -> None:
    """Void every cached credential and grant, in every process, now."""
    local_clear()
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, None)
    except Exception:  # noqa: BLE001 - the cache is down: nothing is cached anywhere either
        logging.getLogger(__name__).warning("could not bump the access cache generation")


def cache_bump_on_commit() -> None:
    """Void every cached credential and grant now and again once the current transaction commits.

    Called for every change to who may see what (``thirdparty.receivers`` for saves and deletes, services
    after bulk updates). The bump at commit is the one that counts: until then other transactions still
    read the old rows, and whatever they cached meanwhile is voided by it; it is queued once per
    transaction however many rows change. The bump now serves reads later in the same transaction. Outside
    a transaction the change is already committed and one bump is made."""
    cache_bump()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    if any(func is cache_bump for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(cache_bump, robust=True)


def local_clear() -> None:
    """Empty this process's cache (without voiding other processes': ``cache_bump`` does both)."""
    _LOCAL.clear()


def local_get(key, generation: int | None):
    if generation is None:
        return None
    item = _LOCAL.get(key)
    if item is None:
        return None
    gen, expires, value = item
    if gen != generation or expires < time.monotonic():
        _LOCAL.pop(key, None)
        return None
    return value


def local_put(key, generation: int | None, value) -> None:
    if generation is None:
        return
    _LOCAL[key] = (generation, time.monotonic() + cache_seconds(), value)
    if len(_LOCAL) > _LOCAL_MAX:
        _LOCAL.popitem(last=False)


# ---------------------------------------------------------------------------------------------------
# public API


def access_decide(
    *,
    actor: Actor,
    esiid: str | None = None,
    premise: Premise | None = None,
    scope: str | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
    generation: int | None = None,
) -> Decision:
    """May ``actor`` use ``scope`` on this premise (for local dates ``start``..``end`` when given)?

    With ``generation`` (``cache_generation()``, read once per request) the premise and grants found for
    (actor, ESI ID, today) are kept in this process for ACCESS_CACHE_SECONDS; any change to a token, key,
    agreement, grant, organization, occupancy or registration bumps the generation and voids them."""
    blocked = actor_blocked(actor)
    if blocked is not None:
        return blocked
    today = today or market_today()
    key = None
    if premise is None:
        try:
            normalized = esiid_normalize(esiid or "")
        except Exception:  # noqa: BLE001 - anything unparsable is simply not found
            normalized = None
        if normalized and generation is not None:
            key = (
                "decide",
                actor.cache_key,
                getattr(actor.user, "pk", None),
                actor.scopes,
                normalized,
                today,
            )
            hit = local_get(key, generation)
            if hit is not None:
                premise, grants = hit
                return _decide(actor, premise, grants, scope, start, end)
        if not normalized:
            return Decision(NOT_FOUND, detail=_("No premise with this ESI ID is available to you."))
        premise, grants = grants_on_esiid(actor=actor, esiid=normalized, today=today)
    else:
        grants = grants_on_premises(actor=actor, premises=[premise], today=today).get(premise.pk, [])
    if key is not None:
        local_put(key, generation, (premise, grants))
    return _decide(actor, premise, grants, scope, start, end)


HAN_SCOPES = (HAN_READ, HAN_MANAGE, HAN_MESSAGE)


def han_decide(
    *,
    actor: Actor,
    scope: str,
    esiid: str | None = None,
    premise: Premise | None = None,
    today: date | None = None,
    generation: int | None = None,
) -> Decision:
    """May ``actor`` use the HAN ``scope`` (han:read, han:manage, han:message) on the premise's devices?

    Only the current occupancy counts (a grant whose window ends before today is no grant: the former occupant,
    the former REP and agreements of an ended occupancy see nothing, 404; so does everyone once a move-out is
    recorded, even ahead of its date). The customer of record and
    household members may do everything; the REP of record reads and messages from its tenure start but never
    adds or removes devices (403, whatever its key says); a third party does what its agreement grants."""
    if scope not in HAN_SCOPES:
        raise ValueError(f"not a HAN scope: {scope!r}")
    today = today or market_today()
    d = access_decide(
        actor=actor, esiid=esiid, premise=premise, scope=scope, today=today, generation=generation
    )
    if d.reason == SCOPE_MISSING and not _current(d.windows, today):
        # the scope matters only where some grant is current; otherwise the premise is simply not theirs
        probe = access_decide(actor=actor, esiid=esiid, premise=premise, today=today, generation=generation)
        if not _current(probe.windows, today):
            return Decision(NOT_FOUND, detail=_("No premise with this ESI ID is available to you."))
    if not d.allowed:
        return d
    open_period = ServicePeriod.objects.filter(premise=d.premise, ends_on__isnull=True, starts_on__lte=today)
    if not _current(d.windows, today) or not open_period.exists():
        # a recorded move-out ends HAN access at once, even with the move-out date still ahead
        return Decision(NOT_FOUND, detail=_("No premise with this ESI ID is available to you."))
    if actor.kind == REP and scope == HAN_MANAGE:
        return Decision(
            SCOPE_MISSING,
            premise=d.premise,
            windows=d.windows,
            scopes=d.scopes,
            scope=scope,
            detail=_(
                "A retail provider may list devices and send them messages; adding or removing devices "
                "needs the customer, a household member or an app the customer granted 'han:manage'."
            ),
        )
    return d


def _current(windows: tuple[Window, ...], today: date) -> bool:
    return bool(windows) and windows[-1].end >= today


def access_decide_many(
    *,
    actor: Actor,
    esiids: list[str],
    scope: str | None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> dict[str, Decision]:
    """``access_decide`` for many ESI IDs (bulk exports) in two queries for REPs and third parties."""
    today = today or market_today()
    blocked = actor_blocked(actor)
    if blocked is not None:
        return dict.fromkeys(esiids, blocked)
    normalized: dict[str, str | None] = {}
    for e in esiids:
        try:
            normalized[e] = esiid_normalize(e)
        except Exception:  # noqa: BLE001
            normalized[e] = None
    wanted = sorted({n for n in normalized.values() if n})
    premises: dict[str, Premise] = {}
    for i in range(0, len(wanted), 5000):
        for p in Premise.objects.filter(esiid__in=wanted[i : i + 5000]):
            premises[p.esiid] = p
    grants = grants_on_premises(actor=actor, premises=list(premises.values()), today=today)
    out = {}
    for e in esiids:
        p = premises.get(normalized[e] or "")
        out[e] = _decide(actor, p, grants.get(p.pk, []) if p else [], scope, start, end)
    return out


@dataclass(frozen=True)
class VisiblePremise:
    premise: Premise
    windows: tuple[Window, ...]
    scopes: frozenset[str]


def access_premises_queryset(*, actor: Actor, today: date | None = None, now: datetime | None = None):
    """The premises the actor holds any grant on, as a queryset ordered by ESI ID (for cursor pagination)."""
    today = today or market_today()
    if actor_blocked(actor) is not None:
        return Premise.objects.none()
    qs = Premise.objects.select_related("tdu")
    if actor.kind == CUSTOMER:
        ids = [cp.premise.pk for cp in customer_premises(user=actor.user, today=today) if cp.windows]
        return qs.filter(pk__in=ids).order_by("esiid")
    if _no_grants(actor):
        return Premise.objects.none()
    if actor.kind == REP:
        periods = ServicePeriod.objects.rep_of_record(actor.organization.rep_id, today=today)
        return qs.filter(pk__in=periods.values("premise_id")).order_by("esiid")
    grants = _agreement_premises(actor, now or timezone.now())
    return qs.filter(pk__in=grants.values("premise_id")).order_by("esiid")


def access_visible(
    *, actor: Actor, premises: list[Premise], today: date | None = None
) -> list[VisiblePremise]:
    """Windows and scopes of each of ``premises`` (a page of ``access_premises_queryset``)."""
    today = today or market_today()
    grants = grants_on_premises(actor=actor, premises=premises, today=today)
    out = []
    for p in premises:
        gs = grants.get(p.pk, [])
        if not gs:
            continue
        scopes = frozenset().union(*(g.scopes for g in gs))
        out.append(VisiblePremise(p, _merge(g.window for g in gs if g.window is not None), scopes))
    return out


def espi_authorizations_visible(*, application, agreement_id: int | None):
    """The agreements an application sees as ESPI ``Authorization`` resources: all of its own with its client
    credentials (``agreement_id`` None); with a customer's token only that token's agreement."""
    qs = Agreement.objects.filter(application=application).select_related("organization").order_by("pk")
    return qs if agreement_id is None else qs.filter(pk=agreement_id)


def export_credential_live(actor: Actor) -> bool:
    """Whether the credential and agreement an export job was made with still stand: its download link works
    only while they do (an ended agreement, a revoked key, a suspended organization or a closed account stop
    it at once, whatever the link's own expiry says)."""
    if actor_blocked(actor) is not None:
        return False
    if actor.kind == CUSTOMER:
        return bool(getattr(actor.user, "is_active", False))
    if actor.api_key_id is not None:
        org = actor.organization
        return org is not None and org.api_keys.filter(pk=actor.api_key_id, revoked_at__isnull=True).exists()
    if actor.application_id is not None and actor.agreement_id is not None:
        live = (
            Agreement.objects.live()
            .filter(pk=actor.agreement_id, application_id=actor.application_id)
            .exists()
        )
        return live and _app_holds_a_token(actor.application_id, actor.agreement_id)
    return False


def _app_holds_a_token(application_id: int, agreement_id: int) -> bool:
    """Whether the application still holds a credential for the agreement: an unexpired access token or an
    unrevoked refresh token of it. A refresh keeps the links made with the token it replaced; revoking the
    tokens (``/o/revoke_token/``, a replayed code) stops them at once."""
    now = timezone.now()
    return (
        AccessToken.objects.filter(
            application_id=application_id, agreement_id=agreement_id, expires__gt=now
        ).exists()
        or RefreshToken.objects.filter(
            application_id=application_id, agreement_id=agreement_id, revoked__isnull=True
        ).exists()
    )
