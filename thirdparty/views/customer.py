"""The customer's pages: which apps can read my data (and revoke), and who read it (the access log)."""

import csv
from datetime import UTC, date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal.access_window import customer_premises
from thirdparty.models import Agreement, Organization
from thirdparty.scopes import scopes_describe
from thirdparty.selectors import access_log_of_customer, agreements_of_customer
from thirdparty.services.agreements import agreement_premises_shared, agreement_revoke


def _rows(agreements):
    return [
        {"agreement": a, "scopes": scopes_describe(a.scopes), "premises": agreement_premises_shared(a)}
        for a in agreements
    ]


@login_required
def apps_with_access(request):
    agreements = list(agreements_of_customer(user=request.user))
    active = [a for a in agreements if a.status == Agreement.Status.ACTIVE]
    past = [a for a in agreements if a.status != Agreement.Status.ACTIVE]
    return render(
        request,
        "thirdparty/apps_with_access.html",
        {"active": _rows(active), "past": _rows(past), "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_revoke_confirm(request, pk):
    agreement = get_object_or_404(
        Agreement.objects.select_related("organization", "application"), pk=pk, customer=request.user
    )
    if agreement.status != Agreement.Status.ACTIVE:
        return redirect("thirdparty:agreement_revoked", pk=agreement.pk)
    if request.method == "POST":
        try:
            agreement_revoke(agreement=agreement, by=request.user)
        except ValidationError as exc:
            return render(
                request,
                "thirdparty/agreement_revoke.html",
                {"agreement": agreement, "scopes": scopes_describe(agreement.scopes), "errors": exc.messages},
                status=409,
            )
        return redirect("thirdparty:agreement_revoked", pk=agreement.pk)
    return render(
        request,
        "thirdparty/agreement_revoke.html",
        {"agreement": agreement, "scopes": scopes_describe(agreement.scopes)},
    )


@login_required
def agreement_revoked(request, pk):
    agreement = get_object_or_404(
        Agreement.objects.select_related("organization", "application"), pk=pk, customer=request.user
    )
    return render(request, "thirdparty/agreement_revoked.html", {"agreement": agreement})


def _parse_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def access_log(request):
    esiid = request.GET.get("esiid", "").strip()
    org = request.GET.get("organization", "").strip()
    org_id = int(org) if org.isdigit() else None
    since = _parse_date(request.GET.get("from"))
    until = _parse_date(request.GET.get("to"))
    entries = access_log_of_customer(
        user=request.user, esiid=esiid, organization_id=org_id, since=since, until=until
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "time_utc",
                "esiid",
                "organization",
                "kind",
                "application",
                "api_key",
                "resource",
                "range_start",
                "range_end",
                "granularity",
                "format",
                "agreement",
            ]
        )
        for e in entries.iterator():
            writer.writerow(
                [
                    e.at.astimezone(UTC).isoformat(timespec="seconds"),
                    e.premise.esiid,
                    e.organization.legal_name,
                    e.actor_kind,
                    e.application.name if e.application_id else "",
                    e.api_key.prefix if e.api_key_id else "",
                    e.resource,
                    e.range_start or "",
                    e.range_end or "",
                    e.granularity,
                    e.data_format,
                    e.agreement_id or "",
                ]
            )
        return response
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    premises = [cp.premise for cp in customer_premises(user=request.user)]
    organizations = Organization.objects.filter(access_log__in=entries.values("pk")).distinct()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "thirdparty/access_log.html",
        {
            "page": page,
            "premises": premises,
            "organizations": organizations,
            "filters": {"esiid": esiid, "organization": org_id, "from": since, "to": until},
            "query": query.urlencode(),
        },
    )


def organization_logo(request, pk):
    """An organization's logo for the consent page (served from storage; PNG or JPEG checked at upload)."""
    org = get_object_or_404(Organization, pk=pk)
    if not org.logo:
        raise Http404("No logo.")
    try:
        handle = org.logo.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("No logo.") from exc
    head = handle.read(8)
    handle.seek(0)
    content_type = "image/png" if head.startswith(b"\x89PNG") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
