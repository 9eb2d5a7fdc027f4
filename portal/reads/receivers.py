"""What portal records when the head-end answers (connected in PortalConfig.ready)."""

from typing import Any

from django.dispatch import receiver

from portal.alerts.receivers import read_completed
from portal.reads.services import read_answer_record
from usage.headend import ReadOutcome
from usage.headend.signals import read_answered


@receiver(read_answered, dispatch_uid="portal.read_answer_record")
def record_read_answer(sender: type, outcome: ReadOutcome, **kwargs: Any) -> None:
    if read_answer_record(outcome=outcome) and outcome.register_kwh is not None:
        read_completed(read_id=outcome.request_id)  # alerts of completed reads (portal.alerts)
