"""The load model: one local day of 15-minute values for every premise at once, as numpy matrices.

Pure: no Django. Values are computed in kW (average power over the interval) and returned in Wh integers
(kWh with three decimals is exact), shape (premises, slots of the day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from usage.synth.premises import LoadProfile, SynthPremise
from usage.synth.tdus import TDUS
from usage.synth.weather import REGION_CLIMATES, clear_sky_fraction, daily_mean_temperature, solar_declination
from usage.timegrid import MARKET_TZ, slot_start_epochs

_STREAM_DAY = 301
MAX_WH = 99_999  # one interval never exceeds 99.999 kWh (400 kW): larger values are clipped

# Estimated reads: share of meter-days with a run of estimated intervals, and the run length in intervals.
EST_RUN_PROB = 0.006
EST_RUN_SLOTS = (8, 33)  # 2 to 8 hours
EST_DAY_PROB = 0.0005  # the whole day estimated (meter not reached at all)


@dataclass(frozen=True)
class DayGrid:
    """Per-slot clock facts of one local day."""

    day: date
    slots: int
    local_hour: np.ndarray  # wall-clock hour of the slot's middle, float (repeats on the fall-back day)
    utc_hour: np.ndarray  # UTC hour of day of the slot's middle, float
    weekend: bool  # Saturday, Sunday or a holiday


def _holiday(day: date) -> bool:
    if (day.month, day.day) in {(1, 1), (7, 4), (12, 24), (12, 25), (12, 31)}:
        return True
    wd = day.weekday()
    return (
        (day.month == 5 and wd == 0 and day.day + 7 > 31)  # Memorial Day
        or (day.month == 9 and wd == 0 and day.day <= 7)  # Labor Day
        or (day.month == 11 and wd == 3 and 22 <= day.day <= 28)  # Thanksgiving
    )


@lru_cache(maxsize=1024)
def day_grid(day: date) -> DayGrid:
    mids = slot_start_epochs(day) + 450
    local = [datetime.fromtimestamp(int(e), tz=MARKET_TZ) for e in mids]
    local_hour = np.array([t.hour + t.minute / 60 + t.second / 3600 for t in local])
    utc_hour = (mids % 86400) / 3600.0
    return DayGrid(day, len(mids), local_hour, utc_hour, day.weekday() >= 5 or _holiday(day))


class ProfileArrays:
    """The premises' profiles as columns, shape (P, 1), ready to broadcast against (1, S)."""

    def __init__(self, premises: Sequence[SynthPremise], solar_share: float):
        self.count = len(premises)
        for f in fields(LoadProfile):
            column = np.array([getattr(p.profile, f.name) for p in premises], dtype=float).reshape(-1, 1)
            setattr(self, f.name, column.astype(np.float32))
        region_of = {t.duns: i for i, t in enumerate(TDUS)}
        self.region = np.array([region_of[p.tdu_duns] for p in premises], dtype=np.int64)
        self.business = np.array([p.kind == "business" for p in premises], dtype=bool)
        self.solar = np.array([p.has_solar(solar_share) for p in premises], dtype=bool)
        self.cool_slope_rel = self.cool_kw_per_f / self.cool_cap_kw
        self.heat_slope_rel = self.heat_kw_per_f / self.heat_cap_kw
        self.noise_half_var = 0.5 * self.noise_cv**2
        self.shape_cache: dict = {}


@dataclass
class DayValues:
    consumption_wh: np.ndarray  # (P, S) int32
    generation_wh: np.ndarray  # (P, S) int32, zero for premises without solar
    estimated: np.ndarray  # (P, S) bool, applies to both channels
    revision_seconds: np.ndarray  # (P,) seconds after the next day's midnight when the values were produced
    expected_kw: np.ndarray  # (P, S) the noiseless load, for tests and docs


def _bump(h: np.ndarray, mu: np.ndarray, width: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * ((h - mu) / width) ** 2)


def _window(h: np.ndarray, start: np.ndarray, end: np.ndarray, edge: float = 0.35) -> np.ndarray:
    """Smooth 0..1 window from start to end (hours)."""
    return 1 / (1 + np.exp(-(h - start) / edge)) / (1 + np.exp(-(end - h) / edge))


