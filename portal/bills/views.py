"""The plan page of one premise: GET shows the form (prefilled from the TDU's tariff), POST saves it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.bills.forms import PlanForm
from portal.bills.selectors import period_plan, plan_period, tariff_on, tdu_tariffs
from portal.bills.services import plan_initial, plan_save
from portal.pages.access import NoAccess, no_access_response, premise_for_customer


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, esiid: str) -> HttpResponse:
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return no_access_response(request, esiid)
    index = request.GET.get("period", "")
    window = windows[int(index)] if index.isdigit() and int(index) < len(windows) else windows[-1]
    period = plan_period(user=request.user, premise=premise, window_end=window.end)
    if period is None:
        return no_access_response(request, esiid)
    current = period_plan(period)
    tariffs = tdu_tariffs(premise.tdu_id)
    tariff = tariff_on(tariffs, min(window.end, today))
    if request.method == "POST":
        form = PlanForm(request.POST, tariff=tariff)
        if form.is_valid():
            plan_save(period=period, user=request.user, data=form.cleaned_data)
            messages.success(
                request, _("Your plan is saved; the usage page now shows what your energy costs.")
            )
            return redirect("portal:usage", esiid=premise.esiid)
        status = 400
    else:
        form = PlanForm(initial=plan_initial(current, tariff), tariff=tariff)
        status = 200
    return render(
        request,
        "portal/plan.html",
        {"premise": premise, "form": form, "tariff": tariff, "plan": current, "window": window},
        status=status,
    )
