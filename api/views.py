"""REST resources under /api/v1/: thin views that parse, ask thirdparty.access, call one function, respond."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import data, params
from api.base import ApiView, AtomMarker, CsvMarker, OrjsonRenderer
from api.problems import ApiProblem
from api.schema import PROBLEM_RESPONSES, problem_responses
from portal.models import ServicePeriod
from thirdparty import access
from thirdparty.accesslog import LoggedRead, access_log_record_many
from thirdparty.models import Agreement
from thirdparty.scopes import BILLING_READ, PREMISES_READ, PROFILE_READ, SCOPES, USAGE_READ

ESIID_PARAM = OpenApiParameter(
    "esiid", OpenApiTypes.STR, OpenApiParameter.PATH, description="The premise's ESI ID (17 or 22 digits)."
)
START_PARAM = OpenApiParameter(
    "start", OpenApiTypes.DATE, description="First local (America/Chicago) date, inclusive.", required=True
)
END_PARAM = OpenApiParameter(
    "end", OpenApiTypes.DATE, description="Last local date, inclusive.", required=True
)


class PremiseCursor(CursorPagination):
    ordering = "esiid"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _abs(request, path: str) -> str:
    return request.build_absolute_uri(path)


class ApiRootView(ApiView):
    """Links to the resources (no credential needed)."""

    permission_classes = []

    @extend_schema(summary="API index", responses={200: OpenApiTypes.OBJECT}, auth=[])
    def get(self, request):
        return Response(
            {
                "premises": _abs(request, reverse("api:premise-list")),
                "profile": _abs(request, reverse("api:me")),
                "registration_codes": _abs(request, reverse("api:registration-code-feed")),
                "exports": _abs(request, reverse("api:export-list")),
                "schema": _abs(request, reverse("api-schema")),
                "docs": _abs(request, reverse("api-docs")),
                "scopes": {name: s.description for name, s in SCOPES.items()},
            }
        )


class MeView(ApiView):
    @extend_schema(
        summary="Who am I",
        description=(
            "For a signed-in customer or an OAuth token with `profile:read`: the account holder's name and "
            "e-mail. For an API key: the organization. A token without `profile:read` gets 403."
        ),
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403)},
    )
    def get(self, request):
        actor = self.actor
        if actor.kind == access.CUSTOMER:
            user = actor.user
            return Response(_profile(user) | {"kind": "customer", "scopes": sorted(actor.scopes)})
        if actor.application_id is not None:
            agreement = (
                Agreement.objects.filter(access._live_agreements_q(prefix=""), pk=actor.agreement_id).first()
                if actor.agreement_id
                else None
            )
            granted = actor.scopes & (access.scopes_expand(agreement.scopes) if agreement else frozenset())
            if PROFILE_READ not in granted:
                raise ApiProblem(
                    403,
                    "This token was not granted the scope 'profile:read'.",
                    slug="scope-missing",
                    title="Scope not granted",
                    scope=PROFILE_READ,
                )
            return Response(_profile(actor.user) | {"kind": "customer", "scopes": sorted(granted)})
        org = actor.organization
        return Response(
            {
                "kind": actor.kind,
                "organization": {"name": org.legal_name, "status": org.status},
                "credential": actor.credential,
                "scopes": sorted(actor.scopes),
            }
        )


def _profile(user) -> dict:
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "email": user.email,
    }


def _premise_body(request, vp: access.VisiblePremise, current_periods: dict) -> dict:
    p = vp.premise
    body = {
        "esiid": p.esiid,
        "url": _abs(request, reverse("api:premise-detail", args=[p.esiid])),
        "intervals_url": _abs(request, reverse("api:premise-intervals", args=[p.esiid])),
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
        today = access.market_today()
        # the REP of record is shown only to someone whose window reaches today (the current occupancy)
        if period is not None and any(w.end >= today for w in vp.windows):
            body["rep_of_record"] = {"name": period.rep.legal_name, "since": period.starts_on.isoformat()}
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
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` or `previous`."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 500, default 50."),
        ],
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
            raise ApiProblem(404, "No premise with this ESI ID is available to you.")
        if PREMISES_READ in visible[0].scopes:
            self.log_read(d, "premise", agreement_id=None)
        return Response(_premise_body(request, visible[0], _current_periods([d.premise.pk])))


def _chunks(body) -> Iterator[bytes]:
    yield from body


class IntervalsView(ApiView):
    renderer_classes = [OrjsonRenderer, CsvMarker, AtomMarker]

    @extend_schema(
        summary="Interval data of a premise",
        description=(
            "The whole requested range in one response (a year is one request). Both dates are local "
            "(America/Chicago) and inclusive. Format by `Accept` (`application/json`, `text/csv`, "
            "`application/atom+xml`) or `?format=json|csv|xml`. JSON 15-minute and hourly data come as one "
            "block per local day: the day's first interval start with its UTC offset, the interval length, "
            "and per channel arrays of kWh and estimated flags, consecutive in absolute time. The 15-minute "
            "CSV is the TDU file layout. Green Button XML is ESPI 4.0. Needs the `usage:read` scope; the "
            "range must lie inside your access window (else 422 with the window's bounds)."
        ),
        parameters=[
            ESIID_PARAM,
            START_PARAM,
            END_PARAM,
            OpenApiParameter(
                "granularity", OpenApiTypes.STR, enum=list(params.GRANULARITIES), default="15min"
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(params.FORMATS), default="json"),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                examples=[
                    OpenApiExample(
                        "15-minute JSON",
                        value={
                            "esiid": "10443720000000001",
                            "granularity": "15min",
                            "start_date": "2025-07-01",
                            "end_date": "2025-07-01",
                            "timezone": "America/Chicago",
                            "unit": "kWh",
                            "days": [
                                {
                                    "date": "2025-07-01",
                                    "start": "2025-07-01T00:00:00-05:00",
                                    "interval_seconds": 900,
                                    "consumption": {"kwh": [0.58, 0.61, "..."], "estimated": [False, False]},
                                    "generation": None,
                                }
                            ],
                        },
                    )
                ],
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"),
            (200, "application/atom+xml"): OpenApiResponse(OpenApiTypes.STR, description="Green Button XML"),
            **PROBLEM_RESPONSES,
        },
    )
    def get(self, request, esiid: str):
        start, end = params.parse_range(request)
        granularity = params.parse_granularity(request)
        fmt = request.accepted_renderer.format
        d = self.decide(esiid=esiid, scope=USAGE_READ, start=start, end=end)
        body, content_type, filename = data.intervals_export(
            premise=d.premise, start=start, end=end, granularity=granularity, fmt=fmt
        )
        self.log_read(
            d, "intervals", range_start=start, range_end=end, granularity=granularity, data_format=fmt
        )
        if isinstance(body, bytes | bytearray | memoryview):
            response = HttpResponse(bytes(body), content_type=content_type)
        else:
            response = StreamingHttpResponse(_chunks(body), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        response["Vary"] = "Accept, Authorization, Cookie"
        return response


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
                "Give both start and end, or neither (then your whole window).",
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
