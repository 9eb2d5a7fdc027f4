"""Which accounts registered which occupancy: the link between a person and a premise's service period."""

from django.conf import settings
from django.db import models

from portal.models import ServicePeriod

__all__ = ["PremiseRegistration"]


class PremiseRegistration(models.Model):
    """An account registered a premise during one service period (with that period's registration code).

    The account's window on the premise's data is derived from the period (portal.access_window); several
    accounts may register the same period (members of one household).
    """

    class Source(models.TextChoices):
        SIGNUP = "signup", "Sign-up"
        ADD_PREMISE = "add_premise", "Added from the account page"
        ADMIN = "admin", "Added by an administrator"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="premise_registrations"
    )
    period = models.ForeignKey(ServicePeriod, on_delete=models.PROTECT, related_name="registrations")
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.SIGNUP)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "-period__starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="premise_registration_unique_per_period")
        ]

    def __str__(self):
        return f"{self.user} → {self.period}"
