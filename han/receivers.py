"""What han records when the head-end answers, and when an occupancy ends (connected in HanConfig.ready)."""

from typing import Any

from django.dispatch import receiver

from han.services import device_outcome_record, devices_remove_for_period, message_outcome_record
from portal.models import ServicePeriod
from portal.signals import service_period_ended
from usage.headend.han import DeviceOutcome, MessageOutcome
from usage.headend.signals import device_answered, message_answered


@receiver(device_answered, dispatch_uid="han.device_outcome_record")
def record_device_answer(sender: type, outcome: DeviceOutcome, **kwargs: Any) -> None:
    device_outcome_record(outcome=outcome)


@receiver(message_answered, dispatch_uid="han.message_outcome_record")
def record_message_answer(sender: type, outcome: MessageOutcome, **kwargs: Any) -> None:
    message_outcome_record(outcome=outcome)


@receiver(service_period_ended, dispatch_uid="han.devices_remove_for_period")
def remove_devices_at_move_out(sender: type, period: ServicePeriod, **kwargs: Any) -> None:
    devices_remove_for_period(period=period)
