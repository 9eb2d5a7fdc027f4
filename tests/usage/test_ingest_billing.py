"""Billing-period files: parsed and stored the same careful way; NA is unknown, not zero."""

from __future__ import annotations

import hashlib

import pytest

from tests.helpers.ingest import ESI_1, ESI_2, make_premise, make_tdus, write_file
from usage.ingest.loader import ingest_file
from usage.models import BillingPeriod, IngestFile

pytestmark = pytest.mark.django_db
HEADER = "ESIID,START_DATE,END_DATE,KWH,ESTIMATED_ACTUAL,REVISION_DATE"


@pytest.fixture
def premise(db):
    oncor, _ = make_tdus()
    return make_premise(ESI_1, oncor)


def test_billing_file_stored_with_na_and_revisions(premise, tmp_path):
    rows = [
        f"'{ESI_1},01/15/2025,02/14/2025,1083.417,A,02/16/2025 07:12:45",
        f"'{ESI_1},02/15/2025,03/14/2025,NA,E,03/16/2025 09:01:10",
        f"'{ESI_2},02/15/2025,03/14/2025,12.000,A,03/16/2025 09:01:10",
        f"'{ESI_1},03/15/2025,04/14/2025,-5,A,04/16/2025 09:01:10",
        f"'{ESI_1},04/15/2025,04/14/2025,5,A,04/16/2025 09:01:10",
    ]
    report = ingest_file(
        path=write_file(tmp_path, rows, header=HEADER, tag="BILLING", newline="\r\n", bom=True)
    )
    assert report.kind == IngestFile.Kind.BILLING
    assert report.sha256 == hashlib.sha256(next(tmp_path.glob("*BILLING.csv")).read_bytes()).hexdigest()
    assert (report.rows, report.stored, report.rejected) == (5, 2, 3)
    assert report.rejected_by_reason == {"unknown_esiid": 1, "negative_kwh": 1, "bad_date": 1}
    periods = list(BillingPeriod.objects.order_by("start_date"))
    assert [p.wh for p in periods] == [1083417, None]
    assert periods[1].estimated
    # a later revision replaces the NA period; an older one changes nothing
    again = [
        f"{ESI_1},02/15/2025,03/14/2025,901.5,A,03/20/2025 09:00:00",
        f"{ESI_1},01/15/2025,02/14/2025,1.000,A,02/15/2025 07:00:00",
    ]
    report2 = ingest_file(path=write_file(tmp_path, again, header=HEADER, tag="BILLING2"))
    assert (report2.stored, report2.superseded) == (1, 1)
    assert [p.wh for p in BillingPeriod.objects.order_by("start_date")] == [1083417, 901500]


def test_billing_file_missing_column(premise, tmp_path):
    report = ingest_file(
        path=write_file(
            tmp_path,
            [f"{ESI_1},01/15/2025,02/14/2025,1,A"],
            header="ESIID,START_DATE,END_DATE,KWH,ESTIMATED_ACTUAL,X",
        )
    )
    assert report.status == IngestFile.Status.FAILED
    # the header is not the billing layout, so it is judged as an interval file
    assert "bad_header" in report.rejected_by_reason or "not_csv" in report.rejected_by_reason


def test_generated_billing_file_matches_intervals(db, tmp_path):
    from django.core.management import call_command

    from usage import storage
    from usage.models import Premise

    call_command(
        "generate_tdu_files",
        "--meters",
        "3",
        "--start",
        "2025-01-01",
        "--days",
        "70",
        "--out",
        str(tmp_path),
        "--seed",
        "3",
        stdout=None,
    )
    for f in sorted(tmp_path.iterdir()):
        report = ingest_file(path=f)
        assert report.status in (IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS), (
            report.message
        )
        assert report.rejected == 0, report.rejected_by_reason
    periods = BillingPeriod.objects.exclude(wh=None)
    assert periods.exists()
    for bp in periods:
        got = storage.read_channel_days(
            premise_id=bp.premise_id, channel=1, start=bp.start_date, end=bp.end_date
        )
        assert int(got.values_wh.sum()) == bp.wh
    assert Premise.objects.count() == 3
