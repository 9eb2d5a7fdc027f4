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
