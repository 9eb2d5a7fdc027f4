"""The pure parser: any bytes either parse or are rejected with a reason; the numpy fast path and the
general parser agree; totals add up."""

from __future__ import annotations

import gzip
import io
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usage import timegrid
from usage.ingest import fastpath, intervals
from usage.ingest.batch import DayTables, ParseState
from usage.ingest.intervals import HEADER, parse_bytes
from usage.ingest.reasons import FILE_REASONS, ROW_REASONS, FileRejected
from usage.timegrid import day_num

KNOWN = {f"1044372{i:010d}": i + 1 for i in range(5)} | {"1008901000000000000001": 99}
TODAY = date(2026, 11, 27)


def lookup(esiids):
    return [
        (KNOWN[e], None, None, day_num(date(2020, 1, 1))) if e in KNOWN else (-1, "unknown_esiid", None, 0)
        for e in esiids
    ]


def _parse(data: bytes, chunk_bytes=1 << 20):
    return parse_bytes(data, lookup=lookup, today=TODAY, chunk_bytes=chunk_bytes)


@given(st.binary(max_size=2000))
@settings(max_examples=400, deadline=None)
def test_any_bytes_parse_or_reject_with_reason(data):
    for blob in (data, HEADER.encode() + b"\n" + data):
        try:
            batches = _parse(blob, chunk_bytes=256)
        except FileRejected as exc:
            rejected_code = exc.code
        else:
            rejected_code = None
        if rejected_code is not None:
            assert rejected_code in FILE_REASONS
            continue
        for b in batches:
            assert b.rows == len(b.wh) + len(b.rejects)
            assert all(code in ROW_REASONS for _, code, _, _ in b.rejects)


row_text = st.text(alphabet=st.sampled_from(list("0123456789/:., 'AECSnsumptio\r\"-x")), max_size=90)


@given(st.lists(row_text, max_size=30))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_near_miss_rows_are_each_accounted_for(rows):
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    batches = _parse(data, chunk_bytes=128)
    for b in batches:
        assert b.rows == len(b.wh) + len(b.rejects)
    physical = data.count(b"\n") + data.count(b"\r")
    assert sum(b.rows for b in batches) <= physical


@st.composite
def clean_files(draw):
    days = draw(
        st.lists(
            st.sampled_from([date(2025, 3, 9), date(2025, 11, 2), date(2025, 7, 1), date(2026, 1, 31)]),
            min_size=1,
            max_size=2,
            unique=True,
        )
    )
    meters = draw(st.lists(st.sampled_from(sorted(KNOWN)), min_size=1, max_size=3, unique=True))
    lines = []
    expected = {}
    for esiid in meters:
        for d in days:
            rev = datetime.combine(d + timedelta(days=1), datetime.min.time()) + timedelta(
                seconds=draw(st.integers(0, 80000))
            )
            ch = draw(st.sampled_from(["Consumption", "Surplus Generation"]))
            n = timegrid.slots_in_day(d)
            wh = draw(st.lists(st.integers(0, 99_999), min_size=n, max_size=n))
            est = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            for slot in range(n):
                start, end = timegrid.slot_wallclock(d, slot)
                lines.append(
                    f"'{esiid},{d:%m/%d/%Y},{rev:%m/%d/%Y %H:%M:%S},{start},{end},{wh[slot] / 1000:.3f},"
                    f"{'E' if est[slot] else 'A'},{ch}"
                )
                expected[(KNOWN[esiid], 1 if ch == "Consumption" else 2, day_num(d), slot)] = (
                    wh[slot],
                    est[slot],
                )
    crlf = draw(st.booleans())
    text = ("\r\n" if crlf else "\n").join([HEADER, *lines]) + ("\r\n" if crlf else "\n")
    return text.encode(), expected


def _collect(batches):
    got = {}
    for b in batches:
        assert not b.rejects
        for p, c, d, s, w, e in zip(b.premise_id, b.channel, b.day, b.slot, b.wh, b.estimated, strict=True):
            got[(int(p), int(c), int(d), int(s))] = (int(w), bool(e))
    return got


@given(clean_files(), st.sampled_from([300, 4096, 1 << 20]))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
def test_fast_and_general_parser_agree_on_clean_files(file, chunk_bytes):
    data, expected = file
    fast = _collect(_parse(data, chunk_bytes))
    assert fast == expected
    orig = intervals.parse_chunk_fast
    intervals.parse_chunk_fast = lambda *a, **k: None
    try:
        slow = _collect(_parse(data, chunk_bytes))
    finally:
        intervals.parse_chunk_fast = orig
    assert slow == expected


