"""OAuth 2.0 glue: our validator (tokens tied to agreements) and the one-step consent page.

django-oauth-toolkit does the protocol; this module adds what consent means here:

* a grant, its access tokens and its refresh tokens all carry the Agreement the customer approved, and
  the refresh path copies it onto the new pair;
* a code, a refresh token or an access token of an agreement that is no longer live (revoked, terminated,
  expired, ended by move-out, organization suspended) is refused, whatever its own expiry says;
* redirect URIs match a registered URI exactly (no loopback port wildcard) and are https except loopback;
* PKCE with S256 is required before the customer sees anything (missing or ``plain`` is refused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from datetime import date, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.forms import AllowForm
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView, IntrospectTokenView, OAuthServerMetadataView
from oauthlib.oauth2.rfc6749 import errors as oauth2_errors

from portal.access_window import market_today, months_before, window_start
from smt.middleware import csp_form_action_allow
from thirdparty import access
from thirdparty.models import AccessToken, Agreement, Grant, Organization, RefreshToken
from thirdparty.oauthlimit import presented_client_id
from thirdparty.scopes import (
    APPLICATION_METADATA,
    SCOPES,
    function_block_scopes,
    scopes_describe,
    scopes_expand,
)
from thirdparty.services.agreements import (
    agreement_create,
    max_months,
    shareable_premises,
    tokens_revoke_for_replayed_code,
)

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def redirect_uri_is_safe(uri: str) -> bool:
    """https anywhere; http only for loopback (RFC 8252); never a fragment."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.fragment or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_uri_registered(application, uri: str) -> bool:
    """Exact string match against one of the application's registered redirect URIs."""
    return bool(uri) and uri in (application.redirect_uris or "").split() and redirect_uri_is_safe(uri)


