"""A synthetic Texas weather year: daily mean temperature and sunshine per TDU region, deterministic by seed.

Each day's draws depend only on ``(seed, date)``, so overlapping runs agree on the weather of shared days.
Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from usage.synth.tdus import TDUS

_STREAM_WEATHER = 201
_STREAM_CLOUD = 202
_MEMORY_DAYS = 7  # weather anomalies persist: a weighted sum of the last week's random shocks
_DECAY = 0.65


@dataclass(frozen=True)
class Climate:
    """Normals of a region (degrees F) and where it is (for the sun)."""

    latitude: float
    longitude: float
    mean_f: float  # annual mean temperature
    amplitude_f: float  # half the difference between the warmest and the coldest month
    half_range_f: float  # half the typical daily max-min range
    sun_a: float  # Beta(sun_a, sun_b) gives the day's clear-sky fraction
    sun_b: float


CLIMATES: dict[str, Climate] = {
    "oncor": Climate(32.8, -97.0, 66.5, 20.0, 10.0, 4.0, 1.5),  # Dallas-Fort Worth
    "centerpoint": Climate(29.8, -95.4, 70.5, 16.0, 8.5, 2.6, 1.5),  # Houston: humid, cloudier
    "aep_central": Climate(27.8, -97.4, 72.5, 14.0, 8.0, 3.0, 1.5),  # Corpus Christi, the Valley
    "aep_north": Climate(32.4, -99.7, 64.5, 20.0, 12.0, 5.0, 1.5),  # Abilene: dry, sunny, wide daily range
    "tnmp": Climate(30.0, -96.2, 68.0, 17.0, 9.0, 3.0, 1.5),  # Gulf coast and north Texas pockets
}
REGION_CLIMATES: tuple[Climate, ...] = tuple(CLIMATES[t.key] for t in TDUS)  # indexed like TDUS


@lru_cache(maxsize=4096)
def _shocks(seed: int, ordinal: int) -> np.ndarray:
    """Independent standard normal shocks of one day: [statewide, region 0..4]."""
    return np.random.default_rng([seed, _STREAM_WEATHER, ordinal]).standard_normal(1 + len(TDUS))


def _season(day: date) -> float:
    """cos of the phase of the year: 1 at the coldest time (about Jan 20), -1 at the warmest (about Jul 21)."""
    return float(np.cos(2 * np.pi * (day.timetuple().tm_yday - 20) / 365.25))


def daily_mean_temperature(day: date, seed: int) -> np.ndarray:
    """Mean temperature (F) of ``day`` in each region (indexed like TDUS): normal plus a persistent anomaly."""
    weights = _DECAY ** np.arange(_MEMORY_DAYS)
    anomaly = np.zeros(len(TDUS))
    for lag in range(_MEMORY_DAYS):
        z = _shocks(seed, day.toordinal() - lag)
        anomaly += weights[lag] * (0.8 * z[0] + 0.6 * z[1:])  # mostly statewide fronts, some local weather
    anomaly /= np.sqrt(np.sum(weights**2))
    season = _season(day)
    sd = (
        3.5 + 3.5 * (1 + season) / 2
    )  # winter cold fronts make winter weather twice as variable (7 F vs 3.5 F)
    normal = np.array([c.mean_f - c.amplitude_f * season for c in REGION_CLIMATES])
    return normal + sd * anomaly


def clear_sky_fraction(day: date, seed: int) -> np.ndarray:
    """Share of clear-sky sunshine that reaches the ground on ``day`` in each region (0..1)."""
    rng = np.random.default_rng([seed, _STREAM_CLOUD, day.toordinal()])
    a = np.array([c.sun_a for c in REGION_CLIMATES])
    b = np.array([c.sun_b for c in REGION_CLIMATES])
    return rng.beta(a, b)


def solar_declination(day: date) -> float:
    """Declination of the sun in radians (Cooper's formula)."""
    return float(np.radians(23.44) * np.sin(2 * np.pi * (284 + day.timetuple().tm_yday) / 365))


def temperature_year(start: date, days: int, seed: int) -> np.ndarray:
    """Daily mean temperatures, shape (days, regions): handy for plots and docs."""
    return np.array([daily_mean_temperature(start + timedelta(days=k), seed) for k in range(days)])
