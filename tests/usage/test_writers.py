"""Writers (pure): JSON shape and number text, the CSV layouts parsed back, Green Button validity and stability."""

import csv
import io
from datetime import date, datetime, timedelta

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.espi import assert_valid_espi
from usage.reads.aggregate import BilledPeriod, build_reads, iso_local
from usage.reads.fixtures import synthetic_days
from usage.timegrid import MARKET_TZ, slot_wallclock, slots_in_day
from usage.writers.csv import render_csv
from usage.writers.espi import render_espi, resource_uuid
from usage.writers.json import render_json
from usage.writers.text import compact, kwh_fixed3, kwh_json

ESI = "10443720000000001"
FALL = date(2025, 11, 2)
SPRING = date(2025, 3, 9)
SITE = "https://smt.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"


def reads(start, end, granularity, *, gen=True, billed=None, revision=None, seed=1, **kw):
    cons = synthetic_days(start, end, seed=seed, revision=revision, **kw)
    g = synthetic_days(start, end, seed=seed + 1, max_wh=900, revision=revision) if gen else None
    return build_reads(
        esiid=ESI,
        start=start,
        end=end,
        granularity=granularity,
        consumption=cons,
        generation=g,
        billed=billed,
    )


# ------------------------------------------------------------------------------------------- numbers


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**15 - 1), min_size=1, max_size=50))
def test_json_kwh_text_is_orjson_shortest_float_with_at_most_3_decimals(values):
    wh = np.array(values, dtype=np.int64)
    text = b"[" + compact(kwh_json(wh))[:-1] + b"]"
    assert text == orjson.dumps((wh / 1000).tolist())
    for v, t in zip(values, text[1:-1].split(b","), strict=True):
        assert float(t) == v / 1000
        assert len(t.split(b".")[1]) <= 3


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_orjson_prints_wh_over_1000_exactly(value):
    """orjson prints the shortest repr: for x/1000 that is the decimal with at most 3 places."""
    text = orjson.dumps(value / 1000).decode()
    assert text == repr(value / 1000)
    assert f"{float(text):.3f}" == f"{value // 1000}.{value % 1000:03d}"


def test_fixed3_text():
    got = [bytes(r).replace(b"\0", b"").decode() for r in kwh_fixed3(np.array([0, 5, 580, 1000, 12345]))]
    assert got == ["0.000", "0.005", "0.580", "1.000", "12.345"]


# ---------------------------------------------------------------------------------------------- JSON


def test_json_15min_blocks_over_the_fall_back_day():
    r = reads(date(2025, 11, 1), date(2025, 11, 3), "15min", missing_share=0.02)
    doc = orjson.loads(render_json(r))
    assert doc["granularity"] == "15min" and doc["timezone"] == "America/Chicago" and doc["unit"] == "kWh"
    assert doc["start"] == "2025-11-01T00:00:00-05:00" and doc["end"] == "2025-11-04T00:00:00-06:00"
    assert [d["date"] for d in doc["days"]] == ["2025-11-01", "2025-11-02", "2025-11-03"]
    fall = doc["days"][1]
    assert fall["start"] == "2025-11-02T00:00:00-05:00"
    assert fall["interval_seconds"] == 900
    assert len(fall["consumption"]["kwh"]) == 100 and len(fall["consumption"]["estimated"]) == 100
    assert doc["days"][2]["start"] == "2025-11-03T00:00:00-06:00"
    # values and nulls are exactly the grid's
    grid = r.consumption
    flat = [v for d in doc["days"] for v in d["consumption"]["kwh"]]
    expect = [
        None if m else w / 1000 for w, m in zip(grid.values_wh.tolist(), grid.missing.tolist(), strict=True)
    ]
    assert flat == expect
    est = [v for d in doc["days"] for v in d["consumption"]["estimated"]]
    assert est == grid.estimated.tolist()
    assert all(isinstance(v, bool) for v in est)
    assert len(doc["days"][1]["generation"]["kwh"]) == 100


