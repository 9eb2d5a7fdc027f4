"""What portal records when the head-end answers (connected in PortalConfig.ready)."""

from typing import Any

from django.dispatch import receiver

from portal.reads.services import read_answer_record
from usage.headend import ReadOutcome
from usage.headend.signals import read_answered


@receiver(read_answered, dispatch_uid="portal.read_answer_record")
def record_read_answer(sender: type, outcome: ReadOutcome, **kwargs: Any) -> None:
    read_answer_record(outcome=outcome)
