"""The HAN tests' fixtures: the API tests' small market, with HAN credentials for every actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.models import PremiseRegistration
from tests.helpers.market import (
    Market,
    make_agreement,
    make_token,
    market,  # noqa: F401 - a fixture, registered by being here
)
from thirdparty.apikeys import apikey_create
from thirdparty.models import Organization
from usage.headend.hancodes import install_code_with_crc

HAN = ["han:read", "han:manage", "han:message"]
CODE = install_code_with_crc("83FED3407A939723A5C639B26916D505")


def mac(n: int, prefix: str = "000D6F00") -> str:
    return f"{prefix}{n:08X}"


@dataclass
class Han:
    m: Market
    member: object
    rep_key: str
    former_rep_key: str
    tokens: dict  # scope set name -> bearer token


@pytest.fixture(autouse=True)
def _reliable_network(settings):
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 0.0
    settings.HAN_JOIN_MAX_ATTEMPTS = 3
    settings.HAN_DEVICES_PER_METER = 5


@pytest.fixture
def han(market, django_user_model) -> Han:  # noqa: F811
    m = market
    member = django_user_model.objects.create_user("member", "member@example.com", "pw-member-123456")
    PremiseRegistration.objects.create(user=member, period=m.period, source="approved")
    _, rep_key = apikey_create(organization=m.rep_org, name="han", scopes=["premises:read", *HAN])
    former_org = Organization.objects.create(
        legal_name="TXU (REP)",
        kind=Organization.Kind.REP,
        rep=m.other_rep,
        contact_email="it@txu.example",
        status=Organization.Status.APPROVED,
    )
    _, former_rep_key = apikey_create(organization=former_org, name="han", scopes=HAN)
    m.app.allowed_scopes = [*m.app.allowed_scopes, *HAN]
    m.app.save()
    tokens = {}
    for name, scopes in {"none": [], "read": ["han:read"], "manage": HAN[:2], "message": HAN[::2]}.items():
        agreement = make_agreement(
            market_org=m.org,
            app=m.app,
            customer=m.owner,
            period=m.period,
            scopes=["premises:read", *scopes],
            history_start=m.period.starts_on + timedelta(days=1),
        )
        tokens[name] = make_token(
            user=m.owner, app=m.app, agreement=agreement, scope=" ".join(["premises:read", *scopes])
        )
    return Han(m=m, member=member, rep_key=rep_key, former_rep_key=former_rep_key, tokens=tokens)
