"""Reads and aggregation (pure numpy): DST days, quality propagation, months, billing periods, summaries."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage.reads.aggregate import (
    BilledPeriod,
    ChannelDays,
    build_reads,
    day_range,
    iso_local,
    lay_on_grid,
    utc_offsets,
)
from usage.reads.fixtures import synthetic_days
from usage.reads.summary import summarize
from usage.timegrid import MARKET_TZ, slots_in_day

ESI = "10443720000000001"
FALL = date(2025, 11, 2)
SPRING = date(2025, 3, 9)


def days_from(values: dict[date, list[int]], estimated: dict[date, list[bool]] | None = None, missing=None):
    dates = sorted(values)
    counts = [len(values[d]) for d in dates]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    est = estimated or {}
    mis = missing or {}
    return ChannelDays(
        dates=np.array(dates, dtype="datetime64[D]"),
        offsets=offsets,
        values_wh=np.concatenate([values[d] for d in dates]).astype(np.int64),
        estimated=np.concatenate([est.get(d, [False] * len(values[d])) for d in dates]).astype(bool),
        missing=np.concatenate([mis.get(d, [False] * len(values[d])) for d in dates]).astype(bool),
    )


def reads(start, end, granularity, cons, gen=None, billed=None):
    return build_reads(
        esiid=ESI,
        start=start,
        end=end,
        granularity=granularity,
        consumption=cons,
        generation=gen,
        billed=billed,
    )


def test_day_range_dst_days():
    rng = day_range(date(2025, 3, 8), date(2025, 11, 3))
    counts = dict(zip(rng.dates.astype(object).tolist(), rng.counts.tolist(), strict=True))
    assert counts[SPRING] == 92
    assert counts[FALL] == 100
    assert counts[date(2025, 7, 1)] == 96
    # slots are consecutive in absolute time: the range is one span of seconds
    assert rng.last_epoch - rng.first_epoch == rng.n_slots * 900


def test_fall_back_day_has_100_quarter_hours_and_25_distinct_hours():
    cons = days_from({FALL: list(range(100))})
    r = reads(FALL, FALL, "15min", cons)
    assert len(r.series_consumption) == 100
    h = reads(FALL, FALL, "hour", cons).series_consumption
    assert len(h) == 25
    starts = iso_local(h.starts)
    assert starts[1] == "2025-11-02T01:00:00-05:00"
    assert starts[2] == "2025-11-02T01:00:00-06:00"  # the repeated hour: a separate interval
    assert len(set(starts)) == 25
    assert h.wh[1] == 4 + 5 + 6 + 7 and h.wh[2] == 8 + 9 + 10 + 11
    assert (h.ends - h.starts == 3600).all()
    day = reads(FALL, FALL, "day", cons).series_consumption
    assert day.ends[0] - day.starts[0] == 25 * 3600
    assert day.wh[0] == sum(range(100))


def test_spring_forward_day_has_92_quarter_hours_and_23_hours():
    cons = days_from({SPRING: [10] * 92})
    assert len(reads(SPRING, SPRING, "15min", cons).series_consumption) == 92
    h = reads(SPRING, SPRING, "hour", cons).series_consumption
    assert len(h) == 23
    starts = iso_local(h.starts)
    assert starts[1] == "2025-03-09T01:00:00-06:00"
    assert starts[2] == "2025-03-09T03:00:00-05:00"
    day = reads(SPRING, SPRING, "day", cons).series_consumption
    assert day.ends[0] - day.starts[0] == 23 * 3600


def test_estimated_propagates_to_every_aggregate():
    d = date(2025, 7, 10)
    est = [False] * 96
    est[37] = True
    cons = days_from({d: [100] * 96}, {d: est})
    q = reads(d, d, "15min", cons).series_consumption
    assert q.estimated.sum() == 1 and q.estimated[37]
    h = reads(d, d, "hour", cons).series_consumption
    assert h.estimated.tolist() == [i == 9 for i in range(24)]
    for g in ("day", "month"):
        s = reads(date(2025, 7, 1), date(2025, 7, 31), g, cons).series_consumption
        assert s.estimated[(d - date(2025, 7, 1)).days if g == "day" else 0]
    assert reads(date(2025, 7, 1), date(2025, 7, 31), "day", cons).series_consumption.estimated.sum() == 1


def test_a_day_without_data_is_null_not_zero():
    a, c = date(2025, 7, 1), date(2025, 7, 3)
    cons = days_from({a: [10] * 96, c: [20] * 96})
    s = reads(a, c, "day", cons).series_consumption
    assert s.null.tolist() == [False, True, False]
    assert s.missing.tolist() == [0, 96, 0]
    assert np.isnan(s.kwh()[1])
    m = reads(a, c, "month", cons).series_consumption
    assert m.wh[0] == 960 + 1920 and not m.null[0] and m.missing[0] == 96
    h = reads(a, c, "hour", cons).series_consumption
    assert h.null[24:48].all() and not h.null[:24].any()


def test_hour_with_a_missing_quarter_is_null():
    d = date(2025, 7, 1)
    mis = [False] * 96
    mis[5] = True
    cons = days_from({d: [10] * 96}, missing={d: mis})
    h = reads(d, d, "hour", cons).series_consumption
    assert h.null.tolist() == [i == 1 for i in range(24)]
    assert h.missing[1] == 1
    day = reads(d, d, "day", cons).series_consumption
    assert day.wh[0] == 950 and day.missing[0] == 1 and not day.null[0]


def test_months_are_calendar_months_clipped_to_the_range():
    cons = synthetic_days(date(2025, 1, 1), date(2025, 12, 31), seed=3)
    r = reads(date(2025, 2, 15), date(2025, 5, 10), "month", cons)
    s = r.series_consumption
    assert iso_local(s.starts) == [
        "2025-02-15T00:00:00-06:00",
        "2025-03-01T00:00:00-06:00",
        "2025-04-01T00:00:00-05:00",
        "2025-05-01T00:00:00-05:00",
    ]
    assert iso_local(s.ends)[-1] == "2025-05-11T00:00:00-05:00"
    daily = reads(date(2025, 2, 15), date(2025, 5, 10), "day", cons).series_consumption
    months = np.array([datetime.fromtimestamp(t, MARKET_TZ).month for t in daily.starts.tolist()])
    assert s.wh.tolist() == [int(daily.wh[months == m].sum()) for m in (2, 3, 4, 5)]
    assert s.wh.sum() == daily.wh.sum()


def test_billing_periods_sum_their_days():
    cons = synthetic_days(date(2025, 1, 1), date(2025, 3, 31), seed=4)
    billed = [
        BilledPeriod(date(2025, 1, 7), date(2025, 2, 5), 123_456, False),
        BilledPeriod(date(2025, 2, 6), date(2025, 3, 6), None, True),
    ]
    r = reads(date(2025, 1, 1), date(2025, 3, 31), "billing", cons, billed=billed)
    s = r.series_consumption
    daily = reads(date(2025, 1, 1), date(2025, 3, 31), "day", cons).series_consumption
    assert s.wh.tolist() == [int(daily.wh[6:36].sum()), int(daily.wh[36:65].sum())]
    assert iso_local(s.starts) == ["2025-01-07T00:00:00-06:00", "2025-02-06T00:00:00-06:00"]
    assert iso_local(s.ends) == ["2025-02-06T00:00:00-06:00", "2025-03-07T00:00:00-06:00"]
    with pytest.raises(ValueError, match="outside the range"):
        reads(date(2025, 1, 10), date(2025, 3, 31), "billing", cons, billed=billed)


def test_stored_days_outside_the_range_are_ignored_and_bad_counts_rejected():
    cons = synthetic_days(date(2025, 6, 1), date(2025, 6, 30), seed=5)
    r = reads(date(2025, 6, 10), date(2025, 6, 11), "15min", cons)
    a = int(cons.offsets[9])
    assert r.series_consumption.wh.tolist() == cons.values_wh[a : a + 192].tolist()
    bad = days_from({FALL: [1] * 96})
    with pytest.raises(ValueError, match="slot count does not match"):
        lay_on_grid(day_range(FALL, FALL), bad)


def test_summary_against_hand_computed_numbers():
    d1, d2, d3 = date(2025, 7, 1), date(2025, 7, 2), date(2025, 7, 3)
    v1 = [100] * 96
    v1[70] = 1500  # the peak: 1.5 kWh in 17:30-17:45
    v2 = [50] * 96
    est2 = [False] * 96
    est2[:24] = [True] * 24
    cons = days_from({d1: v1, d2: v2}, {d2: est2})
    gen = days_from({d1: [0] * 90 + [30] * 6})
    rng = day_range(d1, d3)
    s = summarize(rng, lay_on_grid(rng, cons), lay_on_grid(rng, gen))
    total_wh = 95 * 100 + 1500 + 96 * 50  # 15,800 Wh
    assert s["total_kwh"] == 15.8
    assert s["days"] == 3 and s["days_with_data"] == 2
    assert s["average_per_day_kwh"] == round(total_wh / 2 / 1000, 3) == 7.9
    assert s["peak"] == {
        "kwh": 1.5,
        "kw": 6.0,
        "start": "2025-07-01T17:30:00-05:00",
        "end": "2025-07-01T17:45:00-05:00",
    }
    # 192 delivered values: 96 x 50, 95 x 100, 1 x 1500; the ceil(0.05*192) = 10th smallest is 50 Wh
    assert s["base_load_kw"] == 0.2
    assert s["estimated_share"] == round(24 / 192, 4)
    assert s["generation_total_kwh"] == 0.18
    assert s["missing_intervals"] == 96
    empty = summarize(rng, lay_on_grid(rng, None), lay_on_grid(rng, None))
    assert empty["total_kwh"] is None and empty["peak"] is None and empty["generation_total_kwh"] is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=946_684_800, max_value=4_102_444_800))
def test_iso_local_and_offsets_match_zoneinfo(epoch):
    expected = datetime.fromtimestamp(epoch, tz=UTC).astimezone(MARKET_TZ)
    assert iso_local(np.array([epoch]))[0] == expected.isoformat()
    assert utc_offsets(np.array([epoch]))[0] == expected.utcoffset().total_seconds()


@settings(max_examples=50, deadline=None)
@given(
    st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 12, 31)),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=2**31),
)
def test_aggregates_conserve_energy(start, span, seed):
    end = start + timedelta(days=span)
    cons = synthetic_days(start, end, seed=seed, missing_share=0.01, estimated_share=0.05)
    total = int(cons.values_wh.sum())
    for g in ("15min", "hour", "day", "month"):
        s = reads(start, end, g, cons).series_consumption
        if g == "hour":  # hours with a hole are null: compare with the slots of whole hours only
            grid = lay_on_grid(day_range(start, end), cons)
            whole = ~grid.missing.reshape(-1, 4).any(axis=1)
            assert s.wh.sum() == grid.values_wh.reshape(-1, 4)[whole].sum()
        else:
            assert s.wh.sum() == total
        assert (s.ends > s.starts).all() and (s.starts[1:] == s.ends[:-1]).all()
    assert (
        sum(slots_in_day(start + timedelta(days=i)) for i in range(span + 1)) == day_range(start, end).n_slots
    )
