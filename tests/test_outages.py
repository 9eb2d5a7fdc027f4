"""Outages of PostgreSQL and Redis: /healthz and /readyz tell them apart, and requests that meet one answer 503
with Retry-After (problem+json from the API, the "back soon" page in the portal), then recover by themselves.

Each test stops a PRIVATE server (tests/helpers/faults.py), never the shared ones.
"""

import pytest
from django.db import close_old_connections
from django.test import Client

from tests.helpers.faults import closed_port, django_database_at, private_postgres, private_redis
from thirdparty.apikeys import KEY_PREFIX


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


def _schema_copied_into(pg) -> None:
    """The test database's tables (no rows) in the private server, so that requests there behave as in
    production until it stops."""
    import subprocess

    from django.db import connection

    from tests.helpers.faults import PG_BIN

    db = connection.settings_dict
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    subprocess.run(
        [str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port)]
        + ["-U", "postgres", "-d", "postgres"],
        input=dump,
        check=True,
        capture_output=True,
        timeout=60,
    )


def _hammer(stop, answers: list, path: str, **headers) -> None:
    """One client of the load: the same request again and again until ``stop``; (time, status, body) each."""
    import time

    client = ServedClient(raise_request_exception=False)
    try:
        while not stop.is_set():
            if path != "/healthz":  # a load balancer has no cookies; a person's session is loaded every time
                client.cookies["sessionid"] = "s" * 32
            response = client.get(path, **headers)
            answers.append(
                (time.monotonic(), response.status_code, response.get("Content-Type", ""), response)
            )
    finally:
        close_old_connections()


@pytest.mark.real_clock
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_stopped_under_concurrent_load_answers_503_never_500_then_recovers(django_db_blocker):
    """Eight clients (API, portal, health) keep asking while PostgreSQL stops and starts again: every answer is
    the normal one or a 503 with Retry-After in the right form, never a 500, and all come back by themselves."""
    import threading
    import time

    clients = [
        ("/api/v1/premises/", {"HTTP_AUTHORIZATION": "Bearer not-a-token"}),
        ("/api/v1/premises/", {"HTTP_AUTHORIZATION": "Bearer not-a-token"}),
        ("/api/v1/premises/", {"HTTP_X_API_KEY": KEY_PREFIX + "x" * 40}),  # well-formed: looked up
        ("/dashboard/", {}),
        ("/dashboard/", {}),
        ("/accounts/login/", {}),
        ("/healthz", {}),
        ("/healthz", {}),
    ]
    with private_postgres() as pg:
        _schema_copied_into(pg)
        with django_db_blocker.unblock(), django_database_at(port=pg.port):
            stop = threading.Event()
            answers: list[list] = [[] for _ in clients]
            threads = [
                threading.Thread(target=_hammer, args=(stop, answers[i], path), kwargs=headers, daemon=True)
                for i, (path, headers) in enumerate(clients)
            ]
            for t in threads:
                t.start()
            try:
                time.sleep(1)
                stopped = time.monotonic()
                pg.stop()
                time.sleep(2)
                pg.start()
                started = time.monotonic()
                probe = ServedClient(raise_request_exception=False)
                deadline = started + 30
                while probe.get("/healthz").status_code != 200 and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(1.5)
            finally:
                stop.set()
                for t in threads:
                    t.join(30)
    for (path, headers), seen in zip(clients, answers, strict=True):
        assert seen, path
        statuses = {status for _, status, _, _ in seen}
        assert not any(s >= 500 and s != 503 for s in statuses), (path, statuses)
        during = [a for a in seen if stopped + 0.5 < a[0] < started]
        assert any(a[1] == 503 for a in during), (path, headers, "no request met the outage")
        for _, status, content_type, response in seen:
            if status != 503:
                continue
            if path == "/healthz":  # for load balancers: its JSON says what is down
                assert response.json()["database"] == "down", response.content
                continue
            assert int(response.get("Retry-After", 0)) > 0, (path, response.content[:500])
            if path.startswith("/api/"):
                assert content_type == "application/problem+json", content_type
            else:
                assert "back soon" in response.content.decode()
        last = seen[-1]
        assert last[1] != 503, (path, "did not recover")
