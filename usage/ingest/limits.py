"""The per-file limits every TDU file is held to, interval or billing (docs/ingest.md, "Limits per file")."""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from usage.ingest.reasons import FileRejected
from usage.ingest.source import SizeLimits


def size_limits() -> SizeLimits:
    return SizeLimits(
        max_bytes=settings.INGEST_MAX_BYTES,
        max_ratio=settings.INGEST_MAX_GZIP_RATIO,
        ratio_min_bytes=settings.INGEST_RATIO_MIN_BYTES,
    )


def check_shares(*, rows: int, blank: int, reasons: Counter) -> None:
    """Refuse a file that is mostly blank lines or mostly rejected rows (past INGEST_SHARE_MIN_LINES lines,
    so small files always load what they can)."""
    lines = rows + blank
    if lines < settings.INGEST_SHARE_MIN_LINES:
        return
    if blank * 100 > settings.INGEST_MAX_BLANK_PERCENT * lines:
        raise FileRejected("mostly_blank", f"{blank:,} of {lines:,} lines are blank")
    rejected = sum(reasons.values())
    if rows and rejected * 100 > settings.INGEST_MAX_REJECT_PERCENT * rows:
        raise FileRejected(
            "mostly_rejected",
            f"{rejected:,} of {rows:,} rows are rejected",
            counts=dict(reasons.most_common()),
        )
