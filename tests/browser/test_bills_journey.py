"""A resident sets a plan and sees cost, bill-to-date and a projection that match a hand computation from
the stored readings and the tariff; last year's overlay on a window that has it and one that does not; axe
(WCAG 2.2 AA) on the plan and usage pages. At 1440 and 375 px."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.browser.test_portal_journeys import shot, sign_in, wait_chart
from tests.browser.test_rough_edges import axe_violations
from tests.helpers.bills import day_cost_cents, days, dollars, tariff_for, tenths
from tests.helpers.portal_usage import ESI_HOME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [(1440, 900), (375, 812)], ids=["desktop", "phone"])
def test_resident_sets_a_plan_and_sees_cost_and_last_year(browser, live_server, maria, home, today, viewport):
    tariff_for(home.tdu)
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/premises/{ESI_HOME}/usage/?granularity=day&preset=7d")
    page.get_by_role("link", name="Set your plan").click()
    page.wait_for_url(re.compile(r".*/plan/$"))
    assert page.locator("#id_delivery_cents_per_kwh").input_value() == "5.6000"  # prefilled from the tariff
    assert "Test tariff sheet" in page.locator("#tariff-source").text_content()
    assert not axe_violations(page)

    page.fill("#id_energy_cents_per_kwh", "-3")
    page.fill("#id_base_dollars_per_month", "9.95")
    page.get_by_role("button", name="Save plan").click()
    assert "cannot be negative" in page.locator("#id_energy_cents_per_kwh_error").text_content()
    assert not axe_violations(page)  # the form with its errors

    start, end = today - timedelta(days=6), today - timedelta(days=1)
    page.fill("#id_energy_cents_per_kwh", "12.5")
    page.fill("#id_cycle_day", str(start.day))
    page.get_by_role("button", name="Save plan").click()
    page.wait_for_url(re.compile(r".*/usage/$"))

    # cost per day, bill-to-date and projection, worked out by hand
    page.goto(f"{base}/premises/{ESI_HOME}/usage/?granularity=day&start={start}&end={end}")
    wait_chart(page)
    per_day = [tenths(day_cost_cents(d)) for d in days(start, end)]
    to_date = sum(per_day)
    assert page.locator("#bill-to-date").text_content().strip() == dollars(to_date)
    cycle_end_text = page.locator("#bill-h ~ dl dt").nth(1).text_content()
    cycle_end = re.search(r"to (\w{3} \d+)", cycle_end_text).group(1)
    left = next((d - end).days for d in days(end, end + timedelta(days=40)) if f"{d:%b} {d.day}" == cycle_end)
    projection = to_date + (2 * to_date * left + 6) // 12  # so far + average a day × days left, half up
    assert page.locator("#bill-projection").text_content().strip() == dollars(projection)
    page.locator("#data-table summary").click()
    cells = page.locator("#data-table tbody tr td:last-child").all_text_contents()
    assert cells == [dollars(t) for t in per_day]
    legend = page.locator("#usage-chart .legendtext").all_text_contents()
    assert "Same days last year" in legend  # the window holds 400 days: a year back has data
    assert page.locator("th", has_text="Same days last year").count() == 1
    assert not axe_violations(page)
    shot(page, "bills_usage")

    # a window with nothing a year back: no overlay, a plain note
    a, b = today - timedelta(days=390), today - timedelta(days=380)
    page.goto(f"{base}/premises/{ESI_HOME}/usage/?granularity=day&start={a}&end={b}")
    wait_chart(page)
    assert "Same days last year" not in page.locator("#usage-chart .legendtext").all_text_contents()
    assert "no data for these dates a year back" in page.locator("#last-year-note").text_content()
    assert not axe_violations(page)
    assert not errors
    ctx.close()
