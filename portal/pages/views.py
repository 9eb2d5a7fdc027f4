"""The customer's pages: dashboard, usage (chart, summaries, table, downloads) and on-demand reads.

Views are thin: check access (portal.access_window through pages.access), parse the URL state, call
one loader or service, render.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal import timefmt
from portal.bills.models import BillPlan
from portal.bills.selectors import period_plan, plan_period, tdu_tariffs
from portal.bills.services import bill_to_date
from portal.models import MeterReadRequest
from portal.pages.access import NoAccess, no_access_response, premise_for_customer
from portal.pages.dashboard import dashboard_cards
from portal.pages.data import load_usage, summary_rows
from portal.pages.exports import DOWNLOAD_FORMATS, bill_available, export_response
from portal.pages.state import (
    GRANULARITIES,
    GRANULARITY_LABELS,
    PRESET_LABELS,
    PRESETS,
    parse_state,
    preset_range,
    preset_unavailable_reason,
)
from portal.reads.failures import read_failure_text
from portal.reads.services import (
    NoMeter,
    ReadLimitReached,
    read_expire_stale,
    read_limits,
    read_request_create,
)
from usage.models import Premise

READ_HISTORY_LENGTH = 10
TITLES = {  # the chart's heading: "Daily usage, Jul 1, 2025 – Jul 31, 2025"
    "15min": gettext_lazy("15-minute usage"),
    "hour": gettext_lazy("Hourly usage"),
    "day": gettext_lazy("Daily usage"),
    "month": gettext_lazy("Monthly usage"),
    "billing": gettext_lazy("Billing-period usage"),
}


def visible_reads(premise, windows):
    """Reads of this premise requested inside the customer's own windows (never a later occupant's)."""
    from datetime import datetime, time

    from django.db.models import Q

    tz = timezone.get_default_timezone()
    q = Q()
    for w in windows:
        lo = datetime.combine(w.start, time.min, tzinfo=tz)
        hi = datetime.combine(w.end + timedelta(days=1), time.min, tzinfo=tz)
        q |= Q(requested_at__gte=lo, requested_at__lt=hi)
    return MeterReadRequest.objects.filter(q, premise=premise)


@login_required
def dashboard(request):
    cards = dashboard_cards(user=request.user)
    return render(
        request,
        "portal/dashboard.html",
        {
            "current": [c for c in cards if c.is_current],
            "past": [c for c in cards if not c.is_current],
            "has_premises": bool(cards),
            "has_business": any(c.premise.kind == Premise.Kind.BUSINESS for c in cards),
        },
    )


@login_required
@require_GET
def usage(request, esiid: str):
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return no_access_response(request, esiid)
    state = parse_state(request.GET, windows, today)
    period = plan_period(user=request.user, premise=premise, window_end=state.window.end)
    plan = period_plan(period)
    tariffs = tdu_tariffs(premise.tdu_id) if plan and plan.tdu_charges == BillPlan.TduCharges.TARIFF else None
    data = load_usage(premise=premise, state=state, plan=plan, tariffs=tariffs)
    bill = None
    if plan is not None and state.window.end >= today - timedelta(days=1):
        bill = bill_to_date(premise=premise, plan=plan, today=today, window_start=state.window.start)
    presets = []
    for key in PRESETS:
        reason = preset_unavailable_reason(key, state.window, today)
        presets.append(
            {
                "key": key,
                "label": PRESET_LABELS[key],
                "query": state.query(preset=key) if reason is None else None,
                "current": state.preset == key,
                "reason": reason,
                "dates": preset_range(key, state.window, today),
            }
        )
    granularities = [
        {
            "key": g,
            "label": GRANULARITY_LABELS[g],
            "query": _granularity_query(state, g),
            "current": g == state.granularity,
        }
        for g in GRANULARITIES
    ]
    download_granularity = state.requested_granularity or state.granularity
    downloads = [
        {
            "fmt": fmt,
            "label": label,
            "url": reverse("portal:usage_download", args=[premise.esiid, fmt])
            + f"?granularity={download_granularity}&start={state.start.isoformat()}&end={state.end.isoformat()}",
        }
        for fmt, label in DOWNLOAD_FORMATS.items()
    ]
    bill_downloads = [
        {**d, "url": d["url"] + "&include=cost"}
        for d in downloads
        if plan is not None and bill_available(d["fmt"], download_granularity)
    ]
    current = state.window.end >= today  # on-demand reads are for the current occupant only
    limits = read_limits(premise=premise) if current else None
    recent_reads = list(visible_reads(premise, windows)[:3]) if current else []
    context = {
        "premise": premise,
        "state": state,
        "windows": windows,
        "data": data,
        "presets": presets,
        "granularities": granularities,
        "downloads": downloads,
        "download_granularity": GRANULARITY_LABELS[download_granularity],
        "granularity_title": TITLES[state.granularity],
        "summary": summary_rows(
            data.summary,
            data.previous.summary if data.previous else None,
            has_generation=data.has_generation,
            last_year=data.last_year.summary if data.last_year else None,
            bill=data.bill,
        ),
        "plan": plan,
        "bill": bill,
        "bill_downloads": bill_downloads,
        "limits": limits,
        "recent_reads": recent_reads,
        "today": today,
        "yesterday": today - timedelta(days=1),
    }
    status = 400 if state.errors else 200
    return render(request, "portal/usage.html", context, status=status)


def _granularity_query(state, g: str) -> str:
    if state.preset:
        return state.query(granularity=g)
    return state.query(granularity=g, start=state.start, end=state.end)


@login_required
@require_GET
def usage_download(request, esiid: str, fmt: str):
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return no_access_response(request, esiid)
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404("No such format")
    granularity = request.GET.get("granularity", "15min")
    params = request.GET.copy()
    state = parse_state(params, windows, today)
    if granularity not in GRANULARITIES:
        return render(
            request,
            "portal/usage_error.html",
            {
                "premise": premise,
                "title": _("That download is not available"),
                "message": _("Downloads come as 15-minute, hourly, daily, monthly or billing-period data."),
            },
            status=400,
        )
    if state.errors:
        return render(
            request,
            "portal/usage_error.html",
            {
                "premise": premise,
                "title": _("That range cannot be downloaded"),
                "messages_list": state.errors,
            },
            status=400,
        )
    plan = tariffs = None
    include = request.GET.get("include", "")
    if include:
        if include != "cost":
            return _download_refused(request, premise, _("“include” takes one value: cost."))
        if not bill_available(fmt, granularity):
            return _download_refused(
                request,
                premise,
                _(
                    "Cost comes with JSON downloads and with hourly, daily or monthly CSV; the 15-minute CSV "
                    "keeps the utility’s layout and Green Button XML its standard. Leave out include=cost."
                ),
            )
        plan = period_plan(plan_period(user=request.user, premise=premise, window_end=state.window.end))
        if plan is None:
            return _download_refused(
                request,
                premise,
                _("There is no cost without your plan: set it on the plan page, then download again."),
                status=409,
            )
        tariffs = tdu_tariffs(premise.tdu_id)
    return export_response(
        premise=premise,
        start=state.start,
        end=state.end,
        granularity=granularity,
        fmt=fmt,
        plan=plan,
        tariffs=tariffs,
    )


def _download_refused(request, premise, message: str, *, status: int = 400):
    return render(
        request,
        "portal/usage_error.html",
        {"premise": premise, "title": _("That download is not available"), "message": message},
        status=status,
    )


@login_required
@require_GET
def green_button(request, esiid: str):
    """Green Button "Download My Data": the whole window, 15-minute data, ESPI Atom XML."""
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return no_access_response(request, esiid)
    index = request.GET.get("period")
    window = windows[int(index)] if index and index.isdigit() and int(index) < len(windows) else windows[-1]
    return export_response(
        premise=premise, start=window.start, end=window.end, granularity="15min", fmt="xml"
    )


# ------------------------------------------------------------------------------------------ meter reads


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def read_as_json(read: MeterReadRequest, esiid: str) -> dict:
    out = {
        "id": read.pk,
        "status": read.status,
        "status_text": read.get_status_display(),
        "requested_at": read.requested_at.isoformat(),
        "requested_at_text": timefmt.when(read.requested_at, year=False, seconds=True),
        "status_url": reverse("portal:read_status", args=[esiid, read.pk]),
    }
    if read.status == MeterReadRequest.Status.COMPLETED:
        out["register_kwh"] = f"{read.register_kwh:.3f}"
        out["register_text"] = f"{read.register_kwh:,.3f} kWh"
        out["read_at"] = read.read_at.isoformat()
        out["read_at_text"] = timefmt.when(read.read_at, year=False, seconds=True) if read.read_at else ""
        out["meaning"] = read.meaning
    elif read.status in (MeterReadRequest.Status.FAILED, MeterReadRequest.Status.REFUSED):
        out["failure_code"] = read.failure_code
        out["failure_message"] = read_failure_text(read.failure_code, read.failure_message)
    return out


@login_required
@require_http_methods(["GET", "POST"])
def reads(request, esiid: str):
    """GET: the read history and the button. POST: ask the meter for a reading now."""
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return no_access_response(request, esiid)
    if not any(w.end >= today for w in windows):
        return render(
            request,
            "portal/usage_error.html",
            {
                "premise": premise,
                "title": _("This meter is no longer yours to read"),
                "message": _(
                    "On-demand reads are for the current occupant; your service at this address has ended. "
                    "Your own period's data stays available on the usage page."
                ),
            },
            status=403,
        )
    if request.method == "POST":
        try:
            read = read_request_create(user=request.user, premise=premise)
        except ReadLimitReached as exc:
            retry = max(1, int((exc.limits.next_allowed_at - timezone.now()).total_seconds()))
            if _wants_json(request):
                resp = JsonResponse({"error": "limit", "message": str(exc)}, status=429)
            else:
                resp = _reads_page(request, premise, windows, error=str(exc), status=429)
            resp["Retry-After"] = str(retry)
            return resp
        except NoMeter as exc:
            if _wants_json(request):
                return JsonResponse({"error": "no_meter", "message": str(exc)}, status=409)
            return _reads_page(request, premise, windows, error=str(exc), status=409)
        if _wants_json(request):
            payload = read_as_json(read, premise.esiid)
            payload["limits"] = read_limits(premise=premise).explain()
            return JsonResponse(payload, status=202)
        messages.info(
            request, _("Your meter has been asked for a reading; it usually answers within a minute.")
        )
        return redirect("portal:reads", esiid=premise.esiid)
    return _reads_page(request, premise, windows)


def _reads_page(request, premise, windows, *, error: str | None = None, status: int = 200):
    read_expire_stale(premise=premise)
    history = list(visible_reads(premise, windows)[:READ_HISTORY_LENGTH])
    return render(
        request,
        "portal/usage_reads.html",
        {
            "premise": premise,
            "history": history,
            "limits": read_limits(premise=premise),
            "error": error,
            "pending": [r for r in history if r.is_pending],
        },
        status=status,
    )


@login_required
@require_GET
def read_status(request, esiid: str, read_id: int):
    try:
        premise, windows, today = premise_for_customer(request, esiid)
    except NoAccess:
        return JsonResponse({"error": "not_found"}, status=404)
    read_expire_stale(premise=premise)
    read = visible_reads(premise, windows).filter(pk=read_id).first()
    if read is None:
        return JsonResponse({"error": "not_found"}, status=404)
    payload = read_as_json(read, premise.esiid)
    payload["limits"] = read_limits(premise=premise).explain()
    return JsonResponse(payload)
