"""Field decoders shared by the interval parser, its fast path and the billing parser. Pure: no Django.

Each takes the raw bytes of one field and returns plain numbers, never raises: a value it cannot read comes
back as ``NO_DAY``, ``ok=False`` or a reason code, which the caller turns into a reject.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

import numpy as np

from usage.ingest.reasons import ROW_REASONS
from usage.timegrid import EPOCH_ORD, MARKET_TZ

NO_DAY = np.iinfo(np.int32).min

# reason codes as small ints, in priority order (a lower number wins)
CODES = list(ROW_REASONS)
CODE = {name: i + 1 for i, name in enumerate(CODES)}

# ESI ID -> (premise id or -1, reject code name or None, human message or None, install day number or NO_DAY)
Lookup = Callable[[list[str]], list[tuple[int, str | None, str | None, int]]]

_DATE = re.compile(rb"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")
_REV = re.compile(rb"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*")
_KWH = re.compile(rb"\s*(\d+)(?:\.(\d{0,3}))?\s*|\s*\.(\d{1,3})\s*")
KWH_MAX_WHOLE_DIGITS = 7  # 2,000,000 kWh is the largest value taken; longer digit runs are never converted
_NEG = re.compile(rb"\s*-\s*(\d+(\.\d*)?|\.\d+)\s*")


def norm_esiid(raw: bytes) -> str | None:
    s = raw.strip()
    if s.startswith(b"'"):
        s = s[1:].strip()
    if s.startswith(b'"') and s.endswith(b'"') and len(s) >= 2:
        s = s[1:-1].strip()
    if len(s) in (17, 22) and s.isdigit():
        return s.decode("ascii")
    return None


def parse_date(raw: bytes) -> int:
    """``MM/DD/YYYY`` as a day number (days since 1970-01-01), or NO_DAY."""
    m = _DATE.fullmatch(raw)
    if not m:
        return NO_DAY
    try:
        return date(int(m[3]), int(m[1]), int(m[2])).toordinal() - EPOCH_ORD
    except ValueError:
        return NO_DAY


def parse_revision(raw: bytes) -> tuple[int, bool]:
    """``MM/DD/YYYY HH:MM[:SS]`` market time as (Unix seconds, ok)."""
    m = _REV.fullmatch(raw)
    if not m:
        return 0, False
    try:
        local = datetime(
            int(m[3]), int(m[1]), int(m[2]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=MARKET_TZ
        )
    except ValueError:
        return 0, False
    return int(local.timestamp()), True


def parse_kwh(raw: bytes) -> tuple[int, int]:
    """(Wh, code): code 0 ok, else a reason code."""
    if len(raw) > 64:  # bounded before any conversion (Python refuses int() of > 4300 digits)
        return 0, CODE["bad_kwh"]
    m = _KWH.fullmatch(raw)
    if m:
        if m[3] is not None:
            return int(m[3].ljust(3, b"0")), 0
        digits = m[1].lstrip(b"0") or b"0"
        if len(digits) > KWH_MAX_WHOLE_DIGITS:
            return 0, CODE["bad_kwh"]
        whole = int(digits)
        if whole > 2_000_000:  # Wh must fit 32 bits; 2 GWh in 15 minutes is no meter
            return 0, CODE["bad_kwh"]
        return whole * 1000 + int((m[2] or b"").ljust(3, b"0") or b"0"), 0
    if _NEG.fullmatch(raw):
        return 0, CODE["negative_kwh"]
    return 0, CODE["bad_kwh"]
