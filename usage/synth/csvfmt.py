"""Bulk formatting of TDU interval CSV rows with numpy: no Python work per row.

Each row is laid out in a fixed-width uint8 buffer whose unused bytes are NUL; dropping the NULs at the end
gives the file's bytes. Columns come from small pre-formatted tables (kWh strings indexed by the Wh integer,
wall-clock times per slot, one prefix per meter-day). Pure: no Django.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from usage.synth.model import MAX_WH
from usage.timegrid import slot_wallclock, slots_in_day

HEADER = (
    b"ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,"
    b"ESTIMATED_ACTUAL,CONSUMPTION_SURPLUSGENERATION\r\n"
)
CHANNELS = ("Consumption", "Surplus Generation")
KWH_WIDTH = 6  # "99.999"
TIME_WIDTH = 12  # "HH:MM,HH:MM,"
TAIL_WIDTH = 2 + max(len(c) for c in CHANNELS) + 3  # ",A" + ",Surplus Generation" + "\r\n"


def as_table(strings: list[str] | list[bytes], width: int) -> np.ndarray:
    """Fixed-width uint8 table of ASCII strings, NUL padded on the right."""
    data = [s if isinstance(s, bytes) else s.encode("ascii") for s in strings]
    arr = np.array(data, dtype=f"S{width}")  # numpy pads with NUL
    return arr.view(np.uint8).reshape(len(data), width)


@lru_cache(maxsize=1)
def kwh_table() -> np.ndarray:
    """Row w is the kWh text of w Wh ("0.580"), NUL padded to KWH_WIDTH."""
    return as_table([f"{w // 1000}.{w % 1000:03d}" for w in range(MAX_WH + 1)], KWH_WIDTH)


@lru_cache(maxsize=1)
def clock_table() -> np.ndarray:
    """Row t is "HH:MM:SS" for t seconds after midnight (8 bytes)."""
    return as_table([f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}" for t in range(86400)], 8)


@lru_cache(maxsize=1024)
def time_table(day: date) -> np.ndarray:
    """Row s is "HH:MM,HH:MM," of slot s of ``day`` (the repeated hour twice on the fall-back day)."""
    rows = []
    for slot in range(slots_in_day(day)):
        start, end = slot_wallclock(day, slot)
        rows.append(f"{start},{end},")
    return as_table(rows, TIME_WIDTH)


def tail_table() -> np.ndarray:
    """Rows for (channel * 2 + estimated): ",A,Consumption\\r\\n" etc."""
    rows = [f",{flag},{channel}\r\n" for channel in CHANNELS for flag in ("A", "E")]
    return as_table(rows, TAIL_WIDTH)


_TAIL = tail_table()


def mdy(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


def format_blocks(
    prefixes: np.ndarray,
    day: date,
    wh: np.ndarray,
    estimated: np.ndarray,
    channel: np.ndarray,
    slack: int = 0,
    workspace: np.ndarray | None = None,
) -> np.ndarray:
    """Rows of B blocks (one block = one meter-day-channel, all its slots in order) as a (B*S, W) uint8 buffer.

    prefixes: (B, L) uint8, the row start up to and including the comma before the start time.
    wh, estimated: (B, S); channel: (B,) 0 consumption, 1 surplus generation.
    ``slack`` extra NUL bytes per row leave room for longer (corrupted) rows.
    ``workspace``: a flat uint8 array to build the rows in (reused from call to call, saving page faults);
    the result is then a view of it.
    """
    b, s = wh.shape
    plen = prefixes.shape[1]
    width = plen + TIME_WIDTH + KWH_WIDTH + TAIL_WIDTH + slack
    if workspace is not None and workspace.size >= b * s * width:
        buf = workspace[: b * s * width].reshape(b, s, width)
        if slack:
            buf[:, :, width - slack :] = 0  # every other byte is overwritten below
    else:
        buf = np.zeros((b, s, width), dtype=np.uint8)
    buf[:, :, :plen] = prefixes[:, None, :]
    buf[:, :, plen : plen + TIME_WIDTH] = time_table(day)[None, :, :]
    pos = plen + TIME_WIDTH
    buf[:, :, pos : pos + KWH_WIDTH] = kwh_table()[wh]
    pos += KWH_WIDTH
    code = channel[:, None].astype(np.int64) * 2 + estimated
    buf[:, :, pos : pos + TAIL_WIDTH] = _TAIL[code]
    return buf.reshape(b * s, width)


def strip(buf: np.ndarray) -> np.ndarray:
    """The bytes of a row buffer without its NUL padding (a uint8 array: write it, or ``.tobytes()``)."""
    flat = buf.reshape(-1)
    return flat[flat != 0]
