"""The Celery app; every periodic schedule of the project lives here, in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smt.settings")

app = Celery("smt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {}

# Interval data (usage/tasks.py): pick up TDU files, compact settled months, purge past retention.
app.conf.beat_schedule["usage-scan-inbox"] = {"task": "usage.scan_inbox", "schedule": 60.0}
app.conf.beat_schedule["usage-compact-intervals"] = {
    "task": "usage.compact_intervals",
    "schedule": 6 * 3600.0,
}
app.conf.beat_schedule["usage-purge-expired-intervals"] = {
    "task": "usage.purge_expired_intervals",
    "schedule": 24 * 3600.0,
}

# On-demand meter reads: the head-end simulator's tasks (usage/headend/tasks.py), and expiry of the reads no
# head-end answered (portal/tasks.py).
app.autodiscover_tasks(["usage.headend"])
app.conf.beat_schedule["portal-expire-stale-meter-reads"] = {
    "task": "portal.tasks.expire_stale_reads",
    "schedule": 300.0,
}

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
