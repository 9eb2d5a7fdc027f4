"""Django admin for the third-party side: approve and suspend organizations (with the reason e-mailed),
agreements, applications, API keys, webhook deliveries and the access log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from thirdparty.apikeys import apikeys_revoke
from thirdparty.models import (
    AccessLogEntry,
    Agreement,
    AgreementPremise,
    ApiKey,
    Application,
    Membership,
    Organization,
    WebhookDelivery,
    WebhookEndpoint,
)
from thirdparty.services.onboarding import organization_approve, organization_suspend
from thirdparty.webhooks.delivery import webhook_replay


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E-mailed to the organization. Required for a suspension.",
        required=False,
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = [
        "legal_name",
        "kind",
        "status",
        "puct_registration",
        "contact_email",
        "approved_at",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["legal_name", "contact_email", "puct_registration"]
    readonly_fields = ["status", "status_reason", "approved_at", "suspended_at", "created_at"]
    inlines = [MembershipInline]
    actions = ["approve", "suspend"]

    def _reason_step(self, request, queryset, action, title):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                return form.cleaned_data["reason"].strip(), None
        else:
            form = ReasonForm()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "queryset": queryset,
            "form": form,
            "action": action,
            "opts": self.model._meta,
        }
        return None, render(request, "thirdparty/admin/reason.html", context)

    @admin.action(description="Approve selected organizations (e-mails them)")
    def approve(self, request, queryset):
        reason, page = self._reason_step(request, queryset, "approve", "Approve organizations")
        if page is not None:
            return page
        for org in queryset:
            organization_approve(organization=org, by=request.user, reason=reason)
        self.message_user(request, f"Approved {queryset.count()} organization(s); they were e-mailed.")
        return None

    @admin.action(description="Suspend selected organizations (stops every token and key now)")
    def suspend(self, request, queryset):
        reason, page = self._reason_step(request, queryset, "suspend", "Suspend organizations")
        if page is not None:
            return page
        try:
            for org in queryset:
                organization_suspend(organization=org, by=request.user, reason=reason)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            return redirect(request.get_full_path())
        self.message_user(
            request,
            f"Suspended {queryset.count()} organization(s): their tokens and API keys stopped working, "
            "their agreements ended, and they were e-mailed the reason.",
        )
        return None


class AgreementPremiseInline(admin.TabularInline):
    model = AgreementPremise
    extra = 0
    raw_id_fields = ["premise", "service_period"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "organization", "application", "status", "valid_from", "valid_until"]
    list_filter = ["status", "organization"]
    search_fields = [
        "customer__username",
        "customer__email",
        "organization__legal_name",
        "premises__premise__esiid",
    ]
    raw_id_fields = ["customer", "status_changed_by"]
    readonly_fields = ["created_at", "status_changed_at", "expiry_warning_sent_at"]
    inlines = [AgreementPremiseInline]


if admin.site.is_registered(Application):  # django-oauth-toolkit registers its own
    admin.site.unregister(Application)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "client_id", "webhook_url", "created"]
    list_filter = ["organization"]
    search_fields = ["name", "client_id", "organization__legal_name"]
    raw_id_fields = ["user"]
    exclude = [
        "client_secret",
        "hash_client_secret",
        "skip_authorization",
    ]  # every approval must go through the consent page
    readonly_fields = ["client_id"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["application", "style", "espi_notify_url"]
    readonly_fields = ["secret", "rotated_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "organization", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organization"]
    readonly_fields = ["prefix", "secret_hash", "created_at", "last_used_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected keys now")
    def revoke(self, request, queryset):
        n = apikeys_revoke(keys=queryset)
        self.message_user(request, f"Revoked {n} key(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "organization",
        "application",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "event", "organization"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay"]

    @admin.action(description="Send selected deliveries again")
    def replay(self, request, queryset):
        for delivery in queryset:
            webhook_replay(delivery=delivery, organization=delivery.organization)
        self.message_user(request, f"Queued {queryset.count()} replay(s).")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "organization",
        "premise",
        "resource",
        "range_start",
        "range_end",
        "granularity",
        "actor_kind",
    ]
    list_filter = ["actor_kind", "organization", "resource"]
    search_fields = ["premise__esiid", "organization__legal_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
