"""Celery recovers from dead workers promptly (docs/operations.md): acks late with reject-on-worker-lost, a broker
visibility timeout longer than every acks-late task's hard time limit, an inbox stale-claim window at least as
long, claim times stamped when a file is claimed, and ingest retries spaced to ride out a database outage."""

import os
import time
from datetime import date

from celery.utils.time import get_exponential_backoff_interval

from tests.helpers.ingest import ESI_1, day_rows, write_file


def test_dead_workers_hand_their_tasks_back_and_no_live_task_runs_twice(settings):
    from smt.celery import app

    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them

    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    default_limit = app.conf.task_time_limit
    assert default_limit
    acks_late = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    acks_late = [
        t for t in acks_late if t.acks_late is not False and (t.acks_late or app.conf.task_acks_late)
    ]
    assert any(t.name == "usage.load_inbox_file" for t in acks_late)
    longest = max((t.time_limit or default_limit) for t in acks_late)
    assert visibility > longest, (visibility, longest)
    assert visibility <= settings.INGEST_STALE_CLAIM_SECONDS


def test_ingest_retries_during_a_database_outage_ride_out_minutes():
    from usage.tasks import load_inbox_file

    assert load_inbox_file.retry_jitter is False
    delays = [
        get_exponential_backoff_interval(
            factor=load_inbox_file.retry_backoff,
            retries=n,
            maximum=load_inbox_file.retry_backoff_max,
            full_jitter=load_inbox_file.retry_jitter,
        )
        for n in range(load_inbox_file.max_retries)
    ]
    assert delays[0] >= 10
    assert sum(delays[:6]) >= 5 * 60  # six retries span minutes, not seconds
    assert sum(delays) >= 15 * 60


def test_a_file_copied_in_with_its_old_timestamp_is_queued_once(settings, tmp_path, monkeypatch):
    from usage import tasks

    queued = []
    monkeypatch.setattr(tasks.load_inbox_file, "delay", queued.append)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.SMT_INBOX_DIR = inbox
    path = write_file(inbox, day_rows(ESI_1, date(2025, 7, 1)))
    two_days_ago = time.time() - 2 * 86400
    os.utime(path, (two_days_ago, two_days_ago))  # cp -p, rsync -t: the TDU's own timestamp

    tasks.scan_inbox()
    tasks.scan_inbox()
    tasks.scan_inbox()
    assert len(queued) == 1

    # A claim that really went stale (its worker died) is queued again, once.
    (claimed,) = (tmp_path / "processing").iterdir()
    old = time.time() - settings.INGEST_STALE_CLAIM_SECONDS - 5
    os.utime(claimed, (old, old))
    tasks.scan_inbox()
    tasks.scan_inbox()
    assert len(queued) == 2
