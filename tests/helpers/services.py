"""The outside services some tests need, and the one way a test may be skipped: a service that is not there.

A test that needs a service carries its marker (``postgres``, ``redis``, ``browser``); the root conftest calls
the matching ``require_*`` before the test runs, and the ``redis_url`` and ``chromium_path`` fixtures refuse
to serve a test without the marker, so ``-m "not browser"`` (and the others) deselect exactly those tests.
"""

from __future__ import annotations

import os

import pytest

# Every allowed skip reason starts with one of these (and under CI=true even these fail the run).
SERVICE_SKIP_PREFIXES = ("needs PostgreSQL", "needs Redis", "needs Chromium")


def require_postgres() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis: {url} does not answer ({exc})")
    return url


def chromium_executable() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require_chromium() -> str:
    path = chromium_executable()
    if not os.path.exists(path):
        pytest.skip(f"needs Chromium at {path} (apt-get install chromium, or set CHROMIUM_PATH)")
    return path


# marker -> what the test needs before it runs
REQUIREMENTS = {"postgres": require_postgres, "redis": require_redis, "browser": require_chromium}


def is_service_skip(reason: str) -> bool:
    return reason.removeprefix("Skipped: ").startswith(SERVICE_SKIP_PREFIXES)
