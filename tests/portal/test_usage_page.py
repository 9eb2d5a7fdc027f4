"""The usage page: who may see it, what it shows, the URL state, downloads, and how fast it answers."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest

from portal.access_window import months_before
from portal.pages.data import TABLE_MAX_ROWS
from portal.services import service_period_move_in, service_period_move_out
from tests.helpers.clock import last_fall_back, last_spring_forward, ordinary_day
from tests.helpers.portal_usage import (
    ESI_HOME,
    ESI_SOLAR,
    consumption_wh,
    estimated_day,
    generation_wh,
    make_customer,
)
from usage import timegrid
from usage.writers.export import export_intervals

pytestmark = pytest.mark.django_db

URL = f"/premises/{ESI_HOME}/usage/"
# Every date here is relative to today (the ``home`` fixture holds the 400 days up to yesterday); the DST days
# are the latest ones inside that data, with room for the week before them that the summary compares with.


@pytest.fixture
def fall_back(today) -> date:
    """The latest 100-interval day with the days the tests look at around it inside the data."""
    return last_fall_back(on_or_before=today - timedelta(days=4), not_before=today - timedelta(days=390))


@pytest.fixture
def spring_forward(today) -> date:
    """The latest 92-interval day with two days before and one after it inside the data."""
    return last_spring_forward(on_or_before=today - timedelta(days=2), not_before=today - timedelta(days=395))


@pytest.fixture
def two_weeks(today) -> tuple[date, date]:
    """A fortnight well inside the data."""
    start = today - timedelta(days=60)
    return start, start + timedelta(days=13)


def zone(day: date) -> str:
    """The zone abbreviation at the local midnight that starts ``day``: CST or CDT."""
    return datetime.combine(day, datetime.min.time(), timegrid.MARKET_TZ).strftime("%Z")


def long_day(day: date) -> str:
    """How the chart names a day: ``Sun Nov 2, 2025``."""
    return f"{day:%a %b} {day.day}, {day.year}"


def chart(resp) -> dict:
    m = re.search(
        rb'<script id="usage-chart-data" type="application/json">(.*?)</script>', resp.content, re.S
    )
    assert m, "no chart data on the page"
    return json.loads(m.group(1))


def expected_wh(first: date, last: date, fn=consumption_wh) -> int:
    total, d = 0, first
    while d <= last:
        total += sum(fn(d, s) for s in range(timegrid.slots_in_day(d)))
        d += timedelta(days=1)
    return total


def body(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


# ----------------------------------------------------------------------------------------------- access


def test_anonymous_is_sent_to_sign_in(client, home):
    resp = client.get(URL)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "usage/",
        "usage/?granularity=15min&preset=yesterday",
        "usage/download.csv?granularity=15min&start=2026-01-01&end=2026-01-02",
        "usage/download.json?granularity=day&start=2026-01-01&end=2026-01-31",
        "usage/download.xml?granularity=hour&start=2026-01-01&end=2026-01-02",
        "green-button/",
        "reads/",
    ],
)
def test_another_customer_sees_nothing_of_a_premise_they_did_not_register(client, home, other_customer, path):
    client.force_login(other_customer)
    resp = client.get(f"/premises/{ESI_HOME}/{path}")
    assert resp.status_code == 404
    text = resp.content.decode()
    assert "not on your account" in text
    assert "registration code" in text
    assert "kWh" not in text


def test_unknown_and_malformed_esiids_get_the_same_helpful_404(client, customer):
    client.force_login(customer)
    for esiid in ("10443720000009999", "not-an-esiid", "1" * 30):
        resp = client.get(f"/premises/{esiid}/usage/")
        assert resp.status_code == 404
        assert "not on your account" in resp.content.decode()


def test_other_customer_cannot_post_a_read_or_poll_one(client, home, customer, other_customer):
    client.force_login(customer)
    client.post(f"/premises/{ESI_HOME}/reads/")
    client.force_login(other_customer)
    assert client.post(f"/premises/{ESI_HOME}/reads/").status_code == 404
    from portal.models import MeterReadRequest

    read = MeterReadRequest.objects.get()
    resp = client.get(f"/premises/{ESI_HOME}/reads/{read.pk}/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 404
    assert "register" not in resp.content.decode()


def test_former_occupant_keeps_their_period_and_nothing_after(client, home, rep, today):
    """Maria moved out 30 days ago; Nina moved in. Maria sees her own period only, Nina nothing before."""
    maria = make_customer("maria", home.period)
    move = today - timedelta(days=30)
    service_period_move_out(premise=home, ends_on=move)
    nina_period = service_period_move_in(premise=home, rep=rep, starts_on=move)
    nina = make_customer("nina", nina_period)

    client.force_login(maria)
    resp = client.get(URL + "?preset=window&granularity=day")
    assert resp.status_code == 200
    state = resp.context["state"]
    assert state.end == move - timedelta(days=1)
    assert f'max="{(move - timedelta(days=1)).isoformat()}"' in resp.content.decode()
    # asking for dates after the move-out is refused with the reason, and nothing after it is shown
    resp = client.get(
        URL + f"?start={(move - timedelta(days=3)).isoformat()}&end={today.isoformat()}&granularity=day"
    )
    assert resp.status_code == 400
    assert "move-out" in resp.content.decode()
    assert resp.context["state"].end == move - timedelta(days=1)
    assert len(chart(resp)["labels"]) == 3
    resp = client.get(
        f"/premises/{ESI_HOME}/usage/download.csv?granularity=day&start={move.isoformat()}&end={move.isoformat()}"
    )
    assert resp.status_code == 400
    # the Green Button download covers exactly her window
    resp = client.get(f"/premises/{ESI_HOME}/green-button/")
    assert resp.status_code == 200
    window = resp.context if resp.context else None  # streaming responses carry no context
    assert window is None
    assert f"{(move - timedelta(days=1)):%Y%m%d}_15min.xml" in resp["Content-Disposition"]
    # and she cannot ask the meter for a reading any more
    assert client.post(f"/premises/{ESI_HOME}/reads/").status_code == 403

    client.force_login(nina)
    resp = client.get(
        URL + f"?start={(move - timedelta(days=10)).isoformat()}&end={move.isoformat()}&granularity=day"
    )
    assert resp.status_code == 400
    assert "move-in" in resp.content.decode()
    assert resp.context["state"].start == move
    resp = client.get(URL + "?preset=window&granularity=day")
    assert resp.context["state"].start == move


def test_household_members_both_see_the_premise(client, home):
    a = make_customer("dana", home.period)
    b = make_customer("sam", home.period)
    for user in (a, b):
        client.force_login(user)
        assert client.get(URL).status_code == 200


def test_the_access_window_setting_limits_everyone(client, customer, home, today, settings):
    settings.ACCESS_WINDOW_MONTHS = 13
    client.force_login(customer)
    resp = client.get(URL + "?preset=window&granularity=month")
    state = resp.context["state"]

    assert state.start == months_before(today, 13)
    assert "13 months" in state.window.start_reason
    too_early = (state.start - timedelta(days=1)).isoformat()
    resp = client.get(URL + f"?start={too_early}&end={state.start.isoformat()}&granularity=day")
    assert resp.status_code == 400
    assert "13 months" in resp.content.decode()
    # the first day of the window itself is fine, and a whole year is one request
    year_ago = today - timedelta(days=365)
    resp = client.get(
        URL + f"?start={year_ago.isoformat()}&end={(today - timedelta(days=1)).isoformat()}&granularity=day"
    )
    assert resp.status_code == 200
    assert len(chart(resp)["labels"]) == 365


# ------------------------------------------------------------------------------------------- URL state


def test_presets_and_granularities_are_links_that_keep_the_other_choice(client, customer, home, today):
    client.force_login(customer)
    resp = client.get(URL)
    assert resp.status_code == 200
    state = resp.context["state"]
    assert (state.preset, state.granularity) == ("7d", "hour")
    assert state.end == today - timedelta(days=1)
    assert state.days == 7
    html = resp.content.decode()
    assert 'href="?granularity=day&amp;preset=7d"' in html
    assert 'href="?granularity=hour&amp;preset=12m"' in html
    resp = client.get(URL + "?granularity=day&preset=month")
    state = resp.context["state"]
    assert state.start == today.replace(day=1) and state.end == today
    resp = client.get(URL + "?granularity=month&preset=12m")
    state = resp.context["state"]
    assert state.days in (365, 366)
    labels = chart(resp)["labels"]
    assert len(labels) == 13  # a partial month at each end of 12 months
    resp = client.get(URL + "?granularity=15min&preset=yesterday")
    assert len(chart(resp)["labels"]) == timegrid.slots_in_day(today - timedelta(days=1))


def test_custom_range_in_the_url_is_what_the_page_shows(client, customer, home, two_weeks):
    client.force_login(customer)
    start, end = two_weeks
    resp = client.get(URL + f"?granularity=day&start={start}&end={end}")
    assert resp.status_code == 200
    state = resp.context["state"]
    assert (state.start, state.end, state.granularity, state.preset) == (start, end, "day", None)
    html = resp.content.decode()
    assert f'value="{start}"' in html and f'value="{end}"' in html
    # switching granularity keeps the custom dates
    assert f'href="?granularity=hour&amp;start={start}&amp;end={end}"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?granularity=weekly", "not a granularity"),
        ("?start=2026-13-01&end=2026-01-05", "not a date"),
        ("?start=2026-02-05&end=2026-01-05", "before the start date"),
    ],
)
def test_bad_input_is_a_400_that_says_what_is_wrong(client, customer, home, query, message):
    client.force_login(customer)
    resp = client.get(URL + query)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert resp.context["data"] is not None  # and the page still shows the nearest valid view


def test_long_15_minute_ranges_are_charted_coarser_but_downloaded_as_asked(client, customer, home, today):
    client.force_login(customer)
    resp = client.get(URL + "?granularity=15min&preset=12m")
    assert resp.status_code == 200
    assert resp.context["state"].granularity == "day"
    assert "up to 62 days" in resp.content.decode()
    assert all("granularity=15min" in d["url"] for d in resp.context["downloads"])


# ------------------------------------------------------------------------------------- what it shows


def test_summary_matches_the_stored_data_across_the_fall_back_day(client, customer, home, fall_back):
    client.force_login(customer)
    first, last = fall_back - timedelta(days=3), fall_back + timedelta(days=3)
    resp = client.get(URL + f"?granularity=day&start={first.isoformat()}&end={last.isoformat()}")
    assert resp.status_code == 200
    s = resp.context["data"].summary
    total = expected_wh(first, last)
    assert s["total_kwh"] == pytest.approx(total / 1000, abs=1e-9)
    assert s["days_with_data"] == 7
    assert s["average_per_day_kwh"] == pytest.approx(round(total / 7 / 1000, 3))
    # previous equal period
    prev = resp.context["data"].previous
    assert (prev.start, prev.end) == (first - timedelta(days=7), first - timedelta(days=1))
    assert prev.summary["total_kwh"] == pytest.approx(expected_wh(prev.start, prev.end) / 1000)
    # the fall-back day's bar holds its 100 intervals and says it had 25 hours
    fig = chart(resp)
    i = (fall_back - first).days
    assert fig["data"][0]["y"][i] == pytest.approx(expected_wh(fall_back, fall_back) / 1000)
    assert "25 hours" in fig["labels"][i]
    after = fall_back + timedelta(days=1)
    assert f"00:00 CDT to {after:%b} {after.day}, {after.year} 00:00 CST" in fig["labels"][i]
    html = resp.content.decode()
    assert f"{total / 1000:,.3f} kWh" in html


def test_fifteen_minute_view_of_the_dst_days_tells_the_repeated_hour_apart(
    client, customer, home, fall_back, spring_forward
):
    client.force_login(customer)
    resp = client.get(URL + f"?granularity=15min&start={fall_back.isoformat()}&end={fall_back.isoformat()}")
    labels = chart(resp)["labels"]
    assert len(labels) == 100
    cdt, cst = f"{long_day(fall_back)}, 01:00–01:15 CDT", f"{long_day(fall_back)}, 01:00–01:15 CST"
    assert cdt in labels and cst in labels
    assert labels.index(cdt) < labels.index(cst)
    y = chart(resp)["data"][0]["y"]
    assert y[4] == pytest.approx(consumption_wh(fall_back, 4) / 1000)
    resp = client.get(
        URL + f"?granularity=15min&start={spring_forward.isoformat()}&end={spring_forward.isoformat()}"
    )
    labels = chart(resp)["labels"]
    assert len(labels) == 92
    assert f"{long_day(spring_forward)}, 01:45 CST–03:00 CDT" in labels
    s = resp.context["data"].summary
    assert s["total_kwh"] == pytest.approx(expected_wh(spring_forward, spring_forward) / 1000)


def test_estimated_values_are_their_own_series_named_in_the_legend(client, customer, home, today):
    client.force_login(customer)
    day = next(d for d in (today - timedelta(days=k) for k in range(2, 60)) if estimated_day(d))
    resp = client.get(
        URL
        + f"?granularity=day&start={(day - timedelta(days=2)).isoformat()}&end={(day + timedelta(days=1)).isoformat()}"
    )
    fig = chart(resp)
    names = [t["name"] for t in fig["data"] if t.get("meta") != "last_year"]  # the overlay: its own tests
    assert names == ["Consumption", "Consumption, estimated part"]
    measured, est = fig["data"][0], fig["data"][1]
    # a wholly estimated day: nothing measured, the whole bar the estimated part, stacked from zero
    assert measured["y"][2] == 0 and est["y"][2] == pytest.approx(expected_wh(day, day) / 1000)
    assert est["base"][2] == 0
    assert measured["text"][2].endswith("100% estimated")
    assert est["y"][0] is None and measured["y"][0] == pytest.approx(
        expected_wh(day - timedelta(days=2), day - timedelta(days=2)) / 1000
    )
    assert est["marker"]["pattern"]["shape"] == "/"
    assert "E</abbr>" in resp.content.decode()  # and marked in the table


def test_a_partly_estimated_month_draws_its_estimated_share_in_proportion(client, customer, home, today):
    """A month with one estimated day out of ~30 is a thin stacked part with its percentage, not a hatched bar."""
    client.force_login(customer)
    day = next(d for d in (today - timedelta(days=k) for k in range(40, 120)) if estimated_day(d))
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    resp = client.get(URL + f"?granularity=month&start={first.isoformat()}&end={last.isoformat()}")
    fig = chart(resp)
    measured, est = fig["data"][0], fig["data"][1]
    est_days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    total = expected_wh(first, last) / 1000
    part = sum(expected_wh(d, d) for d in est_days if estimated_day(d)) / 1000
    assert est["y"][0] == pytest.approx(part)
    assert measured["y"][0] == pytest.approx(total - part)
    assert est["base"][0] == pytest.approx(total - part)  # stacked on the measured part
    share = f"{part * 100 / total:.1f}%"
    assert measured["text"][0] == f"{total:.3f} kWh, {share} estimated"


def test_generation_is_a_separate_series(client, solar_home, today):
    user = make_customer("sol", solar_home.period)
    client.force_login(user)
    resp = client.get(f"/premises/{ESI_SOLAR}/usage/?granularity=day&preset=7d")
    fig = chart(resp)
    names = [t["name"] for t in fig["data"]]
    assert names == ["Consumption", "Sent to the grid"]  # the one name for exported energy on every page
    last = today - timedelta(days=1)
    assert fig["data"][1]["y"][-1] == pytest.approx(expected_wh(last, last, generation_wh) / 1000)
    s = resp.context["data"].summary
    assert s["generation_total_kwh"] == pytest.approx(
        expected_wh(last - timedelta(days=6), last, generation_wh) / 1000
    )
    assert "Sent to the grid" in resp.content.decode()


def test_chart_data_is_compact_and_hover_says_time_zone_and_three_decimals(client, customer, home, today):
    client.force_login(customer)
    end = today - timedelta(days=1)
    resp = client.get(
        URL + f"?granularity=15min&start={(end - timedelta(days=30)).isoformat()}&end={end.isoformat()}"
    )
    fig = chart(resp)
    n = len(fig["labels"])
    assert n >= 31 * 92
    trace = fig["data"][0]
    assert isinstance(trace["x"], list) and isinstance(trace["y"], list) and len(trace["y"]) == n
    assert all(v is None or isinstance(v, float | int) for v in trace["y"])
    assert "%{y:.3f} kWh" in trace["hovertemplate"] and "%{customdata}" in trace["hovertemplate"]
    assert re.fullmatch(r"\w{3} \w{3} \d{1,2}, \d{4}, \d\d:\d\d–\d\d:\d\d C[DS]T", fig["labels"][0])
    raw = re.search(
        rb'<script id="usage-chart-data" type="application/json">(.*?)</script>', resp.content, re.S
    )
    assert len(raw.group(1)) < 110 * n  # about 100 bytes per interval all told: no objects per point
    layout = fig["layout"]
    assert layout["hovermode"] == "x" and layout["hoverdistance"] == -1
    assert layout["xaxis"]["showspikes"] is True
    assert layout["xaxis"]["rangeslider"]["visible"] is True


def test_monthly_chart_spans_the_whole_axis(client, customer, home, today):
    client.force_login(customer)
    this_month = today.replace(day=1)
    start = months_before(this_month, 12)  # the twelve whole months before this one
    resp = client.get(URL + f"?granularity=month&start={start}&end={this_month - timedelta(days=1)}")
    fig = chart(resp)
    assert fig["layout"]["xaxis"]["range"] == [f"{start} 00:00", f"{this_month} 00:00"]
    assert len(fig["labels"]) == 12
    assert fig["labels"][0].startswith(f"{start:%B %Y}")
    assert all(t["type"] == "bar" for t in fig["data"] if t.get("meta") != "last_year")


def test_data_table_is_collapsed_and_holds_every_row(client, customer, home, today):
    client.force_login(customer)
    day = ordinary_day(on_or_before=today - timedelta(days=30))
    while timegrid.slots_in_day(day + timedelta(days=1)) != 96:
        day = ordinary_day(on_or_before=day - timedelta(days=1))
    resp = client.get(URL + f"?granularity=hour&start={day}&end={day + timedelta(days=1)}")
    html = resp.content.decode()
    assert '<details class="panel data-table"' in html and "<details open" not in html
    table = re.search(r'<table class="data">(.*?)</table>', html, re.S).group(1)
    assert table.count("<th scope=row>") == 48
    assert 'scope="col"' in table
    assert TABLE_MAX_ROWS >= 31 * 96 + 4


# ---------------------------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
@pytest.mark.parametrize("granularity", ["15min", "hour", "day", "month"])
def test_downloads_are_byte_identical_to_the_one_export_function(
    client, customer, home, spring_forward, fmt, granularity
):
    client.force_login(customer)
    start, end = spring_forward - timedelta(days=2), spring_forward + timedelta(days=1)
    resp = client.get(
        f"/premises/{ESI_HOME}/usage/download.{fmt}?granularity={granularity}&start={start}&end={end}"
    )
    assert resp.status_code == 200
    assert resp.streaming
    expected = export_intervals(premise=home, start=start, end=end, granularity=granularity, fmt=fmt)
    assert body(resp) == expected.body
    assert resp["Content-Type"] == expected.content_type
    assert f'filename="{expected.filename}"' in resp["Content-Disposition"]
    assert ESI_HOME in expected.filename and f"{start:%Y%m%d}-{end:%Y%m%d}" in expected.filename


def test_download_csv_content_is_the_tdu_layout(client, customer, home, today):
    client.force_login(customer)
    day = ordinary_day(on_or_before=today - timedelta(days=30))
    resp = client.get(f"/premises/{ESI_HOME}/usage/download.csv?granularity=15min&start={day}&end={day}")
    lines = body(resp).decode().splitlines()
    assert lines[0].startswith("ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME")
    assert len(lines) == 1 + 96
    first = lines[1].split(",")
    assert first[1] == f"{day:%m/%d/%Y}" and first[3].strip() == "00:00"
    assert float(first[5]) == pytest.approx(consumption_wh(day, 0) / 1000)


def test_green_button_download_is_the_whole_window(client, customer, home, today):
    client.force_login(customer)
    resp = client.get(f"/premises/{ESI_HOME}/green-button/")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/atom+xml")
    from portal.access_window import customer_windows

    w = customer_windows(user=customer, premise=home)[-1]
    expected = export_intervals(premise=home, start=w.start, end=w.end, granularity="15min", fmt="xml")
    assert body(resp) == expected.body
    assert b"<feed" in expected.body[:400]


def test_usage_page_links_downloads_for_exactly_what_is_shown(client, customer, home, two_weeks):
    client.force_login(customer)
    start, end = two_weeks
    resp = client.get(URL + f"?granularity=day&start={start}&end={end}")
    urls = [d["url"] for d in resp.context["downloads"]]
    assert urls == [
        f"/premises/{ESI_HOME}/usage/download.{fmt}?granularity=day&start={start}&end={end}"
        for fmt in ("csv", "json", "xml")
    ]
    assert "Green Button — Download My Data" in resp.content.decode()


# ------------------------------------------------------------------------------------ queries and speed


@pytest.mark.parametrize(
    "query",
    ["?granularity=day&preset=12m", "?granularity=15min&preset=7d", "?granularity=billing&preset=12m", ""],
)
def test_usage_page_makes_a_handful_of_queries(client, customer, home, django_assert_max_num_queries, query):
    client.force_login(customer)
    client.get(URL)  # warm the session
    # 7 belong to every signed-in page (session, user, allauth's usersessions tracking in a savepoint); the
    # page's own are premise, window, storage (one for both channels and the previous period), read limits,
    # latest reads and, for billing periods, the periods: at most 6.
    with django_assert_max_num_queries(13):
        resp = client.get(URL + query)
    assert resp.status_code == 200


@pytest.mark.postgres
def test_usage_page_shows_the_same_after_settled_months_are_compacted(client, customer, home, today):
    """Settled months become meter-month rows (usage.compact_intervals), as on a running site with a year of
    data; the page must not change by a byte of data. Its speed is measured by bench/bench_portal.py."""
    client.force_login(customer)
    end = today - timedelta(days=1)
    daily = URL + f"?granularity=day&start={months_before(end, 13).isoformat()}&end={end.isoformat()}"
    fifteen = URL + f"?granularity=15min&start={(end - timedelta(days=30)).isoformat()}&end={end.isoformat()}"
    before = [(chart(r), r.context["data"].summary) for r in (client.get(daily), client.get(fifteen))]
    from usage import storage

    assert storage.compact_months()["months"] > 0
    after = [(chart(r), r.context["data"].summary) for r in (client.get(daily), client.get(fifteen))]
    assert after == before


def test_plotly_is_served_from_our_static_files(client, customer, home):
    client.force_login(customer)
    html = client.get(URL).content.decode()
    assert '<script src="/static/js/plotly.min.js" defer></script>' in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # no inline script: the CSP forbids it
    from django.contrib.staticfiles import finders

    path = finders.find("js/plotly.min.js")
    assert path and path.endswith("plotly/package_data/plotly.min.js")


def test_billing_view_shows_only_periods_inside_the_window(client, customer, home, today):
    from django.utils import timezone

    from usage.models import BillingPeriod

    w_start = home.period.starts_on
    BillingPeriod.objects.create(
        premise=home,
        start_date=w_start - timedelta(days=10),
        end_date=w_start + timedelta(days=19),
        wh=900_000,
        revised_at=timezone.now(),
    )
    cycle_start = today - timedelta(days=100)
    cycle_end = cycle_start + timedelta(days=29)
    BillingPeriod.objects.create(
        premise=home,
        start_date=cycle_start,
        end_date=cycle_end,
        wh=None,
        estimated=True,
        revised_at=timezone.now(),
    )
    client.force_login(customer)
    resp = client.get(URL + "?granularity=billing&preset=window")
    assert resp.status_code == 200
    labels = chart(resp)["labels"]
    after = cycle_end + timedelta(days=1)
    assert labels == [
        f"Billing period {cycle_start:%b} {cycle_start.day}, {cycle_start.year} 00:00 {zone(cycle_start)} to "
        f"{after:%b} {after.day}, {after.year} 00:00 {zone(after)}"
    ]
    assert "NA" in resp.content.decode()


def test_base_load_of_a_home_with_solar_counts_only_intervals_without_generation(client, solar_home, today):
    """Net grid use is near zero while panels produce; the base load comes from the intervals without them."""
    user = make_customer("sol", solar_home.period)
    client.force_login(user)
    resp = client.get(f"/premises/{ESI_SOLAR}/usage/?granularity=day&preset=7d")
    s = resp.context["data"].summary
    assert s["base_load_basis"] == "intervals_without_generation"
    last = today - timedelta(days=1)
    days = [last - timedelta(days=k) for k in range(7)]
    night = sorted(
        consumption_wh(d, slot)
        for d in days
        for slot in range(timegrid.slots_in_day(d))
        if generation_wh(d, slot) == 0
    )
    assert s["base_load_kw"] == pytest.approx(night[-(-len(night) * 5 // 100) - 1] * 4 / 1000)
    assert "only the 15-minute intervals in which the panels sent nothing" in resp.content.decode()


# ------------------------------------------------------------------------------------ the chart in Spanish

DAY_FIRST = {
    "15min": ("%H:%M<br>%-d %b", "%-d %b %Y, %H:%M"),
    "hour": ("%H:%M<br>%-d %b", "%-d %b %Y, %H:%M"),
    "day": ("%-d %b", "%-d %b %Y"),
    "month": ("%b<br>%Y", "%b %Y"),
    "billing": ("%-d %b<br>%Y", "%-d %b %Y"),
}
MONTH_FIRST = {
    "15min": "%H:%M<br>%b %-d",
    "hour": "%H:%M<br>%b %-d",
    "day": "%b %-d",
    "month": "%b<br>%Y",
    "billing": "%b %-d<br>%Y",
}


@pytest.mark.parametrize(
    "query",
    [
        "?granularity=15min&preset=7d",
        "?granularity=hour&preset=7d",
        "?granularity=day&preset=7d",
        "?granularity=month&preset=12m",
    ],
)
def test_the_charts_dates_read_day_first_in_spanish_and_month_first_in_english(client, customer, home, query):
    """Plotly's own date formats put the month first in every locale ("dic 5"): the server sets the axis'
    tick and hover formats in the page's language; last year's overlay shares the axis."""
    granularity = query.split("&")[0].split("=")[1]
    client.force_login(customer)
    spanish = chart(client.get(URL + query, HTTP_ACCEPT_LANGUAGE="es"))
    english = chart(client.get(URL + query, HTTP_ACCEPT_LANGUAGE="en"))
    tick, hover = DAY_FIRST[granularity]
    assert spanish["layout"]["xaxis"]["tickformat"] == tick
    assert spanish["layout"]["xaxis"]["hoverformat"] == hover
    assert spanish["config"]["locale"] == "es" and spanish["config"]["locales"]["es"]["format"][
        "shortMonths"
    ][11] == ("dic")
    assert english["layout"]["xaxis"]["tickformat"] == MONTH_FIRST[granularity]
    assert "hoverformat" not in english["layout"]["xaxis"] and "locale" not in english["config"]
    if granularity == "day":
        assert any(t.get("meta") == "last_year" for t in spanish["data"])  # the overlay is on this chart


def test_a_billing_period_chart_reads_day_first_in_spanish():
    """Billing periods need a bill's periods on the page; the figure itself is checked here."""
    import numpy as np
    from django.utils import translation

    from portal.charts import Points, usage_figure

    start = int(datetime(2026, 11, 5, 6, tzinfo=timegrid.MARKET_TZ).timestamp())
    end = int(datetime(2026, 12, 5, 6, tzinfo=timegrid.MARKET_TZ).timestamp())
    nothing = np.array([np.nan])
    points = Points(
        np.array([start]), np.array([end]), np.array([612.5]), np.array([False]), nothing, np.array([False])
    )
    for language, formats in (("es", DAY_FIRST["billing"]), ("en", (MONTH_FIRST["billing"], None))):
        with translation.override(language):
            fig = usage_figure(
                points, granularity="billing", range_start="2026-11-05", range_end="2026-12-05"
            )
        assert (fig["layout"]["xaxis"]["tickformat"], fig["layout"]["xaxis"].get("hoverformat")) == formats
