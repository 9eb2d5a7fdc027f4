"""Django's psycopg connection pool (``OPTIONS["pool"]``), switched on by ``DB_POOL`` (docs/scaling.md).

A pool lets the threads of a process share a few PostgreSQL connections, kept open between requests; its
connections keep their prepared statements (``smt/sql.py`` prepares the hot path's), since the pool only checks
a connection it hands back, never resets it. Django refuses persistent connections with a pool, so
``CONN_MAX_AGE`` is 0: closing a connection gives it back to the pool.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured


def pooled(database: dict[str, Any], *, min_size: int, max_size: int, timeout: float) -> dict[str, Any]:
    """``database`` (a DATABASES entry for PostgreSQL) with a pool of ``min_size`` to ``max_size`` connections;
    a request that waits ``timeout`` seconds for one gets Django's OperationalError (a 503, not a hang)."""
    if min_size < 0 or max_size < max(min_size, 1) or timeout <= 0:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE={min_size}, DB_POOL_MAX_SIZE={max_size}, DB_POOL_TIMEOUT={timeout}: "
            "need 0 <= min <= max, max >= 1 and a timeout above 0."
        )
    options = {
        **database.get("OPTIONS", {}),
        "pool": {"min_size": min_size, "max_size": max_size, "timeout": float(timeout)},
    }
    return {**database, "CONN_MAX_AGE": 0, "OPTIONS": options}
