"""Premises, profile, billing periods, summaries, on-demand reads, OpenAPI: every kind of caller."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers.market import ESIID, OTHER_ESIID, assert_problem, make_token
from thirdparty.models import AccessLogEntry
from usage.models import BillingPeriod

pytestmark = pytest.mark.django_db


# --- premises --------------------------------------------------------------------------------------


def test_customer_lists_own_premises_with_windows_and_details(client, market):
    client.force_login(market.owner)
    r = client.get("/api/v1/premises/")
    assert r.status_code == 200
    items = r.json()["results"]
    assert [p["esiid"] for p in items] == [ESIID]
    p = items[0]
    assert p["access_windows"] == [
        {"start": market.period.starts_on.isoformat(), "end": market.today.isoformat()}
    ]
    assert p["address"]["line1"] == "1 Main St"
    assert p["meters"][0]["meter_number"] == "M-1"
    assert p["rep_of_record"]["name"] == market.rep.legal_name
    assert "RateLimit-Remaining" in r


def test_former_occupant_does_not_see_current_rep(client, market):
    client.force_login(market.former)
    p = client.get(f"/api/v1/premises/{ESIID}/").json()
    assert p["rep_of_record"] is None


def test_rep_lists_premises_where_it_is_rep_of_record(client, market):
    r = client.get("/api/v1/premises/", **market.apikey(market.rep_key))
    assert [p["esiid"] for p in r.json()["results"]] == [ESIID, OTHER_ESIID]


def test_third_party_lists_only_granted_premises(client, market):
    r = client.get("/api/v1/premises/", **market.bearer())
    assert [p["esiid"] for p in r.json()["results"]] == [ESIID]
    assert r.json()["results"][0]["access_windows"][0]["start"] == market.agreement.history_start.isoformat()


def test_premise_details_need_premises_read(client, market):
    token = make_token(user=market.owner, app=market.app, agreement=market.agreement, scope="usage:read")
    r = client.get(f"/api/v1/premises/{ESIID}/", **market.bearer(token))
    assert r.status_code == 200
    assert "address" not in r.json()
    full = client.get(f"/api/v1/premises/{ESIID}/", **market.bearer())
    assert full.json()["address"]["city"] == "Dallas"
    assert AccessLogEntry.objects.filter(resource="premise").count() == 1


def test_premise_list_is_cursor_paginated(client, market):
    r = client.get("/api/v1/premises/", {"page_size": 1}, **market.apikey(market.rep_key))
    body = r.json()
    assert len(body["results"]) == 1 and body["next"]
    second = client.get(body["next"], **market.apikey(market.rep_key)).json()
    assert [p["esiid"] for p in second["results"]] == [OTHER_ESIID]
    assert second["next"] is None


def test_premise_detail_404_for_stranger(client, market):
    client.force_login(market.stranger)
    assert_problem(client.get(f"/api/v1/premises/{ESIID}/"), 404)


# --- profile ---------------------------------------------------------------------------------------


def test_me_for_customer_token_and_key(client, market):
    client.force_login(market.owner)
    assert client.get("/api/v1/me/").json()["email"] == "owner@example.com"
    client.logout()
    body = client.get("/api/v1/me/", **market.bearer()).json()
    assert (body["name"], body["email"]) == ("Olive Owner", "owner@example.com")
    assert set(body) == {"name", "email", "kind", "scopes"}  # profile:read promises no login username
    token = make_token(user=market.owner, app=market.app, agreement=market.agreement, scope="usage:read")
    body = assert_problem(client.get("/api/v1/me/", **market.bearer(token)), 403)
    assert body["scope"] == "profile:read"
    key = client.get("/api/v1/me/", **market.apikey(market.rep_key)).json()
    assert key["kind"] == "rep" and key["organization"]["name"] == market.rep_org.legal_name


def test_api_root_and_unauthenticated_me(client, market):
    r = client.get("/api/v1/")
    assert r.status_code == 200 and "premises" in r.json()
    assert_problem(client.get("/api/v1/me/"), 401)


# --- billing and summary ---------------------------------------------------------------------------


def _billing(market):
    s = market.period.starts_on + timedelta(days=20)
    for i in range(3):
        BillingPeriod.objects.create(
            premise=market.premise,
            start_date=s + timedelta(days=30 * i),
            end_date=s + timedelta(days=30 * i + 29),
            wh=None if i == 2 else 900_000 + i,
            revised_at=timezone.now(),
        )
    # a period of the previous occupant: nobody after them may see it
    BillingPeriod.objects.create(
        premise=market.premise,
        start_date=market.period.starts_on - timedelta(days=40),
        end_date=market.period.starts_on - timedelta(days=11),
        wh=5,
        revised_at=timezone.now(),
    )


def test_billing_periods_inside_the_window(client, market):
    _billing(market)
    client.force_login(market.owner)
    rows = client.get(f"/api/v1/premises/{ESIID}/billing-periods/").json()["billing_periods"]
    assert [r["kwh"] for r in rows] == [900.0, 900.001, None]
    client.force_login(market.former)
    rows = client.get(f"/api/v1/premises/{ESIID}/billing-periods/").json()["billing_periods"]
    assert [r["kwh"] for r in rows] == [0.005]


def test_billing_needs_billing_scope(client, market):
    _billing(market)
    body = assert_problem(client.get(f"/api/v1/premises/{ESIID}/billing-periods/", **market.bearer()), 403)
    assert body["scope"] == "billing:read"
    rep = client.get(f"/api/v1/premises/{ESIID}/billing-periods/", **market.apikey(market.rep_key))
    assert len(rep.json()["billing_periods"]) == 3


def test_summary(client, market):
    end = market.today - timedelta(days=1)
    start = end - timedelta(days=6)
    r = client.get(f"/api/v1/premises/{ESIID}/summary/", {"start": start, "end": end}, **market.bearer())
    assert r.status_code == 200
    body = r.json()
    assert body["esiid"] == ESIID and body["total_kwh"] > 0
    assert AccessLogEntry.objects.filter(resource="summary").count() == 1
    assert_problem(
        client.get(
            f"/api/v1/premises/{ESIID}/summary/",
            {"start": "2001-01-01", "end": "2001-01-02"},
            **market.bearer(),
        ),
        422,
    )


# --- on-demand reads -------------------------------------------------------------------------------


def test_on_demand_read_by_customer_returns_202_and_status_url(client, market):
    client.force_login(market.owner)
    r = client.post(f"/api/v1/premises/{ESIID}/reads/")
    assert r.status_code == 202, r.content
    body = r.json()
    assert r["Location"] == body["url"]
    status = client.get(body["url"])
    assert status.status_code == 200
    assert status.json()["status"] in ("pending", "completed", "failed")


def test_on_demand_read_needs_scope_and_current_occupancy(client, market):
    body = assert_problem(client.post(f"/api/v1/premises/{ESIID}/reads/", **market.bearer()), 403)
    assert body["scope"] == "meter-read:request"
    client.force_login(market.former)
    assert_problem(client.post(f"/api/v1/premises/{ESIID}/reads/"), 403)


def test_read_status_of_someone_elses_premise_is_404(client, market):
    client.force_login(market.owner)
    url = client.post(f"/api/v1/premises/{ESIID}/reads/").json()["url"]
    client.force_login(market.stranger)
    assert_problem(client.get(url), 404)


def test_session_post_needs_csrf(market):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(market.owner)
    r = c.post(f"/api/v1/premises/{ESIID}/reads/")
    assert_problem(r, 403)


# --- OpenAPI ---------------------------------------------------------------------------------------


def test_openapi_schema_describes_every_endpoint(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    schema = r.json()
    paths = schema["paths"]
    for p in (
        "/api/v1/premises/",
        "/api/v1/premises/{esiid}/",
        "/api/v1/premises/{esiid}/intervals/",
        "/api/v1/premises/{esiid}/billing-periods/",
        "/api/v1/premises/{esiid}/summary/",
        "/api/v1/premises/{esiid}/reads/",
        "/api/v1/reads/{read_id}/",
        "/api/v1/premises/{esiid}/registration-code/",
        "/api/v1/registration-codes/",
        "/api/v1/exports/",
        "/api/v1/exports/{job_id}/",
    ):
        assert p in paths, p
    responses = paths["/api/v1/premises/{esiid}/intervals/"]["get"]["responses"]
    for status in ("200", "400", "401", "403", "404", "406", "422", "429"):
        assert status in responses
    assert "application/problem+json" in responses["422"]["content"]
    assert set(schema["components"]["securitySchemes"]) >= {"oauth2", "apiKey"}
    assert (
        "usage:read"
        in schema["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]["scopes"]
    )


def test_docs_page_is_served_without_a_cdn(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # CSP: no inline script


def test_schema_and_docs_carry_ratelimit_headers(client):
    for url in ("/api/schema/", "/api/docs/"):
        r = client.get(url)
        assert r.status_code == 200
        assert "RateLimit-Remaining" in r


def test_premise_list_with_details_is_logged_for_third_parties(client, market):
    client.get("/api/v1/premises/", **market.bearer())
    assert AccessLogEntry.objects.filter(resource="premise", premise=market.premise).count() == 1


def test_summary_for_customer_and_rep(client, market):
    end = market.today - timedelta(days=1)
    start = end - timedelta(days=2)
    client.force_login(market.owner)
    assert client.get(f"/api/v1/premises/{ESIID}/summary/", {"start": start, "end": end}).status_code == 200
    client.logout()
    r = client.get(
        f"/api/v1/premises/{ESIID}/summary/", {"start": start, "end": end}, **market.apikey(market.rep_key)
    )
    assert r.status_code == 200 and "previous" not in r.json()
    client.force_login(market.stranger)
    assert_problem(client.get(f"/api/v1/premises/{ESIID}/summary/", {"start": start, "end": end}), 404)
