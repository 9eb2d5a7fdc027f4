"""Loads side by side (the Celery worker runs one per CPU): two files revising the same meter-day take
turns, so neither load's revisions are lost; files of other days do not wait."""

import threading
import time
from datetime import date, datetime

import pytest
from django.db import connection

from tests.helpers.ingest import ESI_1, day_rows, make_premise, make_tdus, write_file
from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import Channel
from usage.timegrid import MARKET_TZ

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2025, 7, 1)


def _revision_of(slot: int, kwh: float, when: datetime) -> str:
    row = day_rows(ESI_1, DAY, revised=when)[slot].split(",")
    row[5] = f"{kwh:.3f}"
    return ",".join(row)


def _load_in_thread(path, results, name):
    try:
        results[name] = ingest_file(path=path, today=date(2026, 1, 1))
    finally:
        connection.close()


def _hold_after_writing(monkeypatch, thread_name: str) -> tuple[threading.Event, threading.Event]:
    """Make the load running in thread ``thread_name`` stop inside its transaction, right after writing its
    days, until ``go`` is set; ``written`` tells that it got there."""
    written, go = threading.Event(), threading.Event()
    real_write = storage.write_day_blocks

    def write_then_hold(*args, **kwargs):
        real_write(*args, **kwargs)
        if threading.current_thread().name == thread_name:
            written.set()
            assert go.wait(10)

    monkeypatch.setattr(storage, "write_day_blocks", write_then_hold)
    return written, go


def _second_load_while_first_holds(monkeypatch, first, second):
    """Start loading ``first`` and hold it inside its transaction once its days are written; then start
    loading ``second``. Returns (results by "a"/"b", first thread, second thread, the event releasing it)."""
    written, go = _hold_after_writing(monkeypatch, "first")
    results = {}
    a = threading.Thread(target=_load_in_thread, args=(first, results, "a"), name="first")
    b = threading.Thread(target=_load_in_thread, args=(second, results, "b"), name="second")
    a.start()
    assert written.wait(10)
    b.start()
    return results, a, b, go


@pytest.mark.postgres
def test_two_revisions_of_one_day_loaded_at_once_both_land(tmp_path, monkeypatch):
    oncor, _ = make_tdus()
    premise = make_premise(ESI_1, oncor)
    assert ingest_file(
        path=write_file(tmp_path, day_rows(ESI_1, DAY), tag="orig"), today=date(2026, 1, 1)
    ).stored
    first = write_file(
        tmp_path, [_revision_of(3, 7.777, datetime(2025, 7, 5, 8, tzinfo=MARKET_TZ))], tag="rev-a"
    )
    second = write_file(
        tmp_path, [_revision_of(7, 8.888, datetime(2025, 7, 6, 8, tzinfo=MARKET_TZ))], tag="rev-b"
    )
    results, a, b, go = _second_load_while_first_holds(monkeypatch, first, second)
    time.sleep(0.5)
    assert b.is_alive(), "the second load of the same day must wait for the first one's commit"
    go.set()
    a.join(10)
    b.join(10)
    assert results["a"].stored == 1 and results["b"].stored == 1
    day = storage.read_channels(premise_id=premise.pk, start=DAY, end=DAY, revisions=True)[
        int(Channel.CONSUMPTION)
    ]
    assert day.values_wh[3] == 7777 and day.values_wh[7] == 8888  # neither revision was lost
    assert day.values_wh[4] == int(round(day_rows_kwh(4) * 1000))


def day_rows_kwh(slot: int) -> float:
    return (slot % 7) * 0.125


@pytest.mark.postgres
def test_loads_of_other_days_do_not_wait(tmp_path, monkeypatch):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    other_day = date(2025, 7, 2)
    first = write_file(tmp_path, day_rows(ESI_1, DAY), tag="d1")
    second = write_file(tmp_path, day_rows(ESI_1, other_day), day=other_day, tag="d2")
    results, a, b, go = _second_load_while_first_holds(monkeypatch, first, second)
    b.join(10)
    assert not b.is_alive() and results["b"].stored == 96  # finished while the first still held its day
    go.set()
    a.join(10)
    assert results["a"].stored == 96


