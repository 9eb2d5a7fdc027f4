"""The built-in head-end adapter: a simulator that answers a few seconds later through Celery tasks (reads in
``simulated_meter``, HAN devices and messages in ``simulated_han``)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from usage.headend import HeadEndAdapter, ReadOrder
from usage.headend.han import JoinOrder, MessageOrder, RemoveOrder
from usage.headend.tasks import (
    simulated_han_join,
    simulated_han_message,
    simulated_han_remove,
    simulated_meter_answer,
)


class SimulatedHeadEnd(HeadEndAdapter):
    name = "simulator"

    def request_read(self, order: ReadOrder) -> None:
        """Schedule the answer once the order is committed: with a countdown, never a sleep."""
        last = (
            [str(order.last_register_kwh), order.last_read_at.isoformat()]
            if order.last_register_kwh is not None and order.last_read_at is not None
            else []
        )
        args = [order.request_id, order.meter_id, order.premise_id, order.requested_at.isoformat(), *last]
        delay = settings.HEADEND_SIMULATOR_DELAY_SECONDS
        transaction.on_commit(lambda: simulated_meter_answer.apply_async(args=args, countdown=delay))

    def open_join_window(self, order: JoinOrder) -> None:
        args = [order.device_id, order.attempt, order.meter_id, order.mac, order.window_seconds]
        delay = settings.HEADEND_SIMULATOR_DELAY_SECONDS
        transaction.on_commit(lambda: simulated_han_join.apply_async(args=args, countdown=delay))

    def remove_device(self, order: RemoveOrder) -> None:
        delay = settings.HEADEND_SIMULATOR_DELAY_SECONDS
        transaction.on_commit(
            lambda: simulated_han_remove.apply_async(args=[order.device_id], countdown=delay)
        )

    def send_message(self, order: MessageOrder) -> None:
        args = [order.message_id, order.mac, order.confirm]
        delay = settings.HEADEND_SIMULATOR_DELAY_SECONDS
        transaction.on_commit(lambda: simulated_han_message.apply_async(args=args, countdown=delay))
