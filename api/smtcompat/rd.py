"""SMT's 100-slot day ("RD"): slots 0-7 are 00:00-01:45, slots 8-11 the repeated 01:00-01:45 of the
fall-back day (blank on other days), slot s >= 12 starts at minute (s - 4) * 15; spring-forward's missing
02:00-02:45 stays blank. Pure: the input is one day of /api/v1/ JSON (intervals consecutive in time)."""

from __future__ import annotations

from collections.abc import Sequence

SLOTS = 100


def smt_slot(index: int, intervals_in_day: int) -> int:
    """The RD slot of the ``index``-th interval of a day with ``intervals_in_day`` intervals (92, 96 or 100)."""
    if index < 8 or intervals_in_day == SLOTS:
        return index
    if intervals_in_day < 96:  # spring forward: 02:00-02:45 does not exist
        return index + 8
    return index + 4


def rd_string(kwh: Sequence[float | None], estimated: Sequence[bool] | None = None) -> str:
    """``"0.123-A,,0.456-E,…"``: 100 comma-separated slots, ``-E`` for an estimated value, blank for none."""
    slots = [""] * SLOTS
    n = len(kwh)
    for i, value in enumerate(kwh):
        if value is None:
            continue
        flag = "E" if estimated is not None and i < len(estimated) and estimated[i] else "A"
        slots[smt_slot(i, n)] = f"{value:.3f}-{flag}"
    return ",".join(slots)
