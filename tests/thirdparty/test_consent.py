"""The one-step consent page and the authorization code flow with PKCE (S256) around it."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from oauth2_provider.oauth2_backends import get_oauthlib_core

from portal.access_window import market_today, window_start
from thirdparty.models import AccessToken, Agreement, Grant, RefreshToken
from thirdparty.services.agreements import agreement_revoke

from .consent_fixtures import (
    REDIRECT,
    code_from,
    consent_approve,
    consent_get,
    exchange,
    pkce,
    refresh,
    token_for,
)

pytestmark = pytest.mark.django_db


def bearer_ok(token: str, scopes=()) -> bool:
    request = RequestFactory().get("/api/v1/premises/", HTTP_AUTHORIZATION=f"Bearer {token}")
    valid, _ = get_oauthlib_core().verify_request(request, scopes=list(scopes))
    return valid


def test_anonymous_customer_is_sent_to_sign_in_and_back(client, app):
    _, challenge = pkce()
    response = consent_get(client, app, challenge)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/authorize/")


def test_consent_page_names_the_third_party_every_scope_and_the_premises(
    client, alice, premise_a, premise_b, app
):
    client.force_login(alice)
    _, challenge = pkce()
    typed = f"{premise_b.esiid[:4]} {premise_b.esiid[4:10]}-{premise_b.esiid[10:]}"  # as people type it
    response = consent_get(client, app, challenge, scope="usage:read premises:read", esiid=typed)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "WattWise wants to read your electricity data",
        "WattWise Inc.",
        "TP-1234",
        "https://watt.example",
        "Your electricity usage",
        "Your addresses and meters",
        "1 Oak St",
        "2 Elm St",
        "Approve",
        "Decline",
    ):
        assert text in html, text
    # The ESI ID named in the request is pre-selected, the other is not.
    chosen = response.context["form"]["premises"].value()
    rows = {r["premise"].esiid: r["value"] for r in response.context["premise_rows"]}
    assert chosen == [rows[premise_b.esiid]]


def test_approve_creates_the_agreement_and_returns_a_code_bound_to_it(
    client, alice, premise_a, premise_b, app
):
    client.force_login(alice)
    verifier, challenge = pkce()
    page = consent_get(client, app, challenge, esiid=premise_a.esiid, duration_months="6", history_months="3")
    response = consent_approve(client, page)
    code = code_from(response)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == ["st4te"]
    assert "iss" in query

    agreement = Agreement.objects.get()
    assert agreement.customer == alice and agreement.application == app
    assert agreement.status == Agreement.Status.ACTIVE
    assert agreement.scopes == ["usage:read"]
    assert [ap.premise for ap in agreement.premises.all()] == [premise_a]
    assert agreement.history_start >= market_today() - timedelta(days=93)
    assert timedelta(days=180) <= agreement.valid_until - agreement.valid_from <= timedelta(days=185)
    assert Grant.objects.get().agreement == agreement

    token = exchange(client, app, code, verifier).json()
    access = AccessToken.objects.get()
    assert access.agreement == agreement
    assert RefreshToken.objects.get().agreement == agreement
    assert bearer_ok(token["access_token"], ["usage:read"])
    assert not bearer_ok(token["access_token"], ["premises:read"])  # not granted


def test_decline_sends_the_customer_back_with_access_denied_and_records_nothing(
    client, alice, premise_a, app
):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge)
    response = consent_approve(client, page, allow=False)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["access_denied"] and "code" not in query
    assert not Agreement.objects.exists() and not Grant.objects.exists()


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1:9999/callback",  # loopback, but another port: exact match only
        REDIRECT + "/extra",
        "https://watt.example/callback?x=1",
    ],
)
def test_unregistered_redirect_uri_is_refused_without_redirecting(
    client, alice, premise_a, app, redirect_uri
):
    _, challenge = pkce()
    for signed_in in (False, True):
        if signed_in:
            client.force_login(alice)
        response = consent_get(client, app, challenge, redirect_uri=redirect_uri)
        assert response.status_code == 400
        assert "Location" not in response
        assert "This request cannot be completed" in response.content.decode()
        assert redirect_uri not in response.content.decode()


def test_unknown_client_is_refused_without_redirecting(client, alice, premise_a, app):
    client.force_login(alice)
    _, challenge = pkce()
    app.client_id = "nope"
    response = consent_get(client, app, challenge)
    assert response.status_code == 400 and "Location" not in response


@pytest.mark.parametrize(
    "pkce_params",
    [
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # oauthlib would default to plain
    ],
)
def test_missing_or_plain_pkce_is_refused_before_consent(client, alice, premise_a, app, pkce_params):
    _, challenge = pkce()
    for signed_in in (False, True):
        if signed_in:
            client.force_login(alice)
        response = consent_get(client, app, challenge, **pkce_params)
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(REDIRECT)
        query = parse_qs(urlsplit(location).query)
        assert query["error"] == ["invalid_request"] and "code" not in query
    assert not Grant.objects.exists()


def test_plain_pkce_smuggled_into_the_consent_post_is_refused(client, alice, premise_a, app):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge)
    response = consent_approve(client, page, code_challenge_method="plain")
    assert "code=" not in response.get("Location", "")
    assert not Grant.objects.exists() and not Agreement.objects.exists()


def test_wrong_code_verifier_gets_no_token(client, alice, premise_a, app):
    client.force_login(alice)
    _, challenge = pkce()
    code = code_from(consent_approve(client, consent_get(client, app, challenge)))
    other_verifier, _ = pkce()
    response = exchange(client, app, code, other_verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_code_works_once(client, alice, premise_a, app):
    client.force_login(alice)
    verifier, challenge = pkce()
    code = code_from(consent_approve(client, consent_get(client, app, challenge)))
    assert exchange(client, app, code, verifier).status_code == 200
    second = exchange(client, app, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


def test_a_refresh_token_works_once_and_rotation_keeps_the_agreement(client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    agreement = Agreement.objects.get()
    first = refresh(client, app, tokens["refresh_token"])
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert AccessToken.objects.get(token_checksum=_checksum(new["access_token"])).agreement == agreement
    assert bearer_ok(new["access_token"], ["usage:read"])
    # Re-using the old refresh token fails, and (reuse protection) kills the whole family.
    again = refresh(client, app, tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert not bearer_ok(new["access_token"])


def _checksum(token):
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def test_app_cannot_ask_for_scopes_it_did_not_register(client, alice, premise_a, app):
    client.force_login(alice)
    _, challenge = pkce()
    response = consent_get(client, app, challenge, scope="usage:read profile:read")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]


def test_green_button_function_block_scope_is_accepted(client, alice, premise_a, app):
    client.force_login(alice)
    verifier, challenge = pkce()
    scope = "FB=1_3_4_5_13_14;IntervalDuration=900;BlockDuration=daily;HistoryLength=2592000"
    page = consent_get(client, app, challenge, scope=scope)
    assert page.status_code == 200
    assert "Your electricity usage" in page.content.decode()
    code_from(consent_approve(client, page))
    agreement = Agreement.objects.get()
    assert agreement.scopes == ["usage:read"]
    assert agreement.history_start == market_today() - timedelta(days=30)


def test_a_premise_that_is_not_the_customers_cannot_be_slipped_in(
    client, alice, bob, premise_a, premise_c, app
):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge)
    form = page.context["form"]
    data = {n: form[n].value() or "" for n in form.fields if form[n].is_hidden}
    bobs_period = premise_c.service_periods.get().pk
    data.update(
        premises=[str(bobs_period)], history_start=form["history_start"].value(), months="12", allow="true"
    )
    response = client.post(page.wsgi_request.get_full_path(), data)
    assert response.status_code == 400
    assert not Agreement.objects.exists() and not Grant.objects.exists()


def test_history_and_duration_are_capped(client, alice, premise_a, app, settings):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge, history_start="2001-01-01", duration_months="500")
    assert page.status_code == 200
    assert page.context["form"]["history_start"].value() == window_start(market_today()).isoformat()
    assert int(page.context["form"]["months"].value()) == settings.AGREEMENT_MAX_MONTHS
    # A tampered form asking for more than the maximum is refused.
    response = consent_approve(client, page, months=str(settings.AGREEMENT_MAX_MONTHS + 1))
    assert response.status_code == 400 and not Agreement.objects.exists()
    response = consent_approve(client, page, history_start="2001-01-01")
    assert response.status_code == 400 and not Agreement.objects.exists()


def test_a_customer_without_a_current_premise_can_only_decline(client, bob, app):
    client.force_login(bob)
    _, challenge = pkce()
    page = consent_get(client, app, challenge)
    assert page.status_code == 200
    html = page.content.decode()
    assert "no current premise" in html and 'name="allow"' not in html


def test_revoking_the_agreement_stops_its_tokens_at_once(client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    assert bearer_ok(tokens["access_token"])
    agreement_revoke(agreement=Agreement.objects.get(), by=alice)
    assert not bearer_ok(tokens["access_token"])
    assert refresh(client, app, tokens["refresh_token"]).status_code == 400


def test_introspection_tells_the_app_about_its_own_live_tokens_only(client, alice, premise_a, app):
    import base64

    tokens = token_for(client, app, alice)
    auth = {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(f"{app.client_id}:{app.raw_secret}".encode()).decode()
    }
    body = client.post("/o/introspect/", {"token": tokens["access_token"]}, **auth).json()
    assert body["active"] is True and body["agreement_id"] == Agreement.objects.get().pk
    assert "username" not in body
    agreement_revoke(agreement=Agreement.objects.get(), by=alice)
    assert client.post("/o/introspect/", {"token": tokens["access_token"]}, **auth).json() == {
        "active": False
    }


def test_revocation_endpoint_revokes_a_token(client, alice, premise_a, app):
    import base64

    tokens = token_for(client, app, alice)
    auth = {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(f"{app.client_id}:{app.raw_secret}".encode()).decode()
    }
    assert client.post("/o/revoke_token/", {"token": tokens["access_token"]}, **auth).status_code == 200
    assert not bearer_ok(tokens["access_token"])


def test_metadata_document_follows_the_contract(client):
    data = client.get("/.well-known/oauth-authorization-server").json()
    assert data["issuer"] == "http://testserver"
    assert data["authorization_endpoint"] == "http://testserver/o/authorize/"
    assert data["token_endpoint"] == "http://testserver/o/token/"
    assert data["revocation_endpoint"] == "http://testserver/o/revoke_token/"
    assert data["introspection_endpoint"] == "http://testserver/o/introspect/"
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert set(data["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert "usage:read" in data["scopes_supported"]
    assert data["token_endpoint_auth_methods_supported"]


def test_consent_is_asked_again_even_when_the_client_says_approval_prompt_auto(client, alice, premise_a, app):
    token_for(client, app, alice)
    client.force_login(alice)
    page = consent_get(client, app, pkce()[1], approval_prompt="auto")
    assert page.status_code == 200 and 'name="allow"' in page.content.decode()


def test_consent_page_describes_the_han_scopes_in_plain_words(client, alice, premise_a, app):
    app.allowed_scopes = [*app.allowed_scopes, "han:read", "han:manage", "han:message"]
    app.save()
    client.force_login(alice)
    _, challenge = pkce()
    response = consent_get(client, app, challenge, scope="han:read han:manage han:message")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "See the devices connected to your meter",
        "Connect and disconnect devices on your meter",
        "Send messages and prices to your devices",
    ):
        assert text in html, text
