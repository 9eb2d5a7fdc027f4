"""REP registration codes: one premise's current code and the feed of codes changed since a time."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api import params
from api.base import ApiView, absolute_url
from api.pagination import StrictCursorPagination
from api.problems import ApiProblem
from api.schema import ESIID_PARAM, problem_responses
from portal.access_window import market_today
from portal.accounts.services import household_reset
from portal.codes import code_display
from portal.models import ServicePeriod
from portal.services import registration_code_rotate
from thirdparty import access
from thirdparty.scopes import PREMISES_READ


def _require_rep(actor: access.Actor):
    if actor.kind != access.REP:
        raise ApiProblem(
            403,
            gettext("Registration codes are for retail electric providers (REP API keys) only."),
            slug="rep-only",
            title="REPs only",
        )
    blocked = access.actor_blocked(actor)
    if blocked is not None:
        raise ApiProblem(403, blocked.detail, slug="organization-inactive", title="Organization not active")
    if PREMISES_READ not in actor.scopes:
        raise ApiProblem(
            403,
            gettext("This key lacks the scope 'premises:read'."),
            slug="scope-missing",
            title="Scope not granted",
            scope=PREMISES_READ,
        )


def _code_body(request, period: ServicePeriod) -> dict:
    code = period.registration_code
    return {
        "esiid": period.premise.esiid,
        "registration_code": code,
        "display": code_display(code) if code else None,
        "rotated_at": period.code_rotated_at.isoformat(),
        "occupancy_start": period.starts_on.isoformat(),
        "rep_since": period.rep_since.isoformat(),
        "url": absolute_url(request, reverse("api:registration-code", args=[period.premise.esiid])),
    }


def _rep_periods(actor: access.Actor):
    """The occupancies whose REP of record this key's REP is today."""
    return ServicePeriod.objects.rep_of_record(actor.organization.rep_id, today=market_today())


class RegistrationCodeView(ApiView):
    @extend_schema(
        summary="Current registration code of a premise (REPs)",
        description=(
            "The code to print on the bill of the premise's current occupant, for the REP of record only. "
            "It changes when the occupant changes (a webhook `registration_code.rotated` says so)."
        ),
        parameters=[ESIID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, esiid: str):
        _require_rep(self.actor)
        period = (
            _rep_periods(self.actor)
            .filter(premise__esiid=esiid, ends_on__isnull=True)
            .select_related("premise")
            .first()
        )
        if period is None:
            raise ApiProblem(404, gettext("No premise with this ESI ID has you as REP of record."))
        return Response(_code_body(request, period))

    @extend_schema(
        summary="Issue a new registration code, optionally ending every membership (REPs)",
        description=(
            "To settle a household dispute: the REP of record issues a new code for the current occupancy "
            "(the old one stops working at once). With `end_memberships: true` every account registered for "
            "the occupancy (and every pending request to join) is removed too, and each is told by e-mail; the "
            "occupant then registers again with the new code. Answers the new code."
        ),
        parameters=[ESIID_PARAM],
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, **problem_responses(400, 401, 403, 404)},
    )
    def post(self, request, esiid: str):
        _require_rep(self.actor)
        end = request.data.get("end_memberships", False) if hasattr(request.data, "get") else None
        if not isinstance(end, bool):
            raise ApiProblem(
                400, gettext("end_memberships must be true or false."), parameter="end_memberships"
            )
        period = _rep_periods(self.actor).filter(premise__esiid=esiid, ends_on__isnull=True).first()
        if period is None:
            raise ApiProblem(404, gettext("No premise with this ESI ID has you as REP of record."))
        org = self.actor.organization
        by = f"Your retail electric provider ({org.legal_name})" if org else "Your retail electric provider"
        if end:
            ended = household_reset(period=period, by=by)
        else:
            registration_code_rotate(period=period)
            ended = 0
        period.refresh_from_db()
        body = _code_body(request, ServicePeriod.objects.select_related("premise").get(pk=period.pk))
        body["memberships_ended"] = ended
        return Response(body)


class CodeCursor(StrictCursorPagination):
    ordering = ("code_rotated_at", "id")
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000


class RegistrationCodeFeedView(ApiView):
    pagination_class = CodeCursor

    @extend_schema(
        summary="Registration codes changed since a time (REPs)",
        description=(
            "Every premise where you are REP of record of the current occupancy and whose code changed after "
            "`changed_since` (all of them without it), oldest change first, cursor-paginated: store the "
            "`rotated_at` of the last item and pass it as `changed_since` next time."
        ),
        parameters=[
            OpenApiParameter("changed_since", OpenApiTypes.DATETIME),
            *CodeCursor.parameters(),
        ],
        responses={200: OpenApiTypes.OBJECT, **problem_responses(400, 401, 403)},
    )
    def get(self, request):
        _require_rep(self.actor)
        since = params.parse_datetime_param(request, "changed_since")
        qs = _rep_periods(self.actor).filter(ends_on__isnull=True).select_related("premise")
        if since is not None:
            qs = qs.filter(code_rotated_at__gt=since)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_code_body(request, p) for p in page])
