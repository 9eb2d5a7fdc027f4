"""What portal announces to higher layers (thirdparty, api) without importing them."""

from django.dispatch import Signal

service_period_ended = Signal()  # period=ServicePeriod: move-out or move-in of someone else
registration_code_rotated = Signal()  # period=ServicePeriod
rep_merged = Signal()  # survivor=Rep, duplicate=Rep
