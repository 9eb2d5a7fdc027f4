"""The access log: every read of a customer's data by someone other than the customer (REP or third party).

The customer reads this log on their access-log page; it says who read which premise, which dates at which
granularity, when, and through which credential (an OAuth app or an organization's API key).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.utils import timezone

from thirdparty.models import AccessLogEntry


def _insert_pipelined(values: dict) -> None:
    """One round trip on PostgreSQL: BEGIN, ``synchronous_commit = off`` for this transaction only, INSERT,
    COMMIT, sent together (psycopg pipeline mode). The API answers without a disk sync per read, and the
    entry is on disk within a fraction of a second: only a crash of PostgreSQL itself in that fraction
    could lose it. Any error rolls the transaction back and propagates (the read is then not served)."""
    table = AccessLogEntry._meta.db_table
    sql = (
        f'INSERT INTO "{table}" ({", ".join(values)}) '  # noqa: S608 - column names from our own code
        f"VALUES ({', '.join(['%s'] * len(values))})"
    )
    connection.ensure_connection()
    conn = connection.connection
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            conn.execute("SET LOCAL synchronous_commit TO OFF")
            conn.execute(sql, list(values.values()), prepare=True)
            conn.execute("COMMIT")
    except Exception:
        with suppress(Exception):  # the original error is the one to report
            conn.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class LoggedRead:
    premise_id: int
    agreement_id: int | None = None
    range_start: date | None = None
    range_end: date | None = None


def access_log_record(
    *,
    actor,
    premise_id: int,
    resource: str,
    agreement_id: int | None = None,
    range_start: date | None = None,
    range_end: date | None = None,
    granularity: str = "",
    data_format: str = "",
) -> AccessLogEntry | None:
    """Log one read by ``actor`` (a thirdparty.access.Actor). Customers reading their own data are not logged."""
    if not actor.is_logged:
        return None
    values = {
        "at": timezone.now(),
        "premise_id": premise_id,
        "organization_id": actor.organization_id,
        "application_id": actor.application_id,
        "api_key_id": actor.api_key_id,
        "agreement_id": agreement_id,
        "actor_kind": actor.kind,
        "resource": resource[:40],
        "range_start": range_start,
        "range_end": range_end,
        "granularity": granularity[:10],
        "data_format": data_format[:10],
    }
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _insert_pipelined(values)
        return None
    return AccessLogEntry.objects.create(**values)


def access_log_record_many(
    *,
    actor,
    reads: Iterable[LoggedRead],
    resource: str,
    granularity: str = "",
    data_format: str = "",
    batch_size: int = 2000,
) -> int:
    """Log many reads at once (bulk exports): one INSERT per ``batch_size`` premises."""
    if not actor.is_logged:
        return 0
    now = timezone.now()
    rows = [
        AccessLogEntry(
            at=now,
            premise_id=r.premise_id,
            organization_id=actor.organization_id,
            application_id=actor.application_id,
            api_key_id=actor.api_key_id,
            agreement_id=r.agreement_id,
            actor_kind=actor.kind,
            resource=resource[:40],
            range_start=r.range_start,
            range_end=r.range_end,
            granularity=granularity[:10],
            data_format=data_format[:10],
        )
        for r in reads
    ]
    AccessLogEntry.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
