"""Support staff's view of devices and messages, with the head-end's raw answers (install codes never shown)."""

from __future__ import annotations

from django.contrib import admin

from han.models import Device, DeviceMessage, DeviceStatusChange


class StatusChangeInline(admin.TabularInline):
    model = DeviceStatusChange
    extra = 0
    can_delete = False
    fields = ("at", "status", "attempt", "failure_code", "failure_message", "raw")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "mac_display", "type", "status", "premise", "attempt", "status_changed_at")
    list_filter = ("status", "type")
    search_fields = ("mac", "name", "premise__esiid")
    raw_id_fields = ("premise", "meter", "period", "added_by", "added_by_organization")
    readonly_fields = ("status", "failure_code", "failure_message", "attempt", "adapter", "status_changed_at")
    exclude = ("install_code_encrypted",)
    inlines = [StatusChangeInline]


@admin.register(DeviceMessage)
class DeviceMessageAdmin(admin.ModelAdmin):
    list_display = ("kind", "device", "sender_label", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("device__mac", "device__premise__esiid", "sender_label", "text")
    raw_id_fields = ("device", "sent_by", "sent_by_organization")
    readonly_fields = ("status", "failure_message", "status_changed_at", "raw", "batch")
