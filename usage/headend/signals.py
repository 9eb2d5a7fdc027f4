"""What the head-end announces: ``read_answered(outcome=ReadOutcome)`` when a meter answered (or did not)."""

from django.dispatch import Signal

read_answered = Signal()
