"""Admin forms that route writes through the services, so the admin gets the same rules and messages."""

from django import forms
from django.core.exceptions import ValidationError

from portal.models import ServicePeriod
from portal.services import (
    service_period_check_move_in,
    service_period_check_move_out,
    service_period_move_in,
    service_period_move_out,
)


class ServicePeriodAdminForm(forms.ModelForm):
    """Adding a period is a move-in; setting a move-out date on an open one is a move-out."""

    class Meta:
        model = ServicePeriod
        fields = ("premise", "rep", "occupant_name", "starts_on", "ends_on")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.pk is None and data.get("ends_on"):
            raise ValidationError("Record the move-in first; set the move-out date once it happens.")
        if self.instance.pk and data.get("starts_on") != self.instance.starts_on:
            raise ValidationError({"starts_on": "The move-in date of an existing occupancy cannot change."})
        if self.instance.pk is None:
            service_period_check_move_in(
                premise=data["premise"], rep=data["rep"], starts_on=data["starts_on"]
            )
        elif data.get("ends_on") and self.instance.is_open:
            service_period_check_move_out(premise=self.instance.premise, ends_on=data["ends_on"])
        return data

    def save(self, commit=True):
        data = self.cleaned_data
        if self.instance.pk is None:
            return service_period_move_in(
                premise=data["premise"],
                rep=data["rep"],
                starts_on=data["starts_on"],
                occupant_name=data.get("occupant_name", ""),
            )
        if data.get("ends_on") and self.instance.is_open:
            ends_on = data["ends_on"]
            self.instance.ends_on = None
            return service_period_move_out(premise=self.instance.premise, ends_on=ends_on)
        return super().save(commit=commit)

    def _post_clean(self):
        # Skip model validation of the service-managed fields (code, constraint checks run in the service).
        try:
            self.instance.full_clean(
                exclude=["registration_code_encrypted", "code_rotated_at", "ends_on"],
                validate_constraints=False,
            )
        except ValidationError as exc:
            self._update_errors(exc)
