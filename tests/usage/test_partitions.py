"""Partitioned interval storage on PostgreSQL (docs/scaling.md): monthly partitions made on demand and ahead,
retention by dropping partitions, compaction month by month, the conversion of an unpartitioned database
while it is written to, and the key constraints a Citus distribution by premise would need."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage import storage
from usage.ingest.loader import ingest_file
from usage.storage.conversion import convert_to_partitioned
from usage.storage.partitions import forget_known
from usage.tasks import create_interval_partitions
from usage.timegrid import MARKET_TZ, local_today

pytestmark = [pytest.mark.postgres]

DAY_T, MONTH_T = "usage_intervalday", "usage_intervalmonth"


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchall()


def _size(table: str) -> int:
    """Bytes of the table's rows (its heap), which a reclaimed partition no longer has."""
    return _rows("SELECT pg_relation_size(%s::regclass)", [table])[0][0]


def _total_size(table: str) -> int:
    return _rows("SELECT pg_total_relation_size(%s::regclass)", [table])[0][0]


def _partitions(table: str) -> set[str]:
    return {
        r[0]
        for r in _rows(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
    }


@pytest.fixture
def premise(db):
    oncor, _ = make_tdus()
    return make_premise(ESI_1, oncor, installed_on=date(2015, 1, 1))


def _load_days(tmp_path, first: date, days: int, tag: str, **kw):
    lines = []
    for i in range(days):
        d = first + timedelta(days=i)
        lines += day_rows(ESI_1, d, kwh=lambda s, i=i: ((s * 11 + i * 5) % 800) / 1000, **kw)
    return ingest_file(path=write_file(tmp_path, lines, day=first, tag=tag))


@pytest.mark.django_db
def test_both_interval_tables_are_range_partitioned_by_their_date_after_migrate():
    got = _rows(
        "SELECT c.relname, p.partstrat, a.attname FROM pg_partitioned_table p "
        "JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
        "WHERE c.relname IN (%s, %s) ORDER BY 1",
        [DAY_T, MONTH_T],
    )
    assert got == [(DAY_T, "r", "day"), (MONTH_T, "r", "month")]
    # no DEFAULT partition: adding a month never has to scan one
    assert not _rows(
        "SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent IN "
        "(to_regclass(%s), to_regclass(%s)) AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'",
        [DAY_T, MONTH_T],
    )


@pytest.mark.django_db
def test_keys_lead_with_the_premise_and_hold_the_partition_column_and_no_foreign_keys_for_citus():
    """What create_distributed_table(<table>, 'premise_id') needs of a partitioned table."""
    for table, column in ((DAY_T, "day"), (MONTH_T, "month")):
        unique = _rows(
            "SELECT c.relname, array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(%s) AND i.indisunique",
            [table],
        )
        assert unique == [(f"{table}_pkey", ["premise_id", "channel", column])]
        constraints = _rows(
            "SELECT contype FROM pg_constraint WHERE conrelid = to_regclass(%s) OR confrelid = to_regclass(%s)",
            [table, table],
        )
        assert sorted(c for (c,) in constraints) == ["p"]  # the primary key; no foreign key either way


@pytest.mark.django_db
def test_loading_a_file_for_an_old_month_creates_its_partitions(premise, tmp_path):
    assert "usage_intervalday_p2019_03" not in _partitions(DAY_T)
    report = _load_days(tmp_path, date(2019, 3, 30), 4, "old")
    assert report.stored == 4 * 96
    assert {"usage_intervalday_p2019_03", "usage_intervalday_p2019_04"} <= _partitions(DAY_T)
    assert {"usage_intervalmonth_p2019_03", "usage_intervalmonth_p2019_04"} <= _partitions(MONTH_T)
    assert _rows("SELECT count(*) FROM usage_intervalday_p2019_03") == [(2,)]
    got = storage.read_channel_days(
        premise_id=premise.pk, channel=1, start=date(2019, 3, 1), end=date(2019, 4, 30)
    )
    assert [str(d) for d in got.dates.tolist()] == ["2019-03-30", "2019-03-31", "2019-04-01", "2019-04-02"]


@pytest.mark.django_db
def test_the_partitions_ahead_task_creates_the_coming_months_once():
    created = storage.ensure_partitions_ahead(today=date(2031, 5, 20), months=3)
    expected = {f"{t}_p2031_{m:02d}" for t in (DAY_T, MONTH_T) for m in (5, 6, 7, 8)}
    assert set(created) == expected
    assert expected <= _partitions(DAY_T) | _partitions(MONTH_T)
    forget_known()  # a new process: the catalogue, not the cache, says they exist
    assert storage.ensure_partitions_ahead(today=date(2031, 5, 20), months=3) == []
    assert "usage_intervalday_p2031_09" not in _partitions(DAY_T)
    # the beat's task: this month and INTERVAL_PARTITIONS_AHEAD (3) more
    create_interval_partitions()
    this_month = local_today().replace(day=1)
    assert f"usage_intervalday_p{this_month:%Y_%m}" in _partitions(DAY_T)
    assert f"usage_intervalmonth_p{this_month:%Y_%m}" in _partitions(MONTH_T)


@pytest.mark.django_db(transaction=True)
def test_processes_creating_the_same_months_at_once_create_each_partition_once():
    forget_known()
    start = threading.Barrier(4)
    created: list[list[str]] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            start.wait()
            created.append(storage.ensure_partitions(date(2033, 2, 1), date(2033, 3, 31)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = sorted(name for part in created for name in part)
    assert names == sorted(f"{t}_p2033_{m:02d}" for t in (DAY_T, MONTH_T) for m in (2, 3))  # each once


@pytest.mark.django_db(transaction=True)
def test_retention_drops_whole_partitions_before_the_cutoffs_month_and_keeps_the_rest(
    premise, tmp_path, settings
):
    settings.INTERVAL_RETENTION_YEARS = 7
    _load_days(tmp_path, date(2018, 1, 20), 30, "old")  # 20 January .. 18 February 2018
    _load_days(tmp_path, date(2025, 1, 30), 3, "new")
    storage.compact_months(before=date(2018, 3, 1))  # January as a month block, February too
    kept_before = storage.read_channels(premise_id=premise.pk, start=date(2018, 2, 1), end=date(2025, 12, 31))
    result = storage.purge_expired(today=date(2025, 2, 10))  # cutoff 10 February 2018
    assert result["cutoff"] == "2018-02-10"
    dropped = result["dropped_partitions"]
    assert {"usage_intervalday_p2018_01", "usage_intervalmonth_p2018_01"} <= set(dropped)
    assert all(name[-7:] < "2018_02" for name in dropped)  # (older months other tests made go too)
    assert (result["days"], result["months"]) == (0, 0)  # nothing deleted row by row
    assert "usage_intervalday_p2018_01" not in _partitions(DAY_T)
    assert "usage_intervalmonth_p2018_02" in _partitions(MONTH_T)  # holds the cutoff: kept whole
    left = storage.read_channels(premise_id=premise.pk, start=date(2010, 1, 1), end=date(2025, 12, 31))
    assert str(left[1].dates[0]) == "2018-02-01"
    for ch in (1, 2):
        for field in ("dates", "offsets", "values_wh", "estimated", "missing"):
            assert np.array_equal(getattr(left[ch], field), getattr(kept_before[ch], field)), (ch, field)
    assert storage.purge_expired(today=date(2025, 2, 10))["dropped_partitions"] == []


@pytest.mark.django_db
def test_compaction_writes_each_month_into_its_own_partition(premise, tmp_path):
    _load_days(tmp_path, date(2025, 9, 25), 40, "a")
    before = storage.read_channels(premise_id=premise.pk, start=date(2025, 9, 1), end=date(2025, 11, 30))
    stats = storage.compact_months(before=date(2025, 11, 10))
    assert (stats["months"], stats["days"]) == (2, 37)
    assert stats["reclaimed_partitions"] >= 2  # others an earlier test's rolled-back rows left pages in, too
    assert _rows("SELECT month FROM usage_intervalmonth_p2025_09") == [(date(2025, 9, 1),)]
    assert _rows("SELECT month FROM usage_intervalmonth_p2025_10") == [(date(2025, 10, 1),)]
    assert _rows("SELECT count(*) FROM usage_intervalday_p2025_10") == [(0,)]
    # the emptied day partitions gave their pages back; November's, still holding day rows, kept its own
    assert _size("usage_intervalday_p2025_09") == _size("usage_intervalday_p2025_10") == 0
    assert _total_size("usage_intervalday_p2025_10") <= 32 * 1024  # the indexes' metapages
    assert _size("usage_intervalday_p2025_11") > 0
    after = storage.read_channels(premise_id=premise.pk, start=date(2025, 9, 1), end=date(2025, 11, 30))
    for field in ("dates", "offsets", "values_wh", "estimated", "missing"):
        assert np.array_equal(getattr(before[1], field), getattr(after[1], field)), field


@pytest.mark.django_db(transaction=True)
def test_a_partition_a_load_is_writing_into_is_skipped_not_waited_for_and_reclaimed_next_time(tmp_path):
    """The reclaim takes its lock without waiting: a load's open transaction on the month keeps its rows and
    is not blocked; the next compaction gives the pages back once that month is empty."""
    from usage.storage.partitions import reclaim_compacted_days

    oncor, _ = make_tdus()
    p = make_premise(ESI_1, oncor, installed_on=date(2015, 1, 1))
    _load_days(tmp_path, date(2025, 9, 25), 10, "a")
    storage.compact_months(before=date(2025, 11, 10))
    _load_days(
        tmp_path, date(2025, 9, 28), 1, "b", revised=datetime(2025, 10, 20, 8, 0, tzinfo=MARKET_TZ)
    )  # reopens September
    assert _size("usage_intervalday_p2025_09") > 0
    holder = connection.copy()  # another session, inside a load's transaction on September's day partition
    try:
        with holder.cursor() as cur:
            holder.set_autocommit(False)
            cur.execute("SELECT 1 FROM usage_intervalday_p2025_09 FOR UPDATE")
            started = time.monotonic()
            assert reclaim_compacted_days(date(2025, 11, 10)) == []
            assert time.monotonic() - started < 5
        holder.rollback()
    finally:
        holder.close()
    assert storage.compact_months(before=date(2025, 11, 10))["reclaimed_partitions"] >= 1
    assert _size("usage_intervalday_p2025_09") == 0
    assert storage.read_channels(premise_id=p.pk, start=date(2025, 9, 28), end=date(2025, 9, 28))[
        1
    ].dates.size


# ------------------------------------------------------------------------ converting an existing database

OLD_LAYOUT = [
    # the tables as migrations 0002-0005 left them, before partitioning
    "CREATE TABLE usage_intervalday (channel smallint NOT NULL, day date NOT NULL, data bytea NOT NULL, "
    "premise_id bigint NOT NULL, source_file_id bigint, PRIMARY KEY (premise_id, channel, day))",
    "CREATE INDEX usage_intervalday_source_file_id_9b458adf ON usage_intervalday (source_file_id)",
    "ALTER TABLE usage_intervalday ALTER COLUMN data SET STORAGE MAIN",
    "CREATE TABLE usage_intervalmonth (channel smallint NOT NULL, month date NOT NULL, day_mask integer NOT NULL, "
    "data bytea NOT NULL, premise_id bigint NOT NULL, PRIMARY KEY (premise_id, channel, month))",
    "ALTER TABLE usage_intervalmonth ALTER COLUMN data SET STORAGE EXTERNAL",
]


def _to_old_layout() -> None:
    with connection.cursor() as cur:
        for table in (DAY_T, MONTH_T):
            cur.execute(f"CREATE TABLE saved_{table} AS SELECT * FROM {table}")
            cur.execute(f"DROP TABLE {table} CASCADE")
        for sql in OLD_LAYOUT:
            cur.execute(sql)
        for table in (DAY_T, MONTH_T):
            cols = (
                "premise_id, channel, day, data, source_file_id"
                if table == DAY_T
                else "premise_id, channel, month, day_mask, data"
            )
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM saved_{table}")
            cur.execute(f"DROP TABLE saved_{table}")
    forget_known()


def _reads(premise_id: int):
    chans = storage.read_channels(
        premise_id=premise_id, start=date(2024, 1, 1), end=date(2025, 12, 31), revisions=True
    )
    stamp = storage.revision_stamp(premise_id=premise_id, start=date(2024, 1, 1), end=date(2025, 12, 31))
    return chans, stamp


def _same_reads(a, b) -> None:
    (ca, sa), (cb, sb) = a, b
    assert sa == sb
    for ch in (1, 2):
        for field in ("dates", "offsets", "values_wh", "estimated", "missing", "revisions"):
            assert np.array_equal(getattr(ca[ch], field), getattr(cb[ch], field)), (ch, field)


@pytest.fixture
def partitioned_afterwards():
    """Whatever happens in the test, the next tests find partitioned tables and no leftovers."""
    yield
    forget_known()
    convert_to_partitioned(drop_old=True)
    with connection.cursor() as cur:
        for table in (DAY_T, MONTH_T):
            cur.execute(f"DROP TABLE IF EXISTS {table}_unpartitioned, {table}_partitioned, {table}_changes")
        cur.execute("DROP TABLE IF EXISTS usage_partition_copy")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partitioned_afterwards")
def test_converting_an_unpartitioned_database_keeps_every_row_and_the_writes_made_before_the_swap(
    premise, tmp_path
):
    _load_days(tmp_path, date(2025, 8, 28), 40, "a")  # August .. early October
    storage.compact_months(before=date(2025, 10, 5))  # August and September as month blocks
    _to_old_layout()
    assert not _rows("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [DAY_T])
    seen = {}

    def writes_between_copy_and_swap() -> None:
        # a late revision reopening compacted September (month row deleted, day rows written), a new month
        late = datetime(2025, 10, 20, 8, 0, tzinfo=MARKET_TZ)
        rows = day_rows(ESI_1, date(2025, 9, 12), revised=late, kwh=lambda s: 4.0)[10:14]
        rows += day_rows(ESI_1, date(2025, 11, 3))
        report = ingest_file(path=write_file(tmp_path, rows, day=date(2025, 9, 12), tag="late"))
        assert report.stored == 4 + 96
        seen["reads"] = _reads(premise.pk)  # what the old tables answer just before the swap

    result = convert_to_partitioned(catch_up_passes=1, before_swap=writes_between_copy_and_swap)
    assert result["converted"] == [DAY_T, MONTH_T]
    assert result["caught_up_keys"] > 0
    assert _rows("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [DAY_T]) == [
        ("r",)
    ]
    assert {"usage_intervalday_p2025_09", "usage_intervalday_p2025_11"} <= _partitions(DAY_T)
    for table in (DAY_T, MONTH_T):  # the new tables hold exactly the old tables' rows
        assert _rows(
            f"SELECT count(*) FROM ((SELECT * FROM {table} EXCEPT ALL SELECT * FROM {table}_unpartitioned) "
            f"UNION ALL (SELECT * FROM {table}_unpartitioned EXCEPT ALL SELECT * FROM {table})) d"
        ) == [(0,)]
    assert _rows(f"SELECT count(*) FROM {DAY_T}")[0][0] > 0
    _same_reads(_reads(premise.pk), seen["reads"])
    # the old names and the index names Django knows are the new tables'
    assert _rows("SELECT to_regclass('usage_intervalday_source_file_id_9b458adf')::text") == [
        ("usage_intervalday_source_file_id_9b458adf",)
    ]
    # after the swap, loads and compaction work on the partitioned tables
    _load_days(tmp_path, date(2025, 12, 1), 2, "after")
    assert _rows("SELECT count(*) FROM usage_intervalday_p2025_12") == [(2,)]
    assert convert_to_partitioned() == {"converted": []}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partitioned_afterwards")
def test_converting_empty_tables_swaps_at_once():
    _to_old_layout()
    assert convert_to_partitioned() == {"converted": [DAY_T, MONTH_T], "rows": 0}
    assert _rows(
        "SELECT count(*) FROM pg_partitioned_table WHERE partrelid IN (to_regclass(%s), to_regclass(%s))",
        [DAY_T, MONTH_T],
    ) == [(2,)]
    assert _rows("SELECT to_regclass('usage_intervalday_unpartitioned')") == [(None,)]


class _Interrupted(Exception):
    pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("partitioned_afterwards")
def test_an_interrupted_conversion_resumes_where_it_stopped_with_the_command(premise, tmp_path):
    _load_days(tmp_path, date(2025, 8, 28), 40, "a")
    storage.compact_months(before=date(2025, 10, 5))
    _to_old_layout()
    expected = _reads(premise.pk)

    def stop_after_first_month(line: str) -> None:
        if "rows copied" in line:
            raise _Interrupted(line)

    # day rows are left in October only (August and September are month blocks)
    with pytest.raises(_Interrupted, match="usage_intervalday 2025-10"):
        convert_to_partitioned(log=stop_after_first_month)
    assert not _rows("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [DAY_T])
    out = StringIO()
    call_command("partition_intervals", "--drop-old", stdout=out)
    lines = out.getvalue().splitlines()
    assert not any(line.startswith("usage_intervalday 2025-10") for line in lines)  # done before: not again
    assert any(line.startswith("usage_intervalmonth 2025-08") for line in lines)
    assert any(line.startswith("usage_intervalmonth 2025-09") for line in lines)
    summary = json.loads(lines[-1])
    assert summary["converted"] == [DAY_T, MONTH_T]
    assert _rows("SELECT to_regclass('usage_intervalday_unpartitioned')") == [(None,)]
    assert _rows("SELECT to_regclass('usage_partition_copy')") == [(None,)]
    _same_reads(_reads(premise.pk), expected)
