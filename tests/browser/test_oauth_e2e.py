"""The whole OAuth dance, end to end, with a real OAuth client library (authlib) as the third party and the
customer in Chromium: PKCE authorize → consent → code → token → intervals through the API → refresh →
the customer revokes in the portal → the token gets 401 → a signed ``agreement.revoked`` webhook arrives."""

import json
import os
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.browser.conftest import ARGS
from tests.helpers.ingest import HEADER, day_rows
from tests.helpers.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and lovely passphrase"


def _plain_day(today: date) -> date:
    """A recent day without a DST change (96 intervals)."""
    tz = ZoneInfo("America/Chicago")
    day = today - timedelta(days=3)
    while True:
        from datetime import datetime

        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        if (end - start) == timedelta(hours=24):
            return day
        day -= timedelta(days=1)


@pytest.fixture
def world(tmp_path, django_user_model, settings):
    from allauth.account.models import EmailAddress

    from portal.access_window import market_today
    from portal.models import PremiseRegistration
    from portal.services import rep_create, service_period_move_in
    from smt.celery import app as celery_app
    from thirdparty.models import Organization
    from thirdparty.services.applications import application_register
    from thirdparty.services.onboarding import organization_approve
    from usage.ingest.loader import ingest_file
    from usage.models import Meter
    from usage.services import premise_create, tdus_ensure

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1

    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    rep = rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")
    premise = premise_create(
        tdu=oncor, esiid="10443720000000001", address_line1="1 Oak St", city="Dallas", zip_code="75201"
    )
    Meter.objects.create(premise=premise, meter_number="M000001", installed_on=date(2020, 1, 1))
    today = market_today()
    period = service_period_move_in(premise=premise, rep=rep, starts_on=today - timedelta(days=400))
    alice = django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password=PASSWORD
    )
    EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=True)
    PremiseRegistration.objects.create(user=alice, period=period)

    day = _plain_day(today)
    path = tmp_path / f"{oncor.duns}_{day:%Y%m%d}_e2e.csv"
    path.write_text("\n".join([HEADER, *day_rows(premise.esiid, day)]) + "\n")
    report = ingest_file(path=path)
    assert report.stored > 0, report.message

    receiver = Receiver()
    org = Organization.objects.create(
        legal_name="WattWise Inc.",
        contact_email="dev@watt.example",
        website="https://watt.example",
        puct_registration="TP-1234",
    )
    org = organization_approve(organization=org)
    app, secret = application_register(
        organization=org,
        name="WattWise",
        redirect_uris=[receiver.base + "/callback"],
        allowed_scopes=["usage:read", "premises:read"],
        webhook_url=receiver.url,
    )
    yield {"premise": premise, "alice": alice, "app": app, "secret": secret, "receiver": receiver, "day": day}
    receiver.close()
    celery_app.conf.task_always_eager = eager


def test_oauth_dance_end_to_end(live_server, chromium_path, world, tmp_path):
    from playwright.sync_api import sync_playwright

    from thirdparty.webhooks.signing import signature_verify

    base = live_server.url
    app, receiver, premise, day = world["app"], world["receiver"], world["premise"], world["day"]
    callback = receiver.base + "/callback"
    api = f"{base}/api/v1/premises/{premise.esiid}/intervals/?start={day}&end={day}&granularity=15min"

    # The third party, with a real OAuth client library: PKCE (S256) authorization request.
    session = OAuth2Session(
        client_id=app.client_id,
        client_secret=world["secret"],
        scope="usage:read",
        redirect_uri=callback,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    authorize_url, state = session.create_authorization_url(
        f"{base}/o/authorize/", code_verifier=verifier, esiid=premise.esiid, duration_months="12"
    )
    assert "code_challenge_method=S256" in authorize_url

    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
            )
            page = context.new_page()
            # The customer arrives, signs in, and lands on the consent page of this very request.
            page.goto(authorize_url)
            assert "/accounts/login/" in page.url
            page.fill('input[name="login"]', "alice")
            page.fill('input[name="password"]', PASSWORD)
            page.locator('main form button[type="submit"]').first.click()
            page.wait_for_url(f"{base}/o/authorize/**")
            assert page.get_by_role(
                "heading", name="WattWise wants to read your electricity data"
            ).is_visible()
            assert page.get_by_text("Your electricity usage").is_visible()
            assert page.get_by_text("TP-1234").is_visible()
            assert page.locator('input[name="premises"]').first.is_checked()  # pre-selected by esiid
            # Reads well on a 375 px phone: nothing wider than the screen.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(shots / "consent-375.png"), full_page=True)
            from tests.browser.test_rough_edges import axe_violations

            assert not axe_violations(page)  # WCAG 2.2 AA on the consent page, at 375 px

            # One click and the customer is back at the third party with a code.
            page.get_by_role("button", name="Approve").click()
            page.wait_for_url(f"{callback}**")
            redirected = page.url
            assert "code=" in redirected and f"state={state}" in redirected

            # Code → token (authlib sends the PKCE verifier).
            token = session.fetch_token(
                f"{base}/o/token/", authorization_response=redirected, code_verifier=verifier
            )
            assert token["token_type"].lower() == "bearer" and token["refresh_token"]

            # Read intervals through the API.
            response = session.get(api)
            assert response.status_code == 200, response.text
            assert json.dumps(response.json())  # JSON body
            assert str(day) in response.text

            # Refresh: a new pair; the old refresh token works no more.
            old_refresh = token["refresh_token"]
            new = session.refresh_token(f"{base}/o/token/")
            assert new["access_token"] != token["access_token"] and new["refresh_token"] != old_refresh
            replay = requests.post(
                f"{base}/o/token/",
                data={"grant_type": "refresh_token", "refresh_token": old_refresh},
                auth=(app.client_id, world["secret"]),
                timeout=10,
            )
            assert replay.status_code == 400
            # (Replaying the old refresh token revoked the family: get a fresh pair through consent again.)
            page.goto(session.create_authorization_url(f"{base}/o/authorize/", code_verifier=verifier)[0])
            page.get_by_role("button", name="Approve").click()
            page.wait_for_url(f"{callback}**")
            token = session.fetch_token(
                f"{base}/o/token/", authorization_response=page.url, code_verifier=verifier
            )
            assert session.get(api).status_code == 200
            new = session.refresh_token(f"{base}/o/token/")
            assert session.get(api).status_code == 200

            # The customer revokes the newest agreement in the portal: confirmation page, then a clear answer.
            page.goto(f"{base}/accounts/apps/")
            page.get_by_role("link", name="Revoke…").first.click()
            page.get_by_role("button", name="Revoke access").click()
            page.wait_for_url(f"{base}/accounts/apps/*/revoked/")
            assert page.get_by_role("heading", name="Revoked.").is_visible()
            assert page.get_by_text("WattWise can no longer read your data from").is_visible()
            page.screenshot(path=str(shots / "revoked-375.png"), full_page=True)
        finally:
            browser.close()

    # The token fails at once.
    response = session.get(api)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")

    # And a signed agreement.revoked webhook reached the third party's receiver.
    hooks = [r for r in receiver.posts() if r["headers"]["SMT-Event"] == "agreement.revoked"]
    assert hooks, [r["headers"]["SMT-Event"] for r in receiver.posts()]
    secret = app.webhook_endpoint.secret
    assert signature_verify(
        secret=secret, header=hooks[-1]["headers"]["SMT-Signature"], body=hooks[-1]["body"]
    )
    assert json.loads(hooks[-1]["body"])["data"]["status"] == "revoked"
