"""Interval storage: compaction into meter-month rows is invisible to reads; late revisions reopen a
month; retention purges old data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import IntervalDay, IntervalMonth
from usage.timegrid import MARKET_TZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def premise(db):
    oncor, _ = make_tdus()
    return make_premise(ESI_1, oncor, installed_on=date(2015, 1, 1))


def _load_days(tmp_path, first: date, days: int, tag: str, **kw):
    lines = []
    for i in range(days):
        d = first + timedelta(days=i)
        lines += day_rows(ESI_1, d, kwh=lambda s, i=i: ((s * 7 + i * 13) % 900) / 1000, **kw)
    return ingest_file(path=write_file(tmp_path, lines, day=first, tag=tag))


def test_compaction_is_invisible_to_reads(premise, tmp_path):
    # October 2025 (with the fall-back day), November 2025 and a few December days
    report = _load_days(tmp_path, date(2025, 10, 1), 70, "a")
    assert report.stored == 70 * 96 + 4 - 0  # one 100-slot day (Nov 2), no spring day
    start, end = date(2025, 9, 15), date(2025, 12, 31)
    before = storage.read_channels(premise_id=premise.pk, start=start, end=end)
    stats = storage.compact_months(before=date(2025, 12, 5))
    assert {k: stats[k] for k in ("months", "days")} == {"months": 2, "days": 61}
    assert IntervalMonth.objects.count() == 2
    assert IntervalDay.objects.count() == 9  # December stays as day rows
    after = storage.read_channels(premise_id=premise.pk, start=start, end=end)
    for ch in (1, 2):
        for field in ("dates", "offsets", "values_wh", "estimated", "missing"):
            assert np.array_equal(getattr(before[ch], field), getattr(after[ch], field)), (ch, field)
    # a range that starts and ends inside compacted months
    part = storage.read_channel_days(
        premise_id=premise.pk, channel=1, start=date(2025, 11, 2), end=date(2025, 11, 3)
    )
    assert part.dates.tolist() == [date(2025, 11, 2), date(2025, 11, 3)]
    assert part.offsets.tolist() == [0, 100, 196]
    # compacting again changes nothing
    again = storage.compact_months(before=date(2025, 12, 5))
    assert {k: again[k] for k in ("months", "days")} == {"months": 0, "days": 0}


def test_late_revision_reopens_a_compacted_month(premise, tmp_path):
    _load_days(tmp_path, date(2025, 10, 1), 31, "a")
    storage.compact_months(before=date(2025, 11, 20))
    assert IntervalMonth.objects.count() == 1 and IntervalDay.objects.count() == 0
    late = datetime(2025, 11, 25, 8, 0, tzinfo=MARKET_TZ)
    rows = day_rows(ESI_1, date(2025, 10, 10), revised=late, kwh=lambda s: 5.0)[40:44]
    old = day_rows(
        ESI_1, date(2025, 10, 11), revised=datetime(2025, 10, 11, 1, 0, tzinfo=MARKET_TZ), kwh=lambda s: 9.0
    )[0:1]
    report = ingest_file(path=write_file(tmp_path, rows + old, day=date(2025, 10, 10), tag="late"))
    assert (report.stored, report.superseded) == (4, 1)
    got = storage.read_channel_days(
        premise_id=premise.pk, channel=1, start=date(2025, 10, 1), end=date(2025, 10, 31)
    )
    assert len(got.dates) == 31
    day10, _, _ = got.day(date(2025, 10, 10))
    assert day10[40:44].tolist() == [5000] * 4 and day10[39] == ((39 * 7 + 9 * 13) % 900)
    day11, _, _ = got.day(date(2025, 10, 11))
    assert day11[0] == (10 * 13) % 900
    storage.compact_months(before=date(2025, 11, 20))
    again = storage.read_channel_days(
        premise_id=premise.pk, channel=1, start=date(2025, 10, 1), end=date(2025, 10, 31)
    )
    assert np.array_equal(again.values_wh, got.values_wh)


def test_retention_purge(premise, tmp_path, settings):
    settings.INTERVAL_RETENTION_YEARS = 7
    _load_days(tmp_path, date(2018, 1, 30), 5, "old")
    _load_days(tmp_path, date(2025, 1, 30), 3, "new")
    storage.compact_months(before=date(2018, 3, 1))
    result = storage.purge_expired(today=date(2025, 2, 1))
    assert result["cutoff"] == "2018-02-01"
    left = storage.read_channel_days(
        premise_id=premise.pk, channel=1, start=date(2010, 1, 1), end=date(2026, 1, 1)
    )
    # January 2018's month block is wholly older than the cutoff; February 2018 days are kept
    assert [str(d) for d in left.dates.tolist()] == [
        "2018-02-01",
        "2018-02-02",
        "2018-02-03",
        "2025-01-30",
        "2025-01-31",
        "2025-02-01",
    ]


def test_empty_ranges(premise):
    got = storage.read_channels(premise_id=premise.pk, start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert set(got) == {1, 2}
    assert got[1].dates.size == 0 and got[1].offsets.tolist() == [0]
    assert (
        storage.read_channel_days(
            premise_id=premise.pk, channel=1, start=date(2025, 2, 1), end=date(2025, 1, 1)
        ).values_wh.size
        == 0
    )


def test_slots_for_days():
    days = np.array([storage.day_num(d) for d in (date(2025, 3, 9), date(2025, 11, 2), date(2025, 7, 1))])
    assert storage.slots_for_days(days).tolist() == [92, 100, 96]
