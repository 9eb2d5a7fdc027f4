"""Vectorised fast path for clean chunks of a TDU interval file. Pure: no Django.

A chunk in which every line is a canonical row (no quotes, no blank lines, exactly the header's number of
fields, ``HH:MM`` times, kWh with three decimals, known ESI IDs, ...) is parsed with numpy alone: line and
comma positions come from one scan of the bytes, each field is read at its offsets, and values that repeat
row after row (ESI ID, dates, revision time) are decoded once per run. Anything unusual makes this
function return None and the chunk goes through the general parser, which explains every reject; so the
fast path never decides a reject, it only accepts.
"""

from __future__ import annotations

import numpy as np

from usage.ingest.batch import Batch, ParseState, day_start, occurrence_by_end
from usage.ingest.fields import NO_DAY, parse_date, parse_revision

_CONSUMPTION = np.frombuffer(b"Consumption", np.uint8)
_GENERATION = np.frombuffer(b"Surplus Generation", np.uint8)


_PAD = 32


def _gather(a: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """Rows of ``width`` bytes starting at each ``start`` (``a`` ends with _PAD zero bytes)."""
    return np.lib.stride_tricks.sliding_window_view(a, width)[np.clip(start, 0, a.size - width)]


def _digits_ok(m: np.ndarray, cols: list[int]) -> bool:
    sub = m[:, cols]
    return bool(np.all((sub >= 48) & (sub <= 57)))


def _num(m: np.ndarray, cols: list[int]) -> np.ndarray:
    out = np.zeros(m.shape[0], dtype=np.int64)
    for c in cols:
        out = out * 10 + (m[:, c].astype(np.int64) - 48)
    return out


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each run of equal consecutive keys, and each row's run number."""
    change = np.empty(key.shape[0], dtype=bool)
    change[0] = True
    np.not_equal(key[1:], key[:-1], out=change[1:])
    return np.flatnonzero(change), np.cumsum(change) - 1


def parse_chunk_fast(
    chunk: bytes, first_line: int, ncols: int, wanted: list[int], state: ParseState
) -> Batch | None:
    if not chunk:
        return None
    if b'"' in chunk or b"\t" in chunk:  # quotes or tabs: the general parser
        return None
    if not chunk.endswith(b"\n"):
        chunk += b"\n"
    a = np.frombuffer(chunk + bytes(_PAD), dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    n = nl.size
    commas = np.flatnonzero(a == 44)
    if commas.size != n * (ncols - 1) or n == 0:
        return None
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.astype(np.int64)
    ends -= a[np.maximum(nl - 1, 0)] == 13
    cm = commas.reshape(n, ncols - 1)
    if not (np.all(cm[:, 0] >= starts) and np.all(cm[:, -1] < ends)):
        return None
    fs = [starts] + [cm[:, j] + 1 for j in range(ncols - 1)]
    fe = [cm[:, j] for j in range(ncols - 1)] + [ends]
    f_esi, f_date, f_rev, f_start, f_end, f_kwh, f_flag, f_chan = wanted

    # ESI ID: optional apostrophe, 17 or 22 digits, decoded once per run
    s = fs[f_esi]
    s = s + (a[s] == 39)
    length = fe[f_esi] - s
    if not np.all((length == 17) | (length == 22)):
        return None
    m = _gather(a, s, 22).copy()
    m[length == 17, 17:] = 48
    if not _digits_ok(m, list(range(22))):
        return None
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.any(m[1:] != m[:-1], axis=1, out=change[1:])
    change[1:] |= length[1:] != length[:-1]
    run_start = np.flatnonzero(change)
    run_of = np.cumsum(change) - 1
    norms = [m[r, : length[r]].tobytes().decode("ascii") for r in run_start.tolist()]
    info = state.resolve(norms)
    if any(i[1] for i in info):
        return None
    premise = np.array([i[0] for i in info], dtype=np.int64)[run_of]
    install = np.array([i[3] for i in info], dtype=np.int64)[run_of]

    # USAGE_DATE MM/DD/YYYY
    s = fs[f_date]
    if not np.all(fe[f_date] - s == 10):
        return None
    m = _gather(a, s, 10)
    if not (np.all(m[:, 2] == 47) and np.all(m[:, 5] == 47) and _digits_ok(m, [0, 1, 3, 4, 6, 7, 8, 9])):
        return None
    key = _num(m, [6, 7, 8, 9, 0, 1, 3, 4])
    rs, day_run_of = _runs(key)
    day_runs = []
    for r in rs.tolist():
        k = int(key[r])
        d = state.date_cache.get(k)
        if d is None:
            d = parse_date(m[r].tobytes())
            state.date_cache[k] = d
        day_runs.append(d)
    day = np.array(day_runs, dtype=np.int64)[day_run_of]
    if np.any(day == NO_DAY) or np.any(day > state.today) or np.any(day < install):
        return None

    # REVISION_DATE MM/DD/YYYY HH:MM:SS
    s = fs[f_rev]
    if not np.all(fe[f_rev] - s == 19):
        return None
    m = _gather(a, s, 19)
    if not (
        np.all(m[:, 2] == 47)
        and np.all(m[:, 5] == 47)
        and np.all(m[:, 10] == 32)
        and np.all(m[:, 13] == 58)
        and np.all(m[:, 16] == 58)
        and _digits_ok(m, [0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18])
    ):
        return None
    # local wall-clock -> Unix seconds: the UTC offset is looked up once per (date, hour), since zone
    # transitions happen on the hour (fold=0 like the general parser: the first of a repeated hour)
    hour_key = _num(m, [6, 7, 8, 9, 0, 1, 3, 4, 11, 12])
    secs = _num(m, [14, 15]) * 60 + _num(m, [17, 18])
    if np.any(secs >= 3600):
        return None
    rs, ro = _runs(hour_key)
    base_runs = []
    for r in rs.tolist():
        k = int(hour_key[r])
        got = state.rev_cache.get(k)
        if got is None:
            got = parse_revision(m[r, :13].tobytes() + b":00:00")
            state.rev_cache[k] = got
        if not got[1]:
            return None
        base_runs.append(got[0])
    revision = np.array(base_runs, dtype=np.int64)[ro] + secs
    if np.any(revision < np.array([day_start(d) for d in day_runs], dtype=np.int64)[day_run_of]):
        return None
    if state.max_revision is not None and np.any(revision > state.max_revision):
        return None

    # times HH:MM on the quarter hour
    minutes = []
    for f in (f_start, f_end):
        s = fs[f]
        if not np.all(fe[f] - s == 5):
            return None
        m = _gather(a, s, 5)
        if not (np.all(m[:, 2] == 58) and _digits_ok(m, [0, 1, 3, 4])):
            return None
        hh = _num(m, [0, 1])
        mm = _num(m, [3, 4])
        if np.any(hh > 23) or np.any(mm % 15 != 0) or np.any(mm > 45):
            return None
        minutes.append(hh * 60 + mm)
    start, end = minutes

    # USAGE_KWH: digits, a dot, three decimals
    e = fe[f_kwh]
    length = e - fs[f_kwh]
    if not np.all((length >= 5) & (length <= 11)):
        return None
    m = _gather(a, e - 11, 11)
    if not (np.all(m[:, 7] == 46) and _digits_ok(m, [8, 9, 10])):
        return None
    whole_digits = length - 4  # 1..7, in columns 7 - whole_digits .. 6
    col = np.arange(7)
    in_whole = col[None, :] >= (7 - whole_digits)[:, None]
    wd = m[:, :7].astype(np.int64) - 48
    if not np.all(((wd >= 0) & (wd <= 9)) | ~in_whole):
        return None
    wd[~in_whole] = 0
    wh = (wd @ (10 ** np.arange(6, -1, -1, dtype=np.int64))) * 1000 + _num(m, [8, 9, 10])
    if np.any(wh > 2_000_000_000):
        return None

    # ESTIMATED_ACTUAL and channel
    s = fs[f_flag]
    if not np.all(fe[f_flag] - s == 1):
        return None
    flag = a[s]
    if not np.all((flag == 65) | (flag == 69)):
        return None
    s = fs[f_chan]
    length = fe[f_chan] - s
    m = _gather(a, s, 18)
    cons = (length == 11) & np.all(m[:, :11] == _CONSUMPTION, axis=1)
    gen = (length == 18) & np.all(m == _GENERATION, axis=1)
    if not np.all(cons | gen):
        return None
    channel = np.where(gen, 2, 1).astype(np.int64)

    # slots (all DST decisions from usage.timegrid via the day tables)
    slot = np.empty(n, dtype=np.int64)
    seen_updates: dict = {}
    udays = sorted(set(day_runs))
    inv = np.searchsorted(np.array(udays, dtype=np.int64), day) if len(udays) > 1 else None
    for k, dnum in enumerate(udays):
        rows = np.flatnonzero(inv == k) if inv is not None else np.arange(n)
        slot_of, end_tab = state.days.get(dnum)
        st = start[rows] // 15
        occ = np.zeros(rows.size, dtype=np.int64)
        if dnum in state.days.fallback:
            dup_idx = np.flatnonzero(slot_of[1, st] >= 0)
            for j in dup_idx.tolist():
                r = rows[j]
                by_end = occurrence_by_end(slot_of, end_tab, int(start[r]), int(end[r]))
                if by_end is not None:
                    occ[j] = by_end
                    continue
                key4 = (int(premise[r]), int(channel[r]), dnum, int(start[r]))
                seen = seen_updates.get(key4, state.fallback_seen.get(key4, 0))
                seen_updates[key4] = seen + 1
                occ[j] = seen % 2
        sl = slot_of[occ, st].astype(np.int64)
        if np.any(sl < 0):
            return None
        if not np.all(end_tab[sl] == end[rows]):
            return None
        slot[rows] = sl
    state.fallback_seen.update(seen_updates)
    return Batch(
        premise_id=premise,
        channel=channel.astype(np.int8),
        day=day.astype(np.int32),
        slot=slot.astype(np.int16),
        wh=wh,
        estimated=flag == 69,
        revision=revision,
        line=np.arange(first_line, first_line + n, dtype=np.int64),
        rows=n,
    )
