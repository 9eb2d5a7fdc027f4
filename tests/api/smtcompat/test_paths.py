"""The compatibility paths without the client: who must NOT see what, which credentials they take, the sliding
expiry, and the 401-then-403 answer to a dead token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.smtcompat.views import UNAUTHORIZED_PER_MINUTE
from portal.accounts.tokens import COMPAT_IDLE, credential_create
from portal.models import CompatSession, MeterReadRequest, PersonalCredential
from tests.helpers.portal_usage import ESI_HOME, ESI_OTHER, PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post(
        "/commonapi/user/authenticate",
        {"username": user.username, "password": password, "rememberMe": "true"},
        content_type="application/json",
        **extra,
    )


def post(client, path, token, body):
    return client.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def token(client, customer):
    resp = sign_in(client, customer, HTTP_AUTHORIZATION="Bearer stale-token-from-before")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    assert "RateLimit-Limit" in resp or any(k.lower().startswith("ratelimit") for k in resp.headers)
    return resp.json()["token"]


def test_the_token_is_stored_hashed(token):
    assert token not in str(list(CompatSession.objects.values()))


def test_another_customers_esiid_gives_nothing_and_asks_for_no_read(client, token, other_customer, today):
    assert post(client, "/api/usage/latestodrread", token, {"ESIID": ESI_OTHER}).status_code == 404
    assert (
        post(client, "/api/ondemandread", token, {"ESIID": ESI_OTHER, "MeterNumber": "x"}).status_code == 404
    )
    assert not MeterReadRequest.objects.exists()
    day = (today - timedelta(days=1)).strftime("%m/%d/%Y")
    resp = post(
        client, "/api/adhoc/intervalsynch", token, {"startDate": day, "endDate": day, "ESIID": [ESI_OTHER]}
    )
    assert resp.json() == {"data": {"energyData": []}}


def test_a_day_outside_the_window_is_a_day_without_data(client, token, today):
    day = (today + timedelta(days=1)).strftime("%m/%d/%Y")
    resp = post(
        client, "/api/adhoc/intervalsynch", token, {"startDate": day, "endDate": day, "ESIID": [ESI_HOME]}
    )
    assert resp.status_code == 200 and resp.json() == {"data": {"energyData": []}}


def test_a_bad_date_is_a_clear_400(client, token):
    resp = post(client, "/api/adhoc/intervalsynch", token, {"startDate": "2025-01-01", "ESIID": [ESI_HOME]})
    assert resp.status_code == 400 and "MM/DD/YYYY" in resp.json()["data"]["errorMessage"]


def test_before_any_read_the_status_is_none(client, token):
    resp = post(client, "/api/usage/latestodrread", token, {"ESIID": ESI_HOME})
    assert resp.json()["data"]["odrstatus"] == "NONE"


def test_only_compatibility_tokens_open_the_data_paths(client, customer):
    _, pat = credential_create(
        user=customer, kind=PersonalCredential.Kind.TOKEN, name="s", scopes=["usage:read"], expires_days=30
    )
    assert post(client, "/api/meter", pat, {"esiid": "*"}).status_code == 401
    client.force_login(customer)  # a session cookie is not one either
    assert client.post("/api/meter", {"esiid": "*"}, content_type="application/json").status_code == 401


def test_each_call_pushes_the_expiry_on_and_an_idle_token_dies(client, token):
    row = CompatSession.objects.get()
    CompatSession.objects.filter(pk=row.pk).update(expires_at=timezone.now() + timedelta(minutes=5))
    assert post(client, "/api/meter", token, {"esiid": "*"}).status_code == 200
    row.refresh_from_db()
    assert row.expires_at >= timezone.now() + COMPAT_IDLE - timedelta(minutes=1)
    CompatSession.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post(client, "/api/meter", token, {"esiid": "*"}).status_code == 401


def test_a_dead_token_gets_a_few_401s_a_minute_then_403_problem(client):
    codes = [post(client, "/api/meter", "smtc_gone", {"esiid": "*"}).status_code for _ in range(5)]
    assert codes == [401] * UNAUTHORIZED_PER_MINUTE + [403] * (5 - UNAUTHORIZED_PER_MINUTE)
    resp = post(client, "/api/meter", "smtc_gone", {"esiid": "*"})
    assert resp["Content-Type"] == "application/problem+json" and resp.json()["status"] == 403


def test_sign_in_never_answers_401_and_a_missing_field_is_400(client, customer):
    resp = client.post("/commonapi/user/authenticate", {"username": "x"}, content_type="application/json")
    assert resp.status_code == 400
    assert sign_in(client, customer, password="wrong").status_code == 400
    assert (
        client.post("/commonapi/user/authenticate", b"not json", content_type="application/json").status_code
        == 400
    )
