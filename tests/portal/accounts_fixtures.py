"""Fixtures and helpers of the accounts and registration tests. The fixtures are registered by
``tests/portal/conftest.py``, which also registers the ``rep`` fixture (``tests/helpers/portal_usage.py``)
that ``period`` uses; the functions and constants are imported by name."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail

from portal.access_window import market_today
from portal.models import PremiseRegistration
from portal.services import service_period_move_in
from tests.helpers.portal_usage import PASSWORD
from usage.models import Meter
from usage.services import premise_create, tdus_ensure

LINK = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """``send(method, url, data)``: a request whose on-commit work (e-mails) runs before it returns."""

    def _send(method, url, data=None, client_=None, **extra):
        c = client_ or client
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(c, method)(url, data or {}, **extra)

    return _send


def _premise(esiid, address):
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    p = premise_create(tdu=oncor, esiid=esiid, address_line1=address, city="Dallas", zip_code="75201")
    Meter.objects.create(premise=p, meter_number=f"M{esiid[-6:]}", installed_on=date(2020, 1, 1))
    return p


@pytest.fixture
def premise(db):
    return _premise("10443720000000001", "1 Oak St")


@pytest.fixture
def another_premise(db):
    return _premise("10443720000000002", "2 Elm St")


@pytest.fixture
def period(premise, rep):
    """Maria's occupancy: since long before the access window, still open."""
    return service_period_move_in(premise=premise, rep=rep, starts_on=market_today() - timedelta(days=1000))


def esiid_code(period):
    return period.premise.esiid, period.registration_code


def signup_data(period, **overrides):
    esiid, code = esiid_code(period)
    data = {
        "esiid": f"{esiid[:4]} {esiid[4:10]}-{esiid[10:]}",  # as people type it
        "registration_code": code.lower(),
        "username": "maria",
        "email": "maria@example.com",
        "password1": PASSWORD,
    }
    data.update(overrides)
    return data


def links_in(message) -> list[str]:
    bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    return [link.rstrip(".,)") for body in bodies for link in LINK.findall(body)]


def mail_code(message) -> str:
    match = re.search(r"^\s{4}(\S+)\s*$", message.body, re.M)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def signed_up(send, period):
    """A confirmed, signed-in account "maria" registered for ``period``."""
    send("post", "/accounts/signup/", signup_data(period))
    code = mail_code(mail.outbox[-1])
    send("post", "/accounts/confirm-email/", {"code": code})
    reg = PremiseRegistration.objects.get(user__username="maria")
    mail.outbox.clear()
    return reg.user
