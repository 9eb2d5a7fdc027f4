"""Loading TDU interval files: what is stored, what is rejected and why, revisions, DST, idempotence."""

from __future__ import annotations

import gzip
import hashlib
import io
from datetime import date, datetime

import numpy as np
import pytest

from tests.helpers.ingest import (
    CNP_DUNS,
    ESI_1,
    ESI_2,
    ESI_CNP,
    HEADER,
    day_rows,
    make_premise,
    make_tdus,
    write_file,
)
from usage import storage
from usage.ingest.loader import ingest_file, ingest_reapply_rejects, ingest_stream
from usage.models import IngestFile, RejectedRow
from usage.timegrid import MARKET_TZ

pytestmark = pytest.mark.django_db
DAY = date(2025, 7, 1)


@pytest.fixture
def oncor(db):
    oncor, cnp = make_tdus()
    make_premise(ESI_1, oncor)
    return oncor


def _values(esiid_premise, day, channel=1):
    from usage.models import Premise

    pid = Premise.objects.get(esiid=esiid_premise).pk
    got = storage.read_channel_days(premise_id=pid, channel=channel, start=day, end=day)
    return got.day(day)


def test_loads_a_day_and_reads_it_back(oncor, tmp_path):
    path = write_file(tmp_path, day_rows(ESI_1, DAY))
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED, report.message
    assert (report.rows, report.stored, report.rejected, report.superseded) == (96, 96, 0, 0)
    values, est, missing = _values(ESI_1, DAY)
    assert values.tolist() == [(s % 7) * 125 for s in range(96)]
    assert not est.any() and not missing.any()


def test_bom_crlf_whitespace_and_reordered_columns(oncor, tmp_path):
    cols = HEADER.split(",")
    order = [5, 0, 7, 1, 3, 4, 2, 6]
    header = " , ".join(cols[i] for i in order)
    lines = []
    for row in day_rows(ESI_1, DAY, flag="E"):
        fields = row.split(",")
        lines.append(" , ".join(f" {fields[i]} " for i in order))
    path = write_file(tmp_path, lines, header=header, newline="\r\n", bom=True)
    report = ingest_file(path=path)
    assert report.stored == 96, report.rejected_by_reason
    values, est, _ = _values(ESI_1, DAY)
    assert values[3] == 375 and est.all()


def test_missing_column_rejects_the_file(oncor, tmp_path):
    header = HEADER.replace(",USAGE_KWH", "")
    lines = [",".join(r.split(",")[:5] + r.split(",")[6:]) for r in day_rows(ESI_1, DAY)]
    report = ingest_file(path=write_file(tmp_path, lines, header=header))
    assert report.status == IngestFile.Status.FAILED
    assert "USAGE_KWH" in report.message
    assert storage.read_channels(premise_id=1, start=DAY, end=DAY)[1].dates.size == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not_csv"), (b"hello world\n", "not_csv")],
)
def test_file_level_rejects(oncor, tmp_path, content, reason):
    path = tmp_path / "1039940674000_20250701_x.csv"
    path.write_bytes(content)
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.FAILED
    assert reason in report.rejected_by_reason


def test_gzip_and_truncated_gzip(oncor, tmp_path):
    path = write_file(tmp_path, day_rows(ESI_1, DAY), gz=True)
    assert ingest_file(path=path).stored == 96
    data = gzip.compress(("\n".join([HEADER, *day_rows(ESI_1, date(2025, 7, 2))]) + "\n").encode())
    cut = tmp_path / "1039940674000_20250702_cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    report = ingest_file(path=cut)
    assert report.status == IngestFile.Status.FAILED
    assert "truncated_gzip" in report.rejected_by_reason
    assert _values(ESI_1, date(2025, 7, 2)) is None  # nothing of it stored


def test_row_rejects_with_reasons(oncor, tmp_path):
    from usage.models import Premise, Tdu

    make_premise(ESI_CNP, Tdu.objects.get(duns=CNP_DUNS))
    good = day_rows(ESI_1, DAY)
    bad = [
        "garbage line",
        good[0].replace(ESI_1, "1044372000000000"),  # 16 digits
        good[0].replace(ESI_1, ESI_2),  # unknown
        good[0].replace(ESI_1, ESI_CNP),  # other TDU
        good[1].replace("07/01/2025,", "13/45/2025,", 1),
        good[1].replace("07/01/2025,", "07/01/2099,", 1),
        good[1].replace("07/01/2025,", "07/01/2019,", 1),  # before install
        good[2].replace(",00:30,", ",00:35,"),
        good[2].replace(",0.250,", ",-0.250,"),
        good[2].replace(",0.250,", ",abc,"),
        good[2].replace(",0.250,", ",0.2501,"),
        good[3].replace(",A,", ",X,"),
        good[3].replace(",Consumption", ",Gas"),
        good[3].replace("07/02/2025 07:37:00", "tomorrow"),
    ]
    path = write_file(tmp_path, good + bad)
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED_WITH_REJECTS
    assert report.rows == 96 + len(bad) and report.stored == 96 and report.rejected == len(bad)
    assert report.rows == report.stored + report.rejected + report.superseded
    expected = {
        "malformed": 1,
        "bad_esiid": 1,
        "unknown_esiid": 1,
        "other_tdu": 1,
        "bad_date": 1,
        "future_date": 1,
        "before_install": 1,
        "bad_time": 1,
        "negative_kwh": 1,
        "bad_kwh": 2,
        "bad_flag": 1,
        "bad_channel": 1,
        "bad_revision": 1,
    }
    assert report.rejected_by_reason == expected
    rejected = {r.line_number: r for r in RejectedRow.objects.filter(file=report)}
    assert rejected[98].raw == "garbage line"
    assert rejected[100].reason == "unknown_esiid" and ESI_2 in rejected[100].message
    assert "CenterPoint" in rejected[101].message
    assert Premise.objects.count() == 2


