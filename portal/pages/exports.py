"""Downloads on the customer's pages: the one export function of usage.writers.export, streamed.

The bytes are exactly what the API and ``export_intervals`` give for the same request; only the access
check (done by the caller) differs. With ``include=cost`` and a plan, JSON and hourly, daily and monthly
CSV carry a cost per interval (computed here from the plan, handed to the writers as a column)."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from portal.bills import compute
from portal.bills.models import BillPlan, TduTariff
from portal.bills.services import day_charges
from usage.reads.aggregate import Reads
from usage.writers.bill import BillColumn
from usage.writers.export import bill_supported, export_intervals

DOWNLOAD_FORMATS = {
    "csv": "CSV",
    "json": "JSON",
    "xml": "Green Button XML",
}  # names of formats: not translated


def bill_available(fmt: str, granularity: str) -> bool:
    return bill_supported(fmt, granularity)


def bill_column(plan: BillPlan, tariffs: list[TduTariff]):
    """The writers' cost callable: the reads' own consumption grid costed at their granularity."""

    def column(reads: Reads) -> BillColumn:
        periods = (
            [(b.start_date, b.end_date) for b in reads.billed] if reads.granularity == "billing" else None
        )
        charges = day_charges(plan=plan, tariffs=tariffs, rng=reads.range)
        s = compute.bucket_tenths(reads.range, reads.consumption, charges, reads.granularity, periods)
        return BillColumn(tenths=s.wh, null=s.null)

    return column


def export_response(
    *,
    premise,
    start,
    end,
    granularity: str,
    fmt: str,
    plan: BillPlan | None = None,
    tariffs: list[TduTariff] | None = None,
) -> StreamingHttpResponse:
    bill = bill_column(plan, tariffs or []) if plan is not None else None
    export = export_intervals(
        premise=premise, start=start, end=end, granularity=granularity, fmt=fmt, bill=bill
    )
    response = StreamingHttpResponse(export.chunks(), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Content-Length"] = str(len(export))
    response["Cache-Control"] = "private, no-store"
    return response
