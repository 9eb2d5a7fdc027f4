"""CSV of interval reads. Pure: no Django. Layouts in docs/formats.md.

15-minute data is the TDU interval layout of CONTRACTS (what SMT's own downloads look like), so scripts and
spreadsheets written for SMT keep working: local wall-clock times, the fall-back day's repeated hour told
apart by order (CDT rows first), CRLF line ends, one row per delivered interval (a never-delivered interval
has no row: the layout has no way to say "missing"), consumption rows of a day before its surplus-generation
rows.

Rows are built without Python work per value: every column (ESI ID and date, revision time, start and end
time, kWh, flag and channel) comes from a small pre-formatted NUL-padded table indexed with numpy (each
table entry one opaque ``V`` item, so a column is one gather), the columns sit side by side in one
structured array, and dropping the NULs of its bytes (``bytes.replace``, C speed) gives the body.

Other granularities: ``start,end,consumption_kwh,generation_kwh,estimated`` with ISO 8601 instants with
offsets, kWh with 3 decimals, an empty field for a missing value, ``true``/``false``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from usage.reads.aggregate import Reads, iso_local_matrix, utc_offsets
from usage.timegrid import slot_wallclock, slots_in_day
from usage.writers import text
from usage.writers.bill import BillColumn
from usage.writers.text import kwh_fixed3

TDU_HEADER = (
    b"ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,"
    b"ESTIMATED_ACTUAL,CONSUMPTION_SURPLUSGENERATION\r\n"
)
SPAN_HEADER = b"start,end,consumption_kwh,generation_kwh,estimated\r\n"
SPAN_HEADER_COST = b"start,end,consumption_kwh,generation_kwh,estimated,cost_usd\r\n"
CHANNEL_NAMES = ("Consumption", "Surplus Generation")
_TAILS = [f",{flag},{name}\r\n" for name in CHANNEL_NAMES for flag in ("A", "E")]


def _table(strings: list[str], width: int) -> np.ndarray:
    """Fixed-width uint8 table of ASCII strings, NUL padded on the right."""
    arr = np.array([s.encode("ascii") for s in strings], dtype=f"S{width}")
    return arr.view(np.uint8).reshape(len(strings), width)


def _as_void(matrix: np.ndarray) -> np.ndarray:
    """View an (n, w) uint8 matrix as n opaque w-byte items (copied as a whole, not byte by byte)."""
    m = np.ascontiguousarray(matrix)
    return m.view(f"V{m.shape[1]}").reshape(m.shape[0])


# "HH:MM,HH:MM," of every slot of a 96-, 92- and 100-slot day, one after the other (US Central changes
# its clocks at 02:00, so the slot count alone fixes a day's wall-clock times).
_SAMPLE_DAYS = {96: date(2025, 1, 15), 92: date(2025, 3, 9), 100: date(2025, 11, 2)}
assert {n: slots_in_day(d) for n, d in _SAMPLE_DAYS.items()} == {n: n for n in _SAMPLE_DAYS}
_TIME_BASE = {96: 0, 92: 96, 100: 96 + 92}
_TIME_TABLE = _as_void(
    _table(
        [",".join(slot_wallclock(d, s)) + "," for n, d in _SAMPLE_DAYS.items() for s in range(n)],
        12,
    )
)


def _mdy(dates: np.ndarray) -> np.ndarray:
    """MM/DD/YYYY (uint8 rows of 10) of datetime64 values, vectorised."""
    iso = np.datetime_as_string(dates.astype("datetime64[D]")).astype("S10").view(np.uint8).reshape(-1, 10)
    out = iso[:, [5, 6, 4, 8, 9, 7, 0, 1, 2, 3]]
    out[:, [2, 5]] = ord("/")
    return out


def _local_stamps(epochs: np.ndarray) -> np.ndarray:
    """ "MM/DD/YYYY HH:MM:SS," (uint8 rows of 20) of Unix seconds in market time, vectorised."""
    local = (epochs + utc_offsets(epochs)).astype("datetime64[s]")
    iso = np.datetime_as_string(local, unit="s").astype("S19").view(np.uint8).reshape(-1, 19)
    out = np.empty((len(epochs), 20), dtype=np.uint8)
    out[:, :10] = _mdy(local)
    out[:, 10] = ord(" ")
    out[:, 11:19] = iso[:, 11:19]
    out[:, 19] = ord(",")
    return out


def _revision_rows(reads: Reads, grids, ch: np.ndarray, slots: np.ndarray, day_idx: np.ndarray) -> np.ndarray:
    """REVISION_DATE + comma of each row: the stored revision time of the interval, or, when storage has
    none, local midnight at the end of the usage day (the earliest time a whole day can have been read)."""
    rng = reads.range
    fallback = rng.day_starts[1:]
    if all(g.revisions is None for g in grids):
        return _as_void(_local_stamps(fallback))[day_idx]
    revs = fallback[day_idx]
    for c, grid in enumerate(grids):
        if grid.revisions is not None:
            sel = ch == c
            r = grid.revisions[slots[sel]]
            revs[sel] = np.where(r > 0, r, revs[sel])
    uniq, inv = np.unique(revs, return_inverse=True)
    return _as_void(_local_stamps(uniq))[inv]


@lru_cache(maxsize=2)
def _kwh_table(int_digits: int) -> np.ndarray:
    """Item w is the kWh text of w Wh ("0.580") for w < 10**(int_digits + 3), as void items of
    ``int_digits + 4`` bytes (NUL padded only for values with fewer integer digits)."""
    return _as_void(kwh_fixed3(np.arange(10 ** (int_digits + 3), dtype=np.int64)))


def _kwh_column(wh: np.ndarray) -> np.ndarray:
    """kWh texts; with 1 or 2 integer digits (up to 99.999 kWh in 15 minutes) straight from a table."""
    top = int(wh.max()) if len(wh) else 0
    digits = len(str(top // 1000))
    if digits <= 2:
        return _kwh_table(digits)[wh]
    return _as_void(kwh_fixed3(wh))


_TAIL_BY_CHANNEL = (
    _as_void(_table(_TAILS[:2], len(_TAILS[0]))),
    _as_void(_table(_TAILS[2:], len(_TAILS[2]))),
)


def _channel_rows(
    reads: Reads, c: int, slots: np.ndarray, day_prefix: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """The rows of one channel (slot order) and the byte offset where each day's rows start (n_days + 1)."""
    rng = reads.range
    grid = reads.consumption if c == 0 else reads.generation
    grids = (reads.consumption, reads.generation)
    day_idx = np.searchsorted(rng.offsets, slots, side="right") - 1
    counts = rng.counts
    base = np.zeros(len(counts), dtype=np.int64)
    for n, b in _TIME_BASE.items():
        base[counts == n] = b
    values = grid.values_wh[slots]
    est = grid.estimated[slots].astype(np.int64)
    kwh = _kwh_column(values)
    cols = (
        day_prefix[day_idx],
        _revision_rows(reads, grids, np.full(len(slots), c, dtype=np.int64), slots, day_idx),
        _TIME_TABLE[base[day_idx] + slots - rng.offsets[day_idx]],
        kwh,
        _TAIL_BY_CHANNEL[c][est],
    )
    rows = np.empty(len(slots), dtype=[(f"f{i}", col.dtype) for i, col in enumerate(cols)])
    for i, col in enumerate(cols):
        rows[f"f{i}"] = col
    width = rows.dtype.itemsize
    # the kWh column is the only one that can be NUL padded (values with fewer integer digits)
    ip = values // 1000
    ndig = np.ones(len(values), dtype=np.int64)
    p = 10
    while p <= (int(ip.max()) if len(ip) else 0):
        ndig += ip >= p
        p *= 10
    pad = kwh.dtype.itemsize - (ndig + 4)
    per_day_rows = np.zeros(rng.n_days + 1, dtype=np.int64)
    np.cumsum(np.bincount(day_idx, minlength=rng.n_days), out=per_day_rows[1:])
    if not pad.any():  # no copy here: the caller joins straight from the array's buffer
        return memoryview(rows.view(np.uint8)), per_day_rows * width
    row_end = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(width - pad, out=row_end[1:])
    return memoryview(rows.tobytes().replace(b"\0", b"")), row_end[per_day_rows]


