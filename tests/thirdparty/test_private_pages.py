"""The consent page is private (never cached), and its CSP ``form-action`` names only the site and the
origin of the redirect URI registered for the request being answered (before: any ``https:``/``http:``)."""

import pytest

from .consent_fixtures import consent_get, pkce

pytestmark = pytest.mark.django_db


def _form_action(response) -> str:
    csp = response["Content-Security-Policy"]
    return next(d.strip() for d in csp.split(";") if d.strip().startswith("form-action"))


def test_consent_page_is_private_and_form_action_is_the_redirect_origin(client, app, alice, premise_a):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert _form_action(page) == "form-action 'self' http://127.0.0.1:8765"
    other = consent_get(client, app, challenge, redirect_uri="https://watt.example/callback")
    assert _form_action(other) == "form-action 'self' https://watt.example"


def test_unregistered_redirect_uri_adds_no_origin(client, app, alice, premise_a):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge, redirect_uri="https://evil.example/cb")
    assert "evil.example" not in _form_action(page)
    assert "https:" not in _form_action(page).split()
