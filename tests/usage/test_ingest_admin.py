"""Ingest reports in the Django admin, and the action that re-applies rejected rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.helpers.ingest import ESI_1, ESI_2, day_rows, make_premise, make_tdus, write_file
from usage.ingest.loader import ingest_file
from usage.models import IngestFile, RejectedRow

pytestmark = pytest.mark.django_db


def test_report_pages_and_reapply_action(admin_client, tmp_path):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    report = ingest_file(
        path=write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)) + day_rows(ESI_2, date(2025, 7, 1)))
    )
    assert report.rejected == 96
    listing = admin_client.get(reverse("admin:usage_ingestfile_changelist"))
    assert listing.status_code == 200 and report.name in listing.content.decode()
    detail = admin_client.get(reverse("admin:usage_ingestfile_change", args=[report.pk]))
    assert detail.status_code == 200 and "96 rejected rows" in detail.content.decode()
    rows = admin_client.get(reverse("admin:usage_rejectedrow_changelist") + f"?file__id__exact={report.pk}")
    assert rows.status_code == 200 and "unknown_esiid" in rows.content.decode()

    make_premise(ESI_2, oncor)  # the cause is fixed
    response = admin_client.post(
        reverse("admin:usage_ingestfile_changelist"),
        {"action": "reapply_rejected_rows", "_selected_action": [report.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "96 rows now stored, 0 still rejected" in response.content.decode()
    assert RejectedRow.objects.filter(file=report, reapplied_at__isnull=True).count() == 0
    assert IngestFile.objects.count() == 2


def test_a_refused_file_shows_its_reason(admin_client, tmp_path, settings):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    settings.INGEST_MAX_ROWS = 50
    report = ingest_file(path=write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1))))
    assert report.status == IngestFile.Status.FAILED
    listing = admin_client.get(reverse("admin:usage_ingestfile_changelist")).content.decode()
    assert "too_many_rows" in listing
    detail = admin_client.get(reverse("admin:usage_ingestfile_change", args=[report.pk])).content.decode()
    assert "more rows than one file may have" in detail
