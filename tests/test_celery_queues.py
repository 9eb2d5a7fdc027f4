"""Celery on many hosts: each kind of task on its own queue, `make worker` consuming them all, one beat."""

import contextlib
import re
import uuid
from pathlib import Path
from unittest import mock

import pytest

from smt.celery import TASK_QUEUES, app

EXPECTED = {
    "usage.scan_inbox": "ingest",
    "usage.load_inbox_file": "ingest",
    "api.tasks.export_run_task": "exports",
    "thirdparty.tasks.webhook_deliver": "webhooks",
    "thirdparty.tasks.data_available_for_file": "webhooks",
    "portal.tasks.email_send": "mail",
    "portal.tasks.alerts_for_file": "mail",
    "portal.tasks.alerts_for_read": "mail",
    "usage.headend.tasks.simulated_meter_answer": "headend",
    "usage.headend.tasks.simulated_han_join": "headend",
    "usage.headend.tasks.simulated_han_join_end": "headend",
    "usage.headend.tasks.simulated_han_remove": "headend",
    "usage.headend.tasks.simulated_han_message": "headend",
    "usage.compact_intervals": "maintenance",
    "usage.purge_expired_intervals": "maintenance",
    "usage.create_interval_partitions": "maintenance",
    "api.tasks.exports_purge_expired": "maintenance",
    "api.tasks.exports_sweep": "maintenance",
    "api.tasks.idempotency_keys_purge": "maintenance",
    "portal.tasks.expire_stale_reads": "maintenance",
    "portal.tasks.alerts_sweep": "maintenance",
    "thirdparty.tasks.webhook_retry_due": "maintenance",
    "thirdparty.tasks.data_available_sweep": "maintenance",
    "thirdparty.tasks.agreements_expire": "maintenance",
    "thirdparty.tasks.agreements_warn_expiring": "maintenance",
}


def _project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def _routed_queue(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def test_every_task_of_the_project_has_its_queue():
    assert _project_tasks() == sorted(EXPECTED)
    assert TASK_QUEUES == EXPECTED
    assert {name: _routed_queue(name) for name in _project_tasks()} == EXPECTED


def test_apply_async_publishes_each_task_to_its_queue(settings):
    settings.CELERY_ONE_QUEUE = ""
    sent = {}

    def record(producer, name, message, **options):
        sent[name] = options["queue"].name

    saved = app.conf.task_always_eager
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False)
    try:
        with mock.patch.object(app.amqp, "send_task_message", side_effect=record):
            for name in _project_tasks():
                task = app.tasks[name]
                with mock.patch.object(task, "typing", False):  # no real arguments: only the route matters
                    task.apply_async(args=(), producer=mock.MagicMock())
    finally:
        app.conf.update(CELERY_TASK_ALWAYS_EAGER=saved)
    assert sent == EXPECTED


def test_one_queue_setting_sends_every_task_to_that_queue(settings):
    settings.CELERY_ONE_QUEUE = "test-private"
    assert {_routed_queue(name) for name in _project_tasks()} == {"test-private"}


def test_a_queue_given_to_apply_async_wins_over_the_route():
    route = app.amqp.router.route({"queue": "elsewhere"}, "usage.scan_inbox")
    assert route["queue"].name == "elsewhere"


def test_make_worker_consumes_every_queue_by_default():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    queues = re.search(r"^QUEUES \?= (\S+)$", makefile, re.M).group(1).split(",")
    assert set(queues) == set(EXPECTED.values()) | {app.conf.task_default_queue}
    assert "worker -Q $(QUEUES)" in makefile


def test_a_worker_started_without_a_queue_list_consumes_every_queue():
    assert set(app.amqp.queues) >= set(EXPECTED.values()) | {app.conf.task_default_queue}


@pytest.mark.redis
def test_a_task_reaches_its_queue_and_no_other_on_a_real_broker(settings):
    """Every queue declared, as a worker without -Q does; one message per task; each lands once, in its queue."""
    import redis
    from kombu import Connection

    from tests.helpers.faults import celery_connections_reset, private_redis

    settings.CELERY_ONE_QUEUE = ""
    saved = {"CELERY_BROKER_URL": app.conf.broker_url, "CELERY_TASK_ALWAYS_EAGER": app.conf.task_always_eager}
    with private_redis() as server:
        app.conf.update(CELERY_BROKER_URL=server.url, CELERY_TASK_ALWAYS_EAGER=False)
        celery_connections_reset(app)
        try:
            with Connection(server.url) as conn:
                for queue in app.amqp.queues.values():
                    queue(conn.default_channel).declare()
            for name in _project_tasks():
                task = app.tasks[name]
                with mock.patch.object(task, "typing", False):
                    task.apply_async(args=())
            # a task for the default queue (Celery's own, or one missing from TASK_QUEUES) reaches it alone
            with mock.patch.object(app.tasks["usage.scan_inbox"], "typing", False):
                app.tasks["usage.scan_inbox"].apply_async(args=(), queue=app.conf.task_default_queue)
            client = redis.Redis.from_url(server.url)
            lengths = {queue: client.llen(queue) for queue in app.amqp.queues}
        finally:
            app.conf.update(**saved)
            celery_connections_reset(app)
    expected = {queue: 0 for queue in app.amqp.queues}
    expected[app.conf.task_default_queue] = 1
    for queue in EXPECTED.values():
        expected[queue] += 1
    assert lengths == expected


def test_the_beat_of_the_project_is_the_guarded_one():
    from smt.beat import SingleBeatScheduler

    assert app.conf.beat_scheduler == "smt.beat:SingleBeatScheduler"
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= set(EXPECTED)
    assert SingleBeatScheduler.lock_key


@pytest.fixture
def beats(redis_url, tmp_path, monkeypatch):
    """Two beat schedulers on the same Redis, as on two hosts; the parent's tick (the sending) is counted."""
    from celery.beat import PersistentScheduler

    from smt.beat import SingleBeatScheduler

    monkeypatch.setattr(SingleBeatScheduler, "lock_key", f"test:beat:{uuid.uuid4().hex}")
    sends = []
    monkeypatch.setattr(PersistentScheduler, "tick", lambda self, *a, **kw: sends.append(self) or 1.0)
    saved = app.conf.broker_url
    app.conf.update(CELERY_BROKER_URL=redis_url)
    made = [
        SingleBeatScheduler(app, schedule_filename=str(tmp_path / f"beat-{i}"), lazy=False) for i in (1, 2)
    ]
    try:
        yield made, sends
    finally:
        for scheduler in made:
            with contextlib.suppress(Exception):  # the test may have closed it
                scheduler.close()
        app.conf.update(CELERY_BROKER_URL=saved)


@pytest.mark.redis
def test_a_second_beat_sends_nothing_while_the_first_holds_the_lock(beats):
    (first, second), sends = beats
    for _ in range(3):
        first.tick()
        second.tick()
    assert sends == [first, first, first]


@pytest.mark.redis
def test_a_standby_beat_takes_over_when_the_first_stops(beats):
    (first, second), sends = beats
    first.tick()
    assert second.tick() > 0 and sends == [first]
    first.close()  # a beat that stops releases the lock; a dead one's expires after LOCK_SECONDS
    second.tick()
    first.tick()  # the first, back, now stands by
    assert sends == [first, second]


@pytest.mark.redis
def test_a_beat_whose_lock_expired_stands_by(beats, redis_url):
    import redis

    (first, second), sends = beats
    first.tick()
    redis.Redis.from_url(redis_url).delete(first.lock_key)  # expired while the first was stalled
    second.tick()
    first.tick()
    assert sends == [first, second]
