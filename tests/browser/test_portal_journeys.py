"""A customer's journeys in a real browser (Playwright driving the system Chromium).

Sign in, open the usage page, switch granularities and ranges, hover the chart and read the tooltip, use the
back button, download every format, and read the meter on demand. Screenshots at 375x812 and 1440x900 go to
test-artifacts/ (and one of the usage page to docs/img/usage.png when SAVE_DOCS_SCREENSHOT=1).
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers.portal_usage import ESI_HOME, PASSWORD, consumption_wh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TOOLTIP = re.compile(
    r"(\w{3} \w{3} \d{1,2}, \d{4}, \d\d:\d\d–\d\d:\d\d C[DS]T).*?Consumption: (\d+\.\d{3}) kWh", re.S
)


def sign_in(page, base: str):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "maria")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/dashboard/")


def wait_chart(page):
    page.wait_for_selector("#usage-chart[data-ready=true]", timeout=15000)


def shot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    vp = page.viewport_size
    path = ARTIFACTS / f"{name}_{vp['width']}x{vp['height']}.png"
    path.unlink(missing_ok=True)  # so that a file from an earlier run never stands in for this one
    page.screenshot(path=str(path), full_page=full_page)
    return path


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG file, read from its header; fails if the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def hover_tooltip(page, fraction: float) -> str:
    page.locator("#usage-chart").scroll_into_view_if_needed()
    box = page.locator("#usage-chart .nsewdrag").first.bounding_box()
    x = box["x"] + box["width"] * fraction
    y = box["y"] + box["height"] * 0.15  # over empty plot area above the bars: hover must still answer
    page.mouse.move(x, y)
    page.wait_for_selector("#usage-chart .hoverlayer .hovertext", timeout=5000)
    return page.locator("#usage-chart .hoverlayer .hovertext").first.text_content()


@pytest.mark.parametrize("viewport", [(1440, 900), (375, 812)], ids=["desktop", "phone"])
def test_customer_journey(browser, live_server, maria, home, today, viewport):
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "status of" not in m.text else None,
    )
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}")
        if r.status >= 400 and "favicon" not in r.url
        else None,
    )
    page.on(
        "request",
        lambda r: errors.append(f"off-site request {r.url}")
        if not r.url.startswith(live_server.url)
        else None,
    )
    base = live_server.url

    sign_in(page, base)
    assert page.locator("h1").text_content().strip() == "Your energy at a glance"
    assert "1 Oak St" in page.content()
    shot(page, "dashboard")

    page.get_by_role("link", name=re.compile("^View usage")).click()
    page.wait_for_url(re.compile(r"/premises/\d+/usage/"))
    wait_chart(page)
    assert page.locator(".segmented a.current").all_text_contents() == ["Hourly", "Last 7 days"]

    # switch granularity, then range: the URL holds the state
    page.get_by_role("link", name="Daily", exact=True).click()
    wait_chart(page)
    assert "granularity=day" in page.url and "preset=7d" in page.url
    page.get_by_role("link", name="This month").click()
    wait_chart(page)
    assert "preset=month" in page.url
    shot(page, "usage_daily_month")

    # hover anywhere over the plot: the tooltip names the interval (with zone) and its kWh to 3 decimals
    page.get_by_role("link", name="15 minutes").click()
    wait_chart(page)
    page.get_by_role("link", name="Yesterday").click()
    wait_chart(page)
    assert "granularity=15min" in page.url and "preset=yesterday" in page.url
    text = hover_tooltip(page, 0.5)
    m = TOOLTIP.search(text)
    assert m, text
    label, kwh = m.group(1), m.group(2)
    yesterday = today - timedelta(days=1)
    assert label.startswith(f"{yesterday:%a %b} {yesterday.day}, {yesterday.year}, ")
    hh, mm = int(label[-15:-13]), int(label[-12:-10])
    slot = (hh * 60 + mm) // 15  # yesterday is not a DST day in these tests' data, or the label would say so
    assert float(kwh) == pytest.approx(consumption_wh(yesterday, slot) / 1000)
    shot(page, "usage_15min_tooltip", full_page=False)

    # with the keyboard: focus the chart, End goes to the last interval and the tooltip follows
    page.mouse.move(0, 0)
    page.locator("figure.chart-figure").focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    from playwright.sync_api import expect

    expect(page.locator("#usage-chart .hoverlayer .hovertext").first).to_contain_text("23:30–23:45")
    expect(page.locator("figure.chart-figure [aria-live]")).to_contain_text("23:30–23:45")

    # the same number is in the data table, reachable without the chart
    page.locator("#data-table summary").click()
    row = page.locator("table.data tbody tr", has_text=label).first
    assert kwh in row.text_content()

    # back button: the previous view, still signed in
    page.go_back()
    wait_chart(page)
    assert "granularity=15min" in page.url and "preset=month" in page.url
    assert "Sign out" in page.content()

    # 12 months, monthly bars spanning the axis; then a custom range typed into the form
    page.get_by_role("link", name="Monthly").click()
    wait_chart(page)
    page.get_by_role("link", name="Last 12 months").click()
    wait_chart(page)
    assert page.locator("#usage-chart .bars .point").count() >= 12
    shot(page, "usage_monthly_12m")
    start, end = today - timedelta(days=20), today - timedelta(days=14)
    page.fill("#range-start", start.isoformat())
    page.fill("#range-end", end.isoformat())
    page.select_option("#range-granularity", "hour")
    page.get_by_role("button", name="Show").click()
    wait_chart(page)
    assert f"start={start.isoformat()}" in page.url and f"end={end.isoformat()}" in page.url

    # downloads: exactly this range and granularity, each format
    for label_text, check in (
        ("CSV", lambda b: b.decode().startswith("start,end,consumption_kwh")),
        ("JSON", lambda b: json.loads(b)),
        ("Green Button XML", lambda b: b"<feed" in b[:500]),
    ):
        with page.expect_download() as info:
            page.locator(".download-list a", has_text=label_text).click()
        dl = info.value
        assert (
            ESI_HOME in dl.suggested_filename and f"{start:%Y%m%d}-{end:%Y%m%d}_hour" in dl.suggested_filename
        )
        assert check(Path(dl.path()).read_bytes())
    with page.expect_download() as info:
        page.get_by_role("link", name="Green Button — Download My Data").click()
    assert info.value.suggested_filename.endswith("_15min.xml")

    # read the meter now: pending -> completed without a full reload
    page.evaluate("window.__marker = 'still here'")
    page.locator("#read-panel button[type=submit]").click()
    page.wait_for_selector("[data-read-status] .read-message.ok", timeout=15000)
    status = page.locator("[data-read-status]").text_content()
    assert re.search(r"Your meter read [\d,]+\.\d{3} kWh at", status), status
    assert page.evaluate("window.__marker") == "still here"
    assert page.locator("[data-read-list] .read-completed").count() == 1
    page.locator("#read-panel").scroll_into_view_if_needed()
    shot(page, "usage_read", full_page=True)

    assert not errors, errors
    # a page that is not hers: a helpful 404
    resp = page.goto(f"{base}/premises/10443720000009999/usage/")
    assert resp.status == 404
    assert "not on your account" in page.content()
    ctx.close()


def test_usage_page_screenshot_for_the_readme(browser, live_server, maria, home, today):
    """The README's picture: the daily view of the last 7 days (which always hold data, even on the 1st of a
    month), with a day's tooltip showing."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/premises/{ESI_HOME}/usage/?granularity=day&preset=7d")
    wait_chart(page)
    # the page shows what the picture is for: her usage, daily, the last week, bars, and a day's kWh in the tooltip
    assert page.locator("h1").text_content().strip() == "Usage at 1 Oak St"
    assert page.locator(".segmented a.current").all_text_contents() == ["Daily", "Last 7 days"]
    assert page.locator("#usage-chart .bars .point").count() == 7
    hover_tooltip(
        page, 0.55
    )  # every trace's label: this week's bar and, where a year back has data, last year's
    tooltip = " ".join(page.locator("#usage-chart .hoverlayer .hovertext").all_text_contents())
    week = [today - timedelta(days=k) for k in range(1, 8)]
    assert any(f"{d:%b} {d.day}, {d.year}" in tooltip for d in week), tooltip
    assert re.search(r"Consumption[^:]*: \d+\.\d{3} kWh", tooltip), tooltip
    path = shot(page, "readme_usage", full_page=False)
    assert png_size(path) == (1440, 900)
    if os.environ.get("SAVE_DOCS_SCREENSHOT") == "1":
        docs_png = ROOT / "docs" / "img" / "usage.png"
        docs_png.parent.mkdir(parents=True, exist_ok=True)
        docs_png.unlink(missing_ok=True)
        clip = {"x": 0, "y": 0, "width": 1440, "height": 1180}
        page.screenshot(path=str(docs_png), full_page=True, clip=clip)
        assert png_size(docs_png) == (1440, 1180)
    page.close()
