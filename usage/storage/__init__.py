"""Interval storage: day rows for recent data, meter-month rows for settled data, one read path for both.

Rows (see usage.models): ``IntervalDay`` (premise, channel, local day) and ``IntervalMonth`` (premise,
channel, first of month, day_mask). Their ``data`` is a usage.codec block: for a day its 92/96/100 slots in
absolute time; for a month the present days' slots end to end. A day lives in exactly one of the two.

Modules: ``days`` (slot counts, months and day masks of day numbers), ``db`` (table names, SQL helpers),
``reads`` (the read path), ``writes`` (inserts and deletes for loads and compaction), ``locks`` (turns between
loads and compaction), ``partitions`` (PostgreSQL's monthly partitions), ``conversion`` (an unpartitioned
database to partitioned tables), ``compaction`` and ``retention``. This package exposes what callers outside it use.
"""

from usage.storage.compaction import compact_months, uncompact_months
from usage.storage.days import slots_for_days
from usage.storage.db import is_postgres
from usage.storage.locks import BILLING_LOCK, lock_tdu_days, lock_tdu_days_shared
from usage.storage.partitions import ensure_partitions, ensure_partitions_ahead
from usage.storage.reads import (
    DayTotals,
    read_channel_days,
    read_channels,
    read_day_totals_many,
    revision_stamp,
    shared_reads,
)
from usage.storage.retention import purge_expired
from usage.storage.writes import delete_day_keys, fetch_day_blocks, write_day_blocks, write_month_blocks
from usage.timegrid import day_num

__all__ = [
    "DayTotals",
    "BILLING_LOCK",
    "compact_months",
    "day_num",
    "ensure_partitions",
    "ensure_partitions_ahead",
    "delete_day_keys",
    "fetch_day_blocks",
    "is_postgres",
    "lock_tdu_days",
    "lock_tdu_days_shared",
    "purge_expired",
    "read_channel_days",
    "read_channels",
    "read_day_totals_many",
    "revision_stamp",
    "shared_reads",
    "slots_for_days",
    "uncompact_months",
    "write_day_blocks",
    "write_month_blocks",
]
