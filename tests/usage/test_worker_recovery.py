"""Celery recovers from dead workers promptly (docs/operations.md): acks late with reject-on-worker-lost, a broker
visibility timeout longer than every acks-late task's hard time limit, claim times stamped when a file is claimed
and refreshed while it loads (so a dead worker's file is queued again within minutes), and ingest retries spaced
to ride out a database outage. A real worker is SIGKILLed in the middle of a load."""

import os
import time
import uuid
from datetime import date

import psycopg
import pytest
from celery.utils.time import get_exponential_backoff_interval

from tests.helpers.faults import CeleryWorker, wait_for
from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage.models import IngestFile, IntervalDay


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
    # a live load refreshes its claim several times within the stale window; a dead one's claim goes stale in
    # minutes, long before the broker would hand its task back
    assert settings.INGEST_STALE_CLAIM_SECONDS >= 3 * settings.INGEST_CLAIM_HEARTBEAT_SECONDS
    assert settings.INGEST_STALE_CLAIM_SECONDS <= 5 * 60 < visibility


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


def test_a_live_load_keeps_its_claim_fresh(settings, tmp_path):
    from usage.tasks import claim_heartbeat

    settings.INGEST_CLAIM_HEARTBEAT_SECONDS = 0.05
    path = tmp_path / "claimed.csv"
    path.write_bytes(b"x")
    old = time.time() - 3600
    os.utime(path, (old, old))
    with claim_heartbeat(path):
        wait_for(lambda: path.stat().st_mtime > old + 3000, timeout=10, what="the claim to be refreshed")
    assert path.stat().st_mtime > old + 3000


def _session_holding_the_day(tdu_id: int, day: date) -> psycopg.Connection:
    """Another session holding the TDU-day exclusively (as compaction does) until it rolls back: a load of
    that day waits inside its transaction, after parsing, for as long as the test needs."""
    from django.db import connection

    from usage.storage.locks import _tdu_key
    from usage.timegrid import day_num

    db = connection.settings_dict
    conn = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_tdu_key(tdu_id), day_num(day)])
    return conn


def _load_waiting_for_the_day() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cur.fetchone()[0] > 0


@pytest.mark.real_clock
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_load_finishes_the_file_within_minutes_of_restart(
    settings, tmp_path, private_cache
):
    from smt.celery import app as celery_app
    from usage import tasks

    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings.SMT_INBOX_DIR = inbox
    day = date(2025, 7, 1)
    write_file(inbox, day_rows(ESI_1, day))
    queue = f"test-ingest-{uuid.uuid4().hex[:8]}"
    celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE=queue)
    worker = CeleryWorker(
        broker_url=private_cache.url,
        queue=queue,
        env={
            "SMT_INBOX_DIR": str(inbox),
            "INGEST_CLAIM_HEARTBEAT_SECONDS": "1",
            "INGEST_STALE_CLAIM_SECONDS": "3",
        },
    )
    holder = _session_holding_the_day(oncor.pk, day)
    try:
        worker.start()
        tasks.scan_inbox.delay()  # what beat sends every minute
        wait_for(_load_waiting_for_the_day, timeout=60, what="the worker's load to reach the locked day")
        worker.kill()  # SIGKILL mid-load, inside the load's transaction
        holder.rollback()
        assert not IntervalDay.objects.exists()  # nothing partial
        (claimed,) = (tmp_path / "processing").iterdir()

        restarted = time.monotonic()
        worker.start()
        time.sleep(3.5)  # the claim goes stale: nobody refreshes it (INGEST_STALE_CLAIM_SECONDS=3 here)
        tasks.scan_inbox.delay()
        wait_for(
            lambda: IngestFile.objects.filter(status=IngestFile.Status.LOADED).exists(),
            timeout=60,
            what="the file to be loaded after the restart",
        )
        wait_for(lambda: not claimed.exists(), timeout=30, what="the file to leave processing/")
        took = time.monotonic() - restarted
    finally:
        holder.close()
        worker.stop()
        celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE="celery")
    (report,) = IngestFile.objects.all()  # the killed load left no report: its transaction never committed
    assert report.stored == 96 and IntervalDay.objects.count() == 1
    assert [p.name for p in (tmp_path / "processed").iterdir()] == [claimed.name]
    assert took < 120
