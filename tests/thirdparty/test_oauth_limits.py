"""The OAuth endpoints limit each client IP and each client_id before the client secret is hashed: a flood of
wrong secrets for one client from rotating addresses gets 429 and stops costing password hashes."""

import base64
from unittest import mock

import pytest
from django.contrib.auth import hashers

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/o/token/", "/o/introspect/", "/o/revoke_token/"]


def _from(ip: str) -> dict:
    return {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": ip}


def _wrong_basic(app) -> dict:
    raw = f"{app.client_id}:wrong-secret".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("secret_in", ["basic", "body"])
def test_a_flood_of_wrong_secrets_from_rotating_ips_is_stopped_before_hashing(
    client, app, settings, endpoint, secret_in
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 100
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = 5
    data = {"grant_type": "refresh_token", "refresh_token": "x", "token": "x"}
    extra = {}
    if secret_in == "basic":
        extra = _wrong_basic(app)
    else:
        data |= {"client_id": app.client_id, "client_secret": "wrong-secret"}
    # django-oauth-toolkit hashes the presented secret with check_password (imported by name there)
    hasher = "oauth2_provider.oauth2_validators.check_password"
    with mock.patch(hasher, wraps=hashers.check_password) as hashed:
        codes = [
            client.post(endpoint, data, **_from(f"203.0.113.{i}"), **extra).status_code for i in range(12)
        ]
    assert 429 not in codes[:5] and codes[5:] == [429] * 7, codes
    assert 1 <= hashed.call_count <= 5  # the hasher ran for the first ones, for none past the limit


def test_the_429_says_when_to_retry_with_the_apis_ratelimit_headers(client, app, settings):
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 100
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = 1
    ok = client.post("/o/token/", {"grant_type": "refresh_token", "refresh_token": "x"}, **_wrong_basic(app))
    assert ok.status_code == 401
    assert ok["RateLimit-Limit"] == "1" and ok["RateLimit-Remaining"] == "0"
    assert (
        'comment="oauth-client"' in ok["RateLimit-Policy"] and 'comment="oauth-ip"' in ok["RateLimit-Policy"]
    )
    over = client.post(
        "/o/token/", {"grant_type": "refresh_token", "refresh_token": "x"}, **_wrong_basic(app)
    )
    assert over.status_code == 429
    assert over.json()["error"] == "slow_down"
    assert 1 <= int(over["Retry-After"]) <= 60
    assert over["RateLimit-Remaining"] == "0" and int(over["RateLimit-Reset"]) >= 1


def test_another_client_and_another_address_are_not_held_up(client, app, org, settings):
    from thirdparty.services.applications import application_register

    other, secret = application_register(
        organization=org, name="Other", redirect_uris=["https://o.example/cb"], allowed_scopes=["usage:read"]
    )
    settings.TRUSTED_PROXY_COUNT = 1
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 100
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = 2
    for _ in range(3):
        client.post("/o/token/", {"grant_type": "x"}, **_wrong_basic(app), **_from("203.0.113.9"))
    raw = base64.b64encode(f"{other.client_id}:{secret}".encode()).decode()
    fine = client.post(
        "/o/token/", {"grant_type": "x"}, HTTP_AUTHORIZATION=f"Basic {raw}", **_from("203.0.113.9")
    )
    assert fine.status_code != 429


@pytest.mark.redis
def test_with_redis_down_the_limit_still_holds_in_process(client, app, settings, private_cache):
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 100
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = 3
    private_cache.stop()
    codes = [client.post("/o/token/", {"grant_type": "x"}, **_wrong_basic(app)).status_code for _ in range(5)]
    assert codes[3:] == [429, 429], codes


@pytest.mark.parametrize(
    "path", ["/espi/1_1/resource/Authorization", "/espi/1_1/resource/ApplicationInformation/x"]
)
def test_green_button_client_credentials_are_limited_before_hashing_too(client, app, settings, path):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 100
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT = 3
    with mock.patch("api.espi.authorization.check_password", wraps=hashers.check_password) as hashed:
        codes = [
            client.get(path, **_wrong_basic(app), **_from(f"203.0.113.{i}")).status_code for i in range(6)
        ]
    assert codes == [401] * 3 + [429] * 3, codes
    assert hashed.call_count == 3
