"""On-demand meter reads: a customer asks the meter for its register reading now (issue 5)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from usage.models import Meter, Premise

__all__ = ["MeterReadRequest"]


class MeterReadRequest(models.Model):
    """One "read my meter now" request and the head-end's answer (a register reading, or why not)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the meter"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    premise = models.ForeignKey(Premise, on_delete=models.CASCADE, related_name="read_requests")
    meter = models.ForeignKey(Meter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the meter took the reading.")
    register_kwh = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    failure_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    adapter = models.CharField(max_length=200, blank=True, help_text="The head-end adapter that handled it.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["premise", "-requested_at"], name="meterread_premise_requested")]
        verbose_name = "on-demand meter read"

    def __str__(self):
        return f"{self.premise_id} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
