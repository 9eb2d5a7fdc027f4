"""Bulk export jobs: start one, list and poll them, download the file (``/api/v1/exports/``)."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response

from api import exports, params
from api.base import ApiView, absolute_url
from api.models import ExportJob
from api.problems import ApiProblem, invalid_parameter
from api.schema import problem_responses
from thirdparty import access


def _in_range(name: str, value: date) -> date:
    if not params.MIN_DATE <= value <= params.MAX_DATE:
        raise serializers.ValidationError(
            _("%(name)s must lie between %(min)s and %(max)s.")
            % {"name": name, "min": params.MIN_DATE.isoformat(), "max": params.MAX_DATE.isoformat()}
        )
    return value


class ExportRequestSerializer(serializers.Serializer):
    esiids = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=exports.MAX_PREMISES
    )
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.ChoiceField(choices=params.GRANULARITIES, default="15min")
    format = serializers.ChoiceField(choices=ExportJob.Format.values, default="csv")
    compression = serializers.ChoiceField(choices=ExportJob.Compression.values, default="zstd")

    def validate_start(self, value):
        return _in_range("start", value)

    def validate_end(self, value):
        return _in_range("end", value)

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("end is before start; both are inclusive.")})
        if (attrs["end"] - attrs["start"]).days + 1 > params.MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"end": _("Ask for at most %(days)d days.") % {"days": params.MAX_RANGE_DAYS}}
            )
        return attrs


def _job_body(request, job: ExportJob) -> dict:
    body = {
        "id": str(job.pk),
        "url": absolute_url(request, reverse("api:export-detail", args=[job.pk])),
        "status": job.status,
        "progress": {"premises_done": job.premises_done, "premises_total": job.premises_total},
        "start": job.start.isoformat() if isinstance(job.start, date) else job.start,
        "end": job.end.isoformat() if isinstance(job.end, date) else job.end,
        "granularity": job.granularity,
        "format": job.data_format,
        "compression": job.compression,
        "created_at": job.created_at.isoformat(),
        "queued_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "waiting_for_worker": exports.waiting_for_worker(job),
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
            "url": absolute_url(request, reverse("api:export-download", args=[job.pk]) + f"?token={token}"),
            "expires_at": job.expires_at.isoformat(),
            "size_bytes": job.size_bytes,
            "file_name": job.file_name,
        }
    if body["waiting_for_worker"]:
        body["note"] = "No worker has started this job yet; it runs as soon as one is free."
    if job.status == ExportJob.Status.FAILED:
        body["error"] = job.error
    return body


class ExportListView(ApiView):
    write_buckets = ("exports",)
    needs_broker = True

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
        return self.idempotent(lambda: self._start(request))

    def _start(self, request) -> Response:
        s = ExportRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        with self.quota():  # only an accepted job counts against the export quota
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
            raise ApiProblem(404, _("No export job with this id is yours."))
        return Response(_job_body(request, job))


class ExportDownloadView(ApiView):
    """The file itself: the signed, expiring link is the credential (it can be handed to a download tool)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Download an export file",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        responses={
            (200, "application/zstd"): OpenApiTypes.BINARY,
            (200, "application/gzip"): OpenApiTypes.BINARY,
            **problem_responses(400, 404, 410),
        },
        auth=[],
    )
    def get(self, request, job_id):
        token = request.query_params.get("token", "")
        if not token:
            raise invalid_parameter("token", _("This link needs its token; copy the whole download URL."))
        if not exports.download_token_check(str(job_id), token):
            raise ApiProblem(
                410, _("This download link has expired or is not valid; get a new one from the job.")
            )
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is not None and not access.export_credential_live(exports.actor_for_job(job)):
            raise ApiProblem(
                410,
                _("This download link no longer works: the credential or agreement that made it has ended."),
            )
        path = exports.export_path(job) if job else None
        if job is None or path is None or (job.expires_at and job.expires_at <= timezone.now()):
            raise ApiProblem(410, _("This export file has expired; start a new export."))
        ctype = "application/zstd" if job.compression == "zstd" else "application/gzip"
        return FileResponse(open(path, "rb"), content_type=ctype, as_attachment=True, filename=job.file_name)
