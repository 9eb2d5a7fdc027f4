"""Problem documents for every error status; RateLimit headers on every response; 429 with Retry-After."""

from datetime import timedelta

import pytest

from tests.helpers.market import ESIID, assert_problem, make_token

pytestmark = pytest.mark.django_db

URL = f"/api/v1/premises/{ESIID}/intervals/"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"end": "2025-01-01"}, "start"),
        ({"start": "2025-01-01"}, "end"),
        ({"start": "2025-13-01", "end": "2025-01-02"}, "start"),
        ({"start": "2025-01-01", "end": "yesterday"}, "end"),
        ({"start": "2025-01-05", "end": "2025-01-01"}, "end"),
        ({"start": "2025-01-01", "end": "2025-01-02", "granularity": "5min"}, "granularity"),
    ],
)
def test_400_names_the_parameter(client, market, query, parameter):
    r = client.get(URL, query, **market.bearer())
    body = assert_problem(r, 400, parameter=parameter)
    assert "Traceback" not in body["detail"]


def test_401_without_credential_has_www_authenticate(client, market):
    r = client.get(URL, {"start": "2025-01-01", "end": "2025-01-02"})
    assert_problem(r, 401)
    assert r["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer ", "Api-Key smt_nothing_like_a_key_at_all", "Api-Key wrong"],
)
def test_401_for_bad_credentials(client, market, header):
    r = client.get(URL, {"start": "2025-01-01", "end": "2025-01-02"}, HTTP_AUTHORIZATION=header)
    assert_problem(r, 401)


def test_401_for_expired_token(client, market):
    token = make_token(
        user=market.owner, app=market.app, agreement=market.agreement, scope="usage:read", expires_in=-5
    )
    r = client.get(URL, {"start": "2025-01-01", "end": "2025-01-02"}, **market.bearer(token))
    body = assert_problem(r, 401)
    assert "expired" in body["detail"]


def test_token_in_query_string_is_not_accepted(client, market):
    r = client.get(URL, {"start": "2025-01-01", "end": "2025-01-02", "access_token": market.token})
    assert_problem(r, 401)


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "pdf"}, {}), ({}, {"HTTP_ACCEPT": "application/pdf"}), ({"format": "csv"}, {})],
)
def test_406_for_unsupported_format(client, market, query, headers):
    end = market.today - timedelta(days=1)
    q = {"start": end.isoformat(), "end": end.isoformat(), **query}
    url = URL if query.get("format") != "csv" else f"/api/v1/premises/{ESIID}/"
    r = client.get(url, q, **market.bearer(), **headers)
    body = assert_problem(r, 406)
    assert "json" in body["detail"]


def test_unknown_api_path_is_a_problem_404(client, market):
    assert_problem(client.get("/api/v1/nothing/here/", **market.bearer()), 404)
    assert_problem(client.get("/api/v1/nothing/here/"), 404)


def test_post_to_a_read_only_resource_is_405(client, market):
    r = client.post(URL, **market.bearer())
    assert_problem(r, 405)


def test_ratelimit_headers_on_success_and_error(client, market, settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 50, "period": 86400},
        "ip": {"limit": 100, "period": 86400},
    }
    end = market.today - timedelta(days=1)
    ok = client.get(URL, {"start": end, "end": end}, **market.bearer())
    assert ok.status_code == 200
    limit = int(ok["RateLimit-Limit"])
    remaining = int(ok["RateLimit-Remaining"])
    assert 0 <= remaining < limit
    assert limit == 50
    assert 0 < int(ok["RateLimit-Reset"]) <= 86400
    again = client.get(URL, {"start": end, "end": end}, **market.bearer())
    assert int(again["RateLimit-Remaining"]) == remaining - 1
    assert "RateLimit-Policy" in again


def test_429_with_retry_after_when_the_credential_limit_is_reached(client, market, settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 3, "period": 86400},
        "ip": {"limit": 100, "period": 86400},
    }
    end = market.today - timedelta(days=1)
    statuses = [client.get(URL, {"start": end, "end": end}, **market.bearer()).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    r = client.get(URL, {"start": end, "end": end}, **market.bearer())
    body = assert_problem(r, 429)
    assert int(r["Retry-After"]) > 0
    assert r["RateLimit-Remaining"] == "0"
    assert body["retry_after"] == int(r["Retry-After"])
    # another credential is not affected
    other = client.get(URL, {"start": end, "end": end}, **market.apikey(market.rep_key))
    assert other.status_code == 200


def test_ip_limit_applies_to_unauthenticated_requests(client, market, settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 100, "period": 86400},
        "ip": {"limit": 2, "period": 86400},
    }
    codes = [client.get(URL).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_limits_in_docs_come_from_settings(client, market, settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 1234, "period": 60},
        "ip": {"limit": 5678, "period": 60},
    }
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    desc = schema["info"]["description"]
    assert "1234 requests per 60 seconds" in desc
    assert "5678 requests per 60 seconds" in desc


def test_benchmark_profile_is_selectable(settings):
    from api import throttling

    settings.API_RATE_LIMITS = None
    settings.API_THROTTLE_PROFILE = "benchmark"
    assert throttling.limits()["credential"]["limit"] >= 1_000_000
    settings.API_THROTTLE_PROFILE = "default"
    assert throttling.limits()["credential"]["limit"] == 600


def test_revocation_takes_effect_at_once_despite_the_access_cache(client, market):
    from thirdparty.models import AccessToken, Agreement

    end = market.today - timedelta(days=1)
    assert client.get(URL, {"start": end, "end": end}, **market.bearer()).status_code == 200
    assert client.get(URL, {"start": end, "end": end}, **market.bearer()).status_code == 200  # cached now
    agreement = Agreement.objects.get(pk=market.agreement.pk)
    agreement.status = "revoked"
    agreement.save()
    assert_problem(client.get(URL, {"start": end, "end": end}, **market.bearer()), 404)
    AccessToken.objects.filter(agreement=market.agreement).delete()
    assert_problem(client.get(URL, {"start": end, "end": end}, **market.bearer()), 401)


def test_missing_trailing_slash_gets_a_hint(client, market):
    body = assert_problem(client.get(f"/api/v1/premises/{ESIID}/intervals", **market.bearer()), 404)
    assert "trailing slash" in body["detail"]
    body = assert_problem(client.get("/api/v1/nothing", **market.bearer()), 404)
    assert "trailing slash" not in body["detail"]
