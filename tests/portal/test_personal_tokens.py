"""Personal access tokens and app passwords: shown once, hashed at rest, revoked at once, e-mailed on creation,
the owner's own windows and scopes on /api/v1/, never in the third-party access log; and who must NOT get in."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.accounts.tokens import checksum_ok, credential_create
from portal.models import PersonalCredential
from portal.services import service_period_move_out
from tests.helpers.portal_usage import ESI_HOME, ESI_OTHER
from thirdparty.models import AccessLogEntry

pytestmark = pytest.mark.django_db

Kind = PersonalCredential.Kind
ALL = ["usage:read", "billing:read", "meter-read:request", "premises:read"]


def intervals(client, secret: str, esiid: str, day):
    return client.get(
        f"/api/v1/premises/{esiid}/intervals/?start={day}&end={day}", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def token(user, scopes=ALL, days=30):
    return credential_create(user=user, kind=Kind.TOKEN, name="script", scopes=scopes, expires_days=days)


def test_created_on_the_account_page_shown_once_hashed_and_e_mailed(
    client, customer, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    assert client.get("/accounts/").content.decode().count("/accounts/tokens/") == 1
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/accounts/tokens/",
            {"kind": "token", "name": "heat pump", "scopes": ["usage:read"], "expires_days": "90"},
        )
    assert resp.status_code == 200
    row = PersonalCredential.objects.get()
    secret = resp.context["secret"]
    assert secret.startswith("smtp_") and secret.startswith(row.prefix) and checksum_ok(secret)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(PersonalCredential.objects.values().get())
    assert row.scopes == ["usage:read"] and row.expires_at > timezone.now() + timedelta(days=89)
    assert secret not in client.get("/accounts/tokens/").content.decode()  # shown once
    assert len(mailoutbox) == 1 and row.prefix in mailoutbox[0].body and "heat pump" in mailoutbox[0].body


def test_a_token_without_a_name_or_scope_is_refused_with_a_reason(client, customer):
    client.force_login(customer)
    resp = client.post("/accounts/tokens/", {"kind": "token", "name": "", "expires_days": "90"})
    assert resp.status_code == 400 and not PersonalCredential.objects.exists()
    resp = client.post("/accounts/tokens/", {"kind": "token", "name": "x", "expires_days": "90"})
    assert resp.status_code == 400 and "Choose at least one scope" in resp.content.decode()


def test_a_token_reads_the_owners_data_and_is_not_in_the_access_log(client, customer, today):
    _, secret = token(customer)
    resp = intervals(client, secret, ESI_HOME, today - timedelta(days=1))
    assert resp.status_code == 200
    assert not AccessLogEntry.objects.exists()
    row = PersonalCredential.objects.get()
    assert row.last_used_at is not None and row.last_used_ip == "127.0.0.1"


def test_a_token_never_reads_another_customers_premise(client, customer, other_customer, today):
    _, secret = token(customer)
    assert intervals(client, secret, ESI_OTHER, today - timedelta(days=1)).status_code == 404


def test_a_token_only_has_its_own_scopes(client, customer, today):
    _, secret = token(customer, scopes=["billing:read"])
    resp = intervals(client, secret, ESI_HOME, today - timedelta(days=1))
    assert resp.status_code == 403 and resp.json()["scope"] == "usage:read"


def test_a_token_is_limited_to_the_owners_window_after_move_out(client, customer, home, today):
    _, secret = token(customer)
    service_period_move_out(premise=home, ends_on=today - timedelta(days=10))
    assert intervals(client, secret, ESI_HOME, today - timedelta(days=20)).status_code == 200
    assert intervals(client, secret, ESI_HOME, today - timedelta(days=5)).status_code == 422


def test_revoked_at_once_and_only_by_its_owner(client, customer, other_customer, today):
    row, secret = token(customer)
    day = today - timedelta(days=1)
    assert intervals(client, secret, ESI_HOME, day).status_code == 200
    client.force_login(other_customer)
    client.post(f"/accounts/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.revoked_at is None  # not theirs
    client.force_login(customer)
    client.post(f"/accounts/tokens/{row.pk}/revoke/")
    client.logout()
    resp = intervals(client, secret, ESI_HOME, day)
    assert resp.status_code == 401 and "invalid_token" in resp["WWW-Authenticate"]


def test_an_expired_or_tampered_token_is_refused(client, customer, today):
    row, secret = token(customer)
    day = today - timedelta(days=1)
    PersonalCredential.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert intervals(client, secret, ESI_HOME, day).status_code == 401
    _, secret = token(customer)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert intervals(client, tampered, ESI_HOME, day).status_code == 401


def test_an_app_password_is_not_an_api_token_nor_a_site_password(client, customer, today):
    _, secret = credential_create(user=customer, kind=Kind.APP_PASSWORD, name="Home Assistant")
    assert secret.startswith("smta_")
    assert intervals(client, secret, ESI_HOME, today - timedelta(days=1)).status_code == 401
    assert not client.login(username=customer.username, password=secret)


def test_a_personal_token_is_not_an_smt_sign_in(client, customer):
    _, secret = token(customer)
    resp = client.post(
        "/commonapi/user/authenticate",
        {"username": customer.username, "password": secret, "rememberMe": "true"},
        content_type="application/json",
    )
    assert resp.status_code == 400


def test_a_token_does_not_see_the_exports_its_owner_made_signed_in(client, customer, today):
    from api.exports import export_create
    from thirdparty.access import actor_for_customer

    day = today - timedelta(days=1)
    export_create(
        actor=actor_for_customer(customer),
        esiids=[ESI_HOME],
        start=day,
        end=day,
        granularity="15min",
        data_format="csv",
        compression="none",
    )
    _, secret = token(customer, scopes=["billing:read"])
    listed = client.get("/api/v1/exports/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert listed.status_code == 200 and listed.json()["results"] == []
    client.force_login(customer)
    assert len(client.get("/api/v1/exports/").json()["results"]) == 1