def test_fast_path_is_used_for_clean_chunks():
    lines = [
        f"'10443720000000000,07/01/2025,07/02/2025 07:00:00,{a},{b},0.250,A,Consumption"
        for a, b in (timegrid.slot_wallclock(date(2025, 7, 1), s) for s in range(96))
    ]
    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    assert (
        fastpath.parse_chunk_fast(
            data.split(b"\n", 1)[1],
            2,
            8,
            list(range(8)),
            ParseState(lookup=lookup, today=day_num(TODAY)),
        )
        is not None
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n", "empty"),
        (b"ESIID,USAGE_DATE\n1,2\n", "bad_header"),
        (b"\x00\x01\x02", "not_csv"),
        (gzip.compress(b"x" * 1000, mtime=0)[:20], "truncated_gzip"),
        (b"\x1f\x8bnot really gzip at all", "bad_gzip"),
    ],
)
def test_file_level_rejects(data, code):
    with pytest.raises(FileRejected) as exc:
        _parse(data)
    assert exc.value.code == code


def test_columns_in_any_order_and_extra_columns():
    cols = HEADER.split(",")
    header = ",".join(["EXTRA", *reversed(cols)])
    row = [
        "x",
        "Consumption",
        "A",
        "0.125",
        "00:15",
        "00:00",
        "07/02/2025 07:00:00",
        "07/01/2025",
        "10443720000000001",
    ]
    data = (header + "\n" + ",".join(row) + "\n").encode()
    (batch,) = _parse(data)
    assert batch.wh.tolist() == [125] and batch.slot.tolist() == [0] and not batch.rejects


def test_spring_and_fall_days_by_timegrid():
    assert np.array_equal(DayTables().get(day_num(date(2025, 3, 9)))[1][7:9], [180, 195])


VALID_ROW = b"'10443720000000001,07/01/2025,07/02/2025 07:37:17,00:00,00:15,0.580,A,Consumption"
FIELD_MUTANTS = [
    b"",
    b"9" * 5000,
    b"-" + b"9" * 5000,
    b"9" * 5000 + b".5",
    b"1e308",
    b"NaN",
    b"inf",
    b"12/31/9999 23:59:59",
    b"01/01/0001 00:00:00",
    b"00/00/0000",
    b"99:99",
    b"'" + b"1" * 4000,
    b"\x00\xff\xfe",
    b'"a,b"',
    b"\r",
    "é".encode(),
]


@st.composite
def mutated_files(draw):
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        fields = VALID_ROW.split(b",")
        for _ in range(draw(st.integers(0, 3))):
            i = draw(st.integers(0, len(fields) - 1))
            op = draw(st.sampled_from(["field", "bytes", "drop", "dup"]))
            if op == "field":
                fields[i] = draw(st.sampled_from(FIELD_MUTANTS))
            elif op == "bytes":
                fields[i] = fields[i] + draw(st.binary(max_size=8))
            elif op == "drop":
                fields.pop(i)
                if not fields:
                    fields = [b""]
            else:
                fields.insert(i, fields[i])
        rows.append(b",".join(fields))
        rows.extend([b""] * draw(st.integers(0, 2)))
    return HEADER.encode() + b"\n" + b"\n".join(rows) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))


@given(mutated_files(), st.sampled_from([128, 1 << 16]), st.sampled_from([None, 2]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_rows_never_raise_and_every_row_is_accounted_for(data, chunk_bytes, samples):
    max_rev = int(datetime(2026, 11, 28, tzinfo=timegrid.MARKET_TZ).timestamp())
    code = None
    try:
        batches = list(
            intervals.parse_interval_file(
                io.BytesIO(data),
                lookup=lookup,
                today=TODAY,
                chunk_bytes=chunk_bytes,
                max_revision=max_rev,
                samples=samples,
            )
        )
    except FileRejected as exc:
        code = exc.code
        batches = []
    assert code is None or code in FILE_REASONS
    for b in batches:
        assert b.rows == len(b.wh) + sum(b.reject_counts.values())
        assert all(code in ROW_REASONS for _, code, _, _ in b.rejects)
        assert (b.revision <= max_rev).all()
    kept = {}
    for b in batches:
        for _, code, _, _ in b.rejects:
            kept[code] = kept.get(code, 0) + 1
    if samples is not None:
        assert all(n <= samples for n in kept.values())