def test_22_digit_centerpoint_esiid(db, tmp_path):
    _, cnp = make_tdus()
    make_premise(ESI_CNP, cnp)
    path = write_file(tmp_path, day_rows(ESI_CNP, DAY), duns=CNP_DUNS)
    assert ingest_file(path=path).stored == 96


def test_same_file_twice_changes_nothing(oncor, tmp_path):
    path = write_file(tmp_path, day_rows(ESI_1, DAY))
    first = ingest_file(path=path)
    assert first.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    copy = path.with_name("1039940674000_20250701_copy.csv")
    copy.write_bytes(path.read_bytes())
    assert ingest_file(path=copy).status == IngestFile.Status.DUPLICATE
    second = ingest_file(path=path)
    assert second.status == IngestFile.Status.DUPLICATE
    assert second.duplicate_of == first and "nothing changed" in second.message
    assert second.stored == 0


def test_identical_files_of_two_tdus_are_two_deliveries(oncor, tmp_path):
    """A duplicate is the same bytes from the same TDU; another TDU's identical (here header-only) file is
    loaded as its own delivery, with a sha256 given up front or computed while reading."""
    empty = write_file(tmp_path, [], tag="empty")
    other = write_file(tmp_path, [], duns=CNP_DUNS, tag="empty")
    assert ingest_file(path=empty).status == IngestFile.Status.LOADED
    assert ingest_file(path=other).status == IngestFile.Status.LOADED
    data = other.read_bytes()
    again = ingest_stream(
        stream=io.BytesIO(data), name=other.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    assert again.status == IngestFile.Status.DUPLICATE and again.duplicate_of.tdu.duns == CNP_DUNS


def test_revisions_per_interval_in_any_order(oncor, tmp_path):
    early = datetime(2025, 7, 2, 7, 0, tzinfo=MARKET_TZ)
    late = datetime(2025, 7, 3, 7, 0, tzinfo=MARKET_TZ)
    revised = day_rows(ESI_1, DAY, revised=late, kwh=lambda s: 1.0)[10:20]
    # the revision arrives before the original
    r1 = ingest_file(path=write_file(tmp_path, revised, tag="rev"))
    assert r1.stored == 10
    r2 = ingest_file(path=write_file(tmp_path, day_rows(ESI_1, DAY, revised=early), tag="orig"))
    assert (r2.stored, r2.superseded) == (86, 10)
    values, _, missing = _values(ESI_1, DAY)
    assert values[10:20].tolist() == [1000] * 10
    assert values[0] == 0 and values[21] == (21 % 7) * 125 and not missing.any()
    # an equal revision changes nothing; a later one replaces just its intervals
    r3 = ingest_file(
        path=write_file(tmp_path, day_rows(ESI_1, DAY, revised=late, kwh=lambda s: 2.0)[10:12], tag="eq")
    )
    assert (r3.stored, r3.superseded) == (0, 2)
    later = datetime(2025, 7, 4, 7, 0, tzinfo=MARKET_TZ)
    r4 = ingest_file(
        path=write_file(tmp_path, day_rows(ESI_1, DAY, revised=later, kwh=lambda s: 3.0)[5:6], tag="l")
    )
    assert r4.stored == 1
    values, _, _ = _values(ESI_1, DAY)
    assert values[5] == 3000 and values[10] == 1000 and values[4] == (4 % 7) * 125


def test_partial_day_marks_missing_slots(oncor, tmp_path):
    ingest_file(path=write_file(tmp_path, day_rows(ESI_1, DAY)[:50]))
    values, _, missing = _values(ESI_1, DAY)
    assert len(values) == 96 and missing[50:].all() and not missing[:50].any()


def test_duplicates_in_one_file(oncor, tmp_path):
    rows = day_rows(ESI_1, DAY)
    conflicting = rows[7].replace(",0.000,", ",9.999,")
    path = write_file(tmp_path, rows + [rows[3], rows[4], conflicting])
    report = ingest_file(path=path)
    assert report.rows == 99
    assert report.superseded == 2  # identical copies
    assert report.rejected_by_reason == {"duplicate_conflict": 2}
    assert report.stored == 95
    values, _, missing = _values(ESI_1, DAY)
    assert missing[7] and not missing[6]
    raws = set(RejectedRow.objects.filter(file=report).values_list("raw", flat=True))
    assert conflicting in raws and rows[7] in raws


def test_spring_forward_day(oncor, tmp_path):
    day = date(2025, 3, 9)
    rows = day_rows(ESI_1, day)
    assert len(rows) == 92
    bad = rows[8].replace(",02:00,02:15,", ",02:15,02:30,").replace("01:45,03:00", "02:15,02:30")
    bad = f"'{ESI_1},03/09/2025,03/10/2025 07:37:00,02:15,02:30,0.100,A,Consumption"
    report = ingest_file(path=write_file(tmp_path, rows + [bad], day=day))
    assert report.stored == 92 and report.rejected_by_reason == {"no_such_slot": 1}
    values, _, _ = _values(ESI_1, day)
    assert len(values) == 92 and values[8] == (8 % 7) * 125


def test_fall_back_day_rows_scattered(oncor, tmp_path):
    day = date(2025, 11, 2)
    rows = day_rows(ESI_1, day, kwh=lambda s: s / 1000)
    assert len(rows) == 100
    # interleave with another day's rows; the repeated hour keeps its order (CDT first, then CST)
    other = day_rows(ESI_1, date(2025, 11, 1))
    mixed = []
    for i, r in enumerate(rows):
        mixed.append(r)
        if i < len(other):
            mixed.append(other[i])
    report = ingest_file(path=write_file(tmp_path, mixed, day=day))
    assert report.stored == 196, report.rejected_by_reason
    values, _, missing = _values(ESI_1, day)
    assert values.tolist() == list(range(100)) and not missing.any()


def test_atomic_rollback_on_error(oncor, tmp_path, monkeypatch):
    path = write_file(tmp_path, day_rows(ESI_1, DAY))

    def boom(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(storage, "write_day_blocks", boom)
    failed = ingest_file(path=path)
    assert failed.status == IngestFile.Status.FAILED and failed.rejected_by_reason == {"internal_error": 0}
    assert IngestFile.objects.count() == 1
    from usage.models import IntervalDay

    assert not IntervalDay.objects.exists()
    monkeypatch.undo()
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED and report.stored == 96


def test_reapply_rejected_rows_after_premise_added(oncor, tmp_path):
    rows = day_rows(ESI_2, DAY)
    report = ingest_file(path=write_file(tmp_path, rows))
    assert report.rejected_by_reason == {"unknown_esiid": 96}
    make_premise(ESI_2, oncor)
    again = ingest_reapply_rejects(file_id=report.pk)
    assert again.stored == 96 and again.rejected == 0
    assert RejectedRow.objects.filter(file=report, reapplied_at__isnull=False).count() == 96
    values, _, _ = _values(ESI_2, DAY)
    assert values[1] == 125


def test_generation_channel_and_read_channels(oncor, tmp_path):
    lines = day_rows(ESI_1, DAY) + day_rows(ESI_1, DAY, channel="Surplus Generation", kwh=lambda s: 0.5)
    ingest_file(path=write_file(tmp_path, lines))
    from usage.models import Premise

    both = storage.read_channels(premise_id=Premise.objects.get(esiid=ESI_1).pk, start=DAY, end=DAY)
    assert both[1].values_wh.size == 96 and np.all(both[2].values_wh == 500)


def test_fall_back_revision_of_the_cst_quarter_alone(oncor, tmp_path):
    day = date(2025, 11, 2)
    ingest_file(path=write_file(tmp_path, day_rows(ESI_1, day, kwh=lambda s: s / 1000), day=day))
    later = datetime(2025, 11, 20, 8, 0, tzinfo=MARKET_TZ)
    # the CST 01:45-02:00 interval (slot 11) revised alone: its end time says which occurrence it is
    rows = [r for r in day_rows(ESI_1, day, revised=later, kwh=lambda s: 7.0) if ",01:45,02:00," in r]
    report = ingest_file(path=write_file(tmp_path, rows, day=day, tag="rev"))
    assert report.stored == 1, report.rejected_by_reason
    values, _, _ = _values(ESI_1, day)
    assert values[11] == 7000 and values[7] == 7


def test_large_files_are_merged_in_day_parts(oncor, tmp_path, monkeypatch):
    from usage.ingest import load_intervals

    monkeypatch.setattr(load_intervals, "PART_READINGS", 150)
    days = [date(2025, 7, d) for d in (3, 1, 2)]
    lines = []
    for d in days:
        lines += day_rows(ESI_1, d)
    lines += day_rows(ESI_1, date(2025, 7, 1))[:5]  # identical copies, superseded
    report = ingest_file(path=write_file(tmp_path, lines))
    assert (report.rows, report.stored, report.superseded) == (293, 288, 5)
    for d in days:
        values, _, missing = _values(ESI_1, d)
        assert values.tolist() == [(s % 7) * 125 for s in range(96)] and not missing.any()
