"""On-demand meter reads, REP registration codes, bulk export jobs."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import exports, params
from api.base import ApiView
from api.models import ExportJob
from api.problems import ApiProblem, invalid_parameter
from api.schema import problem_responses
from api.views import ESIID_PARAM
from portal.codes import code_display
from portal.models import ServicePeriod
from thirdparty import access
from thirdparty.scopes import METER_READ_REQUEST, PREMISES_READ


def _abs(request, path: str) -> str:
    return request.build_absolute_uri(path)


# --------------------------------------------------------------------------------- on-demand reads


def _read_body(request, read, esiid: str) -> dict:
    return {
        "id": read.pk,
        "esiid": esiid,
        "status": read.status,
        "url": _abs(request, reverse("api:read-detail", args=[read.pk])),
        "requested_at": read.requested_at.isoformat(),
        "answered_at": read.answered_at.isoformat() if read.answered_at else None,
        "read_at": read.read_at.isoformat() if read.read_at else None,
        "register_kwh": float(read.register_kwh) if read.register_kwh is not None else None,
        "failure": (
            {"code": read.failure_code, "message": read.failure_message} if read.status == "failed" else None
        ),
    }


class ReadRequestView(ApiView):
    write_buckets = ("meter-reads",)

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
        from portal.reads.services import NoMeter, ReadLimitReached, read_request_create

        d = self.decide(esiid=esiid, scope=METER_READ_REQUEST)
        if not d.windows or d.windows[-1].end < access.market_today():
            raise ApiProblem(
                403,
                "Only the current occupancy's meter can be read on demand.",
                slug="not-current",
                title="Not the current occupancy",
            )
        user = self.actor.user if getattr(self.actor.user, "pk", None) else None
        try:
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
        from portal.models import MeterReadRequest

        read = MeterReadRequest.objects.select_related("premise").filter(pk=read_id).first()
        if read is None:
            raise ApiProblem(404, "No read with this id is available to you.")
        try:
            d = self.decide(premise=read.premise, scope=METER_READ_REQUEST)
        except ApiProblem as exc:
            if exc.status_code == 403:
                raise
            raise ApiProblem(404, "No read with this id is available to you.") from None
        return Response(_read_body(request, read, d.premise.esiid))


# ------------------------------------------------------------------------------ registration codes


def _require_rep(actor: access.Actor):
    if actor.kind != access.REP:
        raise ApiProblem(
            403,
            "Registration codes are for retail electric providers (REP API keys) only.",
            slug="rep-only",
            title="REPs only",
        )
    blocked = access._inactive(actor)
    if blocked is not None:
        raise ApiProblem(403, blocked.detail, slug="organization-inactive", title="Organization not active")
    if PREMISES_READ not in actor.scopes:
        raise ApiProblem(
            403,
            "This key lacks the scope 'premises:read'.",
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
        "url": _abs(request, reverse("api:registration-code", args=[period.premise.esiid])),
    }


def _rep_periods(actor: access.Actor):
    today = access.market_today()
    from django.db.models import Q

    return ServicePeriod.objects.filter(rep_id=actor.organization.rep_id).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=today)
    )


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
            raise ApiProblem(404, "No premise with this ESI ID has you as REP of record.")
        return Response(_code_body(request, period))


class CodeCursor(CursorPagination):
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
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
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


# ------------------------------------------------------------------------------------------ exports


class ExportRequestSerializer(serializers.Serializer):
    esiids = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=exports.MAX_PREMISES
    )
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.ChoiceField(choices=params.GRANULARITIES, default="15min")
    format = serializers.ChoiceField(choices=ExportJob.Format.values, default="csv")
    compression = serializers.ChoiceField(choices=ExportJob.Compression.values, default="zstd")

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "end is before start; both are inclusive."})
        if (attrs["end"] - attrs["start"]).days + 1 > params.MAX_RANGE_DAYS:
            raise serializers.ValidationError({"end": f"Ask for at most {params.MAX_RANGE_DAYS} days."})
        return attrs


def _job_body(request, job: ExportJob) -> dict:
    body = {
        "id": str(job.pk),
        "url": _abs(request, reverse("api:export-detail", args=[job.pk])),
        "status": job.status,
        "progress": {"premises_done": job.premises_done, "premises_total": job.premises_total},
        "start": job.start.isoformat() if isinstance(job.start, date) else job.start,
        "end": job.end.isoformat() if isinstance(job.end, date) else job.end,
        "granularity": job.granularity,
        "format": job.data_format,
        "compression": job.compression,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "not_included": job.not_included,
        "download": None,
    }
    if (
        job.status == ExportJob.Status.DONE
        and job.file_name
        and job.expires_at
        and job.expires_at > timezone.now()
    ):
        token = exports.download_token(job)
        body["download"] = {
            "url": _abs(request, reverse("api:export-download", args=[job.pk]) + f"?token={token}"),
            "expires_at": job.expires_at.isoformat(),
            "size_bytes": job.size_bytes,
            "file_name": job.file_name,
        }
    if job.status == ExportJob.Status.FAILED:
        body["error"] = job.error
    return body


class ExportListView(ApiView):
    write_buckets = ("exports",)

    @extend_schema(
        summary="Start a bulk export",
        description=(
            f"Up to {exports.MAX_PREMISES:,} ESI IDs, one range, one granularity: one compressed file "
            "(CSV in the TDU layout, or JSON lines with one premise per line; zstd or gzip). `202` with the "
            "job's URL; poll it for progress and the download link (valid 24 hours). The file holds only "
            "what you may read; the job lists every ESI ID left out and why. Needs `usage:read`."
        ),
        request=ExportRequestSerializer,
        responses={202: OpenApiTypes.OBJECT, **problem_responses(400, 401, 429)},
    )
    def post(self, request):
        s = ExportRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        job = exports.export_create(
            actor=self.actor,
            esiids=v["esiids"],
            start=v["start"],
            end=v["end"],
            granularity=v["granularity"],
            data_format=v["format"],
            compression=v["compression"],
        )
        body = _job_body(request, job)
        return Response(body, status=202, headers={"Location": body["url"]})

    @extend_schema(
        operation_id="exports_list",
        summary="Your export jobs",
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401)},
    )
    def get(self, request):
        jobs = ExportJob.objects.filter(credential=self.actor.cache_key[:80]).order_by("-created_at")[:100]
        return Response({"results": [_job_body(request, j) for j in jobs]})


class ExportDetailView(ApiView):
    @extend_schema(
        operation_id="exports_retrieve",
        summary="An export job",
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 404)},
    )
    def get(self, request, job_id):
        job = ExportJob.objects.filter(pk=job_id, credential=self.actor.cache_key[:80]).first()
        if job is None:
            raise ApiProblem(404, "No export job with this id is yours.")
        return Response(_job_body(request, job))


class ExportDownloadView(ApiView):
    """The file itself: the signed, expiring link is the credential (it can be handed to a download tool)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Download an export file",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **problem_responses(404)},
        auth=[],
    )
    def get(self, request, job_id):
        token = request.query_params.get("token", "")
        if not token:
            raise invalid_parameter("token", "This link needs its token; copy the whole download URL.")
        if not exports.download_token_check(str(job_id), token):
            raise ApiProblem(
                410, "This download link has expired or is not valid; get a new one from the job."
            )
        job = ExportJob.objects.filter(pk=job_id).first()
        path = exports.export_path(job) if job else None
        if job is None or path is None or (job.expires_at and job.expires_at <= timezone.now()):
            raise ApiProblem(410, "This export file has expired; start a new export.")
        ctype = "application/zstd" if job.compression == "zstd" else "application/gzip"
        return FileResponse(open(path, "rb"), content_type=ctype, as_attachment=True, filename=job.file_name)  # noqa: SIM115


__all__ = [
    "ExportDetailView",
    "ExportDownloadView",
    "ExportListView",
    "ReadDetailView",
    "ReadRequestView",
    "RegistrationCodeFeedView",
    "RegistrationCodeView",
]
