"""Premises, occupancies, accounts and interval data loaded through the real ingest path (TDU files ->
usage.ingest.loader), for the portal and browser tests. The fixtures are registered by ``tests/portal/conftest.py``
and ``tests/browser/conftest.py``; the functions and constants are imported by name.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from portal.access_window import market_today
from portal.models import PremiseRegistration, User
from portal.services import rep_create, service_period_move_in
from tests.helpers.ingest import HEADER, ONCOR_DUNS
from usage import timegrid
from usage.ingest.loader import ingest_file
from usage.models import Meter
from usage.services import premise_create, tdus_ensure

PASSWORD = "correct horse battery staple"
ESI_HOME = "10443720000000101"
ESI_OTHER = "10443720000000102"
ESI_SOLAR = "10443720000000103"


def consumption_wh(day: date, slot: int) -> int:
    """A deterministic, realistic-looking 15-minute load in Wh (evening peak, night base)."""
    hour = slot // 4
    base = 120 + (day.toordinal() % 11) * 7
    evening = 480 if 17 <= hour <= 21 else 0
    morning = 220 if 6 <= hour <= 8 else 0
    return base + evening + morning + (slot * 37 + day.toordinal()) % 60


def generation_wh(day: date, slot: int) -> int:
    hour = slot // 4
    return 0 if not 10 <= hour <= 15 else 300 + (slot * 13 + day.toordinal()) % 90


def estimated_day(day: date) -> bool:
    return day.toordinal() % 29 == 0


def _rows(esiid: str, day: date, *, solar: bool) -> list[str]:
    rev = (datetime.combine(day + timedelta(days=1), datetime.min.time()) + timedelta(hours=7)).strftime(
        "%m/%d/%Y %H:%M:%S"
    )
    flag = "E" if estimated_day(day) else "A"
    out = []
    for slot in range(timegrid.slots_in_day(day)):
        start, end = timegrid.slot_wallclock(day, slot)
        wh = consumption_wh(day, slot)
        out.append(
            f"{esiid},{day:%m/%d/%Y},{rev},{start},{end},{wh // 1000}.{wh % 1000:03d},{flag},Consumption"
        )
        if solar:
            g = generation_wh(day, slot)
            out.append(
                f"{esiid},{day:%m/%d/%Y},{rev},{start},{end},{g // 1000}.{g % 1000:03d},A,Surplus Generation"
            )
    return out


def load_days(directory: Path, esiid: str, first: date, last: date, *, solar: bool = False) -> None:
    """Write one TDU file with ``first``..``last`` of a premise and load it through the real loader."""
    lines = [HEADER]
    d = first
    while d <= last:
        lines.extend(_rows(esiid, d, solar=solar))
        d += timedelta(days=1)
    path = directory / f"{ONCOR_DUNS}_{last:%Y%m%d}_{esiid[-4:]}{first:%Y%m%d}.csv"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_file(path=path)
    assert report.rejected == 0, report.rejected_by_reason
    assert report.stored > 0


@pytest.fixture
def today():
    return market_today()


@pytest.fixture
def rep(db):
    return rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")


def make_home(esiid: str, address: str):
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    p = premise_create(tdu=oncor, esiid=esiid, address_line1=address, city="Dallas", zip_code="75201")
    Meter.objects.create(
        premise=p, meter_number=f"M{esiid[-6:]}", installed_on=date(2020, 1, 1), starting_register_kwh=1000
    )
    return p


def make_customer(username: str, *periods) -> User:
    user = User.objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)
    for period in periods:
        PremiseRegistration.objects.create(user=user, period=period)
    return user


@pytest.fixture
def home(db, rep, tmp_path, today):
    """A premise with a current occupancy since 500 days ago and 400 days of data up to yesterday."""
    premise = make_home(ESI_HOME, "1 Oak St")
    premise.period = service_period_move_in(premise=premise, rep=rep, starts_on=today - timedelta(days=500))
    load_days(tmp_path, ESI_HOME, today - timedelta(days=400), today - timedelta(days=1))
    return premise


@pytest.fixture
def solar_home(db, rep, tmp_path, today):
    premise = make_home(ESI_SOLAR, "3 Sun Ave")
    premise.period = service_period_move_in(premise=premise, rep=rep, starts_on=today - timedelta(days=120))
    load_days(tmp_path, ESI_SOLAR, today - timedelta(days=60), today - timedelta(days=1), solar=True)
    return premise


@pytest.fixture
def other_home(db, rep):
    premise = make_home(ESI_OTHER, "2 Elm St")
    premise.period = service_period_move_in(premise=premise, rep=rep, starts_on=date(2024, 1, 1))
    return premise


@pytest.fixture
def customer(home):
    return make_customer("maria", home.period)


@pytest.fixture
def other_customer(other_home):
    return make_customer("omar", other_home.period)