def _shapes(grid: DayGrid, pa: ProfileArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time-of-day shapes that depend only on the day's clock and type: activity (kW), business open (0..1),
    pool window (0..1); float32 (P, S). Cached per kind of day: most days share one of a few."""
    key = (grid.local_hour.tobytes(), grid.weekend)
    cached = pa.shape_cache.get(key)
    if cached is not None:
        return cached
    h = grid.local_hour[None, :]
    if grid.weekend:  # later, gentler mornings; more time at home
        activity = (
            0.8 * pa.morning_kw * _bump(h, pa.morning_hour + 1.5, pa.morning_width_h * 1.3)
            + pa.evening_kw * _bump(h, pa.evening_hour, pa.evening_width_h)
            + 2.5 * pa.daytime_kw * _window(h, 10.0, 17.0, 1.0)
        )
    else:
        activity = (
            pa.morning_kw * _bump(h, pa.morning_hour, pa.morning_width_h)
            + pa.evening_kw * _bump(h, pa.evening_hour, pa.evening_width_h)
            + pa.daytime_kw * _window(h, 9.0, 17.0, 1.0)
        )
    open_now = _window(h, pa.open_hour, pa.close_hour) * (pa.weekend_factor if grid.weekend else 1.0)
    activity = activity + pa.open_kw * open_now
    pool = _window(h, 10.0, 16.0, 0.1) * np.ones((pa.count, 1))
    shapes = (activity.astype(np.float32), open_now.astype(np.float32), pool.astype(np.float32))
    if pa.count * grid.slots <= 1_500_000:  # about 4 kinds of day x 3 matrices: at most ~70 MB
        if len(pa.shape_cache) >= 8:
            pa.shape_cache.clear()
        pa.shape_cache[key] = shapes
    return shapes


def day_values(day: date, seed: int, pa: ProfileArrays) -> DayValues:
    """Every premise's values for ``day``; depends only on (seed, day, the premises and which have solar)."""
    grid = day_grid(day)
    p, s = pa.count, grid.slots
    f32 = np.float32
    rng = np.random.default_rng([seed, _STREAM_DAY, day.toordinal()])
    # Draw everything in a fixed order and shape, whatever the options, so values never depend on them.
    z_noise = rng.standard_normal((p, s), dtype=f32)
    u_spike = rng.random((p, s), dtype=f32)
    z_cloud = rng.standard_normal((p, s), dtype=f32)
    u_day = rng.random((p, 6))
    revision_seconds = rng.integers(4 * 3600, 11 * 3600, p)

    h = grid.local_hour[None, :]
    activity, open_now, pool_window = _shapes(grid, pa)

    # Temperature: the region's daily mean plus a daily cycle peaking mid-afternoon solar time.
    t_mean = daily_mean_temperature(day, seed)[:, None]  # (regions, 1)
    longitude = np.array([c.longitude for c in REGION_CLIMATES])[:, None]
    solar_hour = (grid.utc_hour[None, :] + longitude / 15.0) % 24  # (regions, S)
    half_range = np.array([c.half_range_f for c in REGION_CLIMATES])[:, None]
    temp = (t_mean + half_range * np.cos(2 * np.pi * (solar_hour - 15.5) / 24)).astype(f32)[pa.region]

    cool = pa.cool_cap_kw * np.tanh(np.maximum(temp - pa.cool_balance_f, 0) * pa.cool_slope_rel)
    heat = pa.heat_cap_kw * np.tanh(np.maximum(pa.heat_balance_f - temp, 0) * pa.heat_slope_rel)
    # Businesses set the thermostat back when closed.
    cool = np.where(pa.business[:, None], cool * (0.35 + 0.65 * open_now), cool)

    expected = pa.base_kw + cool + heat + activity
    if 4 <= day.month <= 10:
        expected += pa.pool_kw * pool_window
    charging = (u_day[:, 0] < pa.ev_night_prob[:, 0]) & (pa.ev_kw[:, 0] > 0)
    if charging.any():
        rows = np.flatnonzero(charging)
        ev_start = 21.0 + 3.0 * u_day[rows, 1:2]
        ev_len = 1.0 + 3.0 * u_day[rows, 2:3]
        expected[rows] += np.where((h >= ev_start) & (h < ev_start + ev_len), pa.ev_kw[rows], 0.0).astype(f32)

    # Independent noise on every interval: log-normal with coefficient of variation noise_cv (>= 0.15),
    # plus appliance bursts (dryer, oven, water heater) with probability spike_prob.
    load = expected * np.exp(pa.noise_cv * z_noise - pa.noise_half_var)
    burst = u_spike < pa.spike_prob
    load += np.where(burst, pa.spike_kw * (0.3 + 1.4 * u_spike / pa.spike_prob), f32(0))

    # Rooftop solar: clear-sky output from the sun's height, times the day's and the interval's cloudiness.
    generation = np.zeros((p, s), dtype=np.int32)
    net = load
    solar_rows = np.flatnonzero(pa.solar)
    if solar_rows.size:
        decl = solar_declination(day)
        lat = np.radians(np.array([c.latitude for c in REGION_CLIMATES]))[:, None]
        hour_angle = np.radians(15.0 * (solar_hour - 12.0))
        cos_zenith = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
        sun = (0.8 * np.maximum(cos_zenith, 0) ** 1.2).astype(f32)  # (regions, S)
        regions = pa.region[solar_rows]
        clear = clear_sky_fraction(day, seed).astype(f32)[regions][:, None]
        cloud = np.clip(clear + (0.04 + 0.35 * (1 - clear)) * z_cloud[solar_rows], 0.03, 1.0)
        pv = pa.solar_kw[solar_rows] * sun[regions] * cloud
        net = load.copy()
        net[solar_rows] -= pv
        generation[solar_rows] = np.minimum(np.rint(np.maximum(-net[solar_rows], 0) * 250), MAX_WH)
    consumption = np.minimum(np.rint(np.maximum(net, 0) * 250), MAX_WH).astype(np.int32)

    # Runs of estimated intervals (a meter not reached; the TDU fills the gap and flags it E).
    slot = np.arange(s)[None, :]
    run = u_day[:, 3:4] < EST_RUN_PROB
    run_start = (u_day[:, 4:5] * s).astype(int)
    run_len = EST_RUN_SLOTS[0] + (u_day[:, 5:6] * (EST_RUN_SLOTS[1] - EST_RUN_SLOTS[0])).astype(int)
    estimated = run & (slot >= run_start) & (slot < run_start + run_len)
    whole_day = u_day[:, 3:4] > 1 - EST_DAY_PROB
    estimated |= whole_day
    return DayValues(consumption, generation, estimated, revision_seconds, expected)