def test_json_hour_blocks_and_days_without_data():
    start, end = date(2025, 3, 8), date(2025, 3, 10)
    cons = synthetic_days(start, end, seed=3, skip=(date(2025, 3, 10),))
    r = build_reads(esiid=ESI, start=start, end=end, granularity="hour", consumption=cons, generation=None)
    doc = orjson.loads(render_json(r))
    lengths = [len(d["consumption"]["kwh"]) if d["consumption"] else None for d in doc["days"]]
    assert lengths == [24, 23, None]
    assert all(d["generation"] is None for d in doc["days"])
    assert all(d["interval_seconds"] == 3600 for d in doc["days"])
    assert doc["days"][1]["consumption"]["kwh"][2] == r.series_consumption.wh[26] / 1000


def test_json_rows_for_day_month_billing():
    billed = [BilledPeriod(date(2025, 1, 5), date(2025, 2, 4), 812_345, True, 1_739_000_000)]
    for g in ("day", "month", "billing"):
        r = reads(date(2025, 1, 5), date(2025, 2, 4), g, billed=billed, skip=(date(2025, 1, 9),))
        doc = orjson.loads(render_json(r))
        rows = doc["intervals"]
        assert set(rows[0]) >= {"start", "end", "consumption_kwh", "generation_kwh", "estimated"}
        assert rows[0]["start"] == "2025-01-05T00:00:00-06:00"
        if g == "day":
            assert len(rows) == 31
            assert rows[4]["consumption_kwh"] is None and rows[4]["missing_intervals"] == 96
            assert rows[3]["end"] == rows[4]["start"]
        if g == "month":
            assert [x["end"] for x in rows] == ["2025-02-01T00:00:00-06:00", "2025-02-05T00:00:00-06:00"]
        if g == "billing":
            assert rows == [
                {
                    "start": "2025-01-05T00:00:00-06:00",
                    "end": "2025-02-05T00:00:00-06:00",
                    "consumption_kwh": 812.345,
                    "generation_kwh": r.series_generation.wh[0] / 1000,
                    "estimated": True,
                    "missing_intervals": 96,
                    "interval_consumption_kwh": r.series_consumption.wh[0] / 1000,
                }
            ]


# ----------------------------------------------------------------------------------------------- CSV


def test_csv_15min_is_the_tdu_layout_and_parses_back_to_the_input():
    start, end = date(2025, 11, 1), date(2025, 11, 3)
    r = reads(start, end, "15min", missing_share=0.03, estimated_share=0.2, revision=1_762_300_800)
    body = render_csv(r)
    assert body.startswith(
        b"ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
        b"CONSUMPTION_SURPLUSGENERATION\r\n'10443720000000001,11/01/2025,11/04/2025 18:00:00,00:00,00:15,"
    )
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    expected = []
    for i in range(r.range.n_days):
        day = r.range.day(i)
        a, b = int(r.range.offsets[i]), int(r.range.offsets[i + 1])
        for name, grid in (("Consumption", r.consumption), ("Surplus Generation", r.generation)):
            for slot in range(b - a):
                if grid.missing[a + slot]:
                    continue
                s, e = slot_wallclock(day, slot)
                expected.append(
                    {
                        "ESIID": "'" + ESI,
                        "USAGE_DATE": day.strftime("%m/%d/%Y"),
                        "REVISION_DATE": "11/04/2025 18:00:00",
                        "USAGE_START_TIME": s,
                        "USAGE_END_TIME": e,
                        "USAGE_KWH": f"{grid.values_wh[a + slot] / 1000:.3f}",
                        "ESTIMATED_ACTUAL": "E" if grid.estimated[a + slot] else "A",
                        "CONSUMPTION_SURPLUSGENERATION": name,
                    }
                )
    assert rows == expected
    fall = [
        x
        for x in rows
        if x["USAGE_DATE"] == "11/02/2025" and x["CONSUMPTION_SURPLUSGENERATION"] == "Consumption"
    ]
    starts = [x["USAGE_START_TIME"] for x in fall]
    assert starts.count("01:00") == (
        2 if all(not r.consumption.missing[96 + j] for j in (4, 8)) else starts.count("01:00")
    )


