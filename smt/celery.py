"""The Celery app; every periodic schedule and every task's queue live here, in one place (docs/scaling.md)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")

app = Celery("smt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each kind of work on its own queue, so each kind of worker can run on its own hosts (`celery worker -Q ingest`);
# `make worker`, or a worker without -Q, consumes them all. A task missing here goes to the default queue.
TASK_QUEUES: dict[str, str] = {
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


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict | None:
    """The queue of a task by its name; with CELERY_ONE_QUEUE set, that one queue for every task (a test's
    private queue, or a deployment that wants a single queue). A queue given to apply_async wins."""
    from django.conf import settings

    queue = getattr(settings, "CELERY_ONE_QUEUE", "") or TASK_QUEUES.get(name)
    return {"queue": queue} if queue else None


app.conf.task_routes = (route_task,)

_PRIMARY_ONLY: dict[str, Any] = {}


@task_prerun.connect
def tasks_read_the_primary(task_id: str, **kwargs: Any) -> None:
    """Tasks read only the primary (smt/replicas.py), even run in process inside a GET that may use replicas."""
    from smt.replicas import primary_only_enter

    _PRIMARY_ONLY[task_id] = primary_only_enter()


@task_postrun.connect
def tasks_read_the_primary_end(task_id: str, **kwargs: Any) -> None:
    from smt.replicas import primary_only_leave

    token = _PRIMARY_ONLY.pop(task_id, None)
    if token is not None:
        primary_only_leave(token)


@app.on_after_configure.connect
def consume_every_queue(sender: Celery, source: Any, **kwargs: Any) -> None:
    """A worker started without -Q consumes every queue, the default one too (one machine; the README's
    command); `-Q ingest` narrows it to one kind."""
    names = dict.fromkeys([source.task_default_queue, *TASK_QUEUES.values()])
    # each bound by its own name, as the queues Celery creates on demand are (not all by the default key)
    source.task_queues = [Queue(name, routing_key=name) for name in names]


app.conf.beat_schedule = {}

# Interval data (usage/tasks.py): pick up TDU files, compact settled months, purge past retention, create the
# coming months' partitions (PostgreSQL).
app.conf.beat_schedule["usage-scan-inbox"] = {"task": "usage.scan_inbox", "schedule": 60.0}
app.conf.beat_schedule["usage-compact-intervals"] = {
    "task": "usage.compact_intervals",
    "schedule": 6 * 3600.0,
}
app.conf.beat_schedule["usage-purge-expired-intervals"] = {
    "task": "usage.purge_expired_intervals",
    "schedule": 24 * 3600.0,
}
app.conf.beat_schedule["usage-create-interval-partitions"] = {
    "task": "usage.create_interval_partitions",
    "schedule": 24 * 3600.0,
}

# On-demand meter reads: the head-end simulator's tasks (usage/headend/tasks.py), and expiry of the reads no
# head-end answered (portal/tasks.py).
app.autodiscover_tasks(["usage.headend"])
app.conf.beat_schedule["portal-expire-stale-meter-reads"] = {
    "task": "portal.tasks.expire_stale_reads",
    "schedule": 300.0,
}

# Alerts of loads and reads whose alert task the broker refused when they committed (portal/alerts/sweep.py).
app.conf.beat_schedule["portal-alerts-sweep"] = {"task": "portal.tasks.alerts_sweep", "schedule": 300.0}

# Third parties (thirdparty/tasks.py): webhook retries that are due, agreement expiry and expiry warnings.
app.conf.beat_schedule["thirdparty-webhook-retries"] = {
    "task": "thirdparty.tasks.webhook_retry_due",
    "schedule": 60.0,
}
# data.available of loads whose announcement could not be enqueued at commit (broker down)
app.conf.beat_schedule["thirdparty-data-available-sweep"] = {
    "task": "thirdparty.tasks.data_available_sweep",
    "schedule": 120.0,
}
app.conf.beat_schedule["thirdparty-expire-agreements"] = {
    "task": "thirdparty.tasks.agreements_expire",
    "schedule": 300.0,
}
app.conf.beat_schedule["thirdparty-warn-expiring-agreements"] = {
    "task": "thirdparty.tasks.agreements_warn_expiring",
    "schedule": 3600.0,
}

# API (api/tasks.py): delete bulk-export files whose download link has expired.
app.conf.beat_schedule["api-purge-expired-exports"] = {
    "task": "api.tasks.exports_purge_expired",
    "schedule": 3600.0,
}
# export jobs the broker lost (down at commit) or whose worker died; Idempotency-Keys past their 24 hours
app.conf.beat_schedule["api-exports-sweep"] = {"task": "api.tasks.exports_sweep", "schedule": 60.0}
app.conf.beat_schedule["api-idempotency-keys-purge"] = {
    "task": "api.tasks.idempotency_keys_purge",
    "schedule": 3600.0,
}
