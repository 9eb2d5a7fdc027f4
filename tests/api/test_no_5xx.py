"""No 5xx from any request: OPTIONS on every API and Green Button address, out-of-range values, NUL
characters, too many fields and wrong body types in the API, the portal and the OAuth pages answer 4xx,
naming the parameter where there is one."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers.market import ESIID, assert_problem

pytestmark = pytest.mark.django_db

INTERVALS = f"/api/v1/premises/{ESIID}/intervals/"
MANY = "&".join(f"f{i}=1" for i in range(1200))


def _api_addresses(market) -> list[str]:
    """One concrete address per route under /api/ and /espi/ (path parameters filled in)."""
    values = {
        "esiid": ESIID,
        "sid": str(market.agreement.pk),
        "agreement_id": str(market.agreement.pk),
        "client_id": market.app.client_id,
        "read_id": "1",
        "job_id": "00000000-0000-0000-0000-000000000001",
        "mr": "consumption-15min",
        "ib": "20250101",
        "us": "x",
        "rt": "consumption-15min",
        "ltp": "US-Central",
        "slug": "rate-limited",
    }
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "^" not in route:
                for name, value in values.items():
                    for conv in ("str", "int", "uuid", "slug"):
                        route = route.replace(f"<{conv}:{name}>", value)
                # any other parameter (a route added later): a value of its converter's shape
                route = re.sub(r"<int:\w+>", "1", route)
                route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000001", route)
                route = re.sub(r"<(?:str|slug):\w+>", "x", route)
                out.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return [a for a in out if a.startswith(("/api/", "/espi/"))]


def test_options_answers_200_with_allow_on_every_api_and_green_button_address(client, market):
    addresses = _api_addresses(market)
    assert len(addresses) > 30 and any("/espi/" in a for a in addresses)
    for address in addresses:
        for query in ("", "?format=csv", "?format=xml"):
            for headers in ({}, market.bearer(), market.apikey(market.rep_key)):
                r = client.options(address + query, **headers)
                assert r.status_code == 200, (address, query, r.status_code, r.content[:300])
                allowed = r["Allow"].split(", ")
                assert allowed[-1] == "OPTIONS" and len(allowed) > 1, address
                assert "RateLimit-Limit" in r
    assert "POST" in client.options("/api/v1/exports/")["Allow"]


def test_options_on_an_address_that_leads_nowhere_is_a_404_problem(client, market):
    assert_problem(client.options("/api/v1/nothing-here/"), 404)
    assert_problem(client.options("/espi/1_1/resource/Nothing"), 404)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("start=0001-01-01&end=0001-01-02", "start"),
        ("start=9999-12-30&end=9999-12-31", "start"),
        ("start=2025-01-01&end=9999-12-31", "end"),
        ("start=2025-01-01&end=2025-01-02&" + MANY, "fields"),
    ],
)
def test_out_of_range_and_malformed_queries_are_400_naming_the_parameter(client, market, query, parameter):
    assert_problem(client.get(f"{INTERVALS}?{query}", **market.bearer()), 400, parameter=parameter)


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59", "2025-01-01T00:00:00%2B99:00", "2025-13-01"],
)
def test_far_times_and_impossible_offsets_are_400(client, market, value):
    sid = market.agreement.pk
    r = client.get(
        f"/espi/1_1/resource/Subscription/{sid}/UsagePoint?published-min={value}", **market.bearer()
    )
    assert_problem(r, 400, parameter="published-min")
    r = client.get(f"/api/v1/registration-codes/?changed_since={value}", **market.apikey(market.rep_key))
    assert_problem(r, 400, parameter="changed_since")


@pytest.mark.parametrize(
    ("address", "parameter"),
    [(f"/api/v1/premises/{ESIID}%00/", "path"), (f"{INTERVALS}?start=2025-01-01%00&end=2025-01-02", "start")],
)
def test_nul_in_the_address_is_400_naming_the_part(client, market, address, parameter):
    """Refused before any view (smt/requestcheck.py): no database could store it."""
    r = client.get(address, **market.bearer())
    assert r.status_code == 400 and r["Content-Type"] == "application/problem+json"
    assert r.json()["parameter"] == parameter


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/reads/99999999999999999999999/",
        "/espi/1_1/resource/Subscription/99999999999999999999999/UsagePoint",
    ],
)
def test_huge_ids_are_404(client, market, address):
    assert_problem(client.get(address, **market.bearer()), 404)


@pytest.mark.parametrize(
    "address",
    [
        "/espi/1_1/resource/Batch/Bulk/26801502898138682587816607572209145660",
        "/espi/1_1/resource/Batch/RetailCustomer/26801502898138682587816607572209145660/UsagePoint",
    ],
)
def test_ids_past_any_row_find_nothing_on_every_database(client, market, address):
    """Found by schemathesis on SQLite, which cannot compare such an integer (an OverflowError was a 500)."""
    r = client.get(address, **market.bearer())
    assert r.status_code < 500, r.content


@pytest.mark.parametrize(
    ("body", "content_type", "status", "parameter"),
    [
        ("[1, 2]", "application/json", 400, None),
        ('"a string"', "application/json", 400, None),
        ("{not json", "application/json", 400, None),
        ("esiids=1", "text/plain", 415, None),
        (MANY, "application/x-www-form-urlencoded", 400, "fields"),
        ('{"esiids": ["1"], "start": "9999-12-31", "end": "9999-12-31"}', "application/json", 400, "start"),
        ('{"esiids": ["1"], "start": "0001-01-01", "end": "0001-01-01"}', "application/json", 400, "start"),
        (
            '{"esiids": ["1\\u0000"], "start": "2025-01-01", "end": "2025-01-01"}',
            "application/json",
            400,
            "esiids",
        ),
        ('{"esiids": "1", "start": 20250101, "end": null}', "application/json", 400, None),
    ],
)
def test_wrong_bodies_are_4xx(client, market, body, content_type, status, parameter):
    r = client.post("/api/v1/exports/", body, content_type=content_type, **market.bearer())
    problem = assert_problem(r, status, parameter=parameter)
    assert "Traceback" not in problem["detail"]


@pytest.mark.parametrize(
    ("method", "address", "form"),
    [
        ("get", "/providers/?" + MANY, False),
        ("post", "/accounts/login/", True),
        ("post", "/accounts/signup/", True),
        ("get", "/o/authorize/?" + MANY, False),
        ("post", "/o/token/", True),
        ("get", "/providers/?q=%00", False),
        ("get", "/accounts/login/?next=%00", False),
    ],
)
def test_portal_and_oauth_pages_answer_400_not_500(client, method, address, form):
    kwargs = {"data": MANY, "content_type": "application/x-www-form-urlencoded"} if form else {}
    r = getattr(client, method)(address, **kwargs)
    assert r.status_code == 400, (address, r.status_code, r.content[:300])


@pytest.mark.parametrize(
    "query", ["cursor=garbage", "page_size=0", "page_size=-5", "page_size=501", "page_size=x"]
)
def test_bad_cursor_or_page_size_is_400(client, market, query):
    name = query.split("=")[0]
    assert_problem(client.get(f"/api/v1/premises/?{query}", **market.bearer()), 400, parameter=name)