def test_csv_15min_dst_day_row_counts_and_fallback_revision():
    r = reads(date(2025, 3, 9), date(2025, 3, 9), "15min", gen=False)
    rows = list(csv.reader(io.StringIO(render_csv(r).decode())))[1:]
    assert len(rows) == 92
    assert {x[2] for x in rows} == {"03/10/2025 00:00:00"}  # no stored revision: end of the usage day
    assert [x[3] for x in rows[6:10]] == ["01:30", "01:45", "03:00", "03:15"]
    r = reads(FALL, FALL, "15min", gen=False)
    rows = list(csv.reader(io.StringIO(render_csv(r).decode())))[1:]
    assert len(rows) == 100
    assert [x[3] for x in rows[4:13]] == [
        "01:00",
        "01:15",
        "01:30",
        "01:45",
        "01:00",
        "01:15",
        "01:30",
        "01:45",
        "02:00",
    ]


def test_csv_other_granularities():
    r = reads(date(2025, 11, 2), date(2025, 11, 2), "hour", gen=False)
    lines = render_csv(r).decode().split("\r\n")
    assert lines[0] == "start,end,consumption_kwh,generation_kwh,estimated"
    assert len(lines) == 1 + 25 + 1 and lines[-1] == ""
    assert lines[2].startswith("2025-11-02T01:00:00-05:00,2025-11-02T01:00:00-06:00,")
    assert lines[3].startswith("2025-11-02T01:00:00-06:00,2025-11-02T02:00:00-06:00,")
    row = next(csv.DictReader(io.StringIO(render_csv(r).decode())))
    assert row["generation_kwh"] == "" and row["estimated"] in ("true", "false")
    assert row["consumption_kwh"] == f"{r.series_consumption.wh[0] / 1000:.3f}"
    r = reads(date(2025, 1, 1), date(2025, 3, 31), "month")
    rows = list(csv.DictReader(io.StringIO(render_csv(r).decode())))
    assert [x["start"] for x in rows] == [
        "2025-01-01T00:00:00-06:00",
        "2025-02-01T00:00:00-06:00",
        "2025-03-01T00:00:00-06:00",
    ]
    assert rows[2]["end"] == "2025-04-01T00:00:00-05:00"
    assert [float(x["consumption_kwh"]) for x in rows] == (r.series_consumption.wh / 1000).tolist()


# --------------------------------------------------------------------------------------- Green Button


@pytest.mark.parametrize("granularity", ["15min", "hour", "day", "month", "billing"])
def test_espi_is_valid_for_every_granularity(granularity):
    billed = [
        BilledPeriod(date(2025, 10, 7), date(2025, 11, 5), 812_345, False, 1_762_500_000),
        BilledPeriod(date(2025, 11, 6), date(2025, 11, 20), None, False, 1_763_900_000),
    ]
    r = reads(
        date(2025, 10, 7),
        date(2025, 11, 20),
        granularity,
        billed=billed,
        estimated_share=0.1,
        missing_share=0.01,
    )
    body = render_espi(r, site_url=SITE)
    doc = assert_valid_espi(body)
    for link in doc.iter(f"{ATOM}link"):
        assert link.get("href").startswith(SITE + "/espi/1_1/resource/")
    assert render_espi(r, site_url=SITE) == body  # same request, same bytes


