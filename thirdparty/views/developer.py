"""The third party's pages: sign-up, its agreements (terminate), applications, API keys, webhook deliveries."""

from __future__ import annotations

from functools import wraps

from allauth.account.internal.flows.signup import complete_signup
from allauth.account.models import EmailAddress
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from portal.accounts.passwords import has_second_factor
from thirdparty.apikeys import apikey_create, apikey_revoke
from thirdparty.models import (
    Agreement,
    ApiKey,
    Application,
    Organization,
    WebhookDelivery,
    WebhookEndpoint,
)
from thirdparty.scopes import PROFILE_READ, SCOPES, scopes_describe
from thirdparty.selectors import customer_initials
from thirdparty.services import applications as app_services
from thirdparty.services import onboarding
from thirdparty.services.agreements import agreement_terminate
from thirdparty.services.onboarding import organization_of
from thirdparty.webhooks.delivery import EVENTS, max_attempts, webhook_endpoint_for, webhook_replay
from thirdparty.webhooks.signing import SIGNATURE_HEADER, retry_schedule

SCOPE_CHOICES = [(name, f"{s.title} ({name})") for name, s in SCOPES.items()]


def organization_required(*, approved: bool = True):
    """The signed-in user's organization goes to the view as ``org``; others are sent to sign-up or told why."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            org = organization_of(request.user)
            if org is None:
                return redirect("thirdparty:dev_signup")
            if approved and org.status != Organization.Status.APPROVED:
                return render(request, "thirdparty/dev/not_approved.html", {"org": org}, status=403)
            return view(request, *args, org=org, **kwargs)

        return wrapper

    return decorator


def second_factor_required(*, methods: tuple[str, ...] = ("POST",)):
    """Creating or changing a credential (API key, OAuth client, webhook secret) needs a member whose account
    has a second factor: the damage of a stolen password is largest here. Other methods pass."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not has_second_factor(request.user):
                return render(
                    request,
                    "thirdparty/dev/second_factor_required.html",
                    {"org": kwargs.get("org")},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _apply_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def docs(request):
    return render(
        request,
        "thirdparty/dev/docs.html",
        {
            "scopes": SCOPES.values(),
            "events": EVENTS.items(),
            "signature_header": SIGNATURE_HEADER,
            "retry_hours": round(sum(retry_schedule(max_attempts())) / 3600, 1),
        },
    )


# --- Sign-up -----------------------------------------------------------------------------------------------


class OrganizationForm(forms.Form):
    legal_name = forms.CharField(label="Legal name of the organization", max_length=200)
    puct_registration = forms.CharField(
        label="PUCT registration number", max_length=40, required=False, help_text="If you have one."
    )
    contact_name = forms.CharField(label="Contact person", max_length=200)
    contact_email = forms.EmailField(label="Contact e-mail")
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    privacy_policy_url = forms.URLField(label="Privacy policy URL", assume_scheme="https")
    logo = forms.FileField(
        label="Logo", required=False, help_text="PNG or JPEG, shown to customers on the consent page."
    )

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo:
            if logo.size > 512 * 1024:
                raise ValidationError("The logo must be under 512 KB.")
            head = logo.read(8)
            logo.seek(0)
            if not (head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8")):
                raise ValidationError("Upload a PNG or JPEG image.")
        return logo


class DeveloperAccountForm(OrganizationForm):
    username = forms.CharField(label="Username", max_length=150, help_text="You sign in with this.")
    email = forms.EmailField(label="Your e-mail", help_text="We send a code to confirm it.")
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput, help_text="At least 12 characters."
    )

    field_order = ["username", "email", "password"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken; choose another.")
        return username

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


def _org_kwargs(data):
    return {
        k: data.get(k)
        for k in (
            "legal_name",
            "puct_registration",
            "contact_name",
            "contact_email",
            "website",
            "privacy_policy_url",
            "logo",
        )
    }


@require_http_methods(["GET", "POST"])
def organization_signup(request):
    """Sign up a third-party organization (and, for a visitor, the developer's own account)."""
    signed_in = request.user.is_authenticated
    if signed_in and organization_of(request.user):
        return redirect("thirdparty:dev_home")
    form_class = OrganizationForm if signed_in else DeveloperAccountForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if signed_in:
                    user = request.user
                else:
                    user = get_user_model().objects.create_user(
                        username=data["username"], email=data["email"], password=data["password"]
                    )
                    EmailAddress.objects.create(user=user, email=data["email"], primary=True, verified=False)
                onboarding.organization_signup(user=user, **_org_kwargs(data))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if signed_in:
                return redirect("thirdparty:dev_home")
            # allauth's own flow: confirm the e-mail by code in this tab, then land on the developer page.
            return complete_signup(request, user=user, redirect_url=reverse("thirdparty:dev_home"))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "thirdparty/dev/signup.html", {"form": form, "signed_in": signed_in}, status=status
    )


# --- Home ---------------------------------------------------------------------------------------------------


@organization_required(approved=False)
def dashboard(request, org):
    return render(
        request,
        "thirdparty/dev/home.html",
        {
            "org": org,
            "apps": org.applications.all(),
            "active_agreements": org.agreements.filter(status=Agreement.Status.ACTIVE).count(),
            "failing_deliveries": org.webhook_deliveries.filter(
                status__in=[WebhookDelivery.Status.RETRYING, WebhookDelivery.Status.FAILED]
            ).count(),
        },
    )


# --- Agreements ---------------------------------------------------------------------------------------------


def customer_label(agreement: Agreement) -> dict:
    """The customer as far as the agreement allows: name and e-mail only with ``profile:read``."""
    user = agreement.customer
    if PROFILE_READ in (agreement.scopes or []):
        return {"name": user.get_full_name() or user.get_username(), "email": user.email, "full": True}
    return {"name": customer_initials(user), "email": "", "full": False}


@organization_required()
def agreements(request, org):
    status = request.GET.get("status", "")
    qs = (
        org.agreements.select_related("customer", "application")
        .prefetch_related("premises__premise")
        .order_by("-created_at")
    )
    if status in Agreement.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"agreement": a, "customer": customer_label(a)} for a in page]
    return render(
        request,
        "thirdparty/dev/agreements.html",
        {"org": org, "page": page, "rows": rows, "status": status, "statuses": Agreement.Status.choices},
    )


