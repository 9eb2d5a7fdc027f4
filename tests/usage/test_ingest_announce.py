"""A committed load is never reported as failed: when the broker is unreachable after the commit, the load
stays loaded, the report says the data.available announcement is queued for the sweep, and the sweep sends
it once the broker is back."""

from __future__ import annotations

import contextlib
import time
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from thirdparty import tasks as tp_tasks
from usage.models import IngestFile


@pytest.fixture
def oncor(transactional_db):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    return oncor


@contextlib.contextmanager
def broker(url: str, *, eager: bool):
    """Point the Celery app at ``url`` with bounded connection retries (seconds, not minutes)."""
    from smt.celery import app

    new = {  # the app reads Django's settings with the CELERY_ namespace
        "CELERY_BROKER_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": eager,
        "CELERY_BROKER_CONNECTION_RETRY": False,
        "CELERY_BROKER_CONNECTION_MAX_RETRIES": 0,
        "CELERY_BROKER_CONNECTION_TIMEOUT": 1,
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            "max_retries": 0,
            "socket_connect_timeout": 1,
            "socket_timeout": 1,
        },
        "CELERY_TASK_PUBLISH_RETRY": False,
    }
    old = {k.removeprefix("CELERY_").lower(): app.conf[k.removeprefix("CELERY_").lower()] for k in new}

    def reset_pools():  # drop the app's references; kombu keeps one pool per broker URL
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(**new)
    reset_pools()
    try:
        yield app
    finally:  # restored under the same (prefixed) names it was changed under, or the change would outlive the test
        app.conf.update(**{k: old[k.removeprefix("CELERY_").lower()] for k in new})
        reset_pools()


def test_load_with_broker_down_is_loaded_and_swept_later(oncor, tmp_path):
    path = write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)))
    out = StringIO()
    started = time.perf_counter()
    with broker("redis://127.0.0.1:1/0", eager=False):
        call_command("load_intervals", "--no-progress", str(path), stdout=out)  # exit 0: no SystemExit
    assert time.perf_counter() - started < 15
    text = out.getvalue()
    assert "FAILED" not in text and "readings stored: 96" in text
    assert "queued for the announcement sweep" in text
    report = IngestFile.objects.get(name=path.name)
    assert report.status == IngestFile.Status.LOADED and report.announced_at is None
    assert "queued for the announcement sweep" in report.message

    with broker("memory://", eager=True):
        assert tp_tasks.data_available_sweep() == 0  # not yet: a few minutes first
        IngestFile.objects.filter(pk=report.pk).update(finished_at=timezone.now() - timedelta(minutes=11))
        assert tp_tasks.data_available_sweep() == 1
        report.refresh_from_db()
        assert report.announced_at is not None
        assert tp_tasks.data_available_sweep() == 0
        assert tp_tasks.data_available_for_file(report.pk) == 0  # announced once only


def test_inbox_task_with_broker_down_reports_loaded(oncor, tmp_path, settings):
    from usage import tasks

    settings.SMT_INBOX_DIR = tmp_path / "inbox"
    dirs = tasks.inbox_dirs()
    path = write_file(dirs["processing"], day_rows(ESI_1, date(2025, 7, 1)))
    with broker("redis://127.0.0.1:1/0", eager=False):
        result = tasks.load_inbox_file.run(str(path))
    assert result["status"] == IngestFile.Status.LOADED
    assert "queued for the announcement sweep" in result["message"]
    assert [p.name for p in dirs["processed"].iterdir()] == [path.name]
