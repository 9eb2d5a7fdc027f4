"""The two paths of thirdparty.access give the same grants, window by window, on generated markets.

``grants_on_premises`` (the ORM: premise lists, bulk exports) and ``grants_on_esiid`` (one prepared SQL query:
the API's per-request check) each write the rules of ``ServicePeriod.objects.rep_of_record`` and
``Agreement.objects.live`` their own way. Hypothesis builds markets — premises with move-ins, move-outs and
REP switches, household members, former and new occupants, agreements in every status and organizations in
every status — and asks both paths, for every actor and premise, on dates and instants at the edges (move-in
and move-out days and the days around them, the window floor, history starts, validity bounds).

Dates are fixed: every call passes ``today`` and ``now``. PARITY_EXAMPLES=n runs n markets instead of 200.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.access_window import months_before, window_start
from portal.models import PremiseRegistration, Rep, ServicePeriod
from thirdparty import access
from thirdparty.models import Agreement, AgreementPremise, Application, Organization
from thirdparty.scopes import ALL_SCOPES, SCOPES
from usage.models import Premise, Tdu

pytestmark = pytest.mark.django_db

BASE = date(2025, 3, 12)
BASE_AT = datetime(2025, 3, 12, 17, 30, tzinfo=UTC)
N_PREMISES = 3
N_USERS = 4
SCOPE_NAMES = sorted(SCOPES)
EXAMPLES = int(os.environ.get("PARITY_EXAMPLES", "200"))

# every status, the live-making ones more often so that the other conditions get exercised on them
AGREEMENT_STATUSES = [Agreement.Status.ACTIVE] * 5 + list(Agreement.Status.values)
ORG_STATUSES = [Organization.Status.APPROVED] * 2 + list(Organization.Status.values)


class Statics:
    """What every example shares (created once, inside the test's transaction)."""

    def __init__(self, django_user_model):
        tdu = Tdu.objects.create(name="Oncor", short_name="Oncor", duns="1039940674000", esiid_prefixes=[])
        self.premises = [
            Premise.objects.create(
                esiid=f"1044372000009{n:04d}",
                tdu=tdu,
                address_line1=f"{n} Main",
                city="Dallas",
                zip_code="75201",
            )
            for n in range(N_PREMISES)
        ]
        self.reps = [Rep.objects.create(legal_name=f"REP {n}") for n in range(3)]
        # REP organizations for the first two REPs; the third REP has none
        self.rep_orgs = [
            Organization.objects.create(
                kind=Organization.Kind.REP, legal_name=f"REP org {n}", rep=rep, contact_email="r@x.example"
            )
            for n, rep in enumerate(self.reps[:2])
        ]
        self.tp_orgs = [
            Organization.objects.create(legal_name=f"Third party {n}", contact_email="t@x.example")
            for n in range(2)
        ]
        self.apps = [
            Application.objects.create(
                name=f"app {n}",
                organization=org,
                client_type="confidential",
                authorization_grant_type="authorization-code",
                redirect_uris="https://app.example/cb",
            )
            for n, org in enumerate(self.tp_orgs)
        ]
        self.users = [
            django_user_model.objects.create_user(f"u{n}", f"u{n}@x.example", "pw") for n in range(N_USERS)
        ]


# ---------------------------------------------------------------------------------------------------- markets

day_offsets = st.integers(min_value=-1000, max_value=60)


@st.composite
def premise_periods(draw):
    """Consecutive or gapped occupancies of one premise: [(start offset, end offset or None, REP index)]."""
    n = draw(st.integers(0, 3))
    starts = sorted(draw(st.sets(day_offsets, min_size=n, max_size=n)))
    periods = []
    for i, start in enumerate(starts):
        if i + 1 < len(starts):
            nxt = starts[i + 1]
            # a move-in ends the previous period; or the previous occupant moved out earlier (a vacancy)
            end = draw(st.one_of(st.just(nxt), st.integers(start + 1, nxt)))
        else:
            end = draw(st.one_of(st.none(), st.integers(start + 1, start + 400)))
        periods.append((start, end, draw(st.integers(0, 2))))
    return periods


@st.composite
def markets(draw):
    periods = [draw(premise_periods()) for _ in range(N_PREMISES)]
    # who registered each period: household members share one, former and new occupants differ
    registrations = [
        [draw(st.sets(st.integers(0, N_USERS - 1), max_size=2)) for _ in premise] for premise in periods
    ]
    agreements = []
    for _ in range(draw(st.integers(0, 5))):
        agreements.append(
            {
                "org": draw(st.integers(0, 1)),
                "customer": draw(st.integers(0, N_USERS - 1)),
                "status": draw(st.sampled_from(AGREEMENT_STATUSES)),
                "valid_from": draw(st.integers(-24 * 1000, 24 * 60)),  # hours from BASE_AT
                "hours": draw(st.integers(1, 24 * 1100)),
                "history_start": draw(day_offsets),
                "scopes": draw(
                    st.lists(st.sampled_from(SCOPE_NAMES), unique=True, max_size=len(SCOPE_NAMES))
                ),
                "premises": draw(st.sets(st.integers(0, N_PREMISES - 1), min_size=1, max_size=N_PREMISES)),
                "period_pick": draw(st.integers(0, 3)),
            }
        )
    return {
        "periods": periods,
        "registrations": registrations,
        "agreements": agreements,
        "rep_org_status": [draw(st.sampled_from(ORG_STATUSES)) for _ in range(2)],
        "tp_org_status": [draw(st.sampled_from(ORG_STATUSES)) for _ in range(2)],
        "actor_scopes": draw(st.one_of(st.just(ALL_SCOPES), st.frozensets(st.sampled_from(SCOPE_NAMES)))),
    }


def _build(statics: Statics, spec: dict):
    """Rows for one market; returns (periods by premise index, agreements with their premise indexes)."""
    for org, status in zip(
        statics.rep_orgs + statics.tp_orgs, spec["rep_org_status"] + spec["tp_org_status"]
    ):
        org.status = status
        org.save(update_fields=["status"])
    periods: list[list[ServicePeriod]] = []
    for p, premise_spec in enumerate(spec["periods"]):
        rows = [
            ServicePeriod(
                premise=statics.premises[p],
                rep=statics.reps[rep],
                starts_on=BASE + timedelta(days=start),
                rep_since=BASE + timedelta(days=start),
                ends_on=None if end is None else BASE + timedelta(days=end),
                registration_code_encrypted=b"",
                code_rotated_at=BASE_AT,
            )
            for start, end, rep in premise_spec
        ]
        periods.append(ServicePeriod.objects.bulk_create(rows))
    PremiseRegistration.objects.bulk_create(
        [
            PremiseRegistration(user=statics.users[u], period=period)
            for p, users_by_period in enumerate(spec["registrations"])
            for period, users in zip(periods[p], users_by_period)
            for u in users
        ]
    )
    agreements = []
    for a in spec["agreements"]:
        customer = statics.users[a["customer"]]
        valid_from = BASE_AT + timedelta(hours=a["valid_from"])
        agreement = Agreement.objects.create(
            customer=customer,
            organization=statics.tp_orgs[a["org"]],
            application=statics.apps[a["org"]],
            scopes=a["scopes"],
            history_start=BASE + timedelta(days=a["history_start"]),
            valid_from=valid_from,
            valid_until=valid_from + timedelta(hours=a["hours"]),
            status=a["status"],
        )
        grants = []
        for p in sorted(a["premises"]):
            # the granting customer's own period when they registered one here, else any period of the premise
            own = [
                period
                for period, users in zip(periods[p], spec["registrations"][p])
                if a["customer"] in users
            ]
            choices = own or periods[p]
            if choices:
                grants.append(
                    AgreementPremise(
                        agreement=agreement,
                        premise=statics.premises[p],
                        service_period=choices[a["period_pick"] % len(choices)],
                    )
                )
        AgreementPremise.objects.bulk_create(grants)
        agreements.append(agreement)
    return periods, agreements


def _actors(statics: Statics, agreements: list[Agreement], scopes: frozenset) -> list[access.Actor]:
    actors = [access.actor_for_customer(u) for u in statics.users]
    for org in statics.rep_orgs:
        actors.append(access.Actor(kind=access.REP, organization=org, scopes=scopes, api_key_id=1))
    for org, app in zip(statics.tp_orgs, statics.apps):
        actors.append(access.Actor(kind=access.THIRD_PARTY, organization=org, scopes=scopes, api_key_id=1))
        # an OAuth token without an agreement grants nothing
        actors.append(
            access.Actor(kind=access.THIRD_PARTY, organization=org, scopes=scopes, application_id=app.pk)
        )
    for n, agreement in enumerate(agreements):
        # a token of each agreement; the first one also presented by the other organization
        orgs = [agreement.organization] + (
            [o for o in statics.tp_orgs if o.pk != agreement.organization_id] if n == 0 else []
        )
        for org in orgs:
            app = statics.apps[statics.tp_orgs.index(org)]
            actors.append(
                access.Actor(
                    kind=access.THIRD_PARTY,
                    organization=org,
                    scopes=scopes,
                    agreement_id=agreement.pk,
                    application_id=app.pk,
                )
            )
    return actors


def _edge_days(spec: dict, periods: list[list[ServicePeriod]], agreements: list[Agreement]) -> list[date]:
    """Every day at an edge: move-ins, move-outs and the days around them, the days on which the window floor
    reaches one of them, history starts."""
    edges = {BASE}
    for premise_periods in periods:
        for period in premise_periods:
            edges.add(period.starts_on)
            if period.ends_on is not None:
                edges.add(period.ends_on)
    edges |= {a.history_start for a in agreements}
    # the day whose window floor is exactly this day
    edges |= {months_before(d, -24) for d in list(edges)}
    return sorted({d + timedelta(days=k) for d in edges for k in (-1, 0, 1)})


def _edge_instants(agreements: list[Agreement]) -> list[datetime]:
    edges = {BASE_AT}
    for a in agreements:
        edges |= {a.valid_from, a.valid_until}
    return sorted({t + timedelta(microseconds=k) for t in edges for k in (-1, 0, 1)})


def _expected_count(
    actor: access.Actor,
    premise: Premise,
    periods: list[ServicePeriod],
    today: date,
    now: datetime,
    agreements,
) -> int:
    """How many grants the rules give on ``premise`` (whose periods are ``periods``), worked out in Python from
    the market with the model's own method for "live"."""
    if actor.kind == access.REP:
        return sum(
            1
            for p in periods
            if p.rep_id == actor.organization.rep_id and (p.ends_on is None or p.ends_on > today)
        )
    if actor.agreement_id is None and actor.application_id is not None:
        return 0  # an OAuth token without an agreement
    return sum(
        1
        for a in agreements
        if a.organization_id == actor.organization.pk
        and actor.agreement_id in (None, a.pk)
        and a.is_live(at=now)
        and any(ap.premise_id == premise.pk for ap in a.premises.all())
    )


def _check_market(statics: Statics, spec: dict, data) -> int:
    periods, agreements = _build(statics, spec)
    agreements = list(
        Agreement.objects.filter(pk__in=[a.pk for a in agreements])
        .select_related("organization")
        .prefetch_related("premises")
    )
    for org in statics.rep_orgs + statics.tp_orgs:
        org.refresh_from_db(fields=["status"])
    days = _edge_days(spec, periods, agreements)
    instants = _edge_instants(agreements)
    pairs = data.draw(
        st.lists(
            st.tuples(st.sampled_from(days), st.sampled_from(instants)), min_size=1, max_size=3, unique=True
        ),
        label="(today, now)",
    )
    checked = 0
    for n, (today, now) in enumerate(pairs):
        live = set(Agreement.objects.live(at=now).values_list("pk", flat=True))
        assert live == {a.pk for a in agreements if a.is_live(at=now)}, now
        assert window_start(today) == months_before(today, 24)
        for actor in _actors(statics, agreements, spec["actor_scopes"]):
            if actor.kind == access.CUSTOMER and n > 0:
                continue  # one day is enough: both paths share the customer's rule
            orm = access.grants_on_premises(actor=actor, premises=statics.premises, today=today, now=now)
            listed = set(
                access.access_premises_queryset(actor=actor, today=today, now=now).values_list(
                    "pk", flat=True
                )
            )
            blocked = access.actor_blocked(actor) is not None
            if actor.kind == access.CUSTOMER:
                # one path for customers (portal.access_window); the list shows the premises with a window
                shown = {pk for pk, grants in orm.items() if any(g.window for g in grants)}
                assert listed == shown, (actor, today)
                continue
            for premise, premise_periods in zip(statics.premises, periods):
                found, sql = access.grants_on_esiid(actor=actor, esiid=premise.esiid, today=today, now=now)
                where = (actor, premise.esiid, today, now)
                assert Counter(sql) == Counter(orm.get(premise.pk, [])), where
                assert (found.pk if found else None) == (premise.pk if sql else None), where
                expected = _expected_count(actor, premise, premise_periods, today, now, agreements)
                assert len(sql) == expected, where
                assert (premise.pk in listed) == (bool(sql) and not blocked), where
                checked += 1
    return checked


def test_sql_and_orm_paths_give_the_same_grants(django_user_model, settings_override):
    statics = Statics(django_user_model)
    stats = {"markets": 0, "checks": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(spec=markets(), data=st.data())
    def run(spec, data):
        with transaction.atomic():
            stats["checks"] += _check_market(statics, spec, data)
            stats["markets"] += 1
            transaction.set_rollback(True)

    started = time.monotonic()
    run()
    elapsed = time.monotonic() - started
    print(f"access parity: {stats['markets']} markets, {stats['checks']} checks in {elapsed:.1f} s")
    assert stats["markets"] >= EXAMPLES // 2


@pytest.fixture
def settings_override(settings):
    settings.ACCESS_WINDOW_MONTHS = 24
    return settings
