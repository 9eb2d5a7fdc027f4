"""A small market for the API and third-party tests: a premise with two occupancies, customers, a third party,
a REP, credentials. The ``market`` fixture is registered by ``tests/api/conftest.py``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest
from django.utils import timezone
from oauth2_provider.models import set_token_value

from portal.access_window import market_today
from portal.models import PremiseRegistration, ServicePeriod
from portal.services import rep_create, service_period_move_in
from thirdparty.apikeys import apikey_create
from thirdparty.models import AccessToken, Agreement, AgreementPremise, Application, Organization
from usage import codec, storage, timegrid
from usage.models import Channel, IntervalDay, Meter, Premise, Tdu

ESIID = "10443720000000001"
OTHER_ESIID = "10443720000000002"
UNKNOWN_ESIID = "10443720000009999"


def store_days(
    premise: Premise, start: date, end: date, *, channel: int = Channel.CONSUMPTION, seed: int = 1
):
    """Day rows of synthetic Wh values for local dates start..end (inclusive)."""
    rng = np.random.default_rng(seed)
    rows = []
    d = start
    while d <= end:
        n = timegrid.slots_in_day(d)
        values = rng.integers(50, 900, size=n)
        est = np.zeros(n, dtype=bool)
        est[5] = True
        rows.append(
            IntervalDay(
                premise=premise,
                channel=int(channel),
                day=d,
                data=codec.encode(values, estimated=est, revisions=int(timegrid.day_start_epoch(d)) + 86400),
            )
        )
        d += timedelta(days=1)
    storage.ensure_partitions(
        start, end
    )  # PostgreSQL: the months' partitions, as the app's writers make them
    IntervalDay.objects.bulk_create(rows, batch_size=500)


@dataclass
class Market:
    today: date
    tdu: Tdu
    premise: Premise
    other_premise: Premise
    rep: object
    other_rep: object
    old_period: ServicePeriod
    period: ServicePeriod
    other_period: ServicePeriod
    owner: object
    former: object
    stranger: object
    org: Organization
    app: Application
    agreement: Agreement
    rep_org: Organization
    rep_key: str
    tp_key: str
    token: str

    def bearer(self, token: str | None = None) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {token or self.token}"}

    def apikey(self, key: str) -> dict:
        return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def make_token(*, user, app, agreement, scope: str, expires_in: int = 3600) -> str:
    raw = secrets.token_urlsafe(30)
    tok = AccessToken(
        user=user,
        application=app,
        agreement=agreement,
        scope=scope,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    set_token_value(tok, raw)
    tok.save()
    return raw


def make_agreement(
    *, market_org, app, customer, period, scopes, history_start, days: int = 365, status="active"
):
    now = timezone.now()
    agreement = Agreement.objects.create(
        customer=customer,
        organization=market_org,
        application=app,
        scopes=scopes,
        history_start=history_start,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=days),
        status=status,
    )
    AgreementPremise.objects.create(agreement=agreement, premise=period.premise, service_period=period)
    return agreement


@pytest.fixture
def market(db, django_user_model) -> Market:
    return build_market(django_user_model)


def build_market(django_user_model) -> Market:
    today = market_today()
    tdu = Tdu.objects.create(
        name="Oncor Electric Delivery", short_name="Oncor", duns="1039940674000", esiid_prefixes=["1044372"]
    )
    premise = Premise.objects.create(
        esiid=ESIID, tdu=tdu, address_line1="1 Main St", city="Dallas", zip_code="75201"
    )
    other = Premise.objects.create(
        esiid=OTHER_ESIID, tdu=tdu, address_line1="2 Elm St", city="Dallas", zip_code="75202"
    )
    Meter.objects.create(premise=premise, meter_number="M-1", installed_on=today - timedelta(days=900))
    Meter.objects.create(premise=other, meter_number="M-2", installed_on=today - timedelta(days=900))
    rep = rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")
    other_rep = rep_create(legal_name="TXU Energy Retail Company LLC", puct_certificate="10004")
    # the premise: a former occupant until 200 days ago, then the owner (REP: rep)
    move = today - timedelta(days=200)
    old_period = service_period_move_in(premise=premise, rep=other_rep, starts_on=today - timedelta(days=800))
    period = service_period_move_in(premise=premise, rep=rep, starts_on=move)
    old_period.refresh_from_db()
    other_period = service_period_move_in(premise=other, rep=rep, starts_on=today - timedelta(days=500))
    owner = django_user_model.objects.create_user(
        "owner", "owner@example.com", "pw-owner-123456", first_name="Olive", last_name="Owner"
    )
    former = django_user_model.objects.create_user("former", "former@example.com", "pw-former-123456")
    stranger = django_user_model.objects.create_user("stranger", "s@example.com", "pw-stranger-123456")
    PremiseRegistration.objects.create(user=owner, period=period)
    PremiseRegistration.objects.create(user=former, period=old_period)
    PremiseRegistration.objects.create(user=stranger, period=other_period)
    store_days(premise, today - timedelta(days=240), today - timedelta(days=1))
    store_days(other, today - timedelta(days=60), today - timedelta(days=1), seed=2)
    org = Organization.objects.create(
        legal_name="Sunny Apps Inc", contact_email="dev@sunny.example", status=Organization.Status.APPROVED
    )
    app = Application.objects.create(
        name="Sunny",
        organization=org,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://sunny.example/cb",
        allowed_scopes=["profile:read", "premises:read", "usage:read", "billing:read"],
    )
    agreement = make_agreement(
        market_org=org,
        app=app,
        customer=owner,
        period=period,
        scopes=["profile:read", "premises:read", "usage:read"],
        history_start=move + timedelta(days=10),
    )
    token = make_token(
        user=owner, app=app, agreement=agreement, scope="profile:read premises:read usage:read"
    )
    rep_org = Organization.objects.create(
        legal_name="Reliant (REP)",
        kind=Organization.Kind.REP,
        rep=rep,
        contact_email="it@reliant.example",
        status=Organization.Status.APPROVED,
    )
    _, rep_key = apikey_create(
        organization=rep_org, name="billing", scopes=["premises:read", "usage:read", "billing:read"]
    )
    _, tp_key = apikey_create(organization=org, name="server", scopes=["premises:read", "usage:read"])
    return Market(
        today=today,
        tdu=tdu,
        premise=premise,
        other_premise=other,
        rep=rep,
        other_rep=other_rep,
        old_period=old_period,
        period=period,
        other_period=other_period,
        owner=owner,
        former=former,
        stranger=stranger,
        org=org,
        app=app,
        agreement=agreement,
        rep_org=rep_org,
        rep_key=rep_key,
        tp_key=tp_key,
        token=token,
    )


def assert_problem(response, status: int, *, parameter: str | None = None):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    if parameter is not None:
        assert body["parameter"] == parameter
    for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
        assert h in response, f"{h} missing on {status}"
    return body