class AgreementOAuth2Validator(OAuth2Validator):
    """DOT's validator, with every token bound to a live agreement."""

    def _load_application(self, client_id, request):
        app = super()._load_application(client_id, request)
        if app is None:
            return None
        org = app.organization
        if org is None or org.status != Organization.Status.APPROVED:
            request.client = None
            return None
        return app

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return redirect_uri_registered(request.client, redirect_uri)

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        if grant_type == "client_credentials":  # the application's own token (thirdparty.access)
            return access.client_credentials_allowed(request.client)
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if request.grant_type == "client_credentials":
            return set(scopes) <= {APPLICATION_METADATA}
        if APPLICATION_METADATA in scopes:  # never asked of a customer
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        if request.grant_type == "client_credentials":
            return [APPLICATION_METADATA]
        return super().get_default_scopes(client_id, request, *args, **kwargs)

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = (
            Grant.objects.select_related("agreement__organization")
            .filter(code=code, application=client)
            .first()
        )
        if grant is None:
            return False
        if grant.used_at is not None:  # a replay: revoke what the first exchange issued
            tokens_revoke_for_replayed_code(grant)
            return False
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        if grant.agreement is None or not grant.agreement.is_live():
            return False
        request.agreement_id = grant.agreement_id
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        rt = request.refresh_token_instance
        agreement = (
            Agreement.objects.select_related("organization").filter(pk=rt.agreement_id).first()
            if rt.agreement_id
            else None
        )
        if agreement is None or not agreement.is_live():
            return False
        request.agreement_id = agreement.pk
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Mark the code spent instead of deleting it (DOT's way), so a replay can be recognised."""
        spent = Grant.objects.filter(code=code, application=request.client, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not spent:
            raise oauth2_errors.InvalidGrantError(request=request)

    def _create_authorization_code(self, request, code, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        agreement_id = getattr(request, "agreement_id", None)
        if agreement_id is None:
            raise oauth2_errors.ServerError(description="No agreement for this grant.", request=request)
        Grant.objects.filter(pk=grant.pk).update(agreement_id=agreement_id)
        grant.agreement_id = agreement_id
        return grant

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        agreement_id = getattr(request, "agreement_id", None)
        if agreement_id is not None:
            agreement = Agreement.objects.only("valid_until").get(pk=agreement_id)
            expires = min(expires, agreement.valid_until)
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        if agreement_id is not None:
            AccessToken.objects.filter(pk=access_token.pk).update(agreement_id=agreement_id)
            access_token.agreement_id = agreement_id
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        agreement_id = getattr(request, "agreement_id", None) or access_token.agreement_id
        if agreement_id is not None:
            RefreshToken.objects.filter(pk=refresh_token.pk).update(agreement_id=agreement_id)
            refresh_token.agreement_id = agreement_id
        return refresh_token

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        access_token = request.access_token
        agreement = (
            Agreement.objects.select_related("organization").filter(pk=access_token.agreement_id).first()
            if access_token.agreement_id
            else None
        )
        if agreement is None or not agreement.is_live():
            request.oauth2_error = OrderedDict(
                [
                    ("error", "invalid_token"),
                    ("error_description", "The agreement behind this token has ended."),
                ]
            )
            request.access_token = None
            return False
        request.agreement = agreement
        return True


# --- The consent page ------------------------------------------------------------------------------------


def scopes_plain(scopes: list[str]) -> list[str]:
    """Green Button ``FB=...`` scope strings replaced by the registry scopes they reach (others kept)."""
    out: list[str] = []
    for scope in scopes:
        reached = sorted(function_block_scopes(scope), key=list(SCOPES).index)
        for name in reached or [scope]:
            if name not in out:
                out.append(name)
    return out


def _int_param(value, *, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return max(low, min(high, number))


def requested_history_start(params, scopes: list[str], today: date) -> date:
    """The earliest date the request asks for, capped by the access window. Default: the whole window."""
    earliest = window_start(today)
    if params.get("history_start"):
        try:
            return max(earliest, min(today, date.fromisoformat(params["history_start"])))
        except ValueError:
            pass
    months = _int_param(params.get("history_months"), low=0, high=settings.ACCESS_WINDOW_MONTHS)
    if months is not None:
        return max(earliest, months_before(today, months))
    for scope in scopes:
        match = re.search(r"HistoryLength=(\d+)", scope)
        if match:
            return max(earliest, today - timedelta(seconds=int(match.group(1))))
    return earliest


def requested_months(params) -> int | None:
    return _int_param(params.get("duration_months"), low=1, high=max_months())


def history_floor(choices, today: date) -> date:
    """The earliest date there is anything to share: the later of the window's start and the move-in, over the
    customer's premises (the earliest of them when there are several)."""
    earliest = window_start(today)
    return max(earliest, min((c.earliest for c in choices), default=earliest))


def _history_choices(requested: date, today: date, floor: date | None = None) -> list[tuple[str, str]]:
    """History offered: never from before ``floor`` (nothing earlier is shared, so nothing earlier is offered)."""
    earliest = window_start(today)
    floor = max(floor or earliest, earliest)
    requested = max(requested, floor)
    starts = {requested}
    for months in (12, 6, 3, 1):
        candidate = months_before(today, months)
        if candidate > requested:
            starts.add(candidate)
    starts.add(today)
    choices = []
    for start in sorted(starts):
        if start == today:
            label = gettext("None: only data from today on")
        else:
            label = gettext("From %(day)s") % {"day": date_format(start, pgettext("date format", "M j, Y"))}
            if start == floor and floor > earliest:
                label += " " + gettext("(your move-in: all you can share)")
            elif start == requested:
                label += " " + gettext("(requested)")
            elif start == earliest:
                label += " " + gettext("(the most allowed)")
        choices.append((start.isoformat(), label))
    return choices


def _duration_choices(requested: int | None) -> list[tuple[int, str]]:
    top = requested or max_months()
    options = sorted({m for m in (1, 3, 6, 12, 24, 36) if m <= top} | ({requested} if requested else set()))
    out = []
    for m in options:
        label = ngettext("%(count)d month", "%(count)d months", m) % {"count": m}
        if m == requested:
            label += " " + gettext("(requested)")
        out.append((m, label))
    return out


class ConsentForm(AllowForm):
    premises = forms.MultipleChoiceField(
        label=gettext_lazy("Which premises"), widget=forms.CheckboxSelectMultiple, required=False
    )
    history_start = forms.ChoiceField(label=gettext_lazy("How much history"), required=False)
    months = forms.TypedChoiceField(label=gettext_lazy("For how long"), coerce=int, required=False)

    def __init__(self, *args, premise_choices=(), history_choices=(), duration_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premises"].choices = premise_choices
        self.fields["history_start"].choices = history_choices
        self.fields["months"].choices = duration_choices

    def clean(self):
        data = super().clean()
        if data.get("allow"):
            if not data.get("premises"):
                self.add_error("premises", "Choose at least one premise to share, or decline.")
            if not data.get("history_start"):
                self.add_error("history_start", "Choose how much history to share.")
            if not data.get("months"):
                self.add_error("months", "Choose how long the app may read your data.")
        return data


class ConsentView(AuthorizationView):
    """``/o/authorize/``: who asks, for what, which premises, how much history, how long; Approve or Decline."""

    template_name = "thirdparty/consent.html"
    form_class = ConsentForm

    def dispatch(self, request, *args, **kwargs):
        # Refuse a broken request before asking anyone to sign in (and never redirect to an unknown URI).
        if request.method == "GET" and not request.user.is_authenticated:
            self.oauth2_data = {}
            try:
                self.validate_authorization_request(request)
            except OAuthToolkitError as error:
                return self.error_response(error, application=None)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        # Consent is always asked: every approval is an agreement the customer sees and can revoke, so a
        # client's approval_prompt=auto (skip when a token exists) is ignored.
        if "approval_prompt" in request.GET:
            request.GET = request.GET.copy()
            request.GET.pop("approval_prompt")
        return super().get(request, *args, **kwargs)

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge_method") != "S256" or not credentials.get("code_challenge"):
            error = oauth2_errors.InvalidRequestError(
                description="PKCE is required: send code_challenge with code_challenge_method=S256.",
                state=credentials.get("state"),
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials.get("redirect_uri"))
        return scopes_plain(scopes), credentials

    # -- what the page shows

    def _consent_setup(self):
        params = self.request.GET
        today = market_today()
        scope_param = self.request.POST.get("scope") if self.request.method == "POST" else None
        asked = params.get("scope", "").split()
        scopes = scope_param.split() if scope_param else scopes_plain(asked)
        choices = shareable_premises(user=self.request.user, today=today)
        wanted = {re.sub(r"\D", "", e) for e in params.getlist("esiid")}  # "1044 3720-..." as people type it
        history = max(requested_history_start(params, asked, today), history_floor(choices, today))
        months = requested_months(params)
        self._premise_choices = choices
        return {
            "today": today,
            "scopes": scopes,
            "choices": choices,
            "preselected": [str(c.period.pk) for c in choices if c.esiid in wanted]
            or ([str(choices[0].period.pk)] if len(choices) == 1 else []),
            "requested_history": history,
            "requested_months": months,
            "history_choices": _history_choices(history, today, history_floor(choices, today)),
            "duration_choices": _duration_choices(months),
        }

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        setup = self._setup = self._consent_setup()
        kwargs["premise_choices"] = [
            (str(c.period.pk), f"{c.premise.address} (ESI ID {c.esiid})") for c in setup["choices"]
        ]
        kwargs["history_choices"] = setup["history_choices"]
        kwargs["duration_choices"] = setup["duration_choices"]
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        setup = getattr(self, "_setup", None) or self._consent_setup()
        initial["premises"] = setup["preselected"]
        initial["history_start"] = setup["requested_history"].isoformat()
        initial["months"] = setup["requested_months"] or 12
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        application = context.get("application")
        if application is None and form is not None:
            client_id = form.data.get("client_id") or form.initial.get("client_id")
            application = get_application_model().objects.filter(client_id=client_id).first()
            context["application"] = application
        if application is not None and form is not None:
            self._form_action_allow(application, form)
        setup = getattr(self, "_setup", None)
        if setup and application is not None:
            context.update(
                organization=application.organization,
                scope_entries=scopes_describe(setup["scopes"]),
                unknown_scopes=[s for s in setup["scopes"] if s not in SCOPES and not scopes_expand([s])],
                premise_rows=[
                    {
                        "value": str(c.period.pk),
                        "premise": c.premise,
                        "earliest": max(c.earliest, setup["requested_history"]),
                        "period": c.period,
                    }
                    for c in setup["choices"]
                ],
                setup=setup,
                max_months=max_months(),
            )
        return context

    def _form_action_allow(self, application, form) -> None:
        """CSP form-action: Approve and Decline end in a redirect to this request's registered redirect URI."""
        uri = form.data.get("redirect_uri") or form.initial.get("redirect_uri") or ""
        if uri and redirect_uri_registered(application, uri):
            parts = urlsplit(uri)
            csp_form_action_allow(self.request, f"{parts.scheme}://{parts.netloc}")

    def create_authorization_response(self, request, scopes, credentials, allow):
        agreement = getattr(self, "_agreement", None)
        if agreement is not None:
            credentials["agreement_id"] = agreement.pk
        return super().create_authorization_response(request, scopes, credentials, allow)

    def form_valid(self, form):
        data = form.cleaned_data
        application = (
            get_application_model().objects.select_related("organization").get(client_id=data["client_id"])
        )
        credentials = {
            "client_id": data["client_id"],
            "redirect_uri": data["redirect_uri"],
            "response_type": data.get("response_type"),
            "state": data.get("state"),
        }
        if data.get("code_challenge"):
            credentials["code_challenge"] = data["code_challenge"]
        if data.get("code_challenge_method"):
            credentials["code_challenge_method"] = data["code_challenge_method"]
        scopes = data["scope"]
        if credentials.get("code_challenge_method") != "S256":
            error = oauth2_errors.InvalidRequestError(
                description="PKCE is required: send code_challenge with code_challenge_method=S256.",
                state=credentials.get("state"),
            )
            return self.error_response(
                OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"]), application
            )
        if not data.get("allow"):
            try:
                uri, _h, _b, _s = self.create_authorization_response(
                    request=self.request, scopes=scopes, credentials=credentials, allow=False
                )
            except OAuthToolkitError as error:
                return self.error_response(error, application)
            return self.redirect(uri, application)

        by_period = {str(c.period.pk): c for c in self._premise_choices}
        chosen = [by_period[v] for v in data["premises"] if v in by_period]
        try:
            with transaction.atomic():
                self._agreement = agreement_create(
                    customer=self.request.user,
                    application=application,
                    scopes=scopes.split(),
                    premises=chosen,
                    history_start=date.fromisoformat(data["history_start"]),
                    months=int(data["months"]),
                    now=timezone.now(),
                )
                uri, _h, _b, _s = self.create_authorization_response(
                    request=self.request, scopes=scopes, credentials=credentials, allow=True
                )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        return self.redirect(uri, application)

    def form_invalid(self, form):
        response = self.render_to_response(self.get_context_data(form=form), status=400)
        return response


class AgreementIntrospectView(IntrospectTokenView):
    """RFC 7662 introspection for an application's own tokens: ``active`` only while the agreement is live.

    The caller authenticates as the client (HTTP Basic or client_id/client_secret in the body); a token of
    another application, an ended agreement or a suspended organization is reported ``{"active": false}``.
    The customer's username is never disclosed (a ``profile:read`` grant reaches it through the API).
    """

    def _answer(self, request, token_value):
        if token_value is None:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "Token parameter is missing."}, status=400
            )
        checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
        token = (
            AccessToken.objects.select_related("application", "agreement__organization")
            .filter(token_checksum=checksum)
            .first()
        )
        caller = presented_client_id(request)  # DOT authenticated it before this view
        if (
            token is None
            or not token.is_valid()
            or token.agreement is None
            or not token.agreement.is_live()
            or token.application.client_id != caller
        ):
            return JsonResponse({"active": False})
        return JsonResponse(
            {
                "active": True,
                "scope": token.scope,
                "client_id": token.application.client_id,
                "exp": int(token.expires.timestamp()),
                "agreement_id": token.agreement_id,
            }
        )

    def get(self, request, *args, **kwargs):
        return self._answer(request, request.GET.get("token"))

    def post(self, request, *args, **kwargs):
        return self._answer(request, request.POST.get("token"))


class MetadataView(OAuthServerMetadataView):
    """RFC 8414 metadata as CONTRACTS lists it: only what this server really accepts."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["response_types_supported"] = ["code"]
        data["grant_types_supported"] = ["authorization_code", "refresh_token", "client_credentials"]
        data["code_challenge_methods_supported"] = ["S256"]
        data["token_endpoint_auth_methods_supported"] = ["client_secret_basic", "client_secret_post"]
        data["scopes_supported"] = list(SCOPES)
        data["service_documentation"] = request.build_absolute_uri("/developers/docs/")
        out = JsonResponse(data)
        out["Access-Control-Allow-Origin"] = "*"
        return out
