"""The alert settings of one premise, as a resident fills them in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.alerts.services import THRESHOLD_MAX_KWH


class AlertSettingsForm(forms.Form):
    threshold_kwh = forms.DecimalField(
        label=_("E-mail me when a day's use passes (kWh)"),
        required=False,
        min_value=Decimal("0.001"),
        max_value=THRESHOLD_MAX_KWH,
        decimal_places=3,
        help_text=_("Leave empty for no threshold alert. At most one e-mail per day of use."),
        error_messages={
            "invalid": _("Enter a number of kWh, such as 40 or 12.5."),
            "min_value": _("Enter a threshold above 0 kWh, or leave it empty to turn the alert off."),
            "max_value": _("Enter a threshold of at most 100,000 kWh a day."),
            "max_decimal_places": _("Use at most 3 decimals (Wh precision)."),
        },
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "min": "0"}),
    )
    on_data_arrived = forms.BooleanField(label=_("E-mail me when yesterday's data arrives"), required=False)
    on_read_completed = forms.BooleanField(label=_("E-mail me when a meter read completes"), required=False)

    def cleaned(self) -> dict[str, Any]:
        data: dict[str, Any] = self.cleaned_data
        return {
            "threshold_kwh": data.get("threshold_kwh"),
            "on_data_arrived": bool(data.get("on_data_arrived")),
            "on_read_completed": bool(data.get("on_read_completed")),
        }
