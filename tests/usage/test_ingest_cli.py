"""The load_intervals command: exit codes and the summary (CONTRACTS)."""

from __future__ import annotations

import gzip
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.helpers.ingest import ESI_1, ESI_2, HEADER, day_rows, make_premise, make_tdus, write_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def oncor(db):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    return oncor


def test_directory_loads_every_file_and_summarises(oncor, tmp_path):
    write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)), tag="a")
    write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 2)) + day_rows(ESI_2, date(2025, 7, 2)), tag="b")
    out = StringIO()
    call_command("load_intervals", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert "files: 2" in text
    assert "readings stored: 192" in text
    assert "readings rejected: 96" in text
    assert "readings per second:" in text and "seconds:" in text
    assert "1039940674000_20250701_b.csv" in text and "unknown_esiid 96" in text
    assert f"ESI ID {ESI_2} is not registered" in text


def test_exit_1_when_a_file_cannot_be_processed(oncor, tmp_path):
    good = write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)))
    bad = tmp_path / "1039940674000_20250702_x.csv.gz"
    bad.write_bytes(gzip.compress(("\n".join([HEADER, *day_rows(ESI_1, date(2025, 7, 2))])).encode())[:300])
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("load_intervals", str(good), str(bad), stdout=out)
    assert exc.value.code == 1
    assert "FAILED" in out.getvalue() and "truncated" in out.getvalue()
    assert "readings stored: 96" in out.getvalue()


def test_missing_path_is_an_error(oncor, tmp_path):
    with pytest.raises(CommandError):
        call_command("load_intervals", str(tmp_path / "nope.csv"))


def test_same_file_again_says_so(oncor, tmp_path):
    path = write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)))
    call_command("load_intervals", str(path), stdout=StringIO())
    out = StringIO()
    call_command("load_intervals", str(path), stdout=out)
    assert "already loaded" in out.getvalue() and "readings stored: 0" in out.getvalue()


def test_an_unexpected_error_fails_that_file_only(oncor, tmp_path, monkeypatch):
    from usage.ingest import loader

    good = write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)), tag="a")
    bad = write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 2)), tag="b")
    real = loader.ingest_file

    def flaky(*, path, **kwargs):
        if path.name.endswith("_b.csv"):
            raise RuntimeError("disk on fire")
        return real(path=path, **kwargs)

    monkeypatch.setattr("usage.management.commands.load_intervals.ingest_file", flaky)
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("load_intervals", str(good), str(bad), stdout=out)
    assert exc.value.code == 1
    assert "disk on fire" in out.getvalue() and "readings stored: 96" in out.getvalue()
