"""A real Celery worker (in-process, against Redis) picks a TDU file up from the inbox and loads it."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date

import pytest

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage.models import IngestFile


def test_eager_inbox_scan_loads_and_moves_files(db, settings, tmp_path):
    """Without a broker the same tasks run in-process."""
    from smt.celery import app
    from usage import tasks

    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.SMT_INBOX_DIR = inbox
    write_file(inbox, day_rows(ESI_1, date(2025, 7, 1)))
    (inbox / "1039940674000_20250702_bad.csv").write_bytes(b"not,a,tdu,file\n1,2,3,4\n")
    old = app.conf.task_always_eager
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    try:
        claimed = tasks.scan_inbox()
    finally:
        app.conf.update(CELERY_TASK_ALWAYS_EAGER=old)
    assert len(claimed) == 2
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["1039940674000_20250701_a.csv"]
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == ["1039940674000_20250702_bad.csv"]
    assert not list(inbox.iterdir())
    assert IngestFile.objects.get(name="1039940674000_20250701_a.csv").stored == 96


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_real_worker_loads_a_file_dropped_in_the_inbox(settings, tmp_path, redis_url):
    from celery.contrib.testing.worker import start_worker

    from smt.celery import app
    from usage import tasks

    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.SMT_INBOX_DIR = inbox
    queue = f"test-ingest-{uuid.uuid4().hex[:8]}"
    keys = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_DEFAULT_QUEUE")
    saved = {k: app.conf[k.removeprefix("CELERY_").lower()] for k in keys}
    settings.CELERY_ONE_QUEUE = queue  # every route to the private queue (smt/celery.py)
    app.conf.update(
        CELERY_BROKER_URL=redis_url, CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=queue
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            write_file(inbox, day_rows(ESI_1, date(2025, 7, 1)))
            tasks.scan_inbox.delay()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if list((tmp_path / "processed").glob("*.csv")):
                    break
                time.sleep(0.2)
    finally:
        app.conf.update(saved)
    assert [p.name for p in (tmp_path / "processed").iterdir()] == ["1039940674000_20250701_a.csv"]
    report = IngestFile.objects.get()
    assert report.status == IngestFile.Status.LOADED and report.stored == 96
    assert os.environ.get("DATABASE_URL")
