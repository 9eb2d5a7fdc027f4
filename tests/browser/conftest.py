"""The browser tests' fixtures: a premise with data loaded through the real ingest
(``tests/helpers/portal_usage.py``), one Chromium per test and Maria, its signed-up resident."""

import pytest

from tests.helpers.portal_usage import (  # noqa: F401 - fixtures, registered by being here
    home,
    make_customer,
    rep,
    today,
)

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def maria(transactional_db, home, settings):  # noqa: F811 - the fixture above
    from allauth.account.models import EmailAddress

    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    user = make_customer("maria", home.period)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
