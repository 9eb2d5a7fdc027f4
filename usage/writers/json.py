"""JSON of interval reads (orjson). Pure: no Django. Shapes in docs/formats.md.

15-minute and hourly data are compact: one block per local day with the day's first interval start (with
its offset), the interval length and per channel arrays of kWh and estimated flags (intervals consecutive
in absolute time, so the fall-back day's repeated hour is unambiguous). Day, month and billing data are a
list of intervals with their start and end instants. kWh are floats Wh / 1000 (printed shortest, so never
more than 3 decimals); a missing value is ``null``, never 0.
"""

from __future__ import annotations

import numpy as np
import orjson

from usage.reads.aggregate import INTERVAL_GRANULARITIES, Reads, Series, iso_at, iso_local
from usage.timegrid import MARKET_TZ
from usage.writers.text import compact, kwh_json, kwh_json_lengths

OPTS = orjson.OPT_SERIALIZE_NUMPY


def _header(reads: Reads) -> dict:
    rng = reads.range
    return {
        "esiid": reads.esiid,
        "granularity": reads.granularity,
        "start_date": rng.start.isoformat(),
        "end_date": rng.end.isoformat(),
        "timezone": str(MARKET_TZ.key),
        "start": iso_at(rng.first_epoch),
        "end": iso_at(rng.last_epoch),
        "unit": "kWh",
    }


_FLAG_TEXT = np.array([b"false,", b"true,"], dtype="S6").view("V6").ravel()  # NUL-padded items


def _array_texts(text: bytes, lengths: np.ndarray, bounds: np.ndarray) -> list[bytes]:
    """Per day, the JSON array ``[...]`` of the items ``bounds[i]:bounds[i+1]`` of ``text``, a run of
    comma-terminated items of ``lengths`` bytes."""
    cum = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=cum[1:])
    ends = cum[bounds].tolist()
    return [
        b"[" + text[a : b - 1] + b"]" if b > a else b"[]" for a, b in zip(ends[:-1], ends[1:], strict=True)
    ]


def _channel_texts(s: Series, bounds: np.ndarray) -> list[bytes] | None:
    """Per day, the channel's ``{"kwh":[...],"estimated":[...]}`` or ``null`` when it has no value that day;
    None when it has none on any day."""
    present = (np.add.reduceat(~s.null, bounds[:-1]) > 0).tolist()
    if not any(present):
        return None
    matrix = kwh_json(s.wh, s.null)
    kwh = _array_texts(compact(matrix), kwh_json_lengths(s.wh, s.null, matrix), bounds)
    est = s.estimated.astype(np.intp)
    flags = _array_texts(np.take(_FLAG_TEXT, est).tobytes().translate(None, b"\0"), 6 - est, bounds)
    return [
        b'{"kwh":' + k + b',"estimated":' + f + b"}" if p else b"null"
        for p, k, f in zip(present, kwh, flags, strict=True)
    ]


def _days_text(reads: Reads) -> bytes:
    """The ``days`` array of 15-minute or hourly data, built as text (orjson would spend most of its time
    on ~400 small dicts): byte for byte what orjson writes for the documented shape."""
    rng = reads.range
    per_slot = 4 if reads.granularity == "hour" else 1
    seconds = 900 * per_slot
    bounds = rng.offsets // per_slot
    starts = iso_local(rng.day_starts[:-1])
    dates = np.datetime_as_string(rng.dates).tolist()
    chans = [_channel_texts(s, bounds) for s in (reads.series_consumption, reads.series_generation)]
    cons, gen = (c or [b"null"] * rng.n_days for c in chans)
    parts = [
        b'{"date":"%s","start":"%s","interval_seconds":%d,"consumption":%s,"generation":%s}'
        % (d.encode(), st.encode(), seconds, c, g)
        for d, st, c, g in zip(dates, starts, cons, gen, strict=True)
    ]
    return b"[" + b",".join(parts) + b"]"


def _rows(reads: Reads) -> list[dict]:
    c: Series = reads.series_consumption
    g: Series = reads.series_generation
    n = len(c)
    starts = iso_local(c.starts)
    ends = iso_local(c.ends)
    ckwh = c.kwh().tolist()
    gkwh = g.kwh().tolist()
    est = ((c.estimated & ~c.null) | (g.estimated & ~g.null)).tolist()
    miss = c.missing.tolist()
    rows = []
    for i in range(n):
        row = {
            "start": starts[i],
            "end": ends[i],
            "consumption_kwh": None if ckwh[i] != ckwh[i] else ckwh[i],
            "generation_kwh": None if gkwh[i] != gkwh[i] else gkwh[i],
            "estimated": est[i],
            "missing_intervals": miss[i],
        }
        rows.append(row)
    if reads.granularity == "billing":
        for row, billed, cwh in zip(rows, reads.billed, ckwh, strict=True):
            row["estimated"] = bool(billed.estimated or row["estimated"])
            row["consumption_kwh"] = None if billed.wh is None else billed.wh / 1000
            row["interval_consumption_kwh"] = None if cwh != cwh else cwh
    return rows


def render_json(reads: Reads) -> bytes:
    doc = _header(reads)
    if reads.granularity in INTERVAL_GRANULARITIES:
        head = orjson.dumps(doc, option=OPTS)
        return head[:-1] + b',"days":' + _days_text(reads) + b"}"
    doc["intervals"] = _rows(reads)
    return orjson.dumps(doc, option=OPTS)
