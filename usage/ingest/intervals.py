"""Parse and validate a TDU 15-minute interval file (CONTRACTS layout). Pure: no Django.

Streaming: the file is read in line-aligned chunks; each chunk is parsed by pyarrow's C++ CSV reader into
dictionary-encoded columns, so every distinct text (an ESI ID, a date, a time, a kWh value) is validated
once per chunk in Python and rows are handled only as numpy index arrays. Every line that is not blank
comes out either as an accepted reading in a ``Batch`` or as a reject (line number, code, message, raw).

Knowledge of premises comes from the caller's ``lookup`` (ESI ID -> premise), so this module stays pure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from usage import timegrid
from usage.ingest.batch import Batch, ParseState, empty_batch, occurrence_by_end, revision_in_range
from usage.ingest.fastpath import parse_chunk_fast
from usage.ingest.fields import CODE, CODES, NO_DAY, Lookup, norm_esiid, parse_date, parse_kwh, parse_revision
from usage.ingest.reasons import ROW_REASONS, FileRejected
from usage.ingest.source import SizeLimits, line_chunks

COLUMNS = (
    "ESIID",
    "USAGE_DATE",
    "REVISION_DATE",
    "USAGE_START_TIME",
    "USAGE_END_TIME",
    "USAGE_KWH",
    "ESTIMATED_ACTUAL",
    "CONSUMPTION_SURPLUSGENERATION",
)
HEADER = ",".join(COLUMNS)
CHUNK_BYTES = 8 << 20

_TIME = re.compile(rb"\s*(\d{1,2}):(\d{2})\s*")


def parse_header(line: bytes) -> list[int]:
    """Map each contract column to its field index in the file's header, or reject the file."""
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    line = line.rstrip(b"\r\n")
    if not line.strip():
        raise FileRejected("empty", "no header line")
    if b"\x00" in line:
        raise FileRejected("not_csv", "binary content in the first line")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected("not_csv", "the first line is not UTF-8 text") from exc
    try:
        fields = next(csv.reader([text]))
    except csv.Error as exc:
        raise FileRejected("not_csv", str(exc)) from exc
    names = [f.strip().strip("'").strip().upper() for f in fields]
    if len(names) < 2:
        raise FileRejected("not_csv", f"the first line has no comma-separated header; expected {HEADER}")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise FileRejected("bad_header", f"missing column(s) {', '.join(missing)}; expected {HEADER}")
    dupes = sorted({c for c in COLUMNS if names.count(c) > 1})
    if dupes:
        raise FileRejected("bad_header", f"column(s) {', '.join(dupes)} appear twice")
    return [names.index(c) for c in COLUMNS] + [len(names)]


class _Dict:
    """A dictionary-encoded column: distinct values and the index of each row's value."""

    __slots__ = ("values", "indices")

    def __init__(self, values: list[bytes], indices: np.ndarray):
        self.values = values
        self.indices = indices


def _dict_column(arr: pa.ChunkedArray | pa.Array) -> _Dict:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_encode()
    return _Dict(arr.dictionary.to_pylist(), arr.indices.to_numpy(zero_copy_only=False).astype(np.int64))


