"""Shared fixtures; the skip rule (a test may skip only for a missing service, and under CI=true not even
for that); the service markers (``postgres``, ``redis``, ``browser``) that decide which tests need which
service; and the option that runs the suite with the clock moved (``--clock-shift-days``) so date-relative
time bombs fail today."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.helpers.faults import (
    private_cache,  # noqa: F401 - a fixture (fault tests), registered by being here
)
from tests.helpers.services import REQUIREMENTS, chromium_executable, is_service_skip


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


def pytest_collection_modifyitems(config, items):
    """A shifted run leaves out the tests whose subprocesses keep the real clock (marked ``real_clock``)."""
    if not config.getoption("--clock-shift-days"):
        return
    kept = [item for item in items if item.get_closest_marker("real_clock") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    return f"clock shifted by {days} days: today is {datetime.now(UTC).date()}" if days else None


def _skip_verdict(reason: str) -> str | None:
    """Why a skip with this reason fails the run, or None when it may stay a skip."""
    if not is_service_skip(reason):
        return f"a test may skip only for a missing service (PostgreSQL, Redis, Chromium), not: {reason}"
    if os.environ.get("CI") == "true":
        return f"CI=true: every service must be there, so no test may skip ({reason})"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        verdict = _skip_verdict(reason)
        if verdict:
            report.outcome = "failed"
            report.longrepr = verdict
        else:  # name the skipped test, not the line of tests/helpers/services.py that skipped it
            path, line = item.reportinfo()[:2]
            report.longrepr = (str(path), (line or 0) + 1, reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same rule for a whole module skipped at import (``pytest.skip(allow_module_level=True)``,
    ``pytest.importorskip``)."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple):
        verdict = _skip_verdict(str(report.longrepr[2]))
        if verdict:
            report.outcome = "failed"
            report.longrepr = verdict


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test marked ``postgres``, ``redis`` or ``browser`` skips, with a reason naming the service, when that
    service is not there."""
    for marker, require in REQUIREMENTS.items():
        if item.get_closest_marker(marker):
            require()


def _marked(request, marker: str, fixture: str) -> None:
    if request.node.get_closest_marker(marker) is None:
        pytest.fail(f"{request.node.nodeid} uses the {fixture} fixture: mark it @pytest.mark.{marker}")


@pytest.fixture
def redis_url(request):
    """The Redis URL, for a test marked ``redis`` (its marker made sure Redis answers)."""
    _marked(request, "redis", "redis_url")
    return os.environ["REDIS_URL"]


@pytest.fixture
def chromium_path(request):
    """The Chromium executable, for a test marked ``browser`` (its marker made sure it is there)."""
    _marked(request, "browser", "chromium_path")
    return chromium_executable()


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
    access.local_clear()
    yield
    access.local_clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, with the second factor the admin requires (SecondFactorRequiredMiddleware)."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(user=admin_user, type=Authenticator.Type.TOTP, defaults={"data": {}})
    return admin_user
