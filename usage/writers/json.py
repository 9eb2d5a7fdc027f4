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
from usage.writers.text import compact, kwh_json, row_lengths

OPTS = orjson.OPT_SERIALIZE_NUMPY

CHANNEL_KEYS = ("consumption", "generation")


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


def _kwh_fragments(s: Series, bounds: np.ndarray) -> list[orjson.Fragment]:
    """One pre-serialised JSON array of kWh per day (the text is built vectorised, see writers.text)."""
    m = kwh_json(s.wh, s.null)
    text = compact(m)
    cum = np.zeros(len(m) + 1, dtype=np.int64)
    np.cumsum(row_lengths(m), out=cum[1:])
    ends = cum[bounds]
    out = []
    for a, b in zip(ends[:-1].tolist(), ends[1:].tolist(), strict=True):
        out.append(orjson.Fragment(b"[" + text[a : b - 1] + b"]" if b > a else b"[]"))
    return out


def _day_blocks(reads: Reads) -> list[dict]:
    rng = reads.range
    per_slot = 4 if reads.granularity == "hour" else 1
    seconds = 900 * per_slot
    bounds = rng.offsets // per_slot
    series = (reads.series_consumption, reads.series_generation)
    starts = iso_local(rng.day_starts[:-1])
    dates = np.datetime_as_string(rng.dates).tolist()
    channels = []
    for s in series:
        # a channel has a block on a day when at least one of its values that day is not null
        present = (np.add.reduceat(~s.null, bounds[:-1]) > 0).tolist()
        if any(present):
            channels.append((present, _kwh_fragments(s, bounds), s.estimated))
        else:
            channels.append(None)
    days = []
    b_list = bounds.tolist()
    for i in range(rng.n_days):
        a, b = b_list[i], b_list[i + 1]
        block = {
            "date": dates[i],
            "start": starts[i],
            "interval_seconds": seconds,
        }
        for key, ch in zip(CHANNEL_KEYS, channels, strict=True):
            if ch is None or not ch[0][i]:
                block[key] = None
            else:
                block[key] = {"kwh": ch[1][i], "estimated": ch[2][a:b]}
        days.append(block)
    return days


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
        doc["days"] = _day_blocks(reads)
    else:
        doc["intervals"] = _rows(reads)
    return orjson.dumps(doc, option=OPTS)