def tdu_rows(reads: Reads) -> bytes:
    """The 15-minute TDU layout (CONTRACTS), header included: each channel's rows are built on their own
    (fixed-width, no NUL padding in the common case), then laid out day by day, consumption first."""
    rng = reads.range
    esiid = np.frombuffer(f"'{reads.esiid},".encode("ascii"), dtype=np.uint8)
    day_prefix = np.empty((rng.n_days, len(esiid) + 11), dtype=np.uint8)
    day_prefix[:, : len(esiid)] = esiid
    day_prefix[:, len(esiid) : -1] = _mdy(rng.dates)
    day_prefix[:, -1] = ord(",")
    prefix = _as_void(day_prefix)
    parts = []
    for c, grid in enumerate((reads.consumption, reads.generation)):
        slots = np.flatnonzero(~grid.missing)
        if len(slots):
            parts.append(_channel_rows(reads, c, slots, prefix))
    if not parts:
        return TDU_HEADER
    if len(parts) == 1:
        return b"".join((TDU_HEADER, parts[0][0]))
    (cm, co), (gm, go) = parts
    co, go = co.tolist(), go.tolist()
    pieces = [TDU_HEADER]
    for d in range(rng.n_days):
        pieces.append(cm[co[d] : co[d + 1]])
        pieces.append(gm[go[d] : go[d + 1]])
    return b"".join(pieces)


