"""Fixtures and helpers of the consent, agreement, webhook and move-out tests. The fixtures are registered by
``tests/thirdparty/conftest.py``; the functions and constants are imported by name."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from allauth.mfa.models import Authenticator

from portal.access_window import market_today
from portal.models import PremiseRegistration
from portal.services import rep_create, service_period_move_in
from thirdparty.models import Organization
from thirdparty.services.applications import application_register
from thirdparty.services.onboarding import organization_approve
from usage.services import premise_create, tdus_ensure

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture(autouse=True)
def _tp_isolation(settings):
    from smt.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the test receivers listen on 127.0.0.1
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def rep(db):
    return rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")


def _premise(esiid, address):
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    return premise_create(tdu=oncor, esiid=esiid, address_line1=address, city="Dallas", zip_code="75201")


def _occupy(user, premise, rep, starts_on):
    period = service_period_move_in(premise=premise, rep=rep, starts_on=starts_on)
    PremiseRegistration.objects.create(user=user, period=period)
    return period


@pytest.fixture
def alice(db, django_user_model):
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="x" * 16, first_name="Alice", last_name="Moreno"
    )


@pytest.fixture
def bob(db, django_user_model):
    return django_user_model.objects.create_user(username="bob", email="bob@example.com", password="x" * 16)


@pytest.fixture
def premise_a(alice, rep):
    p = _premise("10443720000000001", "1 Oak St")
    _occupy(alice, p, rep, market_today() - timedelta(days=1000))
    return p


@pytest.fixture
def premise_b(alice, rep):
    p = _premise("10443720000000002", "2 Elm St")
    _occupy(alice, p, rep, market_today() - timedelta(days=540))
    return p


@pytest.fixture
def premise_c(bob, rep):
    p = _premise("10443720000000003", "3 Ash St")
    _occupy(bob, p, rep, market_today() - timedelta(days=1400))
    return p


@pytest.fixture
def org(db, django_user_model):
    dev = django_user_model.objects.create_user(username="dev", email="dev@watt.example", password="x" * 16)
    o = Organization.objects.create(
        legal_name="WattWise Inc.",
        contact_email="dev@watt.example",
        website="https://watt.example",
        privacy_policy_url="https://watt.example/privacy",
        puct_registration="TP-1234",
    )
    o.membership_set.create(user=dev)
    # the member creates API keys and OAuth clients: that needs a second factor
    Authenticator.objects.create(user=dev, type=Authenticator.Type.TOTP, data={})
    return organization_approve(organization=o)


@pytest.fixture
def app(org):
    application, secret = application_register(
        organization=org,
        name="WattWise",
        redirect_uris=[REDIRECT, "https://watt.example/callback"],
        allowed_scopes=["usage:read", "premises:read"],
        webhook_url="",
    )
    application.raw_secret = secret
    return application


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(app, challenge, **extra):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "usage:read",
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def consent_get(client, app, challenge, **extra):
    return client.get("/o/authorize/?" + urlencode(authorize_params(app, challenge, **extra), doseq=True))


def consent_approve(client, response, *, premises=None, allow=True, **overrides):
    """Post the consent form as the page rendered it (premises: list of ESI IDs to tick)."""
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if form[name].is_hidden}
    rows = response.context["premise_rows"]
    if premises is None:
        chosen = [r["value"] for r in rows if r["value"] in (form["premises"].value() or [])]
    else:
        chosen = [r["value"] for r in rows if r["premise"].esiid in premises]
    data["premises"] = chosen
    data["history_start"] = form["history_start"].value()
    data["months"] = form["months"].value()
    if allow:
        data["allow"] = "true"
    data.update(overrides)
    return client.post(response.wsgi_request.get_full_path(), data)


def code_from(response):
    assert response.status_code == 302, getattr(response, "content", b"")[:2000]
    location = response["Location"]
    assert location.startswith(REDIRECT), location
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, location
    return query["code"][0]


def _basic(app):
    raw = f"{app.client_id}:{app.raw_secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


def exchange(client, app, code, verifier, redirect_uri=REDIRECT):
    return client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        **_basic(app),
    )


def refresh(client, app, refresh_token):
    return client.post(
        "/o/token/", {"grant_type": "refresh_token", "refresh_token": refresh_token}, **_basic(app)
    )


def token_for(client, app, user, *, premises=None, **extra):
    """Run the whole dance for ``user``: returns the token response JSON."""
    client.force_login(user)
    verifier, challenge = pkce()
    page = consent_get(client, app, challenge, **extra)
    assert page.status_code == 200, page.content[:2000]
    code = code_from(consent_approve(client, page, premises=premises))
    response = exchange(client, app, code, verifier)
    assert response.status_code == 200, response.content
    client.logout()
    return response.json()
