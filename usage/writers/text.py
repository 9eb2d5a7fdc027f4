"""Vectorised number text for the writers: Wh integers to kWh text without Python work per value.

Each function returns a NUL-padded uint8 matrix, one row per value; ``compact`` drops the NULs. ``bytes.
translate(None, b"\\0")`` runs in C at memory speed, far faster than formatting floats one by one (orjson
takes ~180 ns per float here, the digit arithmetic below ~15 ns per value).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NUL = b"\0"


def _int_digits(ip: np.ndarray) -> tuple[np.ndarray, int]:
    k = len(str(int(ip.max()))) if ip.size else 1
    out = np.zeros((ip.size, k), dtype=np.uint8)
    for j in range(k):
        p = 10 ** (k - 1 - j)
        digit = (ip // p) % 10 + 48
        out[:, j] = digit if j == k - 1 else np.where(ip >= p, digit, 0)
    return out, k


def kwh_fixed3(wh: np.ndarray) -> np.ndarray:
    """ "0.580", "12.345": kWh with exactly 3 decimals of non-negative Wh (the TDU layout)."""
    wh = np.asarray(wh, dtype=np.int64)
    if wh.size and int(wh.min()) < 0:
        raise ValueError("negative Wh")
    ip, frac = wh // 1000, wh % 1000
    digits, k = _int_digits(ip)
    out = np.zeros((wh.size, k + 4), dtype=np.uint8)
    out[:, :k] = digits
    out[:, k] = ord(".")
    out[:, k + 1] = frac // 100 + 48
    out[:, k + 2] = frac // 10 % 10 + 48
    out[:, k + 3] = frac % 10 + 48
    return out


_NULL = np.frombuffer(b"null", dtype=np.uint8)


def _kwh_json_digits(wh: np.ndarray, null: np.ndarray | None = None, sep: bytes = b",") -> np.ndarray:
    """JSON numbers of Wh / 1000 as a float prints shortest ("0.58", "2.0", "0.001"), ``null`` where
    ``null``; each row ends with ``sep``. Equal to ``orjson.dumps(wh / 1000)`` below 10**15 Wh (where a
    float still holds every digit); above, this text stays exact where a float would round."""
    wh = np.asarray(wh, dtype=np.int64)
    if wh.size and int(wh.min()) < 0:
        raise ValueError("negative Wh")
    ip, frac = wh // 1000, wh % 1000
    digits, k = _int_digits(ip)
    width = max(k + 4, 4) + len(sep)
    out = np.zeros((wh.size, width), dtype=np.uint8)
    out[:, :k] = digits
    out[:, k] = ord(".")
    d1, d2, d3 = frac // 100, frac // 10 % 10, frac % 10
    out[:, k + 1] = d1 + 48
    out[:, k + 2] = np.where((d2 > 0) | (d3 > 0), d2 + 48, 0)
    out[:, k + 3] = np.where(d3 > 0, d3 + 48, 0)
    if null is not None and null.any():
        rows = np.flatnonzero(null)
        out[rows, :] = 0
        out[rows, :4] = _NULL
    if sep:
        out[:, width - len(sep) :] = np.frombuffer(sep, dtype=np.uint8)
    return out


_JSON_TABLE_SIZE = 100_000


@lru_cache(maxsize=1)
def _kwh_json_table() -> np.ndarray:
    """Rows w < 100,000 of ``_kwh_json_digits`` with a trailing comma, computed once (as void items)."""
    m = _kwh_json_digits(np.arange(_JSON_TABLE_SIZE, dtype=np.int64))
    return m.view(f"V{m.shape[1]}").reshape(_JSON_TABLE_SIZE)


def kwh_json(wh: np.ndarray, null: np.ndarray | None = None, sep: bytes = b",") -> np.ndarray:
    """JSON numbers of Wh / 1000 as a float prints shortest ("0.58", "2.0", "0.001"), ``null`` where
    ``null``; each row ends with ``sep``. Equal to ``orjson.dumps(wh / 1000)`` below 10**15 Wh (where a
    float still holds every digit); above, this text stays exact where a float would round."""
    wh = np.asarray(wh, dtype=np.int64)
    if sep == b"," and wh.size and int(wh.min()) >= 0 and int(wh.max()) < _JSON_TABLE_SIZE:
        table = _kwh_json_table()
        out = table[wh].view(np.uint8).reshape(wh.size, table.dtype.itemsize)
        if null is not None and null.any():
            rows = np.flatnonzero(null)
            out[rows, :] = 0
            out[rows, :4] = _NULL
            out[rows, -1] = ord(",")
        return out
    return _kwh_json_digits(wh, null, sep)


@lru_cache(maxsize=1)
def _kwh_json_lengths_table() -> np.ndarray:
    table = _kwh_json_table()
    return np.count_nonzero(table.view(np.uint8).reshape(_JSON_TABLE_SIZE, -1), axis=1).astype(np.int64)


def kwh_json_lengths(
    wh: np.ndarray, null: np.ndarray | None = None, matrix: np.ndarray | None = None
) -> np.ndarray:
    """Bytes of each row of ``kwh_json(wh, null)`` after ``compact`` (looked up, not counted, when it can be:
    counting NULs row by row costs more than building the text). ``matrix``: that text, if already built."""
    wh = np.asarray(wh, dtype=np.int64)
    if wh.size and int(wh.min()) >= 0 and int(wh.max()) < _JSON_TABLE_SIZE:
        lengths = _kwh_json_lengths_table()[wh]
        if null is not None:
            lengths[null] = len(b"null,")
        return lengths
    return row_lengths(kwh_json(wh, null) if matrix is None else matrix)


def compact(matrix: np.ndarray) -> bytes:
    """The bytes of a NUL-padded matrix without the NULs."""
    return np.ascontiguousarray(matrix).tobytes().translate(None, NUL)


def row_lengths(matrix: np.ndarray) -> np.ndarray:
    """Bytes each row keeps after ``compact``."""
    return np.count_nonzero(matrix, axis=1)


def int_text(values: np.ndarray) -> np.ndarray:
    """Decimal text of non-negative integers, NUL padded on the left (uint8 rows)."""
    values = np.asarray(values, dtype=np.int64)
    if values.size and int(values.min()) < 0:
        raise ValueError("negative value")
    digits, _ = _int_digits(values)
    return digits


def constant(text: bytes, n: int) -> np.ndarray:
    """``n`` rows of the same text."""
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


def ndigits(values: np.ndarray) -> np.ndarray:
    """Number of decimal digits of non-negative integers (1 for 0)."""
    values = np.asarray(values, dtype=np.int64)
    out = np.ones(values.shape, dtype=np.int64)
    top = int(values.max()) if values.size else 0
    p = 10
    while p <= top:
        out += values >= p
        p *= 10
    return out


def join_columns(columns: list[np.ndarray], lengths: np.ndarray | None = None) -> tuple[bytes, np.ndarray]:
    """Lay NUL-padded uint8 column matrices side by side and drop the NULs.

    Returns the text and the cumulative byte offset of every row (len n + 1), so row ranges can be
    sliced out of the text. ``lengths`` (bytes each row keeps), when the caller knows them, saves
    counting."""
    n = columns[0].shape[0]
    fields = []
    count = lengths is None
    if count:
        lengths = np.zeros(n, dtype=np.int64)
    for c in columns:
        c = np.ascontiguousarray(c)
        if count:
            lengths += np.count_nonzero(c, axis=1)
        fields.append(c.view(f"V{c.shape[1]}").reshape(n))
    rows = np.empty(n, dtype=[(f"f{i}", f.dtype) for i, f in enumerate(fields)])
    for i, f in enumerate(fields):
        rows[f"f{i}"] = f
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return rows.tobytes().replace(NUL, b""), offsets
