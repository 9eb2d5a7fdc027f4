"""Bills: the plan form and who may use it, cost per interval against a hand computation, bill-to-date
and projection, the cycle, last year's comparison, and cost in downloads (opt-in; defaults unchanged)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.bills.models import BillPlan
from portal.bills.services import bill_costs, bill_cycle, bill_to_date
from portal.services import service_period_move_in, service_period_move_out
from tests.helpers.bills import day_cost_cents, days, dollars, plan_for, tariff_for, tenths
from tests.helpers.portal_usage import ESI_HOME, PASSWORD, make_customer
from usage.models import BillingPeriod
from usage.writers.export import export_intervals

PLAN_URL = f"/premises/{ESI_HOME}/plan/"
USAGE_URL = f"/premises/{ESI_HOME}/usage/"
DOWNLOAD = f"/premises/{ESI_HOME}/usage/download"


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


# ------------------------------------------------------------------------------------------- cost


def test_daily_cost_matches_a_hand_computation_with_the_tariff_of_each_day(home, today):
    tariff_for(home.tdu)
    change = today - timedelta(days=5)
    tariff_for(home.tdu, effective_from=change, cents=Decimal("6.1"), dollars=Decimal("5.00"))
    plan = plan_for(home.period)
    start, end = today - timedelta(days=10), today - timedelta(days=1)
    costs = bill_costs(premise=home, plan=plan, start=start, end=end, granularity="day")
    expected = [
        tenths(
            day_cost_cents(d)
            if d < change
            else day_cost_cents(d, delivery=Decimal("6.1"), delivery_monthly=Decimal("5.00"))
        )
        for d in days(start, end)
    ]
    assert costs.tenths == expected
    assert costs.uncovered_days == 0


def test_hourly_costs_add_up_to_the_day_and_days_without_a_tariff_have_no_cost(home, today):
    start = today - timedelta(days=3)
    tariff_for(home.tdu, effective_from=start + timedelta(days=1))
    plan = plan_for(home.period)
    end = today - timedelta(days=1)
    hourly = bill_costs(premise=home, plan=plan, start=start, end=end, granularity="hour")
    daily = bill_costs(premise=home, plan=plan, start=start, end=end, granularity="day")
    assert daily.tenths[0] is None and daily.uncovered_days == 1
    hours = hourly.tenths
    assert all(t is None for t in hours[:24])
    # each hour is rounded on its own: within half a tenth of a cent per hour of the day's exact total
    assert abs(sum(hours[24:48]) - daily.tenths[1]) <= 12


def test_own_delivery_charges_replace_the_tariff(home, today):
    tariff_for(home.tdu)
    plan = plan_for(
        home.period,
        tdu_charges="own",
        delivery_cents_per_kwh=Decimal("4"),
        delivery_dollars_per_month=Decimal("3.00"),
    )
    d = today - timedelta(days=2)
    costs = bill_costs(premise=home, plan=plan, start=d, end=d, granularity="day")
    assert costs.tenths == [
        tenths(day_cost_cents(d, delivery=Decimal("4"), delivery_monthly=Decimal("3.00")))
    ]


# ------------------------------------------------------------------------------------------- cycle


def test_cycle_starts_the_day_after_the_last_billing_period_or_on_the_residents_day(home, today):
    tariff_for(home.tdu)
    plan = plan_for(home.period)
    first = today.replace(day=1)
    assert bill_cycle(premise=home, plan=plan, today=today).start == first  # nothing reported: the month
    end = today - timedelta(days=10)
    BillingPeriod.objects.create(
        premise=home, start_date=end - timedelta(days=29), end_date=end, wh=1, revised_at="2025-01-01T00:00Z"
    )
    cycle = bill_cycle(premise=home, plan=plan, today=today)
    assert cycle.start == end + timedelta(days=1) and cycle.from_billing_period
    plan.cycle_day = 31
    cycle = bill_cycle(premise=home, plan=plan, today=date(2026, 3, 5))
    assert (cycle.start, cycle.end) == (date(2026, 2, 28), date(2026, 3, 30))  # February has no 31st


def test_bill_to_date_and_projection_follow_the_stated_rule(home, today):
    tariff_for(home.tdu)
    plan = plan_for(home.period, cycle_day=(today - timedelta(days=6)).day)
    bill = bill_to_date(premise=home, plan=plan, today=today, window_start=home.period.starts_on)
    start = today - timedelta(days=6)
    assert bill.cycle.start == start
    so_far = [tenths(day_cost_cents(d)) for d in days(start, today - timedelta(days=1))]
    assert bill.to_date_tenths == sum(so_far)
    assert bill.days_so_far == 6 and bill.through == today - timedelta(days=1)
    left = (bill.cycle.end - bill.through).days
    assert bill.days_left == left
    exact = Decimal(sum(so_far)) + Decimal(sum(so_far)) * left / 6
    assert abs(bill.projection_tenths - exact) <= Decimal("0.5")


# --------------------------------------------------------------------------------- the plan page


def test_a_resident_sets_a_plan_prefilled_from_the_tariff(client, customer, home):
    tariff_for(home.tdu)
    _login(client, customer)
    page = client.get(PLAN_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="5.6000"' in html and "Test tariff sheet" in html
    resp = client.post(
        PLAN_URL,
        {
            "energy_cents_per_kwh": "12.5",
            "base_dollars_per_month": "9.95",
            "tdu_charges": "tariff",
            "delivery_cents_per_kwh": "5.6",
            "delivery_dollars_per_month": "4.25",
            "cycle_day": "",
        },
    )
    assert resp.status_code == 302
    plan = BillPlan.objects.get(period=home.period)
    assert plan.energy_cents_per_kwh == Decimal("12.5") and plan.delivery_cents_per_kwh is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("energy_cents_per_kwh", "-1", "cannot be negative"),
        ("energy_cents_per_kwh", "250", "check the decimal point"),
        ("energy_cents_per_kwh", "0.115", "looks like dollars"),
        ("base_dollars_per_month", "900", "not a home"),
        ("cycle_day", "32", "1 to 31"),
        ("energy_cents_per_kwh", "abc", "Enter a number of cents"),
    ],
)
def test_the_plan_form_refuses_bad_charges_with_a_message(client, customer, home, field, value, message):
    tariff_for(home.tdu)
    _login(client, customer)
    data = {
        "energy_cents_per_kwh": "12.5",
        "base_dollars_per_month": "9.95",
        "tdu_charges": "tariff",
        field: value,
    }
    resp = client.post(PLAN_URL, data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not BillPlan.objects.exists()


def test_own_delivery_charges_must_be_given(client, customer, home):
    _login(client, customer)  # no tariff for this TDU: only "own" is offered
    resp = client.post(
        PLAN_URL, {"energy_cents_per_kwh": "12.5", "base_dollars_per_month": "9.95", "tdu_charges": "own"}
    )
    assert resp.status_code == 400
    assert "Enter this charge from your bill" in resp.content.decode()


def test_only_the_occupancy_sees_its_plan(client, customer, other_customer, home, rep, today):
    tariff_for(home.tdu)
    plan_for(home.period)
    _login(client, other_customer)
    assert client.get(PLAN_URL).status_code == 404
    assert client.post(PLAN_URL, {"energy_cents_per_kwh": "1"}).status_code == 404
    # the next occupant starts without the plan and never sees its figures
    service_period_move_out(premise=home, ends_on=today - timedelta(days=3))
    newcomer_period = service_period_move_in(premise=home, rep=rep, starts_on=today - timedelta(days=3))
    newcomer = make_customer("nadia", newcomer_period)
    _login(client, newcomer)
    page = client.get(USAGE_URL).content.decode()
    assert "Set your plan" in page and "Bill so far" not in page
    # a household member of the plan's occupancy sees it
    member = make_customer("mateo", home.period)
    _login(client, member)
    assert "Your plan: 12.5" in client.get(USAGE_URL + "?preset=month").content.decode()


# --------------------------------------------------------------------------------- the usage page


def test_usage_page_shows_cost_per_day_and_the_bill_to_date(client, customer, home, today):
    tariff_for(home.tdu)
    plan_for(home.period, cycle_day=(today - timedelta(days=6)).day)
    _login(client, customer)
    start, end = today - timedelta(days=6), today - timedelta(days=1)
    resp = client.get(USAGE_URL + f"?granularity=day&start={start}&end={end}")
    html = resp.content.decode()
    per_day = [tenths(day_cost_cents(d)) for d in days(start, end)]
    for t in per_day:
        assert f"<td>{dollars(t)}</td>" in html
    assert re.search(r'id="bill-to-date">\s*' + re.escape(dollars(sum(per_day))), html)
    m = re.search(r'<script id="usage-chart-data" type="application/json">(.*?)</script>', html, re.S)
    cost_trace = [t for t in json.loads(m.group(1))["data"] if t.get("meta") == "bill"][0]
    assert cost_trace["text"] == [dollars(t) for t in per_day]


def test_summary_compares_with_last_year_where_the_window_has_it(client, customer, home, today):
    _login(client, customer)
    end = today - timedelta(days=1)
    html = client.get(
        USAGE_URL + f"?granularity=day&start={end - timedelta(days=13)}&end={end}"
    ).content.decode()
    assert "Same days last year</th>" in html and "vs last year" in html
    m = re.search(r'<script id="usage-chart-data" type="application/json">(.*?)</script>', html, re.S)
    overlay = [t for t in json.loads(m.group(1))["data"] if t.get("meta") == "last_year"]
    assert len(overlay) == 1 and all(v is not None for v in overlay[0]["y"])
    # 380 days back there is no data a year earlier (the data starts 400 days ago)
    a, b = today - timedelta(days=390), today - timedelta(days=380)
    html = client.get(USAGE_URL + f"?granularity=day&start={a}&end={b}").content.decode()
    assert "Same days last year</th>" not in html
    assert "there is no data for these dates a year back" in html
    assert '"meta":"last_year"' not in html


# -------------------------------------------------------------------------------------- downloads


@pytest.mark.parametrize(
    ("fmt", "granularity"), [("csv", "15min"), ("csv", "day"), ("json", "hour"), ("xml", "day")]
)
def test_default_downloads_stay_byte_identical_with_a_plan(client, customer, home, today, fmt, granularity):
    tariff_for(home.tdu)
    plan_for(home.period)
    _login(client, customer)
    a, b = today - timedelta(days=3), today - timedelta(days=1)
    resp = client.get(f"{DOWNLOAD}.{fmt}?granularity={granularity}&start={a}&end={b}")
    expected = export_intervals(premise=home, start=a, end=b, granularity=granularity, fmt=fmt).body
    assert b"".join(resp.streaming_content) == expected


def test_cost_is_opt_in_in_csv_and_json(client, customer, home, today):
    tariff_for(home.tdu)
    plan_for(home.period)
    _login(client, customer)
    a, b = today - timedelta(days=3), today - timedelta(days=1)
    body = b"".join(
        client.get(f"{DOWNLOAD}.csv?granularity=day&start={a}&end={b}&include=cost").streaming_content
    )
    lines = body.decode().splitlines()
    assert lines[0] == "start,end,consumption_kwh,generation_kwh,estimated,cost_usd"
    expected = [tenths(day_cost_cents(d)) for d in days(a, b)]
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == [f"{t // 1000}.{t % 1000:03d}" for t in expected]
    default = (
        export_intervals(premise=home, start=a, end=b, granularity="day", fmt="csv")
        .body.decode()
        .splitlines()
    )
    assert [line.rsplit(",", 1)[0] for line in lines] == default  # only the column is added
    doc = json.loads(
        b"".join(
            client.get(f"{DOWNLOAD}.json?granularity=hour&start={a}&end={b}&include=cost").streaming_content
        )
    )
    assert doc["cost_currency"] == "USD"
    assert [round(sum(day["cost_usd"]) * 1000) for day in doc["days"]] == pytest.approx(expected, abs=12)
    assert len(doc["days"][0]["cost_usd"]) == len(doc["days"][0]["consumption"]["kwh"])


def test_cost_downloads_refuse_what_they_cannot_carry(client, customer, home, today):
    _login(client, customer)
    a, b = today - timedelta(days=3), today - timedelta(days=1)
    resp = client.get(f"{DOWNLOAD}.csv?granularity=day&start={a}&end={b}&include=cost")
    assert resp.status_code == 409 and "set it on the plan page" in resp.content.decode()
    tariff_for(home.tdu)
    plan_for(home.period)
    resp = client.get(f"{DOWNLOAD}.csv?granularity=15min&start={a}&end={b}&include=cost")
    assert resp.status_code == 400 and "15-minute CSV" in resp.content.decode()
    resp = client.get(f"{DOWNLOAD}.json?granularity=day&start={a}&end={b}&include=everything")
    assert resp.status_code == 400


def test_dashboard_shows_the_bill_so_far_with_a_plan(client, customer, home, today):
    tariff_for(home.tdu)
    _login(client, customer)
    assert "Bill so far" not in client.get("/dashboard/").content.decode()
    plan = plan_for(home.period, cycle_day=(today - timedelta(days=6)).day)
    bill = bill_to_date(premise=home, plan=plan, today=today, window_start=home.period.starts_on)
    html = client.get("/dashboard/").content.decode()
    assert (
        "Bill so far" in html
        and dollars(bill.to_date_tenths) in html
        and dollars(bill.projection_tenths) in html
    )


def test_usage_page_with_a_plan_stays_within_its_query_budget(
    client, customer, home, today, django_assert_max_num_queries
):
    tariff_for(home.tdu)
    plan_for(home.period)
    _login(client, customer)
    client.get(USAGE_URL)  # the session's first request does its own bookkeeping
    with django_assert_max_num_queries(15):  # the plain page's 12 + tariffs, last billing period, cycle read
        resp = client.get(USAGE_URL + "?granularity=day&preset=12m")
    assert resp.status_code == 200 and "Bill so far this cycle" in resp.content.decode()
