"""On-demand meter reads: ``POST /api/v1/premises/{esiid}/reads/`` and ``/api/v1/reads/{id}/``."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from api.base import ApiView, absolute_url
from api.problems import ApiProblem
from api.schema import ESIID_PARAM, problem_responses
from portal.access_window import market_today
from portal.models import MeterReadRequest
from portal.reads.failures import read_failure_text
from portal.reads.services import NoMeter, ReadLimitReached, read_request_create
from thirdparty.scopes import METER_READ_REQUEST


def _read_body(request, read, esiid: str) -> dict:
    return {
        "id": read.pk,
        "esiid": esiid,
        "status": read.status,
        "url": absolute_url(request, reverse("api:read-detail", args=[read.pk])),
        "requested_at": read.requested_at.isoformat(),
        "answered_at": read.answered_at.isoformat() if read.answered_at else None,
        "read_at": read.read_at.isoformat() if read.read_at else None,
        "register_kwh": float(read.register_kwh) if read.register_kwh is not None else None,
        "failure": (
            {"code": read.failure_code, "message": read_failure_text(read.failure_code, read.failure_message)}
            if read.status == "failed"
            else None
        ),
    }


class ReadRequestView(ApiView):
    write_buckets = ("meter-reads",)
    needs_broker = True

    @extend_schema(
        summary="Ask the meter for a fresh reading",
        description=(
            "Queues an on-demand read of the premise's meter: `202 Accepted` with a `Location` to poll. "
            "Needs `meter-read:request`. The meter network allows a few reads per hour and day per meter "
            "(429 with Retry-After beyond that)."
        ),
        parameters=[ESIID_PARAM],
        request=None,
        responses={202: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404, 429)},
    )
    def post(self, request, esiid: str):
        return self.idempotent(lambda: self._ask(request, esiid))

    def _ask(self, request, esiid: str) -> Response:
        d = self.decide(esiid=esiid, scope=METER_READ_REQUEST)
        if not d.windows or d.windows[-1].end < market_today():
            raise ApiProblem(
                403,
                gettext("Only the current occupancy's meter can be read on demand."),
                slug="not-current",
                title="Not the current occupancy",
            )
        user = self.actor.user if getattr(self.actor.user, "pk", None) else None
        try:
            with self.quota():  # only an accepted read counts against the meter-read quota
                read = read_request_create(user=user, premise=d.premise)
        except ReadLimitReached as exc:
            wait = max(1, int((exc.limits.next_allowed_at - timezone.now()).total_seconds()))
            raise ApiProblem(
                429, str(exc), slug="meter-read-limit", headers={"Retry-After": str(wait)}, retry_after=wait
            ) from None
        except NoMeter as exc:
            raise ApiProblem(409, str(exc), slug="no-meter", title="No meter") from None
        self.log_read(d, "meter-read")
        body = _read_body(request, read, d.premise.esiid)
        return Response(body, status=202, headers={"Location": body["url"]})


class ReadDetailView(ApiView):
    @extend_schema(
        summary="Status of an on-demand read",
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, read_id: int):
        read = MeterReadRequest.objects.select_related("premise").filter(pk=read_id).first()
        if read is None:
            raise ApiProblem(404, gettext("No read with this id is available to you."))
        try:
            d = self.decide(premise=read.premise, scope=METER_READ_REQUEST)
        except ApiProblem as exc:
            if exc.status_code == 403:
                raise
            raise ApiProblem(404, gettext("No read with this id is available to you.")) from None
        return Response(_read_body(request, read, d.premise.esiid))