def _parse_chunk_arrow(chunk: bytes, ncols: int, wanted: list[int]) -> tuple[list[_Dict], list[int], int]:
    """Parse with pyarrow. Returns the wanted columns, the (chunk-relative, 1-based) numbers of
    malformed lines, and the number of parsed rows."""
    bad: list[int] = []

    def handler(row) -> str:
        bad.append(row.number if row.number is not None else -1)
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    table = pacsv.read_csv(
        pa.BufferReader(chunk),
        read_options=pacsv.ReadOptions(
            column_names=names, use_threads=False, block_size=max(1 << 20, len(chunk) + 1)
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=handler, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=[names[i] for i in wanted],
            column_types={names[i]: pa.dictionary(pa.int32(), pa.binary()) for i in wanted},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if any(n < 0 for n in bad):
        raise ValueError("row numbers unknown")
    return [_dict_column(table.column(names[i])) for i in wanted], bad, table.num_rows


def _parse_chunk_python(chunk: bytes, ncols: int, wanted: list[int]) -> tuple[list[_Dict], list[int], int]:
    """Slow path for chunks pyarrow refuses (stray quotes and the like): Python's csv module per line."""
    cols: list[list[bytes]] = [[] for _ in wanted]
    bad: list[int] = []
    lines = chunk.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.rstrip(b"\r").decode("utf-8")
            fields = next(csv.reader([text]), [])
        except (UnicodeDecodeError, csv.Error):
            bad.append(number)
            continue
        if not fields:
            fields = [""] * ncols
        if len(fields) != ncols:
            bad.append(number)
            continue
        for j, i in enumerate(wanted):
            cols[j].append(fields[i].encode("utf-8"))
    out = []
    for col in cols:
        arr = pa.array(col, type=pa.binary()).dictionary_encode()
        out.append(
            _Dict(arr.dictionary.to_pylist(), arr.indices.to_numpy(zero_copy_only=False).astype(np.int64))
        )
    return out, bad, len(cols[0])


def _minute(raw: bytes) -> int:
    m = _TIME.fullmatch(raw)
    if not m:
        return -1
    hh, mm = int(m[1]), int(m[2])
    if hh > 23 or mm > 59 or mm % 15:
        return -1
    return hh * 60 + mm


def _flag(raw: bytes) -> int:
    s = raw.strip().upper()
    return 0 if s == b"A" else 1 if s == b"E" else -1


def _channel(raw: bytes) -> int:
    s = b" ".join(raw.split()).lower()
    return 1 if s == b"consumption" else 2 if s == b"surplus generation" else 0


def parse_interval_file(
    stream: BinaryIO,
    *,
    lookup: Lookup,
    today: date,
    chunk_bytes: int = CHUNK_BYTES,
    header_out: list[bytes] | None = None,
    max_revision: int | None = None,
    samples: int | None = None,
    limits: SizeLimits | None = None,
) -> Iterator[Batch]:
    """Yield one Batch per chunk of the file. Raises FileRejected for a file-level problem (possibly
    after some batches: the caller applies a file all or nothing). The header line is appended to
    ``header_out`` when given. A ``REVISION_DATE`` before the start of its ``USAGE_DATE`` or later than
    ``max_revision`` (Unix seconds) is rejected as ``revision_out_of_range``. With ``samples``, only that
    many rejected rows per reason are returned as rows (``Batch.reject_counts`` counts them all). Blank
    lines cost a count (``Batch.blank``); ``limits`` bound the expanded bytes and the gzip ratio."""
    chunks = line_chunks(stream, chunk_bytes, limits)
    first = next(chunks, b"")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if not first[:4096].strip() and not first.strip():
        raise FileRejected("empty")
    nl = first.find(b"\n")
    header, rest = (first, b"") if nl < 0 else (first[: nl + 1], first[nl + 1 :])
    positions = parse_header(header)
    if header_out is not None:
        header_out.append(header.rstrip(b"\r\n"))
    ncols = positions[-1]
    wanted = positions[:-1]
    state = ParseState(
        lookup=lookup, today=timegrid.day_num(today), max_revision=max_revision, samples=samples
    )
    next_line = 2
    pending = rest
    while True:
        if pending:
            batch, nlines = _parse_pending(pending, next_line, ncols, wanted, state)
            next_line += nlines
            yield batch
        pending = next(chunks, None)
        if pending is None:
            return


def _parse_pending(chunk: bytes, first_line: int, ncols: int, wanted: list[int], state: ParseState):
    """One chunk: a clean one goes straight to the fast path (which refuses any chunk with a blank line), so
    only the others pay for finding blank lines; those are dropped and counted, never parsed."""
    fast = parse_chunk_fast(chunk, first_line, ncols, wanted, state)
    if fast is not None:
        return fast, chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    kept, line_map, blank, nlines = _drop_blank_lines(chunk)
    if not kept:
        return empty_batch(blank), nlines
    # without blank lines the fast path may take the chunk now; with nothing dropped it already said no
    batch, _ = _parse_chunk(kept, first_line, ncols, wanted, state, try_fast=line_map is not None)
    if line_map is not None:
        _renumber(batch, line_map + first_line, first_line)
    batch.blank += blank
    return batch, nlines


_BLANK_HINTS = (b"\n\n", b"\n\r\n")


def _drop_blank_lines(chunk: bytes) -> tuple[bytes, np.ndarray | None, int, int]:
    """The chunk without its empty lines (only ``\\r`` or nothing), so that blank lines cost a count and
    not a parse: (kept bytes, chunk-relative 0-based line index of each kept line or None when nothing
    was dropped, blank lines dropped, lines in the chunk)."""
    nlines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    if not chunk.startswith((b"\n", b"\r\n")) and not any(h in chunk for h in _BLANK_HINTS):
        return chunk, None, 0, nlines
    if not chunk.strip(b"\r\n"):
        return b"", None, nlines, nlines
    if not chunk.endswith(b"\n"):
        chunk += b"\n"
    a = np.frombuffer(chunk, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    starts = np.empty(nl.size, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    length = nl - starts  # without the newline
    blank = (length == 0) | ((length == 1) & (a[np.maximum(nl - 1, 0)] == 13))
    keep_lines = np.flatnonzero(~blank)
    keep_bytes = np.repeat(~blank, length + 1)
    return a[keep_bytes].tobytes(), keep_lines, int(blank.sum()), nlines


def _renumber(batch: Batch, file_line: np.ndarray, first_line: int) -> None:
    """Line numbers of a batch parsed from a chunk without its blank lines, back to the file's."""
    batch.line = file_line[batch.line - first_line]
    batch.rejects = [(int(file_line[ln - first_line]), c, m, r) for ln, c, m, r in batch.rejects]


def _parse_chunk(
    chunk: bytes, first_line: int, ncols: int, wanted: list[int], state: ParseState, *, try_fast: bool = True
):
    nlines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
    fast = parse_chunk_fast(chunk, first_line, ncols, wanted, state) if try_fast else None
    if fast is not None:
        return fast, nlines
    try:
        chunk.decode("utf-8")  # pyarrow's handler of malformed rows cannot show text that is not UTF-8
        cols, bad, nrows = _parse_chunk_arrow(chunk, ncols, wanted)
        if nrows + len(bad) != nlines:
            raise ValueError("row count mismatch")
    except (pa.ArrowInvalid, ValueError):  # UnicodeDecodeError is a ValueError
        cols, bad, nrows = _parse_chunk_python(chunk, ncols, wanted)
    line_in_chunk = np.arange(1, nlines + 1, dtype=np.int64)
    if bad:
        keep = np.ones(nlines, dtype=bool)
        keep[np.array(bad, dtype=np.int64) - 1] = False
        line_in_chunk = line_in_chunk[keep]
    lines = line_in_chunk + (first_line - 1)
    esi, udate, rdate, tstart, tend, kwh, flag, chan = cols

    # blank lines (every field empty) are not rows
    blank = np.ones(nrows, dtype=bool)
    for col in cols:
        empty_idx = [i for i, v in enumerate(col.values) if not v.strip()]
        if not empty_idx:
            blank = np.zeros(nrows, dtype=bool)
            break
        blank &= np.isin(col.indices, empty_idx)

    code = np.zeros(nrows, dtype=np.int8)

    def mark(mask: np.ndarray, name: str) -> None:
        np.copyto(code, CODE[name], where=mask & (code == 0))

    # ESI ID
    premise_of = np.empty(len(esi.values), dtype=np.int64)
    ecode_of = np.zeros(len(esi.values), dtype=np.int8)
    install_of = np.empty(len(esi.values), dtype=np.int64)
    todo: list[tuple[int, bytes, str]] = []
    for i, raw in enumerate(esi.values):
        cached = state.esiids.get(raw)
        if cached is None:
            norm = norm_esiid(raw)
            if norm is None:
                cached = (-1, CODE["bad_esiid"], None, NO_DAY)
                state.esiids[raw] = cached
            else:
                todo.append((i, raw, norm))
                continue
        premise_of[i], ecode_of[i], _, install_of[i] = cached
    if todo:
        answers = state.resolve([norm for _, _, norm in todo])
        for (i, raw, _), cached in zip(todo, answers, strict=True):
            state.esiids[raw] = cached
            premise_of[i], ecode_of[i], _, install_of[i] = cached
    ecode = ecode_of[esi.indices]
    np.copyto(code, ecode, where=code == 0)
    premise = premise_of[esi.indices]

    # dates
    day_of = np.array([parse_date(v) for v in udate.values], dtype=np.int64)
    day = day_of[udate.indices] if len(day_of) else np.zeros(nrows, np.int64)
    mark(day == NO_DAY, "bad_date")
    mark(day > state.today, "future_date")
    mark(day < install_of[esi.indices], "before_install")

    # times
    start_of = np.array([_minute(v) for v in tstart.values], dtype=np.int64)
    end_of = np.array([_minute(v) for v in tend.values], dtype=np.int64)
    start = start_of[tstart.indices] if len(start_of) else np.zeros(nrows, np.int64)
    end = end_of[tend.indices] if len(end_of) else np.zeros(nrows, np.int64)
    mark((start < 0) | (end < 0), "bad_time")

    # slot, via the day's table; the fall-back day's repeated hour by order of appearance in the file
    slot = np.full(nrows, -1, dtype=np.int64)
    ok = code == 0
    occ = np.zeros(nrows, dtype=np.int64)
    chan_of = np.array([_channel(v) for v in chan.values], dtype=np.int64)
    channel = chan_of[chan.indices] if len(chan_of) else np.zeros(nrows, np.int64)
    if ok.any():
        udays, inv = np.unique(day[ok], return_inverse=True)
        ok_idx = np.flatnonzero(ok)
        for k, dnum in enumerate(udays.tolist()):
            rows = ok_idx[inv == k]
            slot_of, end_tab = state.days.get(dnum)
            st = start[rows] // 15
            if dnum in state.days.fallback:
                dup_hour = slot_of[1, st] >= 0
                for r in rows[dup_hour].tolist():
                    by_end = occurrence_by_end(slot_of, end_tab, int(start[r]), int(end[r]))
                    if by_end is not None:
                        occ[r] = by_end
                        continue
                    key = (int(premise[r]), int(channel[r]), dnum, int(start[r]))
                    seen = state.fallback_seen.get(key, 0)
                    state.fallback_seen[key] = seen + 1
                    occ[r] = seen % 2
            s = slot_of[occ[rows], st].astype(np.int64)
            slot[rows] = s
            valid = s >= 0
            end_ok = np.zeros(len(rows), dtype=bool)
            end_ok[valid] = end_tab[s[valid]] == end[rows][valid]
            bad_slot = np.zeros(nrows, bool)
            bad_slot[rows[~valid]] = True
            mark(bad_slot, "no_such_slot")
            bad_end = np.zeros(nrows, bool)
            bad_end[rows[valid & ~end_ok]] = True
            mark(bad_end, "bad_time")

    # kWh
    wh_pairs = [parse_kwh(v) for v in kwh.values]
    wh_of = np.array([p[0] for p in wh_pairs], dtype=np.int64)
    whcode_of = np.array([p[1] for p in wh_pairs], dtype=np.int8)
    wh = wh_of[kwh.indices] if len(wh_of) else np.zeros(nrows, np.int64)
    if len(whcode_of):
        np.copyto(code, whcode_of[kwh.indices], where=code == 0)

    # flag, channel, revision
    flag_of = np.array([_flag(v) for v in flag.values], dtype=np.int64)
    est = flag_of[flag.indices] if len(flag_of) else np.zeros(nrows, np.int64)
    mark(est < 0, "bad_flag")
    mark(channel == 0, "bad_channel")
    rev_pairs = [parse_revision(v) for v in rdate.values]
    rev_of = np.array([p[0] for p in rev_pairs], dtype=np.int64)
    revok_of = np.array([p[1] for p in rev_pairs], dtype=bool)
    rev = rev_of[rdate.indices] if len(rev_of) else np.zeros(nrows, np.int64)
    if len(revok_of):
        mark(~revok_of[rdate.indices], "bad_revision")
    dated = np.flatnonzero(code == 0)
    if dated.size:
        out = np.zeros(nrows, dtype=bool)
        out[dated] = ~revision_in_range(rev[dated], day[dated], state.max_revision)
        mark(out, "revision_out_of_range")

    code[blank] = 0
    accept = (code == 0) & ~blank
    batch = Batch(
        premise_id=premise[accept],
        channel=channel[accept].astype(np.int8),
        day=day[accept].astype(np.int32),
        slot=slot[accept].astype(np.int16),
        wh=wh[accept],
        estimated=est[accept] == 1,
        revision=rev[accept],
        line=lines[accept],
        rows=int(nrows - blank.sum()) + len(bad),
        blank=int(blank.sum()),
    )
    rejected_idx = np.flatnonzero(code != 0)
    if bad or rejected_idx.size:
        _add_rejects(batch, chunk, first_line, ncols, bad, (rejected_idx, code, lines), cols, state)
    return batch, nlines


def _add_rejects(
    batch: Batch,
    chunk: bytes,
    first_line: int,
    ncols: int,
    bad: list[int],
    coded: tuple[np.ndarray, np.ndarray, np.ndarray],
    cols: list[_Dict],
    state: ParseState,
) -> None:
    """Count every reject of the chunk by reason and keep the samples the state allows (line, code,
    message, raw), so that a file of millions of bad rows costs counts, not rows."""
    rejected_idx, code, lines = coded
    counts: dict[str, int] = {}
    if bad:
        counts["malformed"] = len(bad)
    codes = code[rejected_idx].astype(np.int64)
    for c in np.unique(codes).tolist():
        counts[CODES[c - 1]] = counts.get(CODES[c - 1], 0) + int((codes == c).sum())
    batch.reject_counts = counts
    raw_lines: list[bytes] | None = None

    def raw_of(line_no: int) -> str:
        nonlocal raw_lines
        if raw_lines is None:
            raw_lines = chunk.split(b"\n")
        return raw_lines[line_no - first_line].rstrip(b"\r").decode("utf-8", "replace")

    for b in bad[: state.take_samples("malformed", len(bad))]:
        line_no = b + first_line - 1
        batch.rejects.append(
            (line_no, "malformed", f"Expected {ncols} comma-separated fields", raw_of(line_no))
        )
    for c in np.unique(codes).tolist():
        name = CODES[c - 1]
        rows = rejected_idx[codes == c]
        for r in rows[: state.take_samples(name, rows.size)].tolist():
            line_no = int(lines[r])
            batch.rejects.append((line_no, name, _detail(name, r, cols, state), raw_of(line_no)))
    batch.rejects.sort(key=lambda t: t[0])


def _text(col: _Dict, r: int) -> str:
    return col.values[col.indices[r]].decode("utf-8", "replace").strip()


def _detail(name: str, r: int, cols: list[_Dict], state: ParseState) -> str:
    esi, udate, rdate, tstart, tend, kwh, flag, chan = cols
    base = ROW_REASONS[name]
    if name in ("bad_esiid", "unknown_esiid", "other_tdu"):
        cached = state.esiids.get(esi.values[esi.indices[r]])
        msg = cached[2] if cached else None
        return msg or f"{base}: {_text(esi, r)!r}"
    if name in ("bad_date", "future_date", "before_install"):
        return f"{base}: {_text(udate, r)!r}"
    if name in ("bad_time", "no_such_slot"):
        return f"{base}: {_text(udate, r)} {_text(tstart, r)}-{_text(tend, r)}"
    if name in ("bad_kwh", "negative_kwh"):
        return f"{base}: {_text(kwh, r)!r}"
    if name == "bad_flag":
        return f"{base}: {_text(flag, r)!r}"
    if name == "bad_channel":
        return f"{base}: {_text(chan, r)!r}"
    if name in ("bad_revision", "revision_out_of_range"):
        return f"{base}: {_text(rdate, r)!r}"
    return base


def parse_bytes(data: bytes, *, lookup: Lookup, today: date, chunk_bytes: int = CHUNK_BYTES) -> list[Batch]:
    """Convenience for tests: parse an in-memory file."""
    return list(parse_interval_file(io.BytesIO(data), lookup=lookup, today=today, chunk_bytes=chunk_bytes))
