"""Outages of PostgreSQL and Redis: /healthz and /readyz tell them apart, and requests that meet one answer 503
with Retry-After (problem+json from the API, the "back soon" page in the portal), then recover by themselves.

Each test stops a PRIVATE server (tests/helpers/faults.py), never the shared ones.
"""

import pytest
from django.db import close_old_connections
from django.test import Client

from tests.helpers.faults import closed_port, django_database_at, private_postgres, private_redis


@pytest.mark.django_db
def test_healthz_names_the_state_of_every_dependency(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == "up"
    assert set(body) == {"status", "database", "redis", "broker"}


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_answers_503_while_redis_is_down_and_healthz_stays_200(client, settings):
    with private_redis() as redis_server:
        settings.REDIS_URL = redis_server.url
        settings.CELERY_BROKER_URL = redis_server.url
        settings.CELERY_TASK_ALWAYS_EAGER = False
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.content
        assert ready.json() == {"status": "ready", "database": "up", "redis": "up", "broker": "up"}

        redis_server.stop()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "up", "redis": "down", "broker": "down"}
        assert ready["Retry-After"]
        health = client.get("/healthz")
        assert health.status_code == 200  # the contract: database only
        assert health.json()["redis"] == "down"

        redis_server.start()
        assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_without_redis_configured_is_ready(client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    body = client.get("/readyz").json()
    assert body == {
        "status": "ready",
        "database": "up",
        "redis": "not configured",
        "broker": "not configured",
    }


def _assert_unavailable_problem(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith("service-unavailable")
    assert "database" in body["detail"]
    assert "Traceback" not in response.content.decode()


def _assert_back_soon_page(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert "back soon" in page
    assert "site.css" in page  # styled like the rest of the portal


@pytest.mark.postgres  # a closed PostgreSQL port: SQLite has no port to close
def test_database_at_a_closed_port_answers_503_everywhere(django_db_blocker):
    """The app's answer while PostgreSQL refuses connections (the recovery test below stops a real one)."""
    probe = Client(raise_request_exception=False)  # a load balancer: no cookies
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "s" * 32  # a session to load: the request must reach the database
    with django_db_blocker.unblock(), django_database_at(port=closed_port()):
        health = probe.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "down"
        assert probe.get("/readyz").status_code == 503
        _assert_unavailable_problem(client.get("/api/v1/premises/"))
        _assert_unavailable_problem(client.get("/api/v1/premises/", HTTP_AUTHORIZATION="Bearer not-a-token"))
        _assert_back_soon_page(client.get("/dashboard/"))


class ServedClient(Client):
    """The test client, with the end of every request handled as a real server does: Django's test handler
    leaves out ``close_old_connections`` at request end, which is what drops a connection broken by an outage."""

    def request(self, **request):
        try:
            return super().request(**request)
        finally:
            close_old_connections()


@pytest.mark.postgres
def test_postgres_stopped_answers_503_then_recovers_by_itself(django_db_blocker):
    probe = ServedClient(raise_request_exception=False)
    client = ServedClient(raise_request_exception=False)
    client.cookies["sessionid"] = "s" * 32
    with private_postgres() as pg, django_db_blocker.unblock(), django_database_at(port=pg.port):
        assert probe.get("/healthz").status_code == 200

        pg.stop()
        assert probe.get("/healthz").status_code == 503
        _assert_unavailable_problem(client.get("/api/v1/premises/"))
        _assert_back_soon_page(client.get("/dashboard/"))

        pg.start()
        health = probe.get("/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "up"
