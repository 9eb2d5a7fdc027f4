"""A business customer's portfolio: every premise side by side over a chosen range (totals, chart, totals
row), only inside the account's own windows, and one combined CSV of all premises."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import numpy as np
import pytest

from portal.access_window import months_before
from portal.portfolio.selectors import business_premises, portfolio_load
from tests.helpers.portal_usage import (
    ESI_HOME,
    ESI_OTHER,
    ESI_SOLAR,
    consumption_wh,
    generation_wh,
    make_customer,
)
from usage import storage, timegrid
from usage.models import Premise
from usage.writers.export import export_intervals

pytestmark = pytest.mark.django_db


@pytest.fixture
def business(home, solar_home):
    Premise.objects.filter(pk__in=[home.pk, solar_home.pk]).update(kind=Premise.Kind.BUSINESS)
    return make_customer("bianca", home.period, solar_home.period)


def kwh(fn, first, last) -> float:
    total, d = 0, first
    while d <= last:
        total += sum(fn(d, s) for s in range(timegrid.slots_in_day(d)))
        d += timedelta(days=1)
    return total / 1000


def test_the_portfolio_totals_every_premise_over_the_last_13_months(client, business, today):
    client.force_login(business)
    resp = client.get("/portfolio/")
    assert resp.status_code == 200
    yesterday = today - timedelta(days=1)
    start = months_before(yesterday, 13) + timedelta(days=1)
    home_kwh = kwh(consumption_wh, start, yesterday)  # 13 months: inside the home's 400 days of data
    solar_kwh = kwh(consumption_wh, today - timedelta(days=60), yesterday)
    solar_gen = kwh(generation_wh, today - timedelta(days=60), yesterday)
    page = resp.content.decode()
    assert f'value="{start.isoformat()}"' in page and f'value="{yesterday.isoformat()}"' in page
    for text in (
        f"{home_kwh:,.3f}",
        f"{solar_kwh:,.3f}",
        f"{solar_gen:,.3f}",
        f"{home_kwh + solar_kwh:,.3f}",
    ):
        assert text.rstrip("0").rstrip(".") in page, page[page.index("<tbody>") : page.index("</tfoot>")]
    assert ESI_HOME in page and ESI_SOLAR in page
    fig = json.loads(
        re.search(r'id="portfolio-chart-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert [t["name"][-5:-1] for t in fig["data"]] == [ESI_HOME[-4:], ESI_SOLAR[-4:]]
    assert len(fig["data"][0]["x"]) == (yesterday - start).days + 1
    assert fig["layout"]["barmode"] == "stack"


def test_monthly_bars_sum_the_days(business, today):
    premises = business_premises(user=business)
    yesterday = today - timedelta(days=1)
    start = months_before(yesterday, 3).replace(day=1)
    daily = portfolio_load(user=business, premises=premises, start=start, end=yesterday, granularity="day")
    monthly = portfolio_load(
        user=business, premises=premises, start=start, end=yesterday, granularity="month"
    )
    assert [p.day for p in monthly.periods] == [1] * len(monthly.periods)
    assert np.allclose(np.nansum(daily.series, axis=1), np.nansum(monthly.series, axis=1))
    assert monthly.total_consumption_kwh == daily.total_consumption_kwh
    assert not daily.has_cost and daily.total_cost is None  # no plan set: no cost column


def test_days_outside_the_account_window_count_as_no_data(business, solar_home, today):
    """The solar premise has data from 60 days ago; its move-in was 120 days ago; a later occupant's days
    after a move-out would be cut the same way (the window mask)."""
    premises = business_premises(user=business)
    yesterday = today - timedelta(days=1)
    data = portfolio_load(
        user=business, premises=premises, start=today - timedelta(days=200), end=yesterday, granularity="day"
    )
    solar = next(r for r in data.rows if r.premise.esiid == ESI_SOLAR)
    assert solar.days_with_data == 60


def test_a_residential_account_has_no_portfolio(client, customer):
    client.force_login(customer)
    resp = client.get("/portfolio/")
    assert resp.status_code == 404 and b"for business accounts" in resp.content
    assert client.get("/portfolio/download.csv").status_code == 404


def test_sign_in_first(client):
    assert client.get("/portfolio/").status_code == 302


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13-01", "is not a date"),
        ("start=2026-02-01&end=2026-01-01", "start date is after the end date"),
        ("granularity=week", "Choose one of"),
    ],
)
def test_a_bad_range_is_explained(client, business, query, message):
    client.force_login(business)
    resp = client.get(f"/portfolio/?{query}")
    assert resp.status_code == 400 and message in resp.content.decode()
    assert client.get(f"/portfolio/download.csv?{query}").status_code == 400


def test_a_range_beyond_the_windows_is_kept_inside_with_a_note(client, business, today):
    client.force_login(business)
    resp = client.get(f"/portfolio/?start=2000-01-01&end={(today + timedelta(days=9)).isoformat()}")
    assert resp.status_code == 200 and b"the range was kept inside" in resp.content


def test_the_combined_daily_download_is_each_premise_csv_with_its_esiid(
    client, business, home, solar_home, today
):
    client.force_login(business)
    yesterday = today - timedelta(days=1)
    start = today - timedelta(days=150)
    resp = client.get(f"/portfolio/download.csv?start={start}&end={yesterday}&granularity=day")
    assert resp.status_code == 200 and resp["Content-Type"] == "text/csv; charset=utf-8"
    assert f"portfolio_{start:%Y%m%d}-{yesterday:%Y%m%d}_day.csv" in resp["Content-Disposition"]
    body = b"".join(resp.streaming_content)
    lines = body.split(b"\r\n")
    assert lines[0] == b"esiid,start,end,consumption_kwh,generation_kwh,estimated"
    expected = [lines[0]]
    solar_start = solar_home.period.starts_on
    for premise, lo in ((home, start), (solar_home, solar_start)):
        own = export_intervals(premise=premise, start=lo, end=yesterday, granularity="day", fmt="csv").body
        expected += [premise.esiid.encode() + b"," + row for row in own.split(b"\r\n")[1:-1]]
    assert lines[:-1] == expected and lines[-1] == b""
    assert ESI_OTHER.encode() not in body


def test_the_combined_15_minute_download_keeps_the_tdu_layout(client, business, today):
    client.force_login(business)
    yesterday = today - timedelta(days=1)
    resp = client.get(f"/portfolio/download.csv?start={yesterday}&end={yesterday}&granularity=15min")
    body = b"".join(resp.streaming_content)
    assert body.count(b"ESIID,USAGE_DATE") == 1 and body.startswith(b"ESIID,USAGE_DATE")
    rows = body.split(b"\r\n")[1:-1]
    n = timegrid.slots_in_day(yesterday)
    assert sum(ESI_HOME.encode() in r[:25] for r in rows) == n
    assert sum(ESI_SOLAR.encode() in r[:25] for r in rows) == 2 * n  # consumption and generation


def test_the_bulk_daily_totals_match_one_read_per_premise(home, solar_home, today):
    """Across day rows and compacted month blocks: the totals equal the sums of each premise's own read."""
    storage.compact_months(before=today - timedelta(days=45))
    start, end = today - timedelta(days=130), today - timedelta(days=1)
    totals = storage.read_day_totals_many(premise_ids=[home.pk, solar_home.pk, 999_999], start=start, end=end)
    for i, premise in enumerate((home, solar_home)):
        for ch, days in storage.read_channels(premise_id=premise.pk, start=start, end=end).items():
            expected = np.full((end - start).days + 1, np.nan)
            if len(days.dates):
                sums = np.add.reduceat(np.where(days.missing, 0, days.values_wh), days.offsets[:-1])
                expected[(days.dates - np.datetime64(start, "D")).astype(int)] = sums
            assert np.array_equal(totals.wh[ch][i], expected, equal_nan=True)
    assert np.isnan(totals.wh[1][2]).all()


