"""Downloads on the customer's pages: the one export function of usage.writers.export, streamed.

The bytes are exactly what the API and ``export_intervals`` give for the same request; only the access
check (done by the caller) differs.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse

from usage.writers.export import export_intervals

DOWNLOAD_FORMATS = {
    "csv": "CSV",
    "json": "JSON",
    "xml": "Green Button XML",
}  # names of formats: not translated


def export_response(*, premise, start, end, granularity: str, fmt: str) -> StreamingHttpResponse:
    export = export_intervals(premise=premise, start=start, end=end, granularity=granularity, fmt=fmt)
    response = StreamingHttpResponse(export.chunks(), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Content-Length"] = str(len(export))
    response["Cache-Control"] = "private, no-store"
    return response