def test_espi_15min_content():
    r = reads(date(2025, 11, 1), date(2025, 11, 2), "15min", revision=1_762_300_800, estimated_share=0.1)
    doc = assert_valid_espi(render_espi(r, site_url=SITE))
    entries = doc.findall(f"{ATOM}entry")
    kinds = [next(iter(e.find(f"{ATOM}content"))).tag.replace(ESPI, "") for e in entries]
    assert kinds[:2] == ["UsagePoint", "LocalTimeParameters"]
    assert kinds.count("MeterReading") == 2 and kinds.count("ReadingType") == 2
    assert kinds.count("IntervalBlock") == 4  # one per day and channel
    ltp = doc.find(f".//{ESPI}LocalTimeParameters")
    assert ltp.findtext(f"{ESPI}tzOffset") == "-21600" and ltp.findtext(f"{ESPI}dstOffset") == "3600"
    rts = doc.findall(f".//{ESPI}ReadingType")
    assert [rt.findtext(f"{ESPI}flowDirection") for rt in rts] == ["1", "19"]
    assert {rt.findtext(f"{ESPI}intervalLength") for rt in rts} == {"900"}
    assert {rt.findtext(f"{ESPI}uom") for rt in rts} == {"72"}
    assert {rt.findtext(f"{ESPI}kind") for rt in rts} == {"12"}
    assert {rt.findtext(f"{ESPI}accumulationBehaviour") for rt in rts} == {"4"}
    blocks = doc.findall(f".//{ESPI}IntervalBlock")
    fall = blocks[1]
    readings = fall.findall(f"{ESPI}IntervalReading")
    assert len(readings) == 100
    assert fall.findtext(f"{ESPI}interval/{ESPI}duration") == str(25 * 3600)
    first = int(readings[0].findtext(f"{ESPI}timePeriod/{ESPI}start"))
    assert first == int(datetime(2025, 11, 2, tzinfo=MARKET_TZ).timestamp())
    values = [int(x.findtext(f"{ESPI}value")) for x in readings]
    assert values == r.consumption.values_wh[96:196].tolist()
    flagged = [x.find(f"{ESPI}ReadingQuality") is not None for x in readings]
    assert flagged == r.consumption.estimated[96:196].tolist()
    assert {
        x.findtext(f"{ESPI}ReadingQuality/{ESPI}quality")
        for x in readings
        if x.find(f"{ESPI}ReadingQuality") is not None
    } <= {"8"}
    # times from the data's revision, never the clock
    assert {e.findtext(f"{ATOM}updated") for e in entries} == {"2025-11-05T00:00:00Z"}
    assert doc.findtext(f"{ATOM}updated") == "2025-11-05T00:00:00Z"
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert ids[0] == f"urn:uuid:{resource_uuid(ESI, 'UsagePoint')}"
    assert len(set(ids)) == len(ids)


def test_espi_usage_summary_per_billing_period():
    billed = [
        BilledPeriod(date(2025, 1, 5), date(2025, 2, 4), 812_345, True, 1_739_000_000),
        BilledPeriod(date(2025, 2, 5), date(2025, 3, 6), None, False, 1_742_000_000),
    ]
    r = reads(date(2025, 1, 5), date(2025, 3, 6), "day", billed=billed)
    doc = assert_valid_espi(render_espi(r, site_url=SITE))
    sums = doc.findall(f".//{ESPI}UsageSummary")
    assert len(sums) == 2
    assert sums[0].findtext(f"{ESPI}currentBillingPeriodOverAllConsumption/{ESPI}value") == "812345"
    assert sums[0].findtext(f"{ESPI}qualityOfReading") == "8"
    assert sums[1].find(f"{ESPI}currentBillingPeriodOverAllConsumption") is None  # NA: no value, not 0
    rt = doc.find(f".//{ESPI}ReadingType")
    assert rt.findtext(f"{ESPI}intervalLength") == "86400" and rt.findtext(f"{ESPI}timeAttribute") == "11"
    blocks = doc.findall(f".//{ESPI}IntervalBlock")
    assert len(blocks) == 2 * 3  # a block per calendar month and channel
    assert doc.findtext(f"{ATOM}updated") == "2025-03-15T00:53:20Z"  # the latest revision: the NA period


def test_espi_empty_range_is_valid_and_stable():
    r = build_reads(
        esiid=ESI,
        start=date(2025, 1, 1),
        end=date(2025, 1, 2),
        granularity="15min",
        consumption=None,
        generation=None,
    )
    body = render_espi(r, site_url=SITE)
    assert_valid_espi(body)
    assert b"IntervalBlock" not in body
    assert render_espi(r, site_url=SITE) == body


def test_byte_stability_across_calls():
    for g in ("15min", "hour", "day", "month"):
        a = reads(date(2025, 1, 1), date(2025, 2, 1), g)
        b = reads(date(2025, 1, 1), date(2025, 2, 1), g)
        assert render_json(a) == render_json(b)
        assert render_csv(a) == render_csv(b)
        assert render_espi(a, site_url=SITE) == render_espi(b, site_url=SITE)


