"""Overload is shed, not queued: a request stamped by the proxy (X-Request-Start: t=<ms>) that waited longer than
REQUEST_QUEUE_TIMEOUT_MS gets 503 with Retry-After at once; fresh ones and health probes are served."""

import time

import pytest

from smt.middleware import QueueTimeoutMiddleware


def _stamp(ago_ms: float) -> str:
    return f"t={int(time.time() * 1000 - ago_ms)}"


@pytest.mark.django_db
def test_a_request_that_waited_too_long_is_shed_with_503_and_retry_after(client, settings):
    settings.REQUEST_QUEUE_TIMEOUT_MS = 1000
    api = client.get("/api/v1/premises/", HTTP_X_REQUEST_START=_stamp(1500))
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert int(api["Retry-After"]) > 0
    assert api.json()["type"].endswith("service-unavailable")
    page = client.get("/", HTTP_X_REQUEST_START=_stamp(5000))
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert "busy" in page.content.decode()


@pytest.mark.django_db
def test_fresh_requests_probes_and_unstamped_requests_are_served(client, settings):
    settings.REQUEST_QUEUE_TIMEOUT_MS = 1000
    assert client.get("/", HTTP_X_REQUEST_START=_stamp(100)).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/", HTTP_X_REQUEST_START="garbage").status_code == 200
    assert client.get("/healthz", HTTP_X_REQUEST_START=_stamp(60_000)).status_code == 200


def test_the_stamp_is_read_in_milliseconds_seconds_or_microseconds():
    now_ms = 1_764_000_000_000.0
    assert QueueTimeoutMiddleware.waited_ms("t=1764000000000", now_ms) == 0
    assert QueueTimeoutMiddleware.waited_ms("t=1763999998.5", now_ms) == 1500
    assert QueueTimeoutMiddleware.waited_ms("t=1763999999000000", now_ms) == 1000
    assert QueueTimeoutMiddleware.waited_ms("1763999999500", now_ms) == 500
    assert QueueTimeoutMiddleware.waited_ms("t=soon", now_ms) is None


@pytest.mark.postgres
def test_64_clients_against_two_workers_the_excess_is_shed():
    """The real thing, bounded: gunicorn with 2 sync workers, 64 clients for 6 s on an expensive page
    (bench/overload.py; docs/operations.md has the 15-second figures)."""
    from bench.overload import run

    result = run(clients=64, seconds=6, workers=2, path="/api/schema/", timeout_ms=1000)
    assert result["errors"] == 0, result
    assert result["shed"] > 0 and result["served"] > 0, result
    # The latency figures (alone on the 2-core machine: served p99 1.25 s, 503 p99 1.08 s, against 3.7 s served
    # p99 without shedding) are measured by bench/overload.py, not asserted here: a busy CI machine moves them.


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asks", "language", "words"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}, "es", "El servidor está muy ocupado"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-US", "cookies": {"django_language": "es"}}, "es", "El servidor"),
        ({"HTTP_ACCEPT_LANGUAGE": "es", "cookies": {"django_language": "en"}}, "en", "The server is busy"),
        ({}, "en", "The server is busy"),
    ],
    ids=["accept-language", "cookie-first", "cookie-english", "nothing"],
)
def test_a_shed_request_is_answered_in_the_language_it_asks_for(client, settings, asks, language, words):
    """The cookie the language switch sets, then Accept-Language: read from the request alone, before the
    locale middleware (and any database or session) is reached."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.REQUEST_QUEUE_TIMEOUT_MS = 1000
    headers = dict(asks)
    for name, value in headers.pop("cookies", {}).items():
        client.cookies[name] = value
    with CaptureQueriesContext(connection) as queries:
        api = client.get("/api/v1/premises/", HTTP_X_REQUEST_START=_stamp(1500), **headers)
        page = client.get("/", HTTP_X_REQUEST_START=_stamp(1500), **headers)
    assert len(queries) == 0
    body = api.json()
    assert api.status_code == 503 and api["Content-Language"] == language
    assert body["detail"].startswith(words)
    assert body["title"] == "Service unavailable" and body["type"].endswith("service-unavailable")
    assert page.status_code == 503 and page["Content-Language"] == language
    html = page.content.decode()
    assert f'<html lang="{language}">' in html and words in html
    assert "Accept-Language" in api["Vary"]
