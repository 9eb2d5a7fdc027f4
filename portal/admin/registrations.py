"""Admin for registrations: which accounts registered which occupancy (also inline on service periods)."""

from django.contrib import admin

from portal.models import PremiseRegistration


@admin.register(PremiseRegistration)
class PremiseRegistrationAdmin(admin.ModelAdmin):
    list_display = ("user", "premise", "period", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("user__username", "user__email", "period__premise__esiid")
    raw_id_fields = ("user", "period")
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "period__premise")

    def save_model(self, request, obj, form, change):
        """A registration added here goes through the service: the household hears of it, as at sign-up."""
        if change:
            return super().save_model(request, obj, form, change)
        from portal.accounts.services import premise_registration_create

        saved = premise_registration_create(user=obj.user, period=obj.period, source=obj.source)
        obj.pk = saved.pk
        obj.created_at = saved.created_at

    @admin.display(description="ESI ID", ordering="period__premise__esiid")
    def premise(self, registration):
        return registration.period.premise.esiid


class PremiseRegistrationInline(admin.TabularInline):
    model = PremiseRegistration
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("source", "created_at")
    verbose_name = "registered account"
    verbose_name_plural = "Registered accounts (household)"
