"""The dashboard: every premise of the account (current and past) and nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.services import service_period_move_in, service_period_move_out
from tests.helpers.portal_usage import (
    ESI_HOME,
    ESI_OTHER,
    ESI_SOLAR,
    consumption_wh,
    make_customer,
)
from usage import timegrid

pytestmark = pytest.mark.django_db


def day_kwh(d) -> float:
    return sum(consumption_wh(d, s) for s in range(timegrid.slots_in_day(d))) / 1000


def test_signed_in_home_goes_to_the_dashboard(client, customer):
    client.force_login(customer)
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"


def test_anonymous_dashboard_asks_to_sign_in(client, db):
    resp = client.get("/dashboard/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_dashboard_shows_the_premise_with_its_figures(client, customer, home, other_home, today):
    client.force_login(customer)
    resp = client.get("/dashboard/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "1 Oak St" in html and ESI_HOME in html
    assert "Reliant Energy Retail Services LLC" in html
    assert ESI_OTHER not in html and "2 Elm St" not in html
    (card,) = resp.context["current"]
    yesterday = today - timedelta(days=1)
    assert card.latest_day == yesterday
    assert card.yesterday_kwh == pytest.approx(day_kwh(yesterday))
    first = yesterday.replace(day=1)
    expected = sum(day_kwh(first + timedelta(days=i)) for i in range((yesterday - first).days + 1))
    assert card.cycle_kwh == pytest.approx(expected)
    assert f"/premises/{ESI_HOME}/usage/" in html
    assert f"/premises/{ESI_HOME}/green-button/" in html


def test_current_and_past_premises_are_listed_apart(client, home, solar_home, rep, today):
    user = make_customer("maria", home.period, solar_home.period)
    move = today - timedelta(days=20)
    service_period_move_out(premise=solar_home, ends_on=move)
    service_period_move_in(premise=solar_home, rep=rep, starts_on=move)
    client.force_login(user)
    resp = client.get("/dashboard/")
    assert [c.esiid for c in resp.context["current"]] == [ESI_HOME]
    (past,) = resp.context["past"]
    assert past.esiid == ESI_SOLAR
    assert past.latest_day == move - timedelta(days=1)  # nothing after the move-out
    assert past.window_end == move - timedelta(days=1)
    html = resp.content.decode()
    assert "Past premises" in html and "Moved out" in html


def test_an_account_without_premises_is_told_how_to_add_one(client, db):
    user = make_customer("new")
    client.force_login(user)
    resp = client.get("/dashboard/")
    assert resp.status_code == 200
    assert "registration code" in resp.content.decode()


def test_dashboard_queries_stay_few(client, home, solar_home, django_assert_max_num_queries):
    user = make_customer("maria", home.period, solar_home.period)
    client.force_login(user)
    client.get("/dashboard/")
    # 7 for the session and allauth's session tracking; registrations, billing, latest day, one read each
    with django_assert_max_num_queries(7 + 3 + 2):
        assert client.get("/dashboard/").status_code == 200


def test_when_yesterday_has_not_arrived_the_latest_day_is_shown_and_named(client, customer, home, today):
    from usage.models import IntervalDay

    yesterday = today - timedelta(days=1)
    IntervalDay.objects.filter(premise_id=home.pk, day=yesterday).delete()
    client.force_login(customer)
    resp = client.get("/dashboard/")
    (card,) = resp.context["current"]
    before = yesterday - timedelta(days=1)
    assert card.day == before
    assert card.yesterday_kwh == pytest.approx(day_kwh(before))
    assert f"{before:%b} {before.day} (latest)" in resp.content.decode()


def test_the_provider_is_named_by_its_brand_with_the_legal_name_beside_it(client, customer, home, rep):
    rep.brand = "Reliant Energy"
    rep.save()
    client.force_login(customer)
    html = client.get("/dashboard/").content.decode()
    assert "<strong>Reliant Energy</strong>" in html
    assert "(Reliant Energy Retail Services LLC)" in html


def test_a_former_occupants_page_names_one_move_out_date(client, home, rep, today):
    user = make_customer("former", home.period)
    moved_out = today - timedelta(days=30)
    service_period_move_out(premise=home, ends_on=moved_out)
    client.force_login(user)
    text = f"{moved_out:%b} {moved_out.day}, {moved_out.year}"
    day_before = moved_out - timedelta(days=1)
    dashboard = client.get("/dashboard/").content.decode()
    assert f"Moved out {text}" in dashboard
    usage = client.get(f"/premises/{ESI_HOME}/usage/").content.decode()
    assert f"you moved out on {text}" in usage
    assert f"ended {day_before:%b} {day_before.day}, {day_before.year}" not in usage
