"""Hostile files at small multiples of the limits (set low here through the loader's environment): each is
refused with its file-level reason in seconds and in bounded memory, measured on a real ``load_intervals``
child process (peak RSS from wait4). The full-size files are in ``bench/hostile.py``."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from tests.helpers.ingest import (
    ESI_1,
    HEADER,
    ONCOR_DUNS,
    day_rows,
    make_premise,
    make_tdus,
    run_loader,
    stream_file,
)
from usage.ingest.loader import SIZE_REASONS, ingest_file
from usage.models import IngestFile, RejectedRow

MB = 1 << 20
# the loader child alone (Python, Django, numpy, pyarrow) is about 150 MB; a bomb may add little to that
RSS_BOUND_MB = 400
LIMITS = {
    "INGEST_MAX_BYTES": str(48 * MB),
    "INGEST_MAX_ROWS": "200000",
    "INGEST_MAX_GZIP_RATIO": "40",
    "INGEST_RATIO_MIN_BYTES": str(8 * MB),
    "INGEST_SHARE_MIN_LINES": "10000",
}
GOOD_ROW = (day_rows(ESI_1, date(2025, 7, 1))[40] + "\n").encode()
BAD_ROW = GOOD_ROW.replace(b",A,", b",Q,")


@pytest.fixture
def oncor(transactional_db):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    return oncor


def _name(tmp_path, tag, gz):
    return tmp_path / f"{ONCOR_DUNS}_20250701_{tag}.csv{'.gz' if gz else ''}"


def _refused(path, reason, env=None, seconds=20.0):
    code, out, took, rss = run_loader(path, env={**LIMITS, **(env or {})})
    report = IngestFile.objects.get(name=path.name)
    assert code == 1, out
    assert report.status == IngestFile.Status.FAILED, out
    assert reason in report.rejected_by_reason, (report.rejected_by_reason, out)
    assert took < seconds, (took, out)
    assert rss < RSS_BOUND_MB, rss
    if reason in SIZE_REASONS:
        assert report.sha256 == ""  # not read to its end for a digest
    print(f"{path.name}: {reason} in {took:.2f} s, peak RSS {rss:.0f} MB")  # the figures, with -s
    return report, took, rss


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("tag", "gz", "line", "repeat", "env", "reason"),
    [
        # blank-line gzip bomb (ratio ~1000): refused at INGEST_RATIO_MIN_BYTES
        ("blank-gz", True, b"\n", 128 * MB, {}, "gzip_ratio"),
        # the same with the ratio off: blank lines cost a count, the file is mostly blank
        ("blank-gz-noratio", True, b"\n", 40 * MB, {"INGEST_MAX_GZIP_RATIO": "100000"}, "mostly_blank"),
        # plain file of blank lines
        ("blank-plain", False, b"\r\n", 16 * MB, {}, "mostly_blank"),
        # one valid row repeated, gzip: one meter-day past its bound (20,000 rows) refuses it first
        ("row-gz", True, GOOD_ROW, 2_000_000, {"INGEST_MAX_ROWS": "10000000"}, "too_many_rows"),
        ("row-gz-rows", True, GOOD_ROW, 400_000, {"INGEST_MAX_GZIP_RATIO": "100000"}, "too_many_rows"),
        # one valid row repeated, plain (no ratio): one meter-day past its bound, refused before the copies pile up
        ("row-plain", False, GOOD_ROW, 300_000, {"INGEST_MAX_ROWS": "10000000"}, "too_many_rows"),
        # plain rows past the expanded-bytes limit
        ("rows-plain", False, BAD_ROW, 700_000, {"INGEST_MAX_ROWS": "10000000"}, "too_large"),
        # one bad row repeated: ratio; plain and under the limits: mostly rejected
        ("bad-gz", True, BAD_ROW, 2_000_000, {"INGEST_MAX_ROWS": "10000000"}, "gzip_ratio"),
        ("bad-plain", False, BAD_ROW, 150_000, {}, "mostly_rejected"),
    ],
)
def test_hostile_file_is_refused_fast_in_bounded_memory(oncor, tmp_path, tag, gz, line, repeat, env, reason):
    path = stream_file(_name(tmp_path, tag, gz), HEADER, line, repeat, gz=gz)
    report, _, _ = _refused(path, reason, env)
    if reason == "mostly_rejected":
        assert report.rejected_by_reason["bad_flag"] == 150_000
    assert not RejectedRow.objects.exists()


@pytest.mark.postgres
def test_blank_lines_between_rows_cost_nothing_and_keep_line_numbers(oncor, tmp_path, settings):
    rows = day_rows(ESI_1, date(2025, 7, 1))
    body = ("\n" * 20_000).join([HEADER, *rows[:48]]) + "\n\r\n\n" + "\n".join(rows[48:]) + "\n"
    bad = rows[60].replace(",A,", ",Q,")
    body += "\n\n" + bad + "\n"
    path = _name(tmp_path, "sparse", True)
    path.write_bytes(gzip.compress(body.encode()))
    settings.INGEST_SHARE_MIN_LINES = 10**9  # mostly blank, but this test is about the rows
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED_WITH_REJECTS, report.message
    assert (report.rows, report.stored, report.rejected) == (97, 96, 1)
    reject = RejectedRow.objects.get(file=report)
    assert reject.raw == bad and reject.line_number == body.count("\n")
    assert report.seconds < 5


BILLING_HEADER = "ESIID,START_DATE,END_DATE,KWH,ESTIMATED_ACTUAL,REVISION_DATE"
BILLING_ROW = f"'{ESI_1},01/15/2025,02/14/2025,1083.417,A,02/16/2025 07:12:45\n".encode()
BILLING_BAD_ROW = BILLING_ROW.replace(b",A,", b",Q,")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("tag", "gz", "line", "repeat", "env", "reason"),
    [
        ("billing-blank-gz", True, b"\n", 128 * MB, {}, "gzip_ratio"),
        ("billing-blank-plain", False, b"\r\n", 16 * MB, {}, "mostly_blank"),
        ("billing-rows", False, BILLING_ROW, 60_000, {"INGEST_MAX_BILLING_ROWS": "50000"}, "too_many_rows"),
        ("billing-bad", False, BILLING_BAD_ROW, 150_000, {}, "mostly_rejected"),
        ("billing-large", False, BILLING_BAD_ROW, 200_000, {"INGEST_MAX_BYTES": str(8 * MB)}, "too_large"),
    ],
)
def test_hostile_billing_file_is_refused_fast_in_bounded_memory(
    oncor, tmp_path, tag, gz, line, repeat, env, reason
):
    """Billing-period files (parsed row by row) are bounded by the same limits, and by their own row limit."""
    path = stream_file(_name(tmp_path, tag, gz), BILLING_HEADER, line, repeat, gz=gz)
    _refused(path, reason, env)
    assert not RejectedRow.objects.exists()
