"""Admin of the market: users, REPs with their aliases and merges, service periods and their codes."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from portal.accounts.services import household_reset
from portal.admin.forms import RepAdminForm, RepAliasInlineFormSet, ServicePeriodAdminForm
from portal.admin.registrations import PremiseRegistrationInline
from portal.codes import code_display
from portal.models import Rep, RepAlias, ServicePeriod, User
from portal.search import search_key
from portal.services import registration_code_rotate, rep_merge

admin.site.site_header = "Open Smart Meter Texas — administration"
admin.site.register(User, UserAdmin)


class RepAliasInline(admin.TabularInline):
    model = RepAlias
    formset = RepAliasInlineFormSet
    extra = 1
    fields = ("name", "kind")


@admin.register(Rep)
class RepAdmin(admin.ModelAdmin):
    form = RepAdminForm
    list_display = ("legal_name", "brand_names", "puct_certificate", "duns", "status")
    list_filter = ("status",)
    search_fields = ("legal_name",)
    inlines = [RepAliasInline]
    actions = ["merge_selected"]
    readonly_fields = ("merged_into",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="Brand names")
    def brand_names(self, rep):
        return ", ".join(a.name for a in rep.aliases.all())

    def get_search_results(self, request, queryset, search_term):
        """Match legal names and aliases ignoring case and punctuation; one row per REP."""
        if not search_term:
            return queryset, False
        key = search_key(search_term)
        if request.GET.get("status__exact") != Rep.Status.MERGED:
            queryset = queryset.exclude(status=Rep.Status.MERGED)  # merged entries live on as aliases
        ids = RepAlias.objects.filter(search_key__contains=key).values("rep_id")
        return queryset.filter(Q(search_key__contains=key) | Q(pk__in=ids)), False

    @admin.action(description="Merge the selected REPs (the oldest entry survives)")
    def merge_selected(self, request, queryset):
        reps = list(queryset.order_by("pk"))
        if len(reps) < 2:
            self.message_user(
                request, "Select two or more entries of the same company to merge.", messages.ERROR
            )
            return
        survivor = reps[0]
        try:
            for duplicate in reps[1:]:
                rep_merge(survivor=survivor, duplicate=duplicate)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request, f"Merged {len(reps) - 1} entr{'y' if len(reps) == 2 else 'ies'} into {survivor}."
        )


@admin.register(ServicePeriod)
class ServicePeriodAdmin(admin.ModelAdmin):
    inlines = [PremiseRegistrationInline]
    form = ServicePeriodAdminForm
    list_display = ("premise", "occupant_name", "rep", "starts_on", "ends_on", "code")
    list_filter = ("rep",)
    search_fields = ("premise__esiid", "occupant_name")
    raw_id_fields = ("premise",)
    readonly_fields = ("rep_since", "rep_history", "code", "code_rotated_at", "ended_at")
    actions = ["rotate_codes", "reset_households"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("premise", "rep")

    @admin.display(description="REPs of record")
    def rep_history(self, period):
        """Each REP's tenure, oldest first (changing the REP above is a switch today: it starts a new one)."""
        if not period.pk:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{} from {} to {}",
            ((t.rep, t.starts_on, t.ends_on or "now") for t in period.rep_tenures.select_related("rep")),
        )

    @admin.display(description="Registration code")
    def code(self, period):
        if not period.pk:
            return "issued on save"
        if not period.is_open:
            return "ended (no longer works)"
        value = period.registration_code
        return format_html("<code>{}</code>", code_display(value)) if value else "unreadable: key changed"

    @admin.action(description="Settle a dispute: end every membership and rotate the code")
    def reset_households(self, request, queryset):
        ended = sum(
            household_reset(period=p, by="An administrator") for p in queryset.select_related("premise")
        )
        self.message_user(
            request, f"Ended {ended} membership(s); open periods got a new code; members were told."
        )

    @admin.action(description="Rotate the registration code of the selected open periods")
    def rotate_codes(self, request, queryset):
        rotated = 0
        for period in queryset:
            try:
                registration_code_rotate(period=period)
                rotated += 1
            except ValidationError as exc:
                self.message_user(request, f"{period}: {' '.join(exc.messages)}", messages.WARNING)
        self.message_user(request, f"Rotated {rotated} registration code(s); the old codes no longer work.")
