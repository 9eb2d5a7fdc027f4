"""The attack: behind a TLS proxy every request arrives from the proxy's address, so one client's flood used
to use up the per-IP limits of everyone. With TRUSTED_PROXY_COUNT the limiters count the client's address
from X-Forwarded-For (and never believe what a client writes further left)."""

from django.test import RequestFactory

from smt.clientip import client_ip
from tests.helpers.portal_usage import PASSWORD
from tests.portal.accounts_fixtures import signup_data

PROXY = "10.0.0.1"


def _via_proxy(ip: str) -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ip}


def test_client_ip_is_the_trusted_proxys_view(settings):
    factory = RequestFactory()
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(factory.get("/", **_via_proxy("198.51.100.7"))) == PROXY  # no proxy: header ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(factory.get("/", **_via_proxy("198.51.100.7"))) == "198.51.100.7"
    # a client that forges the header only adds entries on the left; the proxy's own entry wins
    forged = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_ip(forged) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(
        factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 10.0.0.2")
    ) == ("5.6.7.8")
    assert client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not an address")) == PROXY


def test_one_clients_wrong_codes_behind_the_proxy_do_not_block_another(client, period, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR = 3
    for n in range(3):
        client.post(
            "/accounts/signup/",
            signup_data(period, esiid=f"104437299999{n:05d}"),
            **_via_proxy("203.0.113.66"),
        )
    blocked = client.post("/accounts/signup/", signup_data(period), **_via_proxy("203.0.113.66"))
    assert blocked.status_code == 429
    # before: every request came from the proxy, so this one was refused too
    response = client.post("/accounts/signup/", signup_data(period), **_via_proxy("198.51.100.1"))
    assert response.status_code == 302


def test_sign_in_limit_counts_the_client_behind_the_proxy(client, signed_up, settings):
    client.logout()
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    for _ in range(3):
        client.post(
            "/accounts/login/", {"login": "maria", "password": "wrong password"}, **_via_proxy("203.0.113.66")
        )
    attacker = client.post(
        "/accounts/login/", {"login": "maria", "password": "x"}, **_via_proxy("203.0.113.66")
    )
    assert attacker.status_code == 429
    owner = client.post(
        "/accounts/login/", {"login": "maria", "password": PASSWORD}, **_via_proxy("198.51.100.1")
    )
    assert owner.status_code == 302


def test_api_ip_limit_counts_the_client_behind_the_proxy(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 100, "period": 86400},
        "ip": {"limit": 2, "period": 86400},
    }
    codes = [client.get("/api/v1/premises/", **_via_proxy("203.0.113.66")).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert client.get("/api/v1/premises/", **_via_proxy("198.51.100.1")).status_code == 401


def test_oauth_token_limit_counts_the_client_behind_the_proxy(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP = 2
    data = {"grant_type": "authorization_code", "code": "nope", "client_id": "nobody"}
    codes = [client.post("/o/token/", data, **_via_proxy("203.0.113.66")).status_code for _ in range(3)]
    assert codes[:2] != [429, 429]
    assert codes[2] == 429
    assert client.post("/o/token/", data, **_via_proxy("198.51.100.1")).status_code != 429
