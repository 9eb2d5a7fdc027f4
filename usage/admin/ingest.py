"""Django admin for ingest reports and rejected rows, with the action that re-applies rejected rows."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from usage.ingest.loader import ingest_reapply_rejects
from usage.models import IngestFile, RejectedRow


@admin.register(IngestFile)
class IngestFileAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "tdu",
        "status",
        "file_reason",
        "received_at",
        "rows",
        "stored",
        "rejected",
        "superseded",
        "seconds",
    )
    list_filter = ("status", "kind", "tdu", "announced_at")
    search_fields = ("name", "sha256")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in IngestFile._meta.fields]
    actions = ["reapply_rejected_rows"]

    @admin.display(description="file reason")
    def file_reason(self, obj):
        """Why a failed file was refused (its file-level reason code), blank for loaded files."""
        if obj.status != IngestFile.Status.FAILED:
            return ""
        return next(iter(obj.rejected_by_reason or {}), "")

    @admin.display(description="rejected rows")
    def rejected_rows_link(self, obj):
        url = reverse("admin:usage_rejectedrow_changelist") + f"?file__id__exact={obj.pk}"
        return format_html('<a href="{}">{} rejected rows</a>', url, obj.rejected)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "file_reason", "rejected_rows_link"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Re-apply rejected rows (after their cause was fixed)")
    def reapply_rejected_rows(self, request, queryset):
        for report in queryset:
            if not report.rejected_rows.filter(reapplied_at__isnull=True).exists():
                self.message_user(request, f"{report.name}: no rejected rows to re-apply.", messages.INFO)
                continue
            again = ingest_reapply_rejects(file_id=report.pk)
            level = messages.SUCCESS if again.stored and not again.rejected else messages.WARNING
            self.message_user(
                request,
                f"{report.name}: {again.stored} rows now stored, {again.rejected} still rejected "
                f"({', '.join(f'{k} {v}' for k, v in again.rejected_by_reason.items()) or 'none'}); "
                f"see report #{again.pk}.",
                level,
            )


@admin.register(RejectedRow)
class RejectedRowAdmin(admin.ModelAdmin):
    list_display = ("file", "line_number", "reason", "message", "reapplied_at")
    list_filter = ("reason", "reapplied_at")
    search_fields = ("raw", "message", "file__name")
    raw_id_fields = ("file",)
    readonly_fields = ("file", "line_number", "raw", "reason", "message", "reapplied_at")
    list_select_related = ("file",)
