"""What the general chunk parser and its fast path share: the ``Batch`` of readings they return, the parse
state carried from chunk to chunk, and each local day's slot table. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from usage import timegrid
from usage.ingest.fields import CODE, NO_DAY, Lookup


@dataclass
class Batch:
    """Accepted readings of one chunk (numpy arrays of equal length) and the chunk's rejects."""

    premise_id: np.ndarray  # int64
    channel: np.ndarray  # int8: 1 consumption, 2 surplus generation
    day: np.ndarray  # int32: days since 1970-01-01 (local calendar date)
    slot: np.ndarray  # int16: interval index in absolute time within the day
    wh: np.ndarray  # int64
    estimated: np.ndarray  # bool
    revision: np.ndarray  # int64: Unix seconds
    line: np.ndarray  # int64: line number in the file (header = 1)
    rows: int = 0  # non-blank data lines read in this chunk
    blank: int = 0  # blank lines in this chunk (not rows)
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, code, message, raw
    # every reject of the chunk by reason (exact); ``rejects`` holds only the samples the state allowed
    reject_counts: dict[str, int] = field(default_factory=dict)


def occurrence_by_end(slot_of: np.ndarray, end_tab: np.ndarray, start: int, end: int) -> int | None:
    """On the fall-back day, the repeated start whose two occurrences end at different wall-clock times
    (01:45 ends 01:00 in CDT, 02:00 in CST) is told apart by its end; the others only by their order."""
    first, second = int(slot_of[0, start // 15]), int(slot_of[1, start // 15])
    if end_tab[first] == end_tab[second]:
        return None
    if end == end_tab[first]:
        return 0
    if end == end_tab[second]:
        return 1
    return None


@lru_cache(maxsize=4096)
def _day_table(day: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(slot of [occurrence, start // 15], wall-clock end minute of each slot, is the fall-back day)."""
    d = timegrid.num_day(day)
    slot_of = np.full((2, 96), -1, dtype=np.int16)
    for (minute, occ), slot in timegrid.wallclock_slot_table(d).items():
        slot_of[occ, minute // 15] = slot
    n = timegrid.slots_in_day(d)
    end = np.empty(n, dtype=np.int16)
    for slot in range(n):
        hh, mm = timegrid.slot_wallclock(d, slot)[1].split(":")
        end[slot] = int(hh) * 60 + int(mm)
    slot_of.flags.writeable = False
    end.flags.writeable = False
    return slot_of, end, n == 100


@lru_cache(maxsize=4096)
def day_start(day: int) -> int:
    """Unix seconds of the local midnight that starts day number ``day``."""
    return timegrid.day_start_epoch(timegrid.num_day(day))


def revision_in_range(revision: np.ndarray, day: np.ndarray, max_revision: int | None) -> np.ndarray:
    """Rows whose revision time is not before the start of their local day and, when ``max_revision`` is
    given, not after it. ``day`` must hold real day numbers."""
    udays, inv = np.unique(day, return_inverse=True)
    starts = np.array([day_start(d) for d in udays.tolist()], dtype=np.int64)
    ok = revision >= starts[inv.reshape(-1)]
    if max_revision is not None:
        ok &= revision <= max_revision
    return ok


def empty_batch(blank: int = 0) -> Batch:
    z = np.zeros(0, dtype=np.int64)
    return Batch(
        premise_id=z,
        channel=z.astype(np.int8),
        day=z.astype(np.int32),
        slot=z.astype(np.int16),
        wh=z,
        estimated=z.astype(bool),
        revision=z,
        line=z,
        blank=blank,
    )


class DayTables:
    """Slot lookup per local day, built from usage.timegrid (every DST decision is made there)."""

    def __init__(self):
        self.fallback: set[int] = set()

    def get(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        slot_of, end, fallback = _day_table(day)
        if fallback:
            self.fallback.add(day)
        return slot_of, end


class ParseState:
    """What the parse of one file remembers from chunk to chunk: resolved ESI IDs, decoded dates and
    revision hours, day tables, and how often each fall-back hour's start was seen."""

    def __init__(
        self, *, lookup: Lookup, today: int, max_revision: int | None = None, samples: int | None = None
    ):
        self.lookup = lookup
        self.samples = samples  # rejected rows kept per reason per file (None: all)
        self.sampled: dict[str, int] = {}
        self.today = today
        self.max_revision = max_revision  # Unix seconds; a later REVISION_DATE is out of range
        self.esiids: dict[bytes, tuple[int, int, str | None, int]] = {}  # raw -> premise, code, msg, install
        self.by_norm: dict[str, tuple[int, int, str | None, int]] = {}  # normalised ESI ID -> the same
        self.date_cache: dict[int, int] = {}
        self.rev_cache: dict[int, tuple[int, bool]] = {}
        self.days = DayTables()
        self.fallback_seen: dict[tuple[int, int, int, int], int] = {}

    def take_samples(self, name: str, n: int) -> int:
        """How many of ``n`` more rejects of reason ``name`` are kept as sample rows."""
        if self.samples is None:
            return n
        got = self.sampled.get(name, 0)
        k = max(0, min(n, self.samples - got))
        self.sampled[name] = got + k
        return k

    def resolve(self, norms: list[str]) -> list[tuple[int, int, str | None, int]]:
        """Premise, reject code (0 = fine), message and install day of each normalised ESI ID."""
        todo = sorted({x for x in norms if x not in self.by_norm})
        if todo:
            for norm, (pid, reason, msg, install) in zip(todo, self.lookup(todo), strict=True):
                self.by_norm[norm] = (
                    pid,
                    CODE[reason] if reason else 0,
                    msg,
                    install if install is not None else NO_DAY,
                )
        return [self.by_norm[x] for x in norms]
