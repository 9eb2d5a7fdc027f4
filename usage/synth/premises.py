"""Synthetic premises: ESI IDs, addresses, meters and per-meter load profiles, deterministic by seed and index.

Premise ``i`` depends only on ``(seed, i)``: ``synth_premises(10, s)`` is the first ten of ``synth_premises(1000, s)``.
Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from usage.synth.tdus import TDUS, TduInfo

# Streams of the random generator (any fixed, distinct integers).
_STREAM_PREMISE = 101
_STREAM_ESIID = 102

# ESI ID tails are (index * _MULT + offset) mod 10**9: a bijection of the index (the multiplier is prime to 10),
# so ESI IDs never collide inside one seed. Registered ESI IDs have a tail starting with "0"; the generator's
# "unknown ESI ID" error rows use tails starting with "9", so they can never be registered premises.
_MULT = 387_420_489  # 3**18
_TAIL_SPACE = 10**9

_CITIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "oncor": (
        ("Dallas", ("75201", "75204", "75206", "75214", "75218", "75228", "75230", "75240")),
        ("Fort Worth", ("76104", "76107", "76109", "76116", "76123", "76132")),
        ("Plano", ("75023", "75024", "75025", "75074", "75093")),
        ("Arlington", ("76010", "76013", "76016", "76017")),
        ("Irving", ("75038", "75039", "75061", "75062")),
        ("McKinney", ("75069", "75070", "75071")),
        ("Waco", ("76706", "76708", "76710", "76712")),
        ("Tyler", ("75701", "75703", "75707")),
        ("Killeen", ("76542", "76543", "76549")),
        ("Round Rock", ("78664", "78665", "78681")),
        ("Midland", ("79705", "79707")),
        ("Odessa", ("79761", "79762")),
    ),
    "centerpoint": (
        (
            "Houston",
            (
                "77002",
                "77004",
                "77007",
                "77008",
                "77019",
                "77024",
                "77025",
                "77036",
                "77042",
                "77057",
                "77063",
            ),
        ),
        ("Pasadena", ("77502", "77503", "77505")),
        ("Katy", ("77449", "77450", "77494")),
        ("Sugar Land", ("77478", "77479")),
        ("Pearland", ("77581", "77584")),
        ("Baytown", ("77520", "77521")),
        ("Humble", ("77338", "77346")),
        ("Spring", ("77373", "77379", "77389")),
        ("Missouri City", ("77459", "77489")),
    ),
    "aep_central": (
        ("Corpus Christi", ("78404", "78411", "78412", "78413", "78414", "78418")),
        ("McAllen", ("78501", "78503", "78504")),
        ("Harlingen", ("78550", "78552")),
        ("Laredo", ("78041", "78045", "78046")),
        ("Victoria", ("77901", "77904")),
        ("Brownsville", ("78520", "78521", "78526")),
        ("Edinburg", ("78539",)),
    ),
    "aep_north": (
        ("Abilene", ("79601", "79602", "79603", "79605", "79606")),
        ("San Angelo", ("76901", "76903", "76904")),
        ("Vernon", ("76384",)),
        ("Sweetwater", ("79556",)),
        ("Alpine", ("79830",)),
    ),
    "tnmp": (
        ("League City", ("77573",)),
        ("Friendswood", ("77546",)),
        ("Texas City", ("77590", "77591")),
        ("Dickinson", ("77539",)),
        ("Alvin", ("77511",)),
        ("Lewisville", ("75067", "75077")),
        ("Glen Rose", ("76043",)),
        ("Pecos", ("79772",)),
    ),
}

_STREETS = (
    "Oak", "Elm", "Pecan", "Mesquite", "Bluebonnet", "Live Oak", "Cedar", "Magnolia", "Main", "Lamar",
    "Travis", "Crockett", "Bowie", "Austin", "San Jacinto", "Guadalupe", "Brazos", "Trinity", "Red River",
    "Sabine", "Lone Star", "Yucca", "Prairie", "Ranch", "Cypress", "Willow", "Hickory", "Sycamore",
    "Cottonwood", "Juniper", "Post Oak", "Sunset", "Meadow", "Windmill", "Wildflower", "Mockingbird",
    "Chisholm", "Pinto", "Longhorn", "Bandera",
)  # fmt: skip
_SUFFIXES = ("St", "Ave", "Dr", "Ln", "Rd", "Blvd", "Ct", "Trl", "Way", "Pkwy", "Cir")
_MAKERS = ("LG", "IT", "GE")  # Landis+Gyr, Itron, GE: meter numbers end with the maker's code


@dataclass(frozen=True)
class LoadProfile:
    """How one meter uses energy. Powers in kW (average over an interval), temperatures in degrees F, hours local."""

    base_kw: float  # always-on load
    cool_balance_f: float  # outdoor temperature above which air conditioning runs
    cool_kw_per_f: float
    cool_cap_kw: float  # the air conditioner's size: cooling saturates here
    heat_balance_f: float  # outdoor temperature below which heating runs
    heat_kw_per_f: float  # large for electric resistance / heat pumps, small for gas (blower only)
    heat_cap_kw: float
    morning_hour: float
    morning_width_h: float
    morning_kw: float
    evening_hour: float
    evening_width_h: float
    evening_kw: float
    daytime_kw: float  # someone at home during the day
    open_hour: float  # business opening hours (0/0 for homes)
    close_hour: float
    open_kw: float  # business load while open (0 for homes)
    weekend_factor: float  # business activity on weekends and holidays, relative to weekdays
    pool_kw: float  # pool pump, Apr-Oct 10:00-16:00 (0: no pool)
    ev_kw: float  # electric vehicle charger (0: no EV)
    ev_night_prob: float  # chance of charging on a given night
    spike_prob: float  # chance per interval of an appliance burst (dryer, oven, water heater)
    spike_kw: float  # mean size of a burst
    noise_cv: float  # multiplicative log-normal noise on every interval (>= 0.15)
    solar_kw: float  # rooftop PV size (DC kW) if this premise is one of the solar ones
    solar_rank: float  # uniform in [0, 1): the premise has solar when solar_rank < solar_share


@dataclass(frozen=True)
class SynthPremise:
    """One synthetic premise with its meter and profile."""

    index: int
    esiid: str
    tdu_duns: str
    tdu_key: str
    kind: str  # "residential" | "business"
    address_line1: str
    city: str
    state: str
    zip_code: str
    meter_number: str
    meter_installed_on: date
    starting_register_kwh: int
    han_capable: bool
    read_cycle_day: int  # 1..28: the day of the month the meter is read for billing
    profile: LoadProfile

    @property
    def address(self) -> str:
        return f"{self.address_line1}, {self.city}, {self.state} {self.zip_code}"

    def has_solar(self, solar_share: float) -> bool:
        return self.profile.solar_rank < solar_share


def _tail_offset(seed: int) -> int:
    return int(
        np.random.SeedSequence([seed, _STREAM_ESIID]).generate_state(1, dtype=np.uint64)[0] % _TAIL_SPACE
    )


def esiid_for(tdu: TduInfo, prefix: str, tail: int, lead: str = "0") -> str:
    """An ESI ID of ``tdu`` from a 9-digit tail number; ``lead`` "0" for registered ones, "9" for unknown ones."""
    esiid = f"{prefix}{lead}{tail % _TAIL_SPACE:09d}"
    if tdu.esiid_length == 22:
        esiid += f"{(tail * 7919) % 100_000:05d}"
    assert len(esiid) == tdu.esiid_length
    return esiid


def _premise(index: int, seed: int, offset: int, install_before: date | None) -> SynthPremise:
    rng = np.random.default_rng([seed, _STREAM_PREMISE, index])
    u = rng.random(
        64
    )  # a fixed budget of uniforms, consumed in a fixed order: adding fields appends at the end
    k = iter(range(64))

    def nxt() -> float:
        return float(u[next(k)])

    if index < len(TDUS):
        tdu = TDUS[
            index
        ]  # the first five premises cover every TDU, so even tiny runs write every TDU's files
        nxt()
    else:
        cum = np.cumsum([t.meter_share for t in TDUS])
        tdu = TDUS[min(int(np.searchsorted(cum, nxt() * cum[-1], side="right")), len(TDUS) - 1)]
    prefix = tdu.esiid_prefixes[int(nxt() * len(tdu.esiid_prefixes))]
    tail = (index * _MULT + offset) % _TAIL_SPACE
    esiid = esiid_for(tdu, prefix, tail)

    business = nxt() < 0.10
    city, zips = _CITIES[tdu.key][int(nxt() * len(_CITIES[tdu.key]))]
    zip_code = zips[int(nxt() * len(zips))]
    street = f"{_STREETS[int(nxt() * len(_STREETS))]} {_SUFFIXES[int(nxt() * len(_SUFFIXES))]}"
    number = 100 + int(nxt() * 9800)
    if business:
        line1 = f"{number} {street} Ste {100 + 10 * int(nxt() * 40)}"
    else:
        nxt()
        line1 = f"{number} {street}"
    meter_number = f"{tail:09d}{_MAKERS[tail % 3]}"

    installed = date(2009, 6, 1) + timedelta(
        days=int(nxt() * 2770)
    )  # AMS deployment, mid-2009 to end of 2016
    if install_before is not None and installed >= install_before:
        installed = install_before - timedelta(days=30 + int(nxt() * 3000))
    else:
        nxt()
    register = int(nxt() * 120_000)
    han = nxt() < 0.85
    cycle = 1 + int(nxt() * 28)

    def between(lo: float, hi: float) -> float:
        return lo + (hi - lo) * nxt()

    electric_heat = nxt() < 0.55
    if business:
        scale = float(np.exp(between(np.log(1.0), np.log(12.0))))  # small shop .. mid-size office
        profile = LoadProfile(
            base_kw=scale * between(0.6, 1.2),
            cool_balance_f=between(62, 70),
            cool_kw_per_f=scale * between(0.15, 0.35),
            cool_cap_kw=scale * between(4, 8),
            heat_balance_f=between(48, 58),
            heat_kw_per_f=scale * (between(0.08, 0.2) if electric_heat else between(0.01, 0.03)),
            heat_cap_kw=scale * between(3, 6),
            morning_hour=0,
            morning_width_h=1,
            morning_kw=0,
            evening_hour=0,
            evening_width_h=1,
            evening_kw=0,
            daytime_kw=0,
            open_hour=between(6.5, 9.5),
            close_hour=between(17, 21),
            open_kw=scale * between(1.5, 3.5),
            weekend_factor=0.1 if nxt() < 0.4 else between(0.4, 0.9),
            pool_kw=0,
            ev_kw=0,
            ev_night_prob=0,
            spike_prob=between(0.01, 0.04),
            spike_kw=scale * between(0.5, 1.5),
            noise_cv=between(0.15, 0.30),
            solar_kw=scale * between(3, 8),
            solar_rank=nxt(),
        )
    else:
        size = between(0.7, 1.5)  # house size and household habits
        pool = nxt() < 0.2
        ev = nxt() < 0.08
        pool_kw = between(0.9, 1.6)
        ev_kw = between(3.3, 7.2)
        profile = LoadProfile(
            base_kw=size * between(0.2, 0.45),
            cool_balance_f=between(66, 76),
            cool_kw_per_f=size * between(0.07, 0.16),
            cool_cap_kw=size * between(3.0, 5.0),
            heat_balance_f=between(50, 62),
            heat_kw_per_f=size * (between(0.1, 0.24) if electric_heat else between(0.01, 0.03)),
            heat_cap_kw=size * between(6, 12),
            morning_hour=between(6.0, 7.5),
            morning_width_h=between(0.7, 1.3),
            morning_kw=size * between(0.3, 1.0),
            evening_hour=between(18.0, 20.5),
            evening_width_h=between(1.5, 2.5),
            evening_kw=size * between(0.6, 1.8),
            daytime_kw=size * between(0.05, 0.35),
            open_hour=0,
            close_hour=0,
            open_kw=0,
            weekend_factor=1,
            pool_kw=pool_kw if pool else 0.0,
            ev_kw=ev_kw if ev else 0.0,
            ev_night_prob=between(0.3, 0.8),
            spike_prob=between(0.02, 0.06),
            spike_kw=size * between(0.8, 2.5),
            noise_cv=between(0.15, 0.35),
            solar_kw=between(4, 11),
            solar_rank=nxt(),
        )
    return SynthPremise(
        index=index,
        esiid=esiid,
        tdu_duns=tdu.duns,
        tdu_key=tdu.key,
        kind="business" if business else "residential",
        address_line1=line1,
        city=city,
        state="TX",
        zip_code=zip_code,
        meter_number=meter_number,
        meter_installed_on=installed,
        starting_register_kwh=register,
        han_capable=han,
        read_cycle_day=cycle,
        profile=profile,
    )


def synth_premises(meters: int, seed: int, *, install_before: date | None = None) -> list[SynthPremise]:
    """``meters`` synthetic premises (one meter each), spread over the five TDUs like the Texas market.

    Meters are installed between mid-2009 and 2016; pass ``install_before`` (the first day you will generate)
    to make sure every meter was installed before it.
    """
    if meters < 0:
        raise ValueError("meters must not be negative")
    offset = _tail_offset(seed)
    return [_premise(i, seed, offset, install_before) for i in range(meters)]


def unknown_esiid(tdu: TduInfo, number: int) -> str:
    """An ESI ID with ``tdu``'s prefix that ``synth_premises`` never produces (tail starts with 9)."""
    return esiid_for(tdu, tdu.esiid_prefixes[0], number, lead="9")
