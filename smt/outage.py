"""What an outage of a dependency looks like from inside the app, and how the app answers it.

A dependency is *down* when PostgreSQL refuses or drops the connection (``django.db.OperationalError`` or
``InterfaceError``), or Redis (cache or broker) does (``redis`` connection and timeout errors, ``kombu``'s
``OperationalError``). Requests that meet one get 503 with ``Retry-After`` (problem+json from the API, a
"back soon" page in the portal), never a 500: the fault is ours, short-lived, and a retry will work
(docs/operations.md).
"""

from __future__ import annotations

import logging

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30

DATABASE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    ConnectionError,
)


def dependency_down(exc: BaseException | None) -> str | None:
    """``"database"`` or ``"redis"`` when ``exc`` means that dependency is unreachable, else None."""
    if exc is None:
        return None
    if isinstance(exc, DATABASE_ERRORS):
        return "database"
    if isinstance(exc, REDIS_ERRORS):
        return "redis"
    return None


def redis_answers(url: str, *, timeout: float = 1.0) -> bool:
    """Whether the Redis at ``url`` answers PING within ``timeout`` seconds."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except REDIS_ERRORS:
        log.warning("Redis at %s did not answer", url.rsplit("@", 1)[-1])
        return False
    finally:
        client.close()
    return True


def broker_down() -> bool:
    """Whether queued work cannot reach the Celery broker now (False when tasks run in-process)."""
    from celery import current_app

    conf = current_app.conf
    url = str(conf.broker_url or "")
    if conf.task_always_eager or not url or url.startswith("memory://"):
        return False
    if url.startswith(("redis://", "rediss://")):
        return not redis_answers(url)
    return False  # another broker: enqueue errors are handled where they happen


API_PREFIXES = ("/api/", "/espi/", "/commonapi/", "/o/", "/.well-known/", "/healthz", "/readyz")


def wants_problem_json(path: str) -> bool:
    """API paths answer errors as problem+json; every other path is a page for a person."""
    return path.startswith(API_PREFIXES)
