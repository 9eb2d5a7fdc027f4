"""Admin of the TDUs' delivery tariffs (one row per TDU and effective date; a day is costed with the row in
effect on it) and, read-only, the residents' plans."""

from django.contrib import admin
from django.http import HttpRequest

from portal.bills.models import BillPlan, TduTariff


@admin.register(TduTariff)
class TduTariffAdmin(admin.ModelAdmin):
    list_display = (
        "tdu",
        "effective_from",
        "delivery_cents_per_kwh",
        "monthly_dollars",
        "source",
        "source_date",
    )
    list_filter = ("tdu",)
    ordering = ("tdu", "-effective_from")
    date_hierarchy = "effective_from"


@admin.register(BillPlan)
class BillPlanAdmin(admin.ModelAdmin):
    list_display = ("period", "energy_cents_per_kwh", "base_dollars_per_month", "tdu_charges", "updated_at")
    list_select_related = ("period__premise",)
    readonly_fields = [f.name for f in BillPlan._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # residents set their own plans
