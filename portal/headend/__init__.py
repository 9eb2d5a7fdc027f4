"""Head-end adapters: how the portal asks a meter for its register reading right now.

A head-end system (the TDU's AMI network) answers asynchronously: we send a request, the answer arrives
seconds later. The adapter named in ``settings.HEADEND_ADAPTER`` receives ``request_read(read_request)`` and
must later call :func:`portal.services_reads.read_complete` or :func:`read_fail` (through a task, a
webhook, a poller: its choice). The built-in :class:`~portal.headend.simulator.SimulatedHeadEnd` answers
through a Celery task with a countdown.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string


class HeadEndAdapter:
    """Base class. ``name`` is what the read history records as the adapter that handled a request."""

    name = "head-end"

    def request_read(self, read_request) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class HeadEndUnavailable(Exception):
    """The head-end could not even accept the request (the read fails at once with this message)."""


@lru_cache(maxsize=4)
def _adapter_for(path: str) -> HeadEndAdapter:
    return import_string(path)()


def get_adapter() -> HeadEndAdapter:
    return _adapter_for(settings.HEADEND_ADAPTER)
