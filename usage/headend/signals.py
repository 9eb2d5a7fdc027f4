"""What the head-end announces: ``read_answered(outcome=ReadOutcome)`` when a meter answered (or did not), and
the HAN answers below."""

from django.dispatch import Signal

read_answered = Signal()

# HAN (usage.headend.han): device_answered(outcome=DeviceOutcome), message_answered(outcome=MessageOutcome)
device_answered = Signal()
message_answered = Signal()
