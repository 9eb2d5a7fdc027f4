"""Cost arithmetic on interval data: pure (numpy, no Django), exact integers, never floats for money.

Units, so every sum is exact:
- a per-kWh rate is an integer in 1/10,000 ¢/kWh (``RATE_SCALE``): 11.5 ¢/kWh is 115,000;
- a monthly charge is an integer number of cents;
- intermediate cost is an integer in 1/10,000,000 ¢ ("units"): Wh × rate gives it directly
  (1 Wh at 1/10,000 ¢/kWh is 1/10,000,000 ¢);
- a result is an integer number of tenths of a cent, rounded half up once per bucket.

A day's cost is its kWh × (energy charge + TDU delivery charge in effect that day) plus its share of the
monthly charges (plan base charge + TDU customer/metering charge) ÷ the days of its calendar month. Hourly
and 15-minute buckets carry the day's share split evenly over the day's slots; a bucket whose consumption
is missing (or a day with no tariff in effect) has no cost, as it has no kWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from usage.reads.aggregate import ChannelGrid, DayRange, Series, series_for

RATE_SCALE = 10_000  # rates in 1/10,000 ¢ per kWh
UNITS_PER_CENT = 10_000_000  # cost units in 1/10,000,000 ¢
UNITS_PER_TENTH = UNITS_PER_CENT // 10


@dataclass(frozen=True)
class DayCharges:
    """The charges of each day of a range: ``rate`` (1/10,000 ¢/kWh), ``monthly_cents`` and ``known``
    (False where no tariff was in effect: that day has no cost)."""

    rate: np.ndarray  # int64, n_days
    monthly_cents: np.ndarray  # int64, n_days
    known: np.ndarray  # bool, n_days


def rate_units(cents_per_kwh: Decimal) -> int:
    """¢/kWh (up to 4 decimals) as 1/10,000 ¢/kWh."""
    return int((cents_per_kwh * RATE_SCALE).to_integral_value(rounding=ROUND_HALF_UP))


def dollars_to_cents(dollars: Decimal) -> int:
    return int((dollars * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _days_in_month(dates: np.ndarray) -> np.ndarray:
    months = dates.astype("datetime64[M]")
    return ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64)


def slot_cost_units(rng: DayRange, grid: ChannelGrid, charges: DayCharges) -> tuple[np.ndarray, np.ndarray]:
    """Per 15-minute slot: cost units (energy at the day's rate + the day's share of the monthly charges,
    spread evenly over its slots) and "no cost" (missing reading, or no tariff that day)."""
    counts = rng.counts
    fixed_day = charges.monthly_cents * UNITS_PER_CENT // _days_in_month(rng.dates)
    per_slot_fixed = np.repeat(fixed_day // counts, counts)
    # what integer division left over goes to each day's first slot, so a day's slots add up to its share
    per_slot_fixed[rng.offsets[:-1]] += fixed_day - (fixed_day // counts) * counts
    units = grid.values_wh * np.repeat(charges.rate, counts) + per_slot_fixed
    unknown = grid.missing | np.repeat(~charges.known, counts)
    return units, unknown


def bucket_tenths(
    rng: DayRange,
    grid: ChannelGrid,
    charges: DayCharges,
    granularity: str,
    periods: list[tuple[date, date]] | None = None,
) -> Series:
    """Cost per bucket of ``granularity`` in tenths of a cent: a ``Series`` whose ``wh`` holds the tenths
    (0 where ``null``), laid out exactly like the kWh series of the same range and granularity."""
    units, unknown = slot_cost_units(rng, grid, charges)
    cost_grid = ChannelGrid(
        values_wh=units, estimated=grid.estimated, missing=unknown, revisions=None, has_data=grid.has_data
    )
    s = series_for(rng, cost_grid, granularity, periods)
    tenths = (s.wh + UNITS_PER_TENTH // 2) // UNITS_PER_TENTH
    tenths[s.null] = 0
    return Series(
        starts=s.starts, ends=s.ends, wh=tenths, null=s.null, estimated=s.estimated, missing=s.missing
    )


def tenths_to_dollars(tenths: int) -> Decimal:
    """Tenths of a cent as dollars (3 decimals, exact)."""
    return Decimal(tenths) / 1000


def dollars_text(tenths: int | None, *, places: int = 2) -> str:
    """ "$12.35" (half up) from tenths of a cent; "—" for no value."""
    if tenths is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    amount = tenths_to_dollars(tenths).quantize(q, rounding=ROUND_HALF_UP)
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


def usd_fixed3(tenths: np.ndarray) -> list[str]:
    """Dollars with 3 decimals ("1.234") of non-negative tenths of a cent, for downloads."""
    return [f"{t // 1000}.{t % 1000:03d}" for t in tenths.tolist()]
