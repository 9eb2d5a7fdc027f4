"""The plan form: what a resident copies from their Electricity Facts Label and bill, checked with messages
that say what to fix."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.bills.models import MAX_CENTS_PER_KWH, MAX_DOLLARS_PER_MONTH, BillPlan, TduTariff


def _cents_field(label: Any, help_text: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        max_digits=8,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "0.0001", "inputmode": "decimal"}),
        error_messages={
            "invalid": _("Enter a number of cents, for example 11.5."),
            "required": _("Enter the charge in cents per kWh (0 if your plan has none)."),
            "max_decimal_places": _("Use at most 4 decimals, for example 4.5633."),
            "max_digits": _("That number is far too large for cents per kWh."),
        },
    )


def _dollars_field(label: Any, help_text: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={
            "invalid": _("Enter an amount in dollars, for example 9.95."),
            "required": _("Enter the monthly charge in dollars (0 if your plan has none)."),
            "max_decimal_places": _("Use at most 2 decimals (cents), for example 4.23."),
            "max_digits": _("That number is far too large for a monthly charge."),
        },
    )


class PlanForm(forms.Form):
    energy_cents_per_kwh = _cents_field(
        _("Energy charge (¢ per kWh)"),
        _(
            "On your Electricity Facts Label or bill as “Energy charge”. If it says $0.115 per kWh, enter 11.5."
        ),
    )
    base_dollars_per_month = _dollars_field(
        _("Base charge ($ per month)"),
        _("Your retail provider’s monthly base or customer charge; 0 if none."),
    )
    tdu_charges = forms.ChoiceField(
        label=_("TDU delivery charges"),
        choices=BillPlan.TduCharges.choices,
        widget=forms.RadioSelect,
        initial=BillPlan.TduCharges.TARIFF,
    )
    delivery_cents_per_kwh = _cents_field(
        _("Delivery charge (¢ per kWh)"),
        _("Only with “the delivery charges on my bill”: the TDU’s per-kWh delivery charge."),
        required=False,
    )
    delivery_dollars_per_month = _dollars_field(
        _("Customer and metering charges ($ per month)"),
        _(
            "Only with “the delivery charges on my bill”: the TDU’s monthly customer and metering charges together."
        ),
        required=False,
    )
    cycle_day = forms.IntegerField(
        label=_("Billing cycle starts on day"),
        help_text=_(
            "Optional, 1 to 31. Empty: each cycle starts the day after the last billing period your utility "
            "reported."
        ),
        required=False,
        min_value=1,
        max_value=31,
        error_messages={
            "invalid": _("Enter a day of the month, 1 to 31, or leave it empty."),
            "min_value": _("Enter a day of the month, 1 to 31, or leave it empty."),
            "max_value": _("Enter a day of the month, 1 to 31, or leave it empty."),
        },
    )

    def __init__(self, *args: Any, tariff: TduTariff | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        if tariff is None:
            choice = self.fields["tdu_charges"]
            assert isinstance(choice, forms.ChoiceField)
            choice.choices = [(BillPlan.TduCharges.OWN, BillPlan.TduCharges.OWN.label)]
            self.fields["tdu_charges"].initial = BillPlan.TduCharges.OWN

    def _clean_cents(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        if value < 0:
            raise forms.ValidationError(_("A charge cannot be negative; enter 0 if there is none."))
        if value > MAX_CENTS_PER_KWH:
            raise forms.ValidationError(
                _(
                    "Over 100 ¢ per kWh is more than any Texas plan charges: check the decimal point (11.5 ¢ is $0.115)."
                )
            )
        if 0 < value < 1:
            raise forms.ValidationError(
                _("Under 1 ¢ per kWh looks like dollars: enter cents (for $0.115 per kWh, enter 11.5).")
            )
        return value

    def _clean_dollars(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        if value < 0:
            raise forms.ValidationError(_("A charge cannot be negative; enter 0 if there is none."))
        if value > MAX_DOLLARS_PER_MONTH:
            raise forms.ValidationError(
                _("Over $500 a month is not a home’s fixed charge: check the amount on your bill.")
            )
        return value

    def clean_energy_cents_per_kwh(self) -> Decimal | None:
        return self._clean_cents("energy_cents_per_kwh")

    def clean_delivery_cents_per_kwh(self) -> Decimal | None:
        return self._clean_cents("delivery_cents_per_kwh")

    def clean_base_dollars_per_month(self) -> Decimal | None:
        return self._clean_dollars("base_dollars_per_month")

    def clean_delivery_dollars_per_month(self) -> Decimal | None:
        return self._clean_dollars("delivery_dollars_per_month")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("tdu_charges") == BillPlan.TduCharges.OWN:
            for name in ("delivery_cents_per_kwh", "delivery_dollars_per_month"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(
                        name,
                        _("Enter this charge from your bill, or choose the TDU’s published charges."),
                    )
        return data
