"""The account page's personal access tokens and app passwords (portal.accounts.tokens): list, create (the
secret is shown once, in the answer to the POST, never again) and revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.tokens import (
    EXPIRY_DAYS,
    PERSONAL_SCOPES,
    compat_sessions_revoke,
    credential_create,
    credential_revoke,
    credentials_of,
)
from portal.models import PersonalCredential


class TokenForm(forms.Form):
    kind = forms.ChoiceField(choices=PersonalCredential.Kind.choices, widget=forms.HiddenInput)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “my heat-pump script”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=list(PERSONAL_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    expires_days = forms.TypedChoiceField(
        choices=[(d, format_lazy(gettext_lazy("{days} days"), days=d)) for d in EXPIRY_DAYS],
        coerce=int,
        initial=90,
        required=False,
        label=gettext_lazy("Expires in"),
    )


def _page(
    request: HttpRequest,
    *,
    secret: str = "",
    created: PersonalCredential | None = None,
    form: TokenForm | None = None,
) -> HttpResponse:
    user: Any = request.user
    rows = credentials_of(user)
    return render(
        request,
        "portal/accounts/tokens.html",
        {
            "tokens": [r for r in rows if r.kind == PersonalCredential.Kind.TOKEN],
            "app_passwords": [r for r in rows if r.kind == PersonalCredential.Kind.APP_PASSWORD],
            "has_totp": user.authenticator_set.filter(type="totp").exists(),
            "token_form": form
            if form is not None and form.data.get("kind") == "token"
            else TokenForm(initial={"kind": "token"}),
            "app_form": form
            if form is not None and form.data.get("kind") == "app_password"
            else TokenForm(initial={"kind": "app_password"}),
            "secret": secret,
            "created": created,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            row, secret = credential_create(
                user=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_days=form.cleaned_data["expires_days"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _page(request, secret=secret, created=row)
    return _page(request, form=form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if credential_revoke(user=request.user, credential_id=pk):
        messages.success(request, gettext("Revoked: it stopped working at once."))
    return redirect("account_tokens")


@login_required
@require_POST
def compat_signout(request: HttpRequest) -> HttpResponse:
    n = compat_sessions_revoke(user=request.user)
    messages.success(
        request,
        ngettext(
            "Signed out %(count)d Smart Meter Texas compatible sign-in.",
            "Signed out %(count)d Smart Meter Texas compatible sign-ins.",
            n,
        )
        % {"count": n},
    )
    return redirect("account_tokens")
