"""Head-end adapters: how we ask a meter, through its TDU's AMI head-end, for its register reading right now.

A head-end answers asynchronously: we send an order, the answer arrives seconds later. The adapter named in
``settings.HEADEND_ADAPTER`` receives ``request_read(order)`` and later reports the outcome with
:func:`report_reading` or :func:`report_failure` (from a task, a webhook or a poller: its choice). Those send
:data:`usage.headend.signals.read_answered`; the app that keeps the requests (and knows who asked) records it.
HAN devices (``usage.headend.han``) go the same way: ``open_join_window``, ``remove_device`` and
``send_message``, answered with ``report_device`` and ``report_message``. docs/han.md says what a real TDU
head-end integration implements. This package knows meters, never people. The built-in :class:`~usage.headend.simulator.SimulatedHeadEnd` answers
through a Celery task with a countdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from usage.headend.han import JoinOrder, MessageOrder, RemoveOrder
from usage.headend.signals import read_answered

__all__ = [
    "HeadEndAdapter",
    "HeadEndUnavailable",
    "ReadOrder",
    "ReadOutcome",
    "get_adapter",
    "report_failure",
    "report_reading",
]


@dataclass(frozen=True)
class ReadOrder:
    """One request to read a meter now; ``request_id`` is the caller's reference, echoed in the answer."""

    request_id: int
    meter_id: int
    premise_id: int
    requested_at: datetime
    last_register_kwh: Decimal | None = None  # the meter's previous reading, when the caller knows one
    last_read_at: datetime | None = None


@dataclass(frozen=True)
class ReadOutcome:
    """The head-end's answer: a register reading, or a failure code and a message a person can act on."""

    request_id: int
    register_kwh: Decimal | None = None
    read_at: datetime | None = None
    failure_code: str = ""
    failure_message: str = ""


class HeadEndAdapter:
    """Base class. ``name`` is what the read history records as the adapter that handled a request."""

    name = "head-end"

    def request_read(self, order: ReadOrder) -> None:
        raise NotImplementedError

    def open_join_window(self, order: JoinOrder) -> None:
        """Have the meter accept this device for ``order.window_seconds``; report WINDOW_OPEN, then JOINED or
        FAILED."""
        raise NotImplementedError

    def remove_device(self, order: RemoveOrder) -> None:
        """Have the meter drop this device; report REMOVED (a device the meter does not know is removed)."""
        raise NotImplementedError

    def send_message(self, order: MessageOrder) -> None:
        """Send a text message or price signal to one joined device; report DELIVERED, CONFIRMED or FAILED."""
        raise NotImplementedError


class HeadEndUnavailable(Exception):
    """The head-end could not even accept the order (the read fails at once with this message)."""


@lru_cache(maxsize=4)
def _adapter_for(path: str) -> HeadEndAdapter:
    return import_string(path)()


def get_adapter() -> HeadEndAdapter:
    return _adapter_for(settings.HEADEND_ADAPTER)


def report_reading(*, request_id: int, register_kwh: Decimal, read_at: datetime) -> None:
    """An adapter reports the register the meter latched at ``read_at``."""
    outcome = ReadOutcome(request_id=request_id, register_kwh=register_kwh, read_at=read_at)
    read_answered.send(sender=HeadEndAdapter, outcome=outcome)


def report_failure(*, request_id: int, code: str, message: str) -> None:
    """An adapter reports that the meter could not be read, and why."""
    outcome = ReadOutcome(request_id=request_id, failure_code=code, failure_message=message)
    read_answered.send(sender=HeadEndAdapter, outcome=outcome)