def test_premises_with_a_plan_show_the_sum_of_their_daily_costs_and_others_none(
    client, business, home, today
):
    """The home has a plan (hand computation from the stored readings and the tariff, as the usage page's
    daily costs); the solar premise has none, so it shows no figure and the total covers the home alone."""
    from tests.helpers.bills import day_cost_cents, days, dollars, plan_for, tariff_for, tenths

    tariff_for(home.tdu)
    plan_for(home.period)
    premises = business_premises(user=business)
    yesterday = today - timedelta(days=1)
    start = yesterday - timedelta(days=29)
    data = portfolio_load(user=business, premises=premises, start=start, end=yesterday, granularity="day")
    expected = sum(tenths(day_cost_cents(d)) for d in days(start, yesterday))
    rows = {r.premise.esiid: r for r in data.rows}
    assert rows[ESI_HOME].cost is not None and int(rows[ESI_HOME].cost * 1000) == expected
    assert rows[ESI_SOLAR].cost is None
    assert data.has_cost and data.total_cost == rows[ESI_HOME].cost

    client.force_login(business)
    page = client.get(f"/portfolio/?start={start}&end={yesterday}").content.decode()
    assert dollars(expected) in page and "no plan set" in page


@pytest.mark.parametrize(
    ("query", "spanish", "english"),
    [
        ("", ("%-d %b", "%-d %b %Y"), "%b %-d"),
        ("?granularity=month", ("%b %Y", "%b %Y"), "%b %Y"),
    ],
    ids=["days", "months"],
)
def test_the_portfolio_chart_reads_day_first_in_spanish(client, business, query, spanish, english):
    client.force_login(business)

    def xaxis(language: str) -> dict:
        page = client.get("/portfolio/" + query, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        found = re.search(r'id="portfolio-chart-data" type="application/json">(.*?)</script>', page)
        return json.loads(found.group(1))["layout"]["xaxis"]

    es, en = xaxis("es"), xaxis("en")
    assert (es["tickformat"], es["hoverformat"]) == spanish
    assert en["tickformat"] == english and "hoverformat" not in en
