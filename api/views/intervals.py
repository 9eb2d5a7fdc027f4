"""Interval data of a premise: ``/api/v1/premises/{esiid}/intervals/`` as JSON, TDU CSV or Green Button XML."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from api import conditional, data, params
from api.base import ApiView, AtomMarker, CsvMarker, OrjsonRenderer
from api.schema import END_PARAM, ESIID_PARAM, PROBLEM_RESPONSES, START_PARAM
from thirdparty.scopes import USAGE_READ


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
        assert start is not None and end is not None  # parse_range requires both
        v = conditional.validators_for(
            [(d.premise, start, end)],
            billing=granularity == "billing" or fmt == "xml",
            shape=("intervals", granularity, fmt),
        )
        self.log_read(  # a 304 is a read too: the caller learns the data did not change
            d, "intervals", range_start=start, range_end=end, granularity=granularity, data_format=fmt
        )
        not_modified = conditional.not_modified(request, v)
        if not_modified is not None:
            return not_modified
        body, content_type, filename = data.intervals_export(
            premise=d.premise, start=start, end=end, granularity=granularity, fmt=fmt
        )
        if isinstance(body, bytes | bytearray | memoryview):
            response = HttpResponse(bytes(body), content_type=content_type)
        else:
            response = StreamingHttpResponse(_chunks(body), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        response["Vary"] = "Accept, Authorization, Cookie"  # Accept-Encoding: smt.compression
        conditional.apply(response, v, request)
        return response
