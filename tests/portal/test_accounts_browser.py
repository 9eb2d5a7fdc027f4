"""A real browser (Playwright + system Chromium): register with ESI ID + code, confirm by the e-mail's link, sign
in, see the premise, go back with the back button and stay signed in, sign out. Also the 375 px phone layout.

Screenshots go to var/test-artifacts/accounts/.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import sync_playwright

from tests.portal.accounts_fixtures import PASSWORD, links_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "accounts"


@pytest.fixture
def browser(chromium_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM must not refuse it here.
    # monkeypatch: the variable must not leak into later tests (or subprocesses such as `check --deploy`).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def registered_period(transactional_db):
    from portal.access_window import market_today
    from portal.services import rep_create, service_period_move_in
    from usage.models import Meter
    from usage.services import premise_create, tdus_ensure

    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    premise = premise_create(
        tdu=oncor, esiid="10443720000000001", address_line1="1 Oak St", city="Dallas", zip_code="75201"
    )
    Meter.objects.create(premise=premise, meter_number="M1", installed_on=date(2020, 1, 1))
    rep = rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")
    return service_period_move_in(premise=premise, rep=rep, starts_on=market_today() - timedelta(days=1000))


def test_register_confirm_by_link_sign_in_back_button_sign_out(
    browser, live_server, registered_period, settings
):
    settings.SITE_URL = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    esiid = registered_period.premise.esiid
    code = registered_period.registration_code

    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.screenshot(path=str(ARTIFACTS / "signup-375.png"), full_page=True)
    # Labels are tied to inputs: fill the form by its labels, as a screen reader user would find it.
    page.get_by_label("ESI ID").fill(f"{esiid[:4]} {esiid[4:10]}-{esiid[10:]}")
    page.get_by_label("Registration code").fill(code[:5].lower() + "-" + code[5:].lower())
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Show password").click()
    assert page.get_by_label("Password", exact=True).get_attribute("type") == "text"
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert "code" in page.content().lower()

    # Read the e-mail; follow its link in another browser window (as from a mail app).
    message = next(m for m in mail.outbox if m.to == ["maria@example.com"])
    link = next(link for link in links_in(message) if "/confirm-email/" in link)
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = other.new_page()
    tab.goto(link)
    tab.get_by_role("button", name="Confirm").click()
    tab.wait_for_url(re.compile(r"/accounts/login/"))

    # Sign in there.
    tab.get_by_label("Username").fill("maria")
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()
    tab.wait_for_load_state()
    assert "/accounts/login/" not in tab.url
    tab.goto(f"{live_server.url}/accounts/")
    assert esiid in tab.content()
    tab.goto(f"{live_server.url}/")
    dashboard_url = tab.url
    assert esiid in tab.content() or "1 Oak St" in tab.content()
    tab.screenshot(path=str(ARTIFACTS / "dashboard-1280.png"), full_page=True)

    # The back button does not sign anyone out.
    tab.go_back()
    tab.wait_for_load_state()
    assert "/accounts/" in tab.url
    assert "Sign out (maria)" in tab.content()
    tab.go_forward()
    assert tab.url == dashboard_url
    assert "Sign out (maria)" in tab.content()

    # Sign out is a button (POST).
    tab.get_by_role("button", name="Sign out (maria)").click()
    tab.wait_for_load_state()
    tab.goto(f"{live_server.url}/accounts/")
    assert "/accounts/login/" in tab.url
    other.close()
    context.close()


def test_signup_errors_are_announced_and_fit_a_phone(browser, live_server, registered_period):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("ESI ID").fill("1044372000000000")
    page.get_by_label("Registration code").fill("ABCDE")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    esiid_input = page.get_by_label("ESI ID")
    described = esiid_input.get_attribute("aria-describedby").split()
    assert esiid_input.get_attribute("aria-invalid") == "true"
    error_text = page.locator(f"#{described[-1]}").inner_text()
    assert "17 or 22 digits; this one has 16" in error_text
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "signup-errors-375.png"), full_page=True)
    context.close()