@pytest.mark.postgres
def test_compaction_waits_for_a_load_of_a_day_it_compacts(tmp_path, monkeypatch):
    from usage.models import IntervalDay, IntervalMonth

    oncor, _ = make_tdus()
    premise = make_premise(ESI_1, oncor)
    for d in (DAY, date(2025, 7, 2)):
        path = write_file(tmp_path, day_rows(ESI_1, d), day=d, tag=f"orig-{d:%d}")
        assert ingest_file(path=path, today=date(2026, 1, 1)).stored == 96
    revision = write_file(
        tmp_path, [_revision_of(5, 5.555, datetime(2025, 7, 9, 8, tzinfo=MARKET_TZ))], tag="rev"
    )
    written, go = _hold_after_writing(monkeypatch, "load")
    results = {}

    def compact():
        try:
            results["compact"] = storage.compact_months(before=date(2025, 9, 20))
        finally:
            connection.close()

    load = threading.Thread(target=_load_in_thread, args=(revision, results, "load"), name="load")
    compaction = threading.Thread(target=compact, name="compact")
    load.start()
    assert written.wait(10)
    compaction.start()
    time.sleep(0.5)
    assert compaction.is_alive(), "compaction must wait for the load of a day it compacts"
    go.set()
    load.join(10)
    compaction.join(10)
    assert (
        results["load"].stored == 1 and results["compact"]["months"] == 1 and results["compact"]["days"] == 2
    )
    assert not IntervalDay.objects.filter(premise=premise).exists()
    assert IntervalMonth.objects.filter(premise=premise).count() == 1
    day = storage.read_channels(premise_id=premise.pk, start=DAY, end=DAY)[int(Channel.CONSUMPTION)]
    assert day.values_wh[5] == 5555  # the load's revision is in the compacted month


@pytest.mark.postgres
def test_parts_of_one_tdu_day_with_interleaved_meters_load_side_by_side(tmp_path, monkeypatch):
    """A TDU splits a day by its own meter order, which need not follow ours: each part's premises are
    scattered among the other part's, and still neither part waits for the other."""
    oncor, _ = make_tdus()
    esiids = [f"104437200000000000{n:04d}" for n in range(8)]
    for esiid in esiids:
        make_premise(esiid, oncor)  # premise ids alternate between the two parts below
    first = write_file(tmp_path, [r for e in esiids[0::2] for r in day_rows(e, DAY)], tag="001")
    second = write_file(tmp_path, [r for e in esiids[1::2] for r in day_rows(e, DAY)], tag="002")
    results, a, b, go = _second_load_while_first_holds(monkeypatch, first, second)
    b.join(10)
    assert not b.is_alive() and results["b"].stored == 4 * 96  # the other part did not wait for the first
    go.set()
    a.join(10)
    assert results["a"].stored == 4 * 96


@pytest.mark.postgres
def test_two_loads_creating_the_same_meter_day_at_once_both_land(tmp_path, monkeypatch):
    """Neither load finds the day stored: the second one's insert waits for the first one's commit, loses
    the race, and merges again with what the first stored (its savepoint undoes only its own write)."""
    oncor, _ = make_tdus()
    premise = make_premise(ESI_1, oncor)
    first = write_file(tmp_path, day_rows(ESI_1, DAY)[:48], tag="am")
    second = write_file(tmp_path, day_rows(ESI_1, DAY)[40:], tag="pm")  # slots 40-47 in both
    results, a, b, go = _second_load_while_first_holds(monkeypatch, first, second)
    time.sleep(0.5)
    assert b.is_alive(), "the second load of the same new meter-day must wait for the first one's commit"
    go.set()
    a.join(10)
    b.join(10)
    assert results["a"].stored == 48
    assert results["b"].stored == 48 and results["b"].superseded == 8  # the shared slots were already there
    day = storage.read_channels(premise_id=premise.pk, start=DAY, end=DAY)[int(Channel.CONSUMPTION)]
    assert not day.missing.any() and len(day.values_wh) == 96
