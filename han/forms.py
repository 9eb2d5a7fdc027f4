"""The Devices page's forms: a typo in the MAC or install code is caught here, before anything is sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from han.code_messages import han_code_message
from han.models import Device
from usage.headend.hancodes import HanCodeError, eui64_normalize, install_code_normalize


class DeviceAddForm(forms.Form):
    name = forms.CharField(max_length=60, label=_("Name"), help_text=_("For you to tell your devices apart."))
    type = forms.ChoiceField(choices=Device.Type.choices, label=_("Kind of device"))
    mac = forms.CharField(
        max_length=40,
        label=_("MAC address (EUI-64)"),
        help_text=_("16 characters 0-9 and A-F on the device's label, e.g. 00:0D:6F:00:0A:1B:2C:3D."),
    )
    install_code = forms.CharField(
        max_length=60,
        label=_("Install code"),
        help_text=_("On the label next to the MAC: 16, 20, 28 or 36 characters 0-9 and A-F."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mac"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "data-mac": ""})
        self.fields["install_code"].widget.attrs.update({"data-install-code": ""})

    def clean_mac(self) -> str:
        try:
            return eui64_normalize(self.cleaned_data["mac"])
        except HanCodeError as exc:
            raise forms.ValidationError(han_code_message(exc)) from None

    def clean_install_code(self) -> str:
        try:
            return install_code_normalize(self.cleaned_data["install_code"])
        except HanCodeError as exc:
            raise forms.ValidationError(han_code_message(exc)) from None