@organization_required()
@require_http_methods(["GET", "POST"])
def agreement_terminate_confirm(request, pk, org):
    agreement = get_object_or_404(org.agreements.select_related("customer", "application"), pk=pk)
    if agreement.status != Agreement.Status.ACTIVE:
        return redirect("thirdparty:dev_agreement_terminated", pk=agreement.pk)
    errors = []
    if request.method == "POST":
        try:
            agreement_terminate(
                agreement=agreement,
                by=request.user,
                organization=org,
                reason=request.POST.get("reason", "").strip()[:300],
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            return redirect("thirdparty:dev_agreement_terminated", pk=agreement.pk)
    return render(
        request,
        "thirdparty/dev/agreement_terminate.html",
        {"org": org, "agreement": agreement, "customer": customer_label(agreement), "errors": errors},
        status=409 if errors else 200,
    )


@organization_required()
def agreement_terminated(request, pk, org):
    """Always a page that says what happened (never SMT's error page after a termination)."""
    agreement = get_object_or_404(org.agreements.select_related("customer", "application"), pk=pk)
    return render(
        request,
        "thirdparty/dev/agreement_terminated.html",
        {"org": org, "agreement": agreement, "customer": customer_label(agreement)},
    )


# --- Applications -------------------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    name = forms.CharField(max_length=255, help_text="Customers see this name on the consent page.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line; matched exactly. https, or http for localhost / 127.0.0.1 only.",
    )
    allowed_scopes = forms.MultipleChoiceField(
        label="Scopes this app may ask for", choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    webhook_url = forms.URLField(
        label="Webhook URL", required=False, assume_scheme="https", help_text="Signed events are POSTed here."
    )
    webhook_style = forms.ChoiceField(
        label="Notifications",
        choices=WebhookEndpoint.Style.choices,
        initial=WebhookEndpoint.Style.JSON,
        required=False,
        help_text="Green Button clients may receive a BatchList of resource URIs instead of JSON events.",
    )
    espi_notify_url = forms.URLField(
        label="Green Button notify URL",
        required=False,
        assume_scheme="https",
        help_text="Only for BatchList.",
    )

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        data.pop("webhook_style", None)
        data.pop("espi_notify_url", None)
        return data


@organization_required()
def applications(request, org):
    return render(request, "thirdparty/dev/apps.html", {"org": org, "apps": org.applications.all()})


@organization_required()
@require_http_methods(["GET", "POST"])
@second_factor_required(methods=("GET", "POST"))
def application_new(request, org):
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                app, secret = app_services.application_register(
                    organization=org, by=request.user, **form.service_kwargs()
                )
                app_services.application_webhook_configure(
                    application=app,
                    style=form.cleaned_data.get("webhook_style") or WebhookEndpoint.Style.JSON,
                    espi_notify_url=form.cleaned_data.get("espi_notify_url", ""),
                )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            endpoint = webhook_endpoint_for(app)
            return render(
                request,
                "thirdparty/dev/app_secret.html",
                {"org": org, "app": app, "secret": secret, "webhook_secret": endpoint.secret, "new": True},
            )
    return render(
        request,
        "thirdparty/dev/app_form.html",
        {"org": org, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@organization_required()
@require_http_methods(["GET", "POST"])
@second_factor_required()
def application_detail(request, pk, org):
    app = get_object_or_404(Application, pk=pk, organization=org)
    endpoint = webhook_endpoint_for(app)
    initial = {
        "webhook_style": endpoint.style,
        "espi_notify_url": endpoint.espi_notify_url,
        "name": app.name,
        "description": app.description,
        "redirect_uris": "\n".join(app.redirect_uris.split()),
        "allowed_scopes": app.allowed_scopes,
        "webhook_url": app.webhook_url,
    }
    form = ApplicationForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                app_services.application_update(application=app, **form.service_kwargs())
                app_services.application_webhook_configure(
                    application=app,
                    style=form.cleaned_data.get("webhook_style") or WebhookEndpoint.Style.JSON,
                    espi_notify_url=form.cleaned_data.get("espi_notify_url", ""),
                )
            saved = True
        except ValidationError as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "thirdparty/dev/app_detail.html",
        {
            "org": org,
            "app": app,
            "form": form,
            "saved": saved,
            "endpoint": webhook_endpoint_for(app),
            "scopes": scopes_describe(app.allowed_scopes),
        },
        status=400 if request.method == "POST" and not saved else 200,
    )


@organization_required()
@require_POST
@second_factor_required()
def application_secret_rotate(request, pk, org):
    app = get_object_or_404(Application, pk=pk, organization=org)
    secret = app_services.application_secret_rotate(application=app, by=request.user)
    return render(request, "thirdparty/dev/app_secret.html", {"org": org, "app": app, "secret": secret})


@organization_required()
@require_POST
@second_factor_required()
def application_webhook_secret_rotate(request, pk, org):
    app = get_object_or_404(Application, pk=pk, organization=org)
    secret = app_services.application_webhook_secret_rotate(application=app, by=request.user)
    return render(
        request, "thirdparty/dev/app_secret.html", {"org": org, "app": app, "webhook_secret": secret}
    )


# --- API keys (created and revoked through the API's key service) ------------------------------------------


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. “billing server”.")
    scopes = forms.MultipleChoiceField(choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple)


@organization_required()
@require_http_methods(["GET", "POST"])
@second_factor_required()
def api_keys(request, org):
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            row, key = apikey_create(
                organization=org,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
            )
            created = {"row": row, "key": key}
            form = ApiKeyForm()
        except ValidationError as exc:
            _apply_errors(form, exc)
    return render(
        request,
        "thirdparty/dev/keys.html",
        {"org": org, "keys": org.api_keys.all(), "form": form, "created": created},
        status=400 if request.method == "POST" and created is None else 200,
    )


@organization_required()
@require_POST
def api_key_revoke(request, pk, org):
    key = get_object_or_404(ApiKey, pk=pk, organization=org)
    apikey_revoke(key=key)
    return render(request, "thirdparty/dev/key_revoked.html", {"org": org, "key": key})


# --- Webhook deliveries -------------------------------------------------------------------------------------


@organization_required()
def deliveries(request, org):
    qs = org.webhook_deliveries.select_related("application")
    event = request.GET.get("event", "")
    status = request.GET.get("status", "")
    if event in EVENTS:
        qs = qs.filter(event=event)
    if status in WebhookDelivery.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "thirdparty/dev/deliveries.html",
        {
            "org": org,
            "page": page,
            "events": list(EVENTS),
            "statuses": WebhookDelivery.Status.choices,
            "event": event,
            "status": status,
        },
    )


@organization_required()
def delivery_detail(request, pk, org):
    delivery = get_object_or_404(WebhookDelivery, pk=pk, organization=org)
    return render(request, "thirdparty/dev/delivery.html", {"org": org, "delivery": delivery})


@organization_required()
@require_POST
def delivery_replay(request, pk, org):
    delivery = get_object_or_404(WebhookDelivery, pk=pk, organization=org)
    try:
        copy = webhook_replay(delivery=delivery, organization=org)
    except ValidationError as exc:
        return render(
            request,
            "thirdparty/dev/delivery.html",
            {"org": org, "delivery": delivery, "errors": exc.messages},
            status=409,
        )
    return redirect("thirdparty:dev_delivery", pk=copy.pk)
