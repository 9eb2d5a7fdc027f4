"""Alerts and the business portfolio in a real browser, at 1440 and 375 px, each page checked with axe
(WCAG 2.2 AA): a resident sets a threshold, a TDU file loaded through the real ingest sends one alert e-mail
(and a reload of the same file none), the e-mail's unsubscribe link asks before it stops the alert; a
business account sees its premises side by side and downloads them in one file. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from portal.models import AlertSubscription
from tests.browser.test_portal_journeys import shot, sign_in
from tests.browser.test_rough_edges import axe_violations
from tests.helpers.ingest import day_rows, write_file
from tests.helpers.portal_usage import ESI_HOME, load_days, make_home
from usage.ingest.loader import ingest_file
from usage.models import IngestFile, Premise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = [(1440, 900), (375, 812)]
ESI_SHOP = "10443720000000104"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_a_threshold_alert_arrives_after_an_ingest_once_and_unsubscribes_in_one_click(
    browser, live_server, maria, home, today, tmp_path, viewport
):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    base = live_server.url
    sign_in(page, base)
    page.get_by_role("link", name="E-mail alerts").click()
    page.wait_for_url(f"{base}/alerts/")
    page.get_by_label("E-mail me when a day's use passes (kWh)").fill("40")
    page.get_by_label("E-mail me when yesterday's data arrives").check()
    page.get_by_role("button", name="Save alerts").click()
    page.wait_for_selector(".messages")
    assert "Alerts for 1 Oak St" in page.locator(".messages").text_content()
    assert page.get_by_label("E-mail me when a day's use passes (kWh)").input_value() == "40"
    assert not axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]  # no sideways scrolling
    shot(page, "alerts_settings")

    mail.outbox.clear()
    yesterday = today - timedelta(days=1)
    path = write_file(
        tmp_path, day_rows(ESI_HOME, yesterday, kwh=lambda slot: 0.5, revised=None), day=yesterday
    )
    assert ingest_file(path=path).stored > 0  # 48 kWh: over the threshold, and yesterday's data
    assert ingest_file(path=path).status == IngestFile.Status.DUPLICATE  # the same file again
    threshold = [m for m in mail.outbox if "over your daily threshold" in m.subject]
    assert len(threshold) == 1 and threshold[0].to == [maria.email]
    assert len([m for m in mail.outbox if "Yesterday's data is in" in m.subject]) == 1
    link = re.search(r"http\S+/alerts/unsubscribe/\S+/", threshold[0].body).group(0)
    assert threshold[0].extra_headers["List-Unsubscribe"] == f"<{link}>"

    page.goto(base + link[link.index("/alerts/") :])
    assert page.locator("h1").text_content() == "Stop this alert?"
    assert AlertSubscription.objects.get(user=maria).threshold_kwh == Decimal("40")  # GET changes nothing
    assert not axe_violations(page)
    page.get_by_role("button", name="Stop this alert").click()
    page.wait_for_selector("text=Alert stopped")
    sub = AlertSubscription.objects.get(user=maria)
    assert sub.threshold_kwh is None and sub.on_data_arrived
    assert not axe_violations(page)
    ctx.close()


@pytest.fixture
def bakery(maria, home, rep, today, tmp_path):
    """Maria's account also runs a shop: both premises are business premises."""
    from portal.models import PremiseRegistration
    from portal.services import service_period_move_in

    shop = make_home(ESI_SHOP, "9 Market St")
    period = service_period_move_in(premise=shop, rep=rep, starts_on=today - timedelta(days=300))
    load_days(tmp_path, ESI_SHOP, today - timedelta(days=250), today - timedelta(days=1), solar=True)
    PremiseRegistration.objects.create(user=maria, period=period)
    Premise.objects.filter(esiid__in=[ESI_HOME, ESI_SHOP]).update(kind=Premise.Kind.BUSINESS)
    return shop


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_a_business_account_sees_its_portfolio_and_downloads_it_in_one_file(
    browser, live_server, maria, bakery, viewport
):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    page = ctx.new_page()
    base = live_server.url
    sign_in(page, base)
    page.get_by_role("link", name="Portfolio: all premises side by side").click()
    page.wait_for_url(f"{base}/portfolio/")
    page.wait_for_selector("#portfolio-chart[data-ready=true]", timeout=15000)
    rows = page.locator(".portfolio-table tbody tr")
    assert rows.count() == 2
    table = page.locator(".portfolio-table").text_content()
    assert ESI_HOME in table and ESI_SHOP in table and "All premises" in table
    assert page.locator("#portfolio-chart .barlayer .trace").count() == 2
    assert not axe_violations(page)
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
    )  # the table scrolls in its box
    shot(page, "portfolio")

    page.get_by_label("Chart by").select_option("month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#portfolio-chart[data-ready=true]", timeout=15000)
    assert "granularity=month" in page.url and "Monthly use" in page.content()

    with page.expect_download() as info:
        page.get_by_role("link", name="Daily CSV").click()
    download = info.value
    assert re.fullmatch(r"portfolio_\d{8}-\d{8}_day\.csv", download.suggested_filename)
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"esiid,start,end,consumption_kwh,generation_kwh,estimated\r\n")
    assert body.count(b"\r\n" + ESI_HOME.encode() + b",") > 300 and b"\r\n" + ESI_SHOP.encode() + b"," in body
    ctx.close()
