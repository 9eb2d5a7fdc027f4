"""Sign-up (allauth's form plus ESI ID + registration code), "add a premise", and account deletion."""

from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context
from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.accounts.ratelimit import Throttle, signup_failure_record, signup_throttle
from portal.accounts.services import (
    RegistrationRefused,
    esiid_clean,
    premise_join,
    premise_register,
    premise_register_check,
)
from portal.models import MembershipRequest, PremiseRegistration
from smt.clientip import client_ip as request_client_ip

ESIID_HELP = _(
    "17 or 22 digits, printed on your electricity bill near your address. Spaces and dashes are fine."
)
CODE_HELP = _(
    "Printed on your bill next to the ESI ID (for example ABCDE-FGHJK). "
    "It changes when a new occupant moves in, so use your most recent bill."
)


def client_ip(request) -> str | None:
    return None if request is None else request_client_ip(request)


class EsiidCodeMixin:
    """Two fields, the ESI ID and registration code of a current service, checked by the accounts services.

    When an attempt was refused because a limit is used up, ``self.throttle`` says until when (the view
    answers 429 with Retry-After)."""

    period = None
    throttle: Throttle | None = None

    def _add_esiid_fields(self):
        self.fields["esiid"] = forms.CharField(
            label="ESI ID",
            max_length=40,
            help_text=ESIID_HELP,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
            ),
        )
        self.fields["registration_code"] = forms.CharField(
            label=_("Registration code"),
            max_length=40,
            help_text=CODE_HELP,
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
            ),
        )

    def clean_esiid(self):
        try:
            return esiid_clean(self.cleaned_data["esiid"])
        except RegistrationRefused as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def _refused(self, exc: RegistrationRefused) -> None:
        """Show a refusal of the accounts services on the field it is about."""
        self.throttle = exc.throttle
        self.add_error(exc.field, forms.ValidationError(exc.message, code=exc.code))


class SignupForm(EsiidCodeMixin, AllauthSignupForm):
    """allauth's sign-up (username, e-mail, password) plus the ESI ID and code from the bill.

    After ``is_valid()`` the checked period is ``self.period``; ``save`` registers the new account in it."""

    field_order = ["esiid", "registration_code", "username", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._add_esiid_fields()
        self.order_fields(self.field_order)
        if "username" in self.fields:
            self.fields["username"].help_text = _("You sign in with it. Letters, digits and @ . + - _ only.")
            self.fields["username"].widget.attrs.pop("placeholder", None)
        if "email" in self.fields:
            self.fields["email"].help_text = _(
                "We send a code to confirm it. Several accounts may share one address (a family, a landlord)."
            )
            self.fields["email"].widget.attrs.pop("placeholder", None)
        if "password1" in self.fields:
            self.fields["password1"].widget.attrs.pop("placeholder", None)
            self.fields["password1"].help_text = _(
                "At least %(count)d characters; any characters, spaces welcome — a passphrase of a few words is "
                "ideal. Not a common, breached, repetitive or sequential password, and not containing your "
                "username or e-mail."
            ) % {"count": _min_length()}

    def full_clean(self):
        """Validate; a sign-up that fails counts against SIGNUP_FAILURES_PER_IP_PER_HOUR (not every post does)."""
        super().full_clean()
        if self.is_bound and self._errors and self.throttle is None:
            signup_failure_record(ip=client_ip(context.request))

    def clean(self):
        cleaned = super().clean()
        throttle = signup_throttle(ip=client_ip(context.request))
        if throttle is not None:
            self.throttle = throttle
            raise forms.ValidationError(throttle.message, code="throttled")
        esiid, code = cleaned.get("esiid"), cleaned.get("registration_code")
        if esiid and code:
            try:
                self.period = premise_register_check(
                    user=None, esiid=esiid, code=code, client_ip=client_ip(context.request)
                )
            except RegistrationRefused as exc:
                self._refused(exc)
        return cleaned

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            if user is not None and self.period is not None:
                premise_join(user=user, period=self.period, source=PremiseRegistration.Source.SIGNUP)
        return user


def _min_length() -> int:
    from django.conf import settings

    return settings.PASSWORD_MIN_LENGTH


class PremiseAddForm(EsiidCodeMixin, forms.Form):
    """ "Add a premise" for a signed-in account: the ESI ID and code again, registered by ``register``."""

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        self._add_esiid_fields()

    def register(self) -> PremiseRegistration | MembershipRequest | None:
        """After ``is_valid()``: add the premise to the account (``premise_register``: a registration, or a
        request a household member approves), or None with the refusal shown on the form."""
        try:
            return premise_register(
                user=self.request.user,
                esiid=self.cleaned_data["esiid"],
                code=self.cleaned_data["registration_code"],
                client_ip=client_ip(self.request),
                source=PremiseRegistration.Source.ADD_PREMISE,
            )
        except RegistrationRefused as exc:
            self._refused(exc)
            return None


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To make sure it is you."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account, its premises and the apps I shared data with are removed for good."
        ),
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password_incorrect")
        return password
