"""/healthz and /readyz (CONTRACTS).

``/healthz``: 200 when the database answers, 503 otherwise; its JSON body also names the state of Redis (cache)
and the Celery broker, for people, without changing its status. ``/readyz``: 503 when the database, Redis or the
broker is down, for load balancers. A dependency that is not configured (no ``REDIS_URL``: local memory cache,
tasks in-process) is ``"not configured"`` and never makes the app unready. Every probe is bounded in time.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

from smt.outage import REDIS_ERRORS, redis_answers

log = logging.getLogger("smt.health")

UP, DOWN, NOT_CONFIGURED = "up", "down", "not configured"
PROBE_TIMEOUT_SECONDS = 1.0


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - a probe's boundary: any failure means "down"; the cause goes to the log
        log.warning("health check: the database did not answer", exc_info=True)
        connection.close()  # the next probe connects afresh: recovery shows as soon as PostgreSQL is back
        return DOWN
    return UP


def _redis_ping(url: str) -> str:
    return UP if redis_answers(url, timeout=PROBE_TIMEOUT_SECONDS) else DOWN


def redis_state() -> str:
    url = getattr(settings, "REDIS_URL", "")
    return _redis_ping(url) if url else NOT_CONFIGURED


def broker_state() -> str:
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url or url.startswith("memory://") or getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return NOT_CONFIGURED
    if url.startswith(("redis://", "rediss://", "unix://")):
        return _redis_ping(url)
    with Connection(url, connect_timeout=PROBE_TIMEOUT_SECONDS) as conn:  # pragma: no cover - not Redis
        try:
            conn.ensure_connection(max_retries=1)
        except REDIS_ERRORS:
            return DOWN
    return UP  # pragma: no cover


def states() -> dict[str, str]:
    return {"database": database_state(), "redis": redis_state(), "broker": broker_state()}


def healthz(request: HttpRequest) -> JsonResponse:
    found = states()
    ok = found["database"] == UP
    return JsonResponse({"status": "ok" if ok else "unavailable", **found}, status=200 if ok else 503)


def readyz(request: HttpRequest) -> JsonResponse:
    found = states()
    ready = all(state != DOWN for state in found.values())
    response = JsonResponse(
        {"status": "ready" if ready else "unavailable", **found}, status=200 if ready else 503
    )
    if not ready:
        response["Retry-After"] = "10"
    return response
