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


API_PREFIXES = ("/api/", "/espi/", "/commonapi/", "/o/", "/.well-known/", "/healthz", "/readyz")


def wants_problem_json(path: str) -> bool:
    """API paths answer errors as problem+json; every other path is a page for a person."""
    return path.startswith(API_PREFIXES)