_FLAGS = _table(["false", "true"], 5)


def span_rows(reads: Reads, bill: BillColumn | None = None) -> bytes:
    """``start,end,consumption_kwh,generation_kwh,estimated`` for hour, day, month and billing data; with
    ``bill`` (asked for), a last ``cost_usd`` column: dollars with 3 decimals, empty where there is none."""
    c, g = reads.series_consumption, reads.series_generation
    n = len(c)
    header = SPAN_HEADER if bill is None else SPAN_HEADER_COST
    if not n:
        return header
    est = (c.estimated & ~c.null) | (g.estimated & ~g.null)
    cwh, cnull = c.wh, c.null
    if reads.granularity == "billing":
        billed = reads.billed
        cwh = np.array([b.wh or 0 for b in billed], dtype=np.int64)
        cnull = np.array([b.wh is None for b in billed], dtype=bool)
        est = est | np.array([b.estimated for b in billed], dtype=bool)
    ctext = kwh_fixed3(cwh)
    ctext[cnull] = 0  # a missing value is an empty field
    gtext = kwh_fixed3(g.wh)
    gtext[g.null] = 0
    comma = text.constant(b",", n)
    columns = [
        iso_local_matrix(c.starts),
        comma,
        iso_local_matrix(c.ends),
        comma,
        ctext,
        comma,
        gtext,
        comma,
        _FLAGS[est.astype(np.int64)],
    ]
    if bill is not None:
        money = kwh_fixed3(np.where(bill.null, 0, bill.tenths))  # tenths of a cent / 1000 = dollars
        money[bill.null] = 0
        columns += [comma, money]
    columns.append(text.constant(b"\r\n", n))
    body, _ = text.join_columns(columns)
    return header + body


def render_csv(reads: Reads, bill: BillColumn | None = None) -> bytes:
    """The CSV of ``reads``; ``bill`` adds a column to hourly, daily and monthly rows only (the 15-minute
    layout is the TDU's and stays exactly that)."""
    if reads.granularity == "15min":
        return tdu_rows(reads)
    return span_rows(reads, bill)
