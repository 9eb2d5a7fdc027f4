"""The built-in head-end adapter: a simulator that answers a few seconds later through a Celery task."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from usage.headend import HeadEndAdapter, ReadOrder
from usage.headend.tasks import simulated_meter_answer


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
