"""What residents met in a real browser (issue 20), walked again at 1440 and 375 px: a stale sign-in form in a
second tab, error pages on both settings, the printed usage page, and axe (WCAG 2.2 AA) on the main pages.

axe-core comes bundled with ``axe-playwright-python``: nothing is fetched at run time.
"""

from __future__ import annotations

import pytest

from tests.browser.test_portal_journeys import sign_in, wait_chart
from tests.helpers.portal_usage import ESI_HOME, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1440, 900), (375, 812)]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_a_stale_sign_in_form_in_a_second_tab_goes_straight_on(browser, live_server, maria, viewport):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    base = live_server.url
    second = ctx.new_page()
    second.goto(f"{base}/accounts/login/")  # left open, with the token of a signed-out visitor
    first = ctx.new_page()
    sign_in(first, base)  # signing in rotates the token: the second tab's form is now stale
    second.fill("input[name=login]", "maria")
    second.fill("input[name=password]", PASSWORD)
    second.locator("main button[type=submit]").click()
    second.wait_for_url(f"{base}/dashboard/")
    assert second.locator("h1").text_content().strip() == "Your energy at a glance"

    # cookies cleared: the form explains itself on the site's own page, with a way back
    ctx.clear_cookies()
    second.goto(f"{base}/accounts/login/")
    ctx.clear_cookies()
    second.fill("input[name=login]", "maria")
    second.fill("input[name=password]", PASSWORD)
    with second.expect_response(
        lambda r: r.url.endswith("/accounts/login/") and r.request.method == "POST"
    ) as r:
        second.locator("main button[type=submit]").click()
    assert r.value.status == 403
    assert second.locator("h1").text_content().strip() == "This form has expired"
    assert second.locator(".site-header").is_visible()
    assert "DEBUG" not in second.content()
    second.get_by_role("link", name="Reload the page").click()
    assert second.locator("input[name=login]").is_visible()
    ctx.close()


@pytest.mark.parametrize("debug", [True, False], ids=["make-run", "production"])
def test_an_unknown_address_is_the_sites_404_on_either_setting(browser, live_server, settings, db, debug):
    settings.DEBUG = debug
    page = browser.new_page(viewport={"width": 375, "height": 812})
    response = page.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    assert page.locator("h1").text_content().strip() == "We can’t find that page"
    html = page.content()
    assert "URLconf" not in html and "admin/" not in html and "DEBUG" not in html
    assert page.locator('link[rel="icon"]').count() == 1
    page.close()


def test_the_usage_page_prints_the_chart_and_summary_only(browser, live_server, maria):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/premises/{ESI_HOME}/usage/?granularity=day&preset=7d")
    wait_chart(page)
    page.emulate_media(media="print")
    for hidden in (".controls", ".downloads", "#read-panel", ".site-header nav", ".site-footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in ("#usage-chart", ".summary-panel", "h1"):
        assert page.locator(shown).first.is_visible(), shown
    assert len(page.pdf(format="Letter")) > 1000
    page.close()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{page.url}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_axe_finds_no_wcag_22_aa_violation_on_the_main_pages(browser, live_server, maria, viewport):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    base = live_server.url
    found: list[str] = []
    for path in ("/", "/providers/?q=reliant", "/accounts/signup/", "/accounts/password/reset/", "/no/such/page/",
                 "/developers/docs/"):  # fmt: skip
        page.goto(base + path)
        found += axe_violations(page)
    sign_in(page, base)
    for path in ("/dashboard/", f"/premises/{ESI_HOME}/usage/?granularity=day&preset=7d",
                 f"/premises/{ESI_HOME}/reads/", "/accounts/", "/accounts/sessions/", "/accounts/apps/"):  # fmt: skip
        page.goto(base + path)
        if "/usage/" in path:
            wait_chart(page)
        found += axe_violations(page)
    ctx.close()
    assert not found, "\n".join(found)