def test_interval_starts_in_json_match_local_times():
    r = reads(date(2025, 3, 1), date(2025, 3, 31), "15min", gen=False)
    doc = orjson.loads(render_json(r))
    for d in doc["days"]:
        day = date.fromisoformat(d["date"])
        assert d["start"] == datetime(day.year, day.month, day.day, tzinfo=MARKET_TZ).isoformat()
        assert len(d["consumption"]["kwh"]) == slots_in_day(day)
    assert iso_local(r.range.day_starts[:1])[0] == doc["start"]


@settings(max_examples=40, deadline=None)
@given(
    st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=0, max_value=2**31),
    st.booleans(),
    st.integers(min_value=1, max_value=150_000),
)
def test_csv_15min_parses_back_to_the_grid(start, span, seed, solar, max_wh):
    end = start + timedelta(days=span)
    cons = synthetic_days(start, end, seed=seed, missing_share=0.05, estimated_share=0.1, max_wh=max_wh)
    gen = synthetic_days(start, end, seed=seed + 1, missing_share=0.05, max_wh=max_wh) if solar else None
    r = build_reads(esiid=ESI, start=start, end=end, granularity="15min", consumption=cons, generation=gen)
    rows = list(csv.reader(io.StringIO(render_csv(r).decode())))[1:]
    got = {
        "Consumption": np.zeros(r.range.n_slots, dtype=np.int64),
        "Surplus Generation": np.zeros(r.range.n_slots, dtype=np.int64),
    }
    seen = {k: np.zeros(r.range.n_slots, dtype=bool) for k in got}
    est = {k: np.zeros(r.range.n_slots, dtype=bool) for k in got}
    cursor = {}
    for row in rows:
        day = datetime.strptime(row[1], "%m/%d/%Y").replace(tzinfo=MARKET_TZ).date()
        i = (day - start).days
        key = (i, row[7])
        # rows of a day and channel come in absolute-time order: find the slot by wall clock and order
        slot = cursor.get(key, 0)
        while slot_wallclock(day, slot) != (row[3], row[4]):
            slot += 1
        cursor[key] = slot + 1
        k = int(r.range.offsets[i]) + slot
        ip, frac = row[5].split(".")
        assert len(frac) == 3
        got[row[7]][k] = int(ip) * 1000 + int(frac)
        seen[row[7]][k] = True
        est[row[7]][k] = row[6] == "E"
    for name, grid in (("Consumption", r.consumption), ("Surplus Generation", r.generation)):
        assert seen[name].tolist() == (~grid.missing).tolist()
        assert got[name].tolist() == grid.values_wh.tolist()
        assert est[name].tolist() == grid.estimated.tolist()


def test_espi_entries_serve_connect_my_data_views():
    from usage.writers.espi import espi_entries, espi_entry_document, espi_feed

    r = reads(date(2025, 11, 1), date(2025, 11, 2), "15min")
    sub = SITE + "/espi/1_1/resource/Subscription/7/UsagePoint/3"
    entries = espi_entries(r, site_url=SITE, usage_point_href=sub)
    default = espi_entries(r, site_url=SITE)
    assert [e.uid for e in entries] == [e.uid for e in default]  # ids do not depend on the links
    blocks = [e for e in entries if e.kind == "IntervalBlock" and e.parent == "consumption-15min"]
    assert [e.key for e in blocks] == ["20251101", "20251102"]
    assert blocks[1].self_href == sub + "/MeterReading/consumption-15min/IntervalBlock/20251102"
    feed = espi_feed(
        blocks,
        feed_id=resource_uuid("test"),
        title="IntervalBlocks",
        self_href=sub + "/MeterReading/consumption-15min/IntervalBlock",
        self_type="espi-feed/IntervalBlock",
        updated=max(e.updated for e in blocks),
    )
    assert_valid_espi(feed)
    assert_valid_espi(espi_entry_document(blocks[0]))


def test_json_kwh_table_equals_the_digit_arithmetic():
    from usage.writers.text import _kwh_json_digits

    wh = np.arange(100_000, dtype=np.int64)
    null = wh % 977 == 0
    assert compact(kwh_json(wh, null)) == compact(_kwh_json_digits(wh, null))
    assert compact(kwh_json(np.array([100_000, 5]))) == b"100.0,0.005,"
