"""A resident's plan per occupancy and the TDUs' delivery tariffs (registered from portal.models)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from usage.models import Tdu

# Charges above these are typing mistakes, not Texas plans (the forms say so in words).
MAX_CENTS_PER_KWH = Decimal("100")
MAX_DOLLARS_PER_MONTH = Decimal("500")


class TduTariff(models.Model):
    """A TDU's delivery charges from ``effective_from`` until the next row of the same TDU.

    What the REP passes through on a residential bill: a per-kWh delivery charge and a monthly
    customer + metering charge. The cost of a day uses the row in effect on that day."""

    tdu = models.ForeignKey(Tdu, on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("TDU"))
    effective_from = models.DateField(_("effective from"))
    delivery_cents_per_kwh = models.DecimalField(
        _("delivery charge, ¢ per kWh"),
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_CENTS_PER_KWH)],
    )
    monthly_dollars = models.DecimalField(
        _("customer and metering charges, $ per month"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_DOLLARS_PER_MONTH)],
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        help_text=_("Where the figures come from (tariff sheet, docket, or demo)."),
    )
    source_date = models.DateField(_("source date"), help_text=_("The date of that source."))

    class Meta:
        ordering = ["tdu", "-effective_from"]
        verbose_name = _("TDU delivery tariff")
        constraints = [
            models.UniqueConstraint(fields=["tdu", "effective_from"], name="tdu_tariff_unique_effective_from")
        ]

    def __str__(self) -> str:
        return f"{self.tdu} from {self.effective_from:%Y-%m-%d}"


class BillPlan(models.Model):
    """The resident's electricity plan for one occupancy (every household member shares it; the next
    occupant starts without one). TDU charges follow the published tariff by day, or the resident's own."""

    class TduCharges(models.TextChoices):
        TARIFF = "tariff", _("The TDU's published charges, as they change")
        OWN = "own", _("The delivery charges on my bill")

    period = models.OneToOneField(
        "portal.ServicePeriod",
        on_delete=models.CASCADE,
        related_name="bill_plan",
        verbose_name=_("occupancy"),
    )
    energy_cents_per_kwh = models.DecimalField(
        _("energy charge, ¢ per kWh"),
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_CENTS_PER_KWH)],
    )
    base_dollars_per_month = models.DecimalField(
        _("base charge, $ per month"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_DOLLARS_PER_MONTH)],
    )
    tdu_charges = models.CharField(
        _("TDU delivery charges"), max_length=6, choices=TduCharges.choices, default=TduCharges.TARIFF
    )
    delivery_cents_per_kwh = models.DecimalField(
        _("delivery charge, ¢ per kWh"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_CENTS_PER_KWH)],
    )
    delivery_dollars_per_month = models.DecimalField(
        _("customer and metering charges, $ per month"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_DOLLARS_PER_MONTH)],
    )
    cycle_day = models.PositiveSmallIntegerField(
        _("billing cycle starts on day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Empty: the cycle starts the day after the last billing period the utility reported."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("bill plan")

    def __str__(self) -> str:
        return f"{self.period} plan"
