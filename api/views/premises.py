"""Premises the caller can read and what they hold besides intervals: ``/api/v1/premises/``, one premise,
its billing periods and the usage summary of a range."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api import data, params
from api.base import ApiView, absolute_url
from api.pagination import StrictCursorPagination
from api.problems import ApiProblem
from api.schema import END_PARAM, ESIID_PARAM, PROBLEM_RESPONSES, START_PARAM, problem_responses
from portal.access_window import market_today
from portal.models import ServicePeriod
from thirdparty import access
from thirdparty.accesslog import LoggedRead, access_log_record_many
from thirdparty.scopes import BILLING_READ, PREMISES_READ, USAGE_READ


class PremiseCursor(StrictCursorPagination):
    ordering = "esiid"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _premise_body(request, vp: access.VisiblePremise, current_periods: dict) -> dict:
    p = vp.premise
    body = {
        "esiid": p.esiid,
        "url": absolute_url(request, reverse("api:premise-detail", args=[p.esiid])),
        "intervals_url": absolute_url(request, reverse("api:premise-intervals", args=[p.esiid])),
        "access_windows": [w.as_dict() for w in vp.windows],
        "scopes": sorted(vp.scopes),
    }
    if PREMISES_READ in vp.scopes:
        body["address"] = {
            "line1": p.address_line1,
            "line2": p.address_line2,
            "city": p.city,
            "state": p.state,
            "zip_code": p.zip_code,
        }
        body["kind"] = p.kind
        body["status"] = p.status
        body["tdu"] = {"name": p.tdu.name, "duns": p.tdu.duns}
        body["meters"] = [
            {
                "meter_number": m.meter_number,
                "installed_on": m.installed_on.isoformat(),
                "removed_on": m.removed_on.isoformat() if m.removed_on else None,
            }
            for m in p.meters.all()
        ]
        period = current_periods.get(p.pk)
        today = market_today()
        # the REP of record is shown only to someone whose window reaches today (the current occupancy)
        if period is not None and any(w.end >= today for w in vp.windows):
            body["rep_of_record"] = {"name": period.rep.legal_name, "since": period.rep_since.isoformat()}
        else:
            body["rep_of_record"] = None
    return body


def _current_periods(premise_ids: list[int]) -> dict:
    rows = ServicePeriod.objects.filter(premise_id__in=premise_ids, ends_on__isnull=True).select_related(
        "rep"
    )
    return {sp.premise_id: sp for sp in rows}


class PremiseListView(ApiView):
    pagination_class = PremiseCursor

    @extend_schema(
        operation_id="premises_list",
        summary="Premises you can read",
        description=(
            "Every premise the caller holds a grant on, by ESI ID, with its access windows. Addresses, "
            "meters and the REP of record come with the `premises:read` scope. Cursor-paginated."
        ),
        parameters=PremiseCursor.parameters(),
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403)},
    )
    def get(self, request):
        qs = access.access_premises_queryset(actor=self.actor).prefetch_related("meters")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        visible = access.access_visible(actor=self.actor, premises=list(page))
        periods = _current_periods([v.premise.pk for v in visible])
        if self.actor.is_logged:
            access_log_record_many(
                actor=self.actor,
                reads=[LoggedRead(v.premise.pk) for v in visible if PREMISES_READ in v.scopes],
                resource="premise",
            )
        return paginator.get_paginated_response([_premise_body(request, v, periods) for v in visible])


class PremiseDetailView(ApiView):
    @extend_schema(
        operation_id="premises_retrieve",
        summary="One premise",
        parameters=[ESIID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, esiid: str):
        d = self.decide(esiid=esiid)
        visible = access.access_visible(actor=self.actor, premises=[d.premise])
        if not visible:  # pragma: no cover - decide() already said yes
            raise ApiProblem(404, gettext("No premise with this ESI ID is available to you."))
        if PREMISES_READ in visible[0].scopes:
            self.log_read(d, "premise", agreement_id=None)
        return Response(_premise_body(request, visible[0], _current_periods([d.premise.pk])))


class BillingPeriodsView(ApiView):
    @extend_schema(
        summary="Billing-period usage of a premise",
        description=(
            "Billing periods that lie wholly inside your access window (or inside `start`..`end` when given), "
            "as the TDU reported them. `kwh` is null when the TDU reported the period as not available. "
            "Needs `billing:read`."
        ),
        parameters=[
            ESIID_PARAM,
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses={200: OpenApiTypes.OBJECT, **PROBLEM_RESPONSES},
    )
    def get(self, request, esiid: str):
        start, end = params.parse_range(request, required=False)
        if (start is None) != (end is None):
            raise ApiProblem(
                400,
                gettext("Give both start and end, or neither (then your whole window)."),
                slug="invalid-parameter",
                parameter="end" if end is None else "start",
            )
        d = self.decide(esiid=esiid, scope=BILLING_READ, start=start, end=end)
        windows = [d.window] if d.window else list(d.windows)
        rows = []
        for w in windows:
            lo = max(w.start, start) if start else w.start
            hi = min(w.end, end) if end else w.end
            rows.extend(data.billing_periods(premise=d.premise, start=lo, end=hi))
        if windows:
            self.log_read(
                d,
                "billing",
                agreement_id=d.agreement_id or windows[0].agreement_id,
                range_start=start or windows[0].start,
                range_end=end or windows[-1].end,
                granularity="billing",
                data_format="json",
            )
        return Response({"esiid": d.premise.esiid, "unit": "kWh", "billing_periods": rows})


class SummaryView(ApiView):
    @extend_schema(
        summary="Usage summary of a range",
        description=(
            "Total, average per day with data, peak 15-minute interval, base load, estimated share, surplus "
            "generation and missing intervals of the range. Needs `usage:read`."
        ),
        parameters=[ESIID_PARAM, START_PARAM, END_PARAM],
        responses={200: OpenApiTypes.OBJECT, **PROBLEM_RESPONSES},
    )
    def get(self, request, esiid: str):
        start, end = params.parse_range(request)
        d = self.decide(esiid=esiid, scope=USAGE_READ, start=start, end=end)
        summary = data.usage_summary(premise=d.premise, start=start, end=end)
        self.log_read(
            d, "summary", range_start=start, range_end=end, granularity="summary", data_format="json"
        )
        return Response(
            {"esiid": d.premise.esiid, "start_date": start.isoformat(), "end_date": end.isoformat()} | summary
        )
