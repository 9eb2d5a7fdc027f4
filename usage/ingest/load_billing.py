"""Load a parsed billing-period file into ``BillingPeriod`` rows (inside the file's transaction)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import BinaryIO

from django.conf import settings

from usage import storage
from usage.ingest.billing import BillingRow, parse_billing_file
from usage.ingest.limits import check_shares, size_limits
from usage.ingest.lookup import EsiidLookup
from usage.ingest.reasons import ROW_REASONS
from usage.ingest.rejects import save_rejects, with_raw_lines
from usage.models import BillingPeriod, IngestFile, Tdu
from usage.timegrid import day_num, num_day


def load_billing(report: IngestFile, stream: BinaryIO, *, tdu: Tdu, today: date) -> None:
    """Billing periods: per (premise, start date) a later revision replaces the stored period; an equal
    or older one changes nothing; NA is stored as unknown (wh = None)."""
    parsed = parse_billing_file(
        stream,
        lookup=EsiidLookup(tdu),
        today=today,
        limits=size_limits(),
        max_rows=settings.INGEST_MAX_BILLING_ROWS,
        samples=settings.INGEST_REJECT_SAMPLES,
    )
    report.header = parsed.header
    reasons = Counter(parsed.reject_counts)
    check_shares(rows=parsed.read, blank=parsed.blank, reasons=reasons)
    storage.lock_tdu_days(tdu_id=tdu.pk, days=[storage.BILLING_LOCK])  # read-compare-write of stored periods
    rejects = list(parsed.rejects)
    conflicts: list = []
    best, superseded = _latest_per_period(parsed.rows, conflicts)
    if conflicts:
        reasons["duplicate_conflict"] += len(conflicts)
        rejects += with_raw_lines(stream, sorted(conflicts)[: settings.INGEST_REJECT_SAMPLES])
    existing = _stored_periods(best)
    create, update = [], []
    stored = 0
    for key, row in best.items():
        revised_at = datetime.fromtimestamp(row.revision, tz=UTC)
        bp = existing.get(key)
        if bp is not None and bp.revised_at >= revised_at:
            superseded += 1
            continue
        stored += 1
        fields = {
            "end_date": num_day(row.end),
            "wh": row.wh,
            "estimated": row.estimated,
            "revised_at": revised_at,
            "source_file_id": report.pk,
        }
        if bp is None:
            create.append(BillingPeriod(premise_id=row.premise_id, start_date=num_day(row.start), **fields))
        else:
            for k, v in fields.items():
                setattr(bp, k, v)
            update.append(bp)
    BillingPeriod.objects.bulk_create(create, batch_size=500)
    BillingPeriod.objects.bulk_update(
        update, ["end_date", "wh", "estimated", "revised_at", "source_file"], batch_size=500
    )
    report.rows = parsed.read
    report.stored = stored
    report.superseded = superseded
    report.rejected = sum(reasons.values())
    report.rejected_by_reason = dict(reasons.most_common())
    save_rejects(report, rejects)
    if report.rows != report.stored + report.superseded + report.rejected:  # pragma: no cover - invariant
        raise RuntimeError(f"ingest totals do not add up for {report.name}")


def _latest_per_period(
    rows: list[BillingRow], rejects: list
) -> tuple[dict[tuple[int, int], BillingRow], int]:
    """Deduplicate within the file: per (premise, start day) the latest revision, and how many rows it
    supersedes. Rows at the same latest revision that disagree are all rejected (appended to ``rejects``)."""
    best: dict[tuple[int, int], BillingRow] = {}
    superseded = 0
    conflicts: set[tuple[int, int]] = set()
    for row in rows:
        key = (row.premise_id, row.start)
        have = best.get(key)
        if have is None or row.revision > have.revision:
            if have is not None:
                superseded += 1
            best[key] = row
        elif row.revision == have.revision and (row.end, row.wh, row.estimated) != (
            have.end,
            have.wh,
            have.estimated,
        ):
            conflicts.add(key)
            rejects.append((row.line, "duplicate_conflict", ROW_REASONS["duplicate_conflict"], ""))
        else:
            superseded += 1
    for key in conflicts:
        row = best.pop(key)
        rejects.append((row.line, "duplicate_conflict", ROW_REASONS["duplicate_conflict"], ""))
    return best, superseded


def _stored_periods(best: dict[tuple[int, int], BillingRow]) -> dict[tuple[int, int], BillingPeriod]:
    """The stored periods of the file's premises by (premise, start day)."""
    existing = {}
    pids = sorted({k[0] for k in best})
    for i in range(0, len(pids), 500):
        for bp in BillingPeriod.objects.filter(premise_id__in=pids[i : i + 500]):
            existing[(bp.premise_id, day_num(bp.start_date))] = bp
    return existing
