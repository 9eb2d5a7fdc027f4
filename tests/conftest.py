"""Shared fixtures, the rule that under CI=true a test skipped for a missing service fails the run, and the
option that runs the suite with the clock moved (``--clock-shift-days``) so date-relative time bombs fail today."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

SERVICE_SKIP_PREFIXES = ("needs PostgreSQL", "needs Redis", "needs Chromium")


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get("TEST_CLOCK_SHIFT_DAYS", "0")),
        help="run the tests (fixtures and code under test) as if today were this many days later",
    )


def pytest_configure(config):
    """Move Python's clock before collection, so module constants taken from today move with it.

    The database's own clock is not moved: no code or test may take a date boundary from SQL ``now()``.
    """
    days = config.getoption("--clock-shift-days")
    if days:
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    return f"clock shifted by {days} days: today is {datetime.now(UTC).date()}" if days else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if any(prefix in reason for prefix in SERVICE_SKIP_PREFIXES):
            report.outcome = "failed"
            report.longrepr = f"CI=true: a test may not skip for a missing service ({reason})"


def _is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def require_postgres():
    if not _is_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    return url


def require_chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(path):
        pytest.skip(f"needs Chromium at {path} (apt-get install chromium)")
    return path


@pytest.fixture
def postgres():
    require_postgres()


@pytest.fixture
def redis_url():
    return require_redis()


@pytest.fixture
def chromium_path():
    return require_chromium()


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run eagerly in tests, also when REDIS_URL is set; the real-worker tests switch this off themselves.

    Celery reads Django settings under the CELERY_ namespace, so only the namespaced key takes effect.
    """
    from smt.celery import app

    old = app.conf.task_always_eager
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    yield
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=old)


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings):
    """A cache key prefix of its own for every test: fresh rate-limit counters and access-cache generation,
    without flushing a Redis that other test processes (pytest-xdist workers) share."""
    from thirdparty import access

    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"} for name, conf in settings.CACHES.items()
    }
    access._LOCAL.clear()
    yield
    access._LOCAL.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
