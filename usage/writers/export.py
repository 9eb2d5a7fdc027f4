"""The one export entry point: the API, the portal downloads and ``export_intervals`` all call
``export_intervals`` here, so the same request gives the same bytes on every path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from usage.reads.aggregate import GRANULARITIES, Reads
from usage.reads.selectors import intervals_for
from usage.writers.bill import BillColumn
from usage.writers.csv import render_csv
from usage.writers.espi import render_espi
from usage.writers.json import render_json

FORMATS = ("json", "csv", "xml")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xml": "application/atom+xml",
}
CHUNK_BYTES = 256 * 1024
# Where a bill column (cost per interval) may go (asked for with ``bill``): JSON of every granularity, CSV of hourly, daily and
# monthly rows. The 15-minute CSV is the TDU's layout and Green Button XML is a standard: never.
BILL_FORMATS = {"json": GRANULARITIES, "csv": ("hour", "day", "month")}


def bill_supported(fmt: str, granularity: str) -> bool:
    return granularity in BILL_FORMATS.get(fmt, ())


class ExportError(ValueError):
    """A bad export request; ``param`` names the offending parameter (start, end, granularity, format)."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Export:
    body: bytes
    content_type: str
    filename: str

    def chunks(self, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The body in pieces, for a streaming response."""
        for i in range(0, len(self.body), size):
            yield self.body[i : i + size]

    def __len__(self) -> int:
        return len(self.body)


def export_filename(esiid: str, start: date, end: date, granularity: str, fmt: str) -> str:
    return f"{esiid}_{start:%Y%m%d}-{end:%Y%m%d}_{granularity}.{fmt}"


def validate(*, start: date, end: date, granularity: str, fmt: str) -> None:
    if not isinstance(start, date):
        raise ExportError("start", "start must be a date (YYYY-MM-DD)")
    if not isinstance(end, date):
        raise ExportError("end", "end must be a date (YYYY-MM-DD)")
    if end < start:
        raise ExportError("end", f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    if granularity not in GRANULARITIES:
        raise ExportError("granularity", f"granularity must be one of {', '.join(GRANULARITIES)}")
    if fmt not in FORMATS:
        raise ExportError("format", f"format must be one of {', '.join(FORMATS)}")


def render(reads: Reads, fmt: str, *, site_url: str, bill: BillColumn | None = None) -> bytes:
    """Pure: the bytes of ``reads`` in ``fmt`` (with ``bill`` only where ``bill_supported``)."""
    if fmt == "json":
        return render_json(reads, bill)
    if fmt == "csv":
        return render_csv(reads, bill)
    if fmt == "xml":
        return render_espi(reads, site_url=site_url)
    raise ExportError("format", f"format must be one of {', '.join(FORMATS)}")


def export_intervals(
    *,
    premise,
    start: date,
    end: date,
    granularity: str = "15min",
    fmt: str = "json",
    site_url: str | None = None,
    bill: Callable[[Reads], BillColumn] | None = None,
) -> Export:
    """The response for one premise, local inclusive range, granularity and format.

    ``site_url`` defaults to ``settings.SITE_URL`` (Green Button links). ``bill`` (opt-in) computes a cost
    per interval of the reads; it is written only where ``bill_supported`` (else the bytes are the default
    ones). Raises ``ExportError`` for a bad request. Access is the caller's business."""
    validate(start=start, end=end, granularity=granularity, fmt=fmt)
    if site_url is None:
        site_url = settings.SITE_URL
    reads = intervals_for(
        premise=premise,
        start=start,
        end=end,
        granularity=granularity,
        with_billing=granularity == "billing" or fmt == "xml",
        with_revisions=fmt == "xml" or (fmt == "csv" and granularity == "15min"),
    )
    column = bill(reads) if bill is not None and bill_supported(fmt, granularity) else None
    return Export(
        body=render(reads, fmt, site_url=site_url, bill=column),
        content_type=CONTENT_TYPES[fmt],
        filename=export_filename(premise.esiid, start, end, granularity, fmt),
    )
