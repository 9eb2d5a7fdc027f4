"""Local market days and their 15-minute slots (America/Chicago).

A market day has 92, 96 or 100 intervals. Slot ``i`` of a day is the i-th interval in absolute time,
so on the fall-back day the repeated hour's CDT intervals come before its CST ones. Days are numbered from
1970-01-01 (``day_num``) in the parser's arrays and in storage. Pure: no Django.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

MARKET_TZ = ZoneInfo("America/Chicago")
SLOT_SECONDS = 900
NORMAL_SLOTS = 96
EPOCH_ORD = date(1970, 1, 1).toordinal()


def local_today() -> date:
    """Today's date in the market's time zone."""
    return datetime.now(tz=MARKET_TZ).date()


def day_num(d: date) -> int:
    """Days since 1970-01-01 of a local date."""
    return d.toordinal() - EPOCH_ORD


def num_day(n: int) -> date:
    """The local date of a day number (``day_num`` backwards)."""
    return date.fromordinal(int(n) + EPOCH_ORD)


@lru_cache(maxsize=8192)
def day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """UTC instants of local midnight at the start and end of ``day``."""
    start = datetime(day.year, day.month, day.day, tzinfo=MARKET_TZ).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=MARKET_TZ).astimezone(UTC)
    return start, end


def slots_in_day(day: date) -> int:
    """92 on the spring-forward day, 100 on the fall-back day, 96 otherwise."""
    start, end = day_bounds_utc(day)
    return int((end - start).total_seconds()) // SLOT_SECONDS


def day_start_epoch(day: date) -> int:
    """Unix seconds of the day's local midnight."""
    return int(day_bounds_utc(day)[0].timestamp())


def slot_start_epochs(day: date) -> np.ndarray:
    """Unix seconds of the start of every slot of ``day`` (int64, ascending)."""
    return day_start_epoch(day) + SLOT_SECONDS * np.arange(slots_in_day(day), dtype=np.int64)


@lru_cache(maxsize=8192)
def wallclock_slot_table(day: date) -> dict[tuple[int, int], int]:
    """Map (minute of local day of the interval start, occurrence) to slot index.

    ``occurrence`` is 0 for the first time a wall-clock start appears that day and 1 for the second
    (only the repeated hour of the fall-back day has a second occurrence).
    Starts that do not exist that day (02:00-02:45 on the spring-forward day) are absent.
    """
    table: dict[tuple[int, int], int] = {}
    start_epoch = day_start_epoch(day)
    for slot in range(slots_in_day(day)):
        local = datetime.fromtimestamp(start_epoch + slot * SLOT_SECONDS, tz=MARKET_TZ)
        minute = local.hour * 60 + local.minute
        occurrence = 1 if (minute, 0) in table else 0
        table[(minute, occurrence)] = slot
    return table


def slot_wallclock(day: date, slot: int) -> tuple[str, str]:
    """Local ``HH:MM`` start and end of a slot, as the TDU layout writes them (the last ends at 00:00)."""
    start_epoch = day_start_epoch(day) + slot * SLOT_SECONDS
    start = datetime.fromtimestamp(start_epoch, tz=MARKET_TZ)
    end = datetime.fromtimestamp(start_epoch + SLOT_SECONDS, tz=MARKET_TZ)
    return start.strftime("%H:%M"), end.strftime("%H:%M")
