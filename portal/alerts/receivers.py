"""When a TDU file finished loading or a meter read completed, queue the alert task once the load commits
(connected in PortalConfig.ready). The ingest (usage) knows nothing of alerts: portal listens to its saves."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from usage.models import IngestFile

log = logging.getLogger(__name__)
LOADED = (IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS)


@receiver(post_save, sender=IngestFile, dispatch_uid="portal.alerts_for_file")
def alerts_after_load(sender: type, instance: IngestFile, created: bool, **kwargs: Any) -> None:
    """A file that stored rows may call for alerts; a duplicate (a reload of the same bytes) stores none."""
    if instance.kind != IngestFile.Kind.INTERVAL or instance.status not in LOADED:
        return
    if not instance.finished_at or instance.stored == 0:
        return
    file_id = instance.pk
    transaction.on_commit(lambda: _enqueue("alerts_for_file", file_id), robust=True)


def read_completed(*, read_id: int) -> None:
    """Called by portal.reads.receivers when the head-end's answer completed a read."""
    transaction.on_commit(lambda: _enqueue("alerts_for_read", read_id), robust=True)


def _enqueue(task_name: str, object_id: int) -> None:
    from portal import tasks

    try:
        getattr(tasks, task_name).delay(object_id)
    except Exception:  # noqa: BLE001 - any broker error: the load or read is committed; alerts are best effort
        log.warning("could not enqueue %s for %s", task_name, object_id, exc_info=True)
