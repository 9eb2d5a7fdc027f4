"""Hostile and broken TDU files: one row never fails a file, unexpected errors become reports, revision
times out of range are rejected, rejects are bounded, limits refuse bombs (docs/ingest.md, "Limits")."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage.ingest import loader
from usage.ingest.fields import CODE, parse_kwh
from usage.ingest.loader import ingest_file
from usage.models import IngestFile

pytestmark = pytest.mark.django_db
DAY = date(2025, 7, 1)


@pytest.fixture
def oncor(db):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    return oncor


def test_kwh_of_thousands_of_digits_is_a_row_reject():
    assert parse_kwh(b"9" * 5000) == (0, CODE["bad_kwh"])
    assert parse_kwh(b"9" * 5000 + b".125") == (0, CODE["bad_kwh"])
    assert parse_kwh(b"0" * 40 + b"1.5") == (1500, 0)
    assert parse_kwh(b"-" + b"9" * 5000) == (0, CODE["bad_kwh"])


def test_one_hostile_kwh_row_does_not_fail_the_file(oncor, tmp_path):
    rows = day_rows(ESI_1, DAY)
    bad = rows[5].split(",")
    bad[5] = "9" * 10_000
    path = write_file(tmp_path, [*rows[:5], ",".join(bad), *rows[6:]])
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED_WITH_REJECTS, report.message
    assert (report.stored, report.rejected) == (95, 1)
    assert report.rejected_by_reason == {"bad_kwh": 1}


def test_unexpected_exception_is_a_stored_failed_report(oncor, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("surprise")

    monkeypatch.setattr(loader, "load_intervals", boom)
    path = write_file(tmp_path, day_rows(ESI_1, DAY))
    report = ingest_file(path=path)
    assert report.pk and report.status == IngestFile.Status.FAILED
    assert report.rejected_by_reason == {"internal_error": 0}
    assert "RuntimeError: surprise" in report.message
    assert len(report.sha256) == 64


def test_inbox_task_moves_a_file_with_an_unexpected_error_to_failed(oncor, tmp_path, settings, monkeypatch):
    from usage import tasks

    def boom(*args, **kwargs):
        raise ValueError("surprise")

    monkeypatch.setattr(loader, "load_intervals", boom)
    settings.SMT_INBOX_DIR = tmp_path / "inbox"
    dirs = tasks.inbox_dirs()
    path = write_file(dirs["processing"], day_rows(ESI_1, DAY))
    result = tasks.load_inbox_file(str(path))
    assert result["status"] == IngestFile.Status.FAILED
    assert [p.name for p in dirs["failed"].iterdir()] == [path.name]
    assert not list(dirs["processing"].iterdir())
    assert IngestFile.objects.get(pk=result["report"]).rejected_by_reason == {"internal_error": 0}


def _revised(row: str, revision: str) -> str:
    fields = row.split(",")
    fields[2] = revision
    return ",".join(fields)


@pytest.mark.parametrize("fast", [True, False])
def test_revision_times_out_of_range_are_rejected(oncor, tmp_path, monkeypatch, fast):
    from usage.ingest import intervals

    if not fast:
        monkeypatch.setattr(intervals, "parse_chunk_fast", lambda *a, **k: None)
    rows = day_rows(ESI_1, DAY)
    rows[0] = _revised(rows[0], "12/31/9999 23:59:59")  # would freeze the interval against every correction
    rows[1] = _revised(rows[1], "06/30/2025 23:59:59")  # before the usage day began
    rows[2] = _revised(rows[2], "07/01/2025 00:00:00")  # the day's start: fine
    path = write_file(tmp_path, rows)
    report = ingest_file(path=path)
    assert report.rejected_by_reason == {"revision_out_of_range": 2}, list(
        report.rejected_rows.values_list("raw", "message")
    )
    assert report.stored == 94
    lines = sorted(report.rejected_rows.values_list("line_number", "message"))
    assert [n for n, _ in lines] == [2, 3]
    assert "12/31/9999 23:59:59" in lines[0][1]


def test_revision_a_little_ahead_is_fine_but_not_past_the_setting(oncor, tmp_path, settings):
    from datetime import datetime, timedelta

    from usage.timegrid import MARKET_TZ

    soon = datetime.now(MARKET_TZ) + timedelta(hours=2)
    rows = [_revised(r, f"{soon:%m/%d/%Y %H:%M:%S}") for r in day_rows(ESI_1, DAY)]
    settings.INGEST_REVISION_MAX_AHEAD_HOURS = 24
    assert ingest_file(path=write_file(tmp_path, rows, tag="a")).stored == 96
    settings.INGEST_REVISION_MAX_AHEAD_HOURS = 1
    rows = [r.replace(",A,", ",E,") for r in rows]  # other bytes: not a duplicate of the first file
    report = ingest_file(path=write_file(tmp_path, rows, tag="b"))
    assert report.rejected_by_reason == {"revision_out_of_range": 96}


def test_rejects_are_counted_exactly_but_sampled(oncor, tmp_path, settings):
    settings.INGEST_REJECT_SAMPLES = 5
    good = day_rows(ESI_1, DAY)
    unknown = day_rows("10443720000000009", DAY) * 3  # 288 unknown_esiid
    bad_kwh = [r.replace(",0.", ",x.") for r in good if ",0." in r]
    # the same interval twice at the same revision with another value: both copies are conflicts
    conflicts = [r.replace(",A,", ",E,") for r in day_rows(ESI_1, date(2025, 7, 2))] + day_rows(
        ESI_1, date(2025, 7, 2)
    )
    report = ingest_file(path=write_file(tmp_path, good + unknown + bad_kwh + conflicts))
    assert report.rejected_by_reason == {
        "unknown_esiid": 288,
        "bad_kwh": len(bad_kwh),
        "duplicate_conflict": 192,
    }
    assert report.rows == report.stored + report.superseded + report.rejected
    by_reason = {}
    for reason, line, raw in report.rejected_rows.values_list("reason", "line_number", "raw"):
        by_reason.setdefault(reason, []).append((line, raw))
    assert {k: len(v) for k, v in by_reason.items()} == {
        "unknown_esiid": 5,
        "bad_kwh": 5,
        "duplicate_conflict": 5,
    }
    assert [line for line, _ in sorted(by_reason["unknown_esiid"])] == [98, 99, 100, 101, 102]
    assert all(raw for _, raw in by_reason["duplicate_conflict"])


def test_a_large_day_is_merged_in_parts_of_whole_premises(oncor, tmp_path, monkeypatch):
    from tests.helpers.ingest import ESI_2
    from usage import storage
    from usage.ingest import load_intervals
    from usage.models import Premise

    monkeypatch.setattr(load_intervals, "PART_READINGS", 100)
    make_premise(ESI_2, oncor)
    make_premise("10443720000000003", oncor)
    rows = []
    for esi in ("10443720000000003", ESI_1, ESI_2):  # not in premise order
        rows += day_rows(esi, DAY)
    rows += [r.replace(",07:37:", ",08:37:") for r in day_rows(ESI_1, DAY)[:10]]  # later revisions
    report = ingest_file(path=write_file(tmp_path, rows))
    assert (report.stored, report.superseded, report.rejected) == (288, 10, 0), report.message
    for esi in ("10443720000000003", ESI_1, ESI_2):
        pid = Premise.objects.get(esiid=esi).pk
        got = storage.read_channel_days(premise_id=pid, channel=1, start=DAY, end=DAY)
        assert got.values_wh.size == 96 and not got.missing.any()


def test_one_meter_day_repeated_past_reason_is_refused(oncor, tmp_path, monkeypatch):
    from usage.ingest import load_intervals

    monkeypatch.setattr(load_intervals, "PART_READINGS", 100)
    monkeypatch.setattr(load_intervals, "MAX_ROWS_PER_METER_DAY", 150)
    report = ingest_file(path=write_file(tmp_path, day_rows(ESI_1, DAY) * 2))
    assert report.status == IngestFile.Status.FAILED
    assert report.rejected_by_reason == {"too_many_rows": 0}
    assert "one meter on one day" in report.message
