"""The attack: on a shared computer, after the customer signed out, the back button (or a shared cache)
showed the dashboard and usage from the cache. Every page rendered for a signed-in person now says
``Cache-Control: private, no-store``; public pages stay cacheable."""

import pytest

from tests.helpers.portal_usage import ESI_HOME

PRIVATE_PAGES = [
    "/dashboard/",
    f"/premises/{ESI_HOME}/usage/",
    f"/premises/{ESI_HOME}/reads/",
    "/accounts/",
    "/accounts/sessions/",
    "/accounts/premises/add/",
    "/accounts/email/",
    "/accounts/apps/",
    "/accounts/access-log/",
]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_private_page_is_never_stored(client, customer, path):
    client.force_login(customer)
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Cache-Control"] == "private, no-store"
    assert "Cookie" in response["Vary"]


def test_after_sign_out_the_same_pages_hold_nothing(client, customer):
    client.force_login(customer)
    client.post("/accounts/logout/")
    response = client.get("/dashboard/")
    assert response.status_code == 302  # to sign-in; nothing of the customer's is served


def test_public_pages_are_not_marked_private(client, db):
    response = client.get("/providers/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_csp_form_action_is_the_site_only(client, customer):
    client.force_login(customer)
    csp = client.get("/accounts/")["Content-Security-Policy"]
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("form-action"))
    assert directive == "form-action 'self'"  # before: form-action 'self' https: http:
