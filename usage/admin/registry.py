"""Django admin for the market registry: TDUs, premises and their meters."""

from django.contrib import admin

from usage.models import Meter, Premise, Tdu


@admin.register(Tdu)
class TduAdmin(admin.ModelAdmin):
    list_display = ("name", "duns", "esiid_prefixes")
    search_fields = ("name", "duns")


class MeterInline(admin.TabularInline):
    model = Meter
    extra = 0


@admin.register(Premise)
class PremiseAdmin(admin.ModelAdmin):
    list_display = ("esiid", "tdu", "address_line1", "city", "zip_code", "kind", "status")
    list_filter = ("tdu", "kind", "status")
    search_fields = ("esiid", "address_line1", "city", "zip_code")
    inlines = [MeterInline]


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ("meter_number", "premise", "installed_on", "han_capable")
    search_fields = ("meter_number", "premise__esiid")
    raw_id_fields = ("premise",)
