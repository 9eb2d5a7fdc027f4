"""Versioned compact binary codec for a run of 15-minute readings. Pure: no Django.

A block holds ``n`` consecutive intervals (a day, or the present days of a month laid end to end):
values in Wh (int64), an estimated flag, a missing flag (an interval never delivered) and the
revision time (Unix seconds) of every interval.

Layout, version 1 (all integers little-endian)::

    byte 0      version (1)
    byte 1      flags: 1 = estimated bitmap present, 2 = missing bitmap present, 4 = body is zstd
    body        (zstd-compressed when flag 4 is set and that is shorter)
      varint    n
      byte      value width w in bytes (0, 1, 2, 4 or 8)
      n*w       zigzag(delta(values)), byte-shuffled (all low bytes, then the next byte plane, ...)
      ceil(n/8) estimated bitmap (little bit order), only with flag 1
      ceil(n/8) missing bitmap, only with flag 2
      varint    number of revision runs r
      4*r       run lengths, uint32 (sum = n)
      8*r       revision time of each run, int64 Unix seconds

Estimated flags cost nothing when no value is estimated; revision times cost a few bytes per run
(a day from one TDU file is one run). Missing intervals carry the value 0.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

import numpy as np
import zstandard

VERSION = 1
FLAG_ESTIMATED = 1
FLAG_MISSING = 2
FLAG_ZSTD = 4
MAX_ABS_VALUE = 1 << 61
_WIDTHS = (0, 1, 2, 4, 8)
_DTYPES = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class CodecError(ValueError):
    """The bytes are not a block this codec can read."""


@dataclass(frozen=True)
class Block:
    values: np.ndarray  # int64 Wh
    estimated: np.ndarray  # bool
    missing: np.ndarray  # bool
    revisions: np.ndarray  # int64 Unix seconds

    def __len__(self) -> int:
        return len(self.values)


_local = threading.local()


def _zc() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    pair = getattr(_local, "pair", None)
    if pair is None:
        pair = (zstandard.ZstdCompressor(level=3), zstandard.ZstdDecompressor())
        _local.pair = pair
    return pair


def _varint(out: bytearray, value: int) -> None:
    if value < 0:
        raise CodecError("varint of a negative number")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise CodecError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise CodecError("varint too long")


def encode(
    values: np.ndarray,
    *,
    estimated: np.ndarray | None = None,
    missing: np.ndarray | None = None,
    revisions: np.ndarray | int = 0,
    compress: bool = True,
) -> bytes:
    """Encode one block. ``revisions`` is one time for every interval or an array of n times."""
    vals = np.asarray(values, dtype=np.int64)
    n = vals.shape[0]
    if isinstance(revisions, int | np.integer):
        rev = np.full(n, int(revisions), dtype=np.int64)
    else:
        rev = np.asarray(revisions, dtype=np.int64)
    return encode_many(
        vals,
        np.array([0, n], dtype=np.int64),
        estimated=estimated,
        missing=missing,
        revisions=rev,
        compress=compress,
    )[0]


def encode_many(
    values: np.ndarray,
    offsets: np.ndarray,
    *,
    estimated: np.ndarray | None = None,
    missing: np.ndarray | None = None,
    revisions: np.ndarray,
    compress: bool = True,
) -> list[bytes]:
    """Encode many blocks at once: block i is ``values[offsets[i]:offsets[i+1]]`` (and the same of the
    flag and revision arrays). Vectorised across blocks: the per-block Python work is a few joins."""
    vals = np.asarray(values, dtype=np.int64)
    offs = np.asarray(offsets, dtype=np.int64)
    total = vals.shape[0]
    k = offs.shape[0] - 1
    if k < 0 or offs[0] != 0 or offs[-1] != total or (k and np.any(np.diff(offs) < 0)):
        raise CodecError("offsets do not cover the values")
    est = np.zeros(total, bool) if estimated is None else np.asarray(estimated, dtype=bool)
    mis = np.zeros(total, bool) if missing is None else np.asarray(missing, dtype=bool)
    rev = np.asarray(revisions, dtype=np.int64)
    if est.shape[0] != total or mis.shape[0] != total or rev.shape[0] != total:
        raise CodecError("flags or revision times do not match the values")
    if total and int(np.abs(vals).max()) >= MAX_ABS_VALUE:
        raise CodecError("value out of range")
    lengths = np.diff(offs)
    nonempty = lengths > 0
    starts = offs[:-1]
    # zigzag deltas, each block against its own first value
    deltas = np.empty(total, dtype=np.int64)
    if total:
        deltas[0] = vals[0]
        np.subtract(vals[1:], vals[:-1], out=deltas[1:])
        deltas[starts[nonempty]] = vals[starts[nonempty]]
    zz = ((deltas << 1) ^ (deltas >> 63)).view(np.uint64)
    top = np.zeros(k, dtype=np.uint64)
    any_est = np.zeros(k, dtype=bool)
    any_mis = np.zeros(k, dtype=bool)
    if total:
        idx = starts[nonempty]
        top[nonempty] = np.maximum.reduceat(zz, idx)
        any_est[nonempty] = np.logical_or.reduceat(est, idx)
        any_mis[nonempty] = np.logical_or.reduceat(mis, idx)
    width = np.where(
        top == 0, 0, np.where(top < 256, 1, np.where(top < 65536, 2, np.where(top < 1 << 32, 4, 8)))
    )
    # revision runs
    if total:
        change = np.ones(total, dtype=bool)
        change[1:] = rev[1:] != rev[:-1]
        change[starts[nonempty]] = True
        run_starts = np.flatnonzero(change)
        run_len = np.diff(np.append(run_starts, total)).astype("<u4")
        run_rev = rev[run_starts].astype("<i8")
        runs_per_block = np.zeros(k, dtype=np.int64)
        runs_per_block[nonempty] = np.add.reduceat(change.astype(np.int64), starts[nonempty])
    else:
        run_len = np.zeros(0, "<u4")
        run_rev = np.zeros(0, "<i8")
        runs_per_block = np.zeros(k, dtype=np.int64)
    run_offs = np.concatenate(([0], np.cumsum(runs_per_block)))
    len_bytes = run_len.tobytes()
    rev_bytes = run_rev.tobytes()
    # value planes per width: block i's bytes are shuffled planes of its own values
    plane_bytes: dict[int, bytes] = {}
    plane_pos = np.zeros(k, dtype=np.int64)
    for w in (1, 2, 4, 8):
        sel = np.flatnonzero(width == w)
        if not sel.size:
            continue
        parts = []
        pos = 0
        # group by length so each group is a 2-D array
        for n in np.unique(lengths[sel]).tolist():
            rows = sel[lengths[sel] == n]
            block = zz[(starts[rows][:, None] + np.arange(n)[None, :])].astype(_DTYPES[w])
            shuffled = block.view(np.uint8).reshape(len(rows), n, w).transpose(0, 2, 1)
            parts.append(np.ascontiguousarray(shuffled).tobytes())
            plane_pos[rows] = pos + np.arange(len(rows)) * n * w
            pos += len(rows) * n * w
        plane_bytes[w] = b"".join(parts)
    est_bits = {}
    mis_bits = {}
    for flag_any, src, target in ((any_est, est, est_bits), (any_mis, mis, mis_bits)):
        for i in np.flatnonzero(flag_any).tolist():
            target[i] = np.packbits(src[offs[i] : offs[i + 1]], bitorder="little").tobytes()
    out: list[bytes] = []
    zc = _zc()[0] if compress else None
    lengths_l = lengths.tolist()
    width_l = width.tolist()
    pos_l = plane_pos.tolist()
    run_offs_l = run_offs.tolist()
    for i in range(k):
        n = lengths_l[i]
        w = width_l[i]
        head = bytearray()
        _varint(head, n)
        head.append(w)
        flags = 0
        pieces = [head]
        if w:
            p = pos_l[i]
            pieces.append(plane_bytes[w][p : p + n * w])
        if i in est_bits:
            flags |= FLAG_ESTIMATED
            pieces.append(est_bits[i])
        if i in mis_bits:
            flags |= FLAG_MISSING
            pieces.append(mis_bits[i])
        r0, r1 = run_offs_l[i], run_offs_l[i + 1]
        tail = bytearray()
        _varint(tail, r1 - r0)
        pieces.append(tail)
        pieces.append(len_bytes[4 * r0 : 4 * r1])
        pieces.append(rev_bytes[8 * r0 : 8 * r1])
        raw = b"".join(pieces)
        if zc is not None and len(raw) > 48:
            packed = zc.compress(raw)
            if len(packed) < len(raw):
                out.append(bytes((VERSION, flags | FLAG_ZSTD)) + packed)
                continue
        out.append(bytes((VERSION, flags)) + raw)
    return out


def decode(data: bytes | memoryview, *, revisions: bool = True) -> Block:
    """Decode one block; raise CodecError for anything that is not a valid block. With
    ``revisions=False`` the revision times are checked but not expanded (an empty array; reads need
    only values and flags)."""
    return _decode_body(*_unpack(data), revisions=revisions)


def _unpack(data: bytes | memoryview) -> tuple[int, bytes | memoryview]:
    """(flags without the zstd bit, uncompressed body) of a block, after checking its header."""
    if len(data) < 2:
        raise CodecError("block too short")
    if data[0] != VERSION:
        raise CodecError(f"unknown codec version {data[0]}")
    flags = data[1]
    if flags & ~(FLAG_ESTIMATED | FLAG_MISSING | FLAG_ZSTD):
        raise CodecError("unknown flags")
    body = memoryview(data)[2:]
    if flags & FLAG_ZSTD:
        try:
            body = _zc()[1].decompress(body, max_output_size=1 << 27)
        except zstandard.ZstdError as exc:
            raise CodecError(f"corrupt compressed body: {exc}") from exc
    return flags & ~FLAG_ZSTD, body


def _decode_body(flags: int, body: bytes | memoryview, *, revisions: bool) -> Block:
    buf = memoryview(body)
    n, pos = _read_varint(buf, 0)
    if n > 1 << 24:
        raise CodecError("block too long")
    if pos >= len(buf):
        raise CodecError("truncated block")
    width = buf[pos]
    pos += 1
    if width not in _WIDTHS:
        raise CodecError(f"bad value width {width}")
    if width:
        end = pos + n * width
        if end > len(buf):
            raise CodecError("truncated values")
        planes = np.frombuffer(body, dtype=np.uint8, count=n * width, offset=pos).reshape(width, n)
        pos = end
        if width < 8:  # zigzag values below 2**32: plain int64 arithmetic
            zi = planes[0].astype(np.int64)
            for j in range(1, width):
                zi |= planes[j].astype(np.int64) << (8 * j)
            deltas = (zi >> 1) ^ -(zi & 1)
        else:
            zz = planes[0].astype(np.uint64)
            for j in range(1, width):
                zz |= planes[j].astype(np.uint64) << np.uint64(8 * j)
            deltas = (zz >> np.uint64(1)).view(np.int64) ^ -(zz & np.uint64(1)).view(np.int64)
        values = np.cumsum(deltas, dtype=np.int64)
    else:
        values = np.zeros(n, dtype=np.int64)
    nbytes = (n + 7) // 8
    bitmaps = []
    for flag in (FLAG_ESTIMATED, FLAG_MISSING):
        if flags & flag:
            if pos + nbytes > len(buf):
                raise CodecError("truncated flags")
            bits = np.unpackbits(np.frombuffer(body, np.uint8, nbytes, pos), count=n, bitorder="little")
            bitmaps.append(bits.view(bool))
            pos += nbytes
        else:
            bitmaps.append(np.zeros(n, dtype=bool))
    estimated, missing = bitmaps
    nruns, pos = _read_varint(buf, pos)
    if nruns > n or pos + 12 * nruns != len(buf):
        raise CodecError("bad revision runs")
    run_len = np.frombuffer(body, "<u4", nruns, pos).astype(np.int64)
    run_rev = np.frombuffer(body, "<i8", nruns, pos + 4 * nruns)
    lengths = run_len.tolist()
    if sum(lengths) != n or (nruns and min(lengths) == 0):
        raise CodecError("revision runs do not cover the block")
    if not revisions:
        rev = _NO_REVISIONS
    elif nruns == 1:
        rev = np.full(n, run_rev[0], dtype=np.int64)
    else:
        rev = np.repeat(run_rev.astype(np.int64), run_len)
    return Block(values=values, estimated=estimated, missing=missing, revisions=rev)


_NO_REVISIONS = np.zeros(0, dtype=np.int64)


def decode_many(blocks: list[bytes], *, revisions: bool = True) -> list[Block]:
    """Decode many blocks (CodecError for a bad one, as ``decode``). Bodies of one layout (length, flags,
    n, width, one revision run: the usual day row, compressed or not) are decoded together with numpy, the
    rest one by one; each block is decompressed once. ``revisions=False`` as for ``decode``."""
    out: list[Block | None] = [None] * len(blocks)
    unpacked = [_unpack(data) for data in blocks]
    groups: dict[tuple, list[int]] = {}
    for i, (flags, body) in enumerate(unpacked):
        if len(body) > 2 and body[0] < 128 and body[1] in (1, 2, 4, 8):
            groups.setdefault((len(body), flags, body[0], body[1]), []).append(i)
        else:
            out[i] = _decode_body(flags, body, revisions=revisions)
    for (length, flags, n, width), idx in groups.items():
        if not _decode_group(
            out, [bytes(unpacked[i][1]) for i in idx], idx, length, flags, n, width, revisions
        ):
            for i in idx:
                out[i] = _decode_body(flags, unpacked[i][1], revisions=revisions)
    return out  # type: ignore[return-value]


def _decode_group(out, bodies, idx, length, flags, n, width, revisions) -> bool:
    """Decode bodies of one layout into ``out[idx]``; False when they are not the plain one-run layout."""
    nbytes = (n + 7) // 8
    pos = 2 + n * width
    est_at = pos if flags & FLAG_ESTIMATED else -1
    pos += nbytes if flags & FLAG_ESTIMATED else 0
    mis_at = pos if flags & FLAG_MISSING else -1
    pos += nbytes if flags & FLAG_MISSING else 0
    if length != pos + 1 + 12:
        return False
    raw = np.frombuffer(b"".join(bodies), dtype=np.uint8).reshape(len(idx), length)
    if np.any(raw[:, pos] != 1) or np.any(raw[:, pos + 1 : pos + 5].copy().view("<u4")[:, 0] != n):
        return False
    planes = raw[:, 2 : 2 + n * width].reshape(len(idx), width, n)
    zi = planes[:, 0, :].astype(np.int64)
    for j in range(1, width):
        zi |= planes[:, j, :].astype(np.int64) << (8 * j)
    if width == 8:
        zz = zi.view(np.uint64)
        deltas = (zz >> np.uint64(1)).view(np.int64) ^ -(zz & np.uint64(1)).view(np.int64)
    else:
        deltas = (zi >> 1) ^ -(zi & 1)
    values = np.cumsum(deltas, axis=1, dtype=np.int64)
    rev = raw[:, pos + 5 : pos + 13].copy().view("<i8")[:, 0].tolist()
    no_flags = np.zeros(n, dtype=bool)
    if est_at >= 0:
        est = np.unpackbits(raw[:, est_at : est_at + nbytes], axis=1, count=n, bitorder="little").view(bool)
    if mis_at >= 0:
        mis = np.unpackbits(raw[:, mis_at : mis_at + nbytes], axis=1, count=n, bitorder="little").view(bool)
    for k, i in enumerate(idx):
        out[i] = Block(
            values=values[k],
            estimated=est[k] if est_at >= 0 else no_flags,
            missing=mis[k] if mis_at >= 0 else no_flags,
            revisions=np.full(n, rev[k], np.int64) if revisions else _NO_REVISIONS,
        )
    return True


def latest_revision(data: bytes | memoryview) -> int:
    """The latest revision time (Unix seconds) in a block, read from its revision runs alone: what a
    conditional request needs, without decoding any value."""
    flags, body = _unpack(data)
    buf = memoryview(body)
    n, pos = _read_varint(buf, 0)
    if pos >= len(buf):
        raise CodecError("truncated block")
    width = buf[pos]
    pos += 1 + n * width
    nbytes = (n + 7) // 8
    pos += nbytes * (bool(flags & FLAG_ESTIMATED) + bool(flags & FLAG_MISSING))
    nruns, pos = _read_varint(buf, pos)
    if pos + 12 * nruns != len(buf):
        raise CodecError("bad revision runs")
    if not nruns:
        return 0
    if nruns <= 16:  # the usual one or two runs: struct is several times faster than a numpy array here
        return max(struct.unpack_from(f"<{nruns}q", buf, pos + 4 * nruns))
    return int(np.frombuffer(body, "<i8", nruns, pos + 4 * nruns).max())
