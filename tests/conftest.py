"""Shared fixtures, and the rule that under CI=true a test skipped for a missing service fails the run."""

import os

import pytest

SERVICE_SKIP_PREFIXES = ("needs PostgreSQL", "needs Redis", "needs Chromium")


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
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
