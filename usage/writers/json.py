"""JSON of interval reads (orjson). Pure: no Django. Shapes in docs/formats.md.

15-minute and hourly data are compact: one block per local day with the day's first interval start (with
its offset), the interval length and per channel arrays of kWh and estimated flags (intervals consecutive
in absolute time, so the fall-back day's repeated hour is unambiguous). Day, month and billing data are a
list of intervals with their start and end instants. kWh are floats Wh / 1000 (printed shortest, so never
more than 3 decimals); a missing value is ``null``, never 0.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import orjson

from usage.reads.aggregate import INTERVAL_GRANULARITIES, Reads, Series, day_range, iso_at, iso_local
from usage.timegrid import MARKET_TZ
from usage.writers.bill import BillColumn
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


@lru_cache(maxsize=8)
def _all_false(n: int) -> bytes:
    return b"[" + b",".join([b"false"] * n) + b"]"


def _flag_texts(est: np.ndarray, bounds: np.ndarray) -> list[bytes]:
    """Per day, the JSON array of its estimated flags: most days have none, and share one cached text."""
    any_est = np.logical_or.reduceat(est, bounds[:-1]).tolist()
    b_list = bounds.tolist()
    out = []
    for i, flagged in enumerate(any_est):
        a, b = b_list[i], b_list[i + 1]
        if not flagged:
            out.append(_all_false(b - a))
        else:
            text = np.take(_FLAG_TEXT, est[a:b].astype(np.intp)).tobytes().translate(None, b"\0")
            out.append(b"[" + text[:-1] + b"]")
    return out


def _channel_texts(s: Series, bounds: np.ndarray) -> list[bytes] | None:
    """Per day, the channel's ``{"kwh":[...],"estimated":[...]}`` or ``null`` when it has no value that day;
    None when it has none on any day."""
    present = (np.add.reduceat(~s.null, bounds[:-1]) > 0).tolist()
    if not any(present):
        return None
    matrix = kwh_json(s.wh, s.null)
    text = compact(matrix)
    cum = np.zeros(len(matrix) + 1, dtype=np.int64)
    np.cumsum(kwh_json_lengths(s.wh, s.null, matrix), out=cum[1:])
    ends = cum[bounds].tolist()
    flags = _flag_texts(s.estimated, bounds)
    return [
        b'{"kwh":[%b],"estimated":%b}' % (text[a : b - 1], f) if p else b"null"
        for p, a, b, f in zip(present, ends[:-1], ends[1:], flags, strict=True)
    ]


@lru_cache(maxsize=64)
def _day_heads(start: date, end: date, seconds: int) -> tuple[bytes, ...]:
    """Per day of the range, the text of its block up to the consumption value (the same for every premise)."""
    rng = day_range(start, end)
    starts = iso_local(rng.day_starts[:-1])
    dates = np.datetime_as_string(rng.dates).tolist()
    return tuple(
        b'{"date":"%s","start":"%s","interval_seconds":%d,"consumption":' % (d.encode(), st.encode(), seconds)
        for d, st in zip(dates, starts, strict=True)
    )


def _bill_texts(bill: BillColumn, bounds: np.ndarray) -> list[bytes]:
    """Per day, ``,"cost_usd":[...]`` (dollars as JSON numbers, 3 decimals at most; null where none)."""
    matrix = kwh_json(bill.tenths, bill.null)  # tenths of a cent / 1000 = dollars, printed like kWh
    text = compact(matrix)
    cum = np.zeros(len(matrix) + 1, dtype=np.int64)
    np.cumsum(kwh_json_lengths(bill.tenths, bill.null, matrix), out=cum[1:])
    ends = cum[bounds].tolist()
    return [b',"cost_usd":[%b]' % text[a : b - 1] for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _days_text(reads: Reads, bill: BillColumn | None = None) -> bytes:
    """The ``days`` array of 15-minute or hourly data, built as text (orjson would spend most of its time
    on ~400 small dicts): byte for byte what orjson writes for the documented shape."""
    rng = reads.range
    per_slot = 4 if reads.granularity == "hour" else 1
    bounds = rng.offsets // per_slot
    heads = _day_heads(rng.start, rng.end, 900 * per_slot)
    chans = [_channel_texts(s, bounds) for s in (reads.series_consumption, reads.series_generation)]
    cons, gen = chans
    if gen is None:
        if cons is None:
            cons = [b"null"] * rng.n_days
        parts = [h + c + b',"generation":null' for h, c in zip(heads, cons, strict=True)]
    else:
        cons = cons or [b"null"] * rng.n_days
        parts = [h + c + b',"generation":' + g for h, c, g in zip(heads, cons, gen, strict=True)]
    if bill is not None:
        parts = [p + t for p, t in zip(parts, _bill_texts(bill, bounds), strict=True)]
    return b"[" + b"},".join(parts) + b"}]"


def _rows(reads: Reads, bill: BillColumn | None = None) -> list[dict]:
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
    if bill is not None:
        for row, t, n in zip(rows, bill.tenths.tolist(), bill.null.tolist(), strict=True):
            row["cost_usd"] = None if n else t / 1000
    return rows


def render_json(reads: Reads, bill: BillColumn | None = None) -> bytes:
    """The JSON of ``reads``; ``bill`` (asked for) adds ``cost_currency`` and a ``cost_usd`` per interval
    (in the day blocks of 15-minute and hourly data, an array beside the channels)."""
    doc = _header(reads)
    if bill is not None:
        doc["cost_currency"] = "USD"
    if reads.granularity in INTERVAL_GRANULARITIES:
        head = orjson.dumps(doc, option=OPTS)
        return b"".join((head[:-1], b',"days":', _days_text(reads, bill), b"}"))
    doc["intervals"] = _rows(reads, bill)
    return orjson.dumps(doc, option=OPTS)
