"""The demo customers, their logins, and which synthetic premises they occupy.

Everything here is demo data, documented in docs/registry.md and printed by ``manage.py demo_logins``: the
passphrases are public, so never load the demo data into a site that real people use.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from demo.reps import DEMO_REPS
from portal.models import AlertSubscription, PremiseRegistration, Rep, ServicePeriod
from portal.services import service_period_move_in, service_period_move_out
from usage.models import Premise

SITE = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    name: str
    email: str
    who: str  # what this login shows off
    is_superuser: bool = False


DEMO = DemoLogin(
    "demo", "correct horse battery staple", "Dana Rivera", "dana.rivera@example.com",
    "resident: a home in Oncor's area with rooftop solar, REP Reliant",
)  # fmt: skip
HOUSEHOLD = DemoLogin(
    "demo-household", "pecan-pie-and-kilowatts", "Sam Rivera", "dana.rivera@example.com",
    "second member of the same household (same premise; shares Dana's e-mail address)",
)  # fmt: skip
FORMER = DemoLogin(
    "former", "moving-boxes-in-houston", "Chris Okafor", "chris.okafor@example.com",
    "former occupant of a home in CenterPoint's area (22-digit ESI ID): moved out mid-year",
)  # fmt: skip
BUSINESS = DemoLogin(
    "business", "lone-star-bakery-ovens", "Lone Star Bakery LLC", "accounts@lonestarbakery.example.com",
    "business customer with several premises",
)  # fmt: skip
DEVELOPER = DemoLogin(
    "developer", "watt-happens-in-austin", "Priya Shah", "priya@wattwise.example.com",
    "member of the approved third party WattWise Energy Insights (developer pages, OAuth app)",
)  # fmt: skip
ADMIN = DemoLogin(
    "admin", "correct horse battery staple", "Site Administrator", "admin@example.com",
    "superuser: Django admin at /admin/",
    is_superuser=True,
)  # fmt: skip

DEMO_LOGINS: tuple[DemoLogin, ...] = (DEMO, HOUSEHOLD, FORMER, BUSINESS, DEVELOPER, ADMIN)

NEWCOMER_NAME = "Jordan Nguyen"  # moved into the former occupant's home mid-year; no account: try the sign-up
BUSINESS_PREMISES = 3
DEMO_ALERT_THRESHOLD_KWH = Decimal("45")

# Occupant names for the other premises (the name on the REP's account, as printed on the bill).
_FIRST = ("Alex", "Maria", "James", "Linda", "Carlos", "Emily", "Michael", "Sofia", "David", "Grace", "Luis",
          "Hannah", "Robert", "Ana", "Daniel", "Olivia", "Jose", "Mia", "William", "Rosa")  # fmt: skip
_LAST = ("Garcia", "Smith", "Martinez", "Johnson", "Hernandez", "Brown", "Lopez", "Williams", "Gonzalez",
         "Davis", "Perez", "Miller", "Sanchez", "Wilson", "Ramirez", "Moore", "Torres", "Taylor", "Flores",
         "Anderson")  # fmt: skip
_BUSINESS_WORDS = ("Bluebonnet", "Alamo", "Brazos", "Pecan", "Lone Star", "Gulf Coast", "Prairie", "Mesquite")
_BUSINESS_KINDS = ("Dental", "Auto Repair", "Cafe", "Hardware", "Insurance Agency", "Fitness", "Print Shop")


@dataclass
class DemoPlan:
    """Which premises the demo customers occupy (ESI IDs), chosen deterministically from the synthetic ones."""

    home: str
    moved: str
    business: list[str]


def demo_plan(premises: Sequence, *, solar_share: float = 0.1) -> DemoPlan:
    """Pick the demo premises from synthetic premises (objects with esiid, tdu_key, kind, has_solar())."""
    used: set[str] = set()

    def pick(*tests) -> str:
        for test in tests:
            for p in premises:
                if p.esiid not in used and test(p):
                    used.add(p.esiid)
                    return p.esiid
        raise ValueError("seed_demo needs at least 5 premises")

    home = pick(
        lambda p: p.tdu_key == "oncor" and p.kind == "residential" and p.has_solar(solar_share),
        lambda p: p.tdu_key == "oncor" and p.kind == "residential",
        lambda p: p.kind == "residential",
        lambda p: True,
    )
    moved = pick(
        lambda p: p.tdu_key == "centerpoint" and p.kind == "residential",
        lambda p: p.kind == "residential",
        lambda p: True,
    )
    business = [pick(lambda p: p.kind == "business", lambda p: True) for _ in range(BUSINESS_PREMISES)]
    return DemoPlan(home=home, moved=moved, business=business)


def _occupant_name(rng: random.Random, kind: str) -> str:
    if kind == Premise.Kind.BUSINESS:
        return f"{rng.choice(_BUSINESS_WORDS)} {rng.choice(_BUSINESS_KINDS)} LLC"
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _move_in_date(rng: random.Random, premise: Premise, installed_on: date | None, before: date) -> date:
    """A move-in after the meter was installed and at least a month before ``before``."""
    earliest = max(date(2012, 1, 1), (installed_on or date(2012, 1, 1)) + timedelta(days=1))
    latest = before - timedelta(days=30)
    if latest <= earliest:
        return latest
    return earliest + timedelta(days=rng.randrange((latest - earliest).days))


@transaction.atomic
def service_periods_ensure(
    *, plan: DemoPlan, reps: dict[str, Rep], data_start: date, data_end: date, seed: int = 0
) -> dict[str, int]:
    """Give every premise without any service period an occupant and a REP of record (idempotent).

    The demo premises get their story: the Riveras at ``plan.home`` with Reliant; Chris Okafor at ``plan.moved``
    until the middle of the data range, then (three days later) Jordan Nguyen; the bakery's premises.
    """

    weights = [spec.share for spec in DEMO_REPS]
    rep_list = [reps[spec.legal_name] for spec in DEMO_REPS]
    reliant = reps["Reliant Energy Retail Services LLC"]
    txu = reps["TXU Energy Retail Company LLC"]
    cirro = reps["US Retailers LLC"]
    champion = reps["Champion Energy Services LLC"]
    move_out = data_start + timedelta(days=max(1, (data_end - data_start).days // 2))

    counts = {"periods": 0, "premises": 0}
    premises = list(
        Premise.objects.exclude(pk__in=ServicePeriod.objects.values("premise_id")).order_by("esiid")
    )
    installed = dict(
        Premise.objects.filter(meters__isnull=False).values_list("pk", "meters__installed_on").order_by("pk")
    )
    for premise in premises:
        own_rng = random.Random(f"{seed}:{premise.esiid}")  # same story for a premise whatever else exists
        rep = own_rng.choices(rep_list, weights)[0]
        name = _occupant_name(own_rng, premise.kind)
        starts_on = _move_in_date(own_rng, premise, installed.get(premise.pk), data_start)
        if premise.esiid == plan.home:
            service_period_move_in(premise=premise, rep=reliant, starts_on=starts_on, occupant_name=DEMO.name)
            counts["periods"] += 1
        elif premise.esiid == plan.moved:
            service_period_move_in(premise=premise, rep=txu, starts_on=starts_on, occupant_name=FORMER.name)
            service_period_move_out(premise=premise, ends_on=move_out)
            service_period_move_in(
                premise=premise,
                rep=cirro,
                starts_on=move_out + timedelta(days=3),
                occupant_name=NEWCOMER_NAME,
            )
            counts["periods"] += 2
        elif premise.esiid in plan.business:
            service_period_move_in(
                premise=premise, rep=champion, starts_on=starts_on, occupant_name=BUSINESS.name
            )
            counts["periods"] += 1
        else:
            service_period_move_in(premise=premise, rep=rep, starts_on=starts_on, occupant_name=name)
            counts["periods"] += 1
        counts["premises"] += 1
    return counts


def _user_ensure(login: DemoLogin):
    """The demo user with a verified, primary e-mail address (allauth); the password is set when created."""

    User = get_user_model()
    first, _, last = login.name.partition(" ")
    user, created = User.objects.get_or_create(
        username=login.username,
        defaults={
            "email": login.email,
            "first_name": first if login.username != BUSINESS.username else login.name,
            "last_name": last if login.username != BUSINESS.username else "",
            "is_staff": login.is_superuser,
            "is_superuser": login.is_superuser,
        },
    )
    if created:
        user.set_password(login.password)
        user.save(update_fields=["password"])
    EmailAddress.objects.filter(user=user).exclude(email__iexact=login.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=login.email, defaults={"verified": True, "primary": True}
    )
    return user, created


def demo_registrations_ensure(*, user, periods: Sequence[ServicePeriod]) -> int:
    """Register ``user`` for ``periods`` (PremiseRegistration rows, source "admin"); returns how many were new."""

    new = 0
    for period in periods:
        _, created = PremiseRegistration.objects.get_or_create(
            user=user, period=period, defaults={"source": PremiseRegistration.Source.ADMIN}
        )
        new += created
    return new


@transaction.atomic
def demo_customers_ensure(*, plan: DemoPlan) -> dict[str, int]:
    """The demo logins, their verified e-mail addresses and their premise registrations (idempotent)."""
    users = {}
    created = 0
    for login in DEMO_LOGINS:
        users[login.username], was_created = _user_ensure(login)
        created += was_created

    def periods(esiid: str, occupant: str) -> list[ServicePeriod]:
        return list(ServicePeriod.objects.filter(premise__esiid=esiid, occupant_name=occupant))

    registered = 0
    home = periods(plan.home, DEMO.name)
    registered += demo_registrations_ensure(user=users[DEMO.username], periods=home)
    registered += demo_registrations_ensure(user=users[HOUSEHOLD.username], periods=home)
    registered += demo_registrations_ensure(
        user=users[FORMER.username], periods=periods(plan.moved, FORMER.name)
    )
    for esiid in plan.business:
        registered += demo_registrations_ensure(
            user=users[BUSINESS.username], periods=periods(esiid, BUSINESS.name)
        )
    if home:  # Dana's e-mail alerts (portal.alerts): a daily threshold and completed meter reads
        AlertSubscription.objects.get_or_create(
            user=users[DEMO.username],
            premise=home[0].premise,
            defaults={"threshold_kwh": DEMO_ALERT_THRESHOLD_KWH, "on_read_completed": True},
        )
    return {"users": created, "registrations": registered}
