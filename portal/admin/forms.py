"""Admin forms that route writes through the services, so the admin gets the same rules and messages."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from portal.models import Rep, ServicePeriod
from portal.services import (
    service_period_check_move_in,
    service_period_check_move_out,
    service_period_move_in,
    service_period_move_out,
    service_period_switch_rep,
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
        if self._adding:
            if data.get("ends_on"):
                raise ValidationError("Record the move-in first; set the move-out date once it happens.")
            service_period_check_move_in(
                premise=data["premise"], rep=data["rep"], starts_on=data["starts_on"]
            )
            return data
        original = ServicePeriod.objects.get(pk=self.instance.pk)
        if data.get("premise") != original.premise:
            raise ValidationError(
                {"premise": "An occupancy cannot move to another premise; record a move-in there."}
            )
        if data.get("starts_on") != original.starts_on:
            raise ValidationError({"starts_on": "The move-in date of an existing occupancy cannot change."})
        if not self._was_open:
            if data.get("ends_on") != original.ends_on:
                raise ValidationError(
                    {"ends_on": "This occupancy has ended; its move-out date cannot change."}
                )
            if data.get("rep") != original.rep:
                raise ValidationError({"rep": "Only the current occupancy can change its REP of record."})
        elif data.get("ends_on"):
            service_period_check_move_out(premise=original.premise, ends_on=data["ends_on"])
        self._check_switch(data.get("rep"), original)
        return data

    def _check_switch(self, rep, original) -> None:
        if self._was_open and rep is not None and rep != original.rep and rep.status != Rep.Status.ACTIVE:
            raise ValidationError({"rep": f"{rep} is not an active REP and cannot be REP of record."})

    def save(self, commit=True):
        # The services save at once, whatever ``commit`` says; the admin's later save() of the returned object
        # is harmless and there is nothing many-to-many to save.
        self.save_m2m = lambda: None
        data = self.cleaned_data
        if self._adding:
            period = service_period_move_in(
                premise=data["premise"],
                rep=data["rep"],
                starts_on=data["starts_on"],
                occupant_name=data.get("occupant_name", ""),
            )
            return self._become(period)
        original = ServicePeriod.objects.get(pk=self.instance.pk)
        if self._was_open and data.get("rep") != original.rep:
            # a switch: ends the outgoing REP's tenure today and starts the new REP's
            switched = service_period_switch_rep(period=original, rep=data["rep"])
            self.instance.rep_since = switched.rep_since
        if data.get("ends_on") and self._was_open:
            ends_on = data["ends_on"]
            self.instance.ends_on = None
            self.instance.save(update_fields=["occupant_name", "rep"])
            return self._become(service_period_move_out(premise=self.instance.premise, ends_on=ends_on))
        return super().save(commit=commit)

    def _become(self, period: ServicePeriod) -> ServicePeriod:
        """Copy what the service saved onto the form's own instance: the admin's inline formsets (registered
        accounts) were bound to that object and must see its primary key."""
        for field in ServicePeriod._meta.concrete_fields:
            setattr(self.instance, field.attname, getattr(period, field.attname))
        self.instance._state.adding = False
        self.instance._state.db = period._state.db
        return self.instance

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._adding = self.instance.pk is None
        self._was_open = self.instance.ends_on is None

    def _post_clean(self):
        # Copy the form's values onto the instance like ModelForm does, then validate the model without the
        # service-managed fields (the code, the dates' rules): the services check those with clear messages.
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)
        try:
            self.instance.full_clean(
                exclude=["registration_code_encrypted", "code_rotated_at", "ends_on"],
                validate_constraints=False,
            )
        except ValidationError as exc:
            self._update_errors(exc)


class RepAliasInlineFormSet(forms.BaseInlineFormSet):
    """Two aliases of one REP that differ only in case or punctuation are one alias: say so instead of a 500."""

    def clean(self):
        super().clean()
        from portal.search import search_key

        seen: dict[str, str] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            name = form.cleaned_data.get("name") or ""
            key = search_key(name)
            if not key:
                form.add_error("name", "An alias needs a name with letters or digits.")
            elif key in seen:
                form.add_error(
                    "name", f"“{name}” is the same name as “{seen[key]}” (case and punctuation ignored)."
                )
            else:
                seen[key] = name


class RepAdminForm(forms.ModelForm):
    """Say which REP already holds a PUCT certificate number instead of naming a database constraint."""

    class Meta:
        model = Rep
        fields = ("legal_name", "puct_certificate", "duns", "status", "website")

    def clean(self):
        data = super().clean()
        from portal.services import rep_check_certificate

        certificate = data.get("puct_certificate")
        if certificate:
            rep_check_certificate(rep=Rep(pk=self.instance.pk, puct_certificate=certificate))
        return data
