"""History shown = history shared: the consent page offers, and the agreement card shows, history only from
the later of the access window's start and the customer's move-in. Agreement ends keep their wall-clock time
across DST."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.access_window import market_today, window_start
from thirdparty.models import Agreement
from thirdparty.services.agreements import add_months
from usage.timegrid import MARKET_TZ

from .consent_fixtures import _occupy, _premise, consent_approve, consent_get, pkce

pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_mover(alice, rep):
    """Alice moved in 200 days ago: inside the 24-month window, so her move-in bounds what she can share."""
    p = _premise("10443720000000009", "9 New St")
    _occupy(alice, p, rep, market_today() - timedelta(days=200))
    return p


def test_consent_offers_no_history_from_before_the_move_in(client, alice, recent_mover, app):
    client.force_login(alice)
    _, challenge = pkce()
    move_in = market_today() - timedelta(days=200)
    page = consent_get(client, app, challenge, history_months="24")
    assert page.status_code == 200
    choices = [date for date, _label in page.context["form"].fields["history_start"].choices]
    assert min(choices) == move_in.isoformat()
    assert window_start(market_today()).isoformat() not in choices
    assert page.context["form"]["history_start"].value() == move_in.isoformat()
    html = page.content.decode()
    assert f"From {move_in:%b} {move_in.day}, {move_in.year} (your move-in" in html


def test_the_agreement_card_shows_history_from_the_move_in(client, alice, recent_mover, app):
    client.force_login(alice)
    _, challenge = pkce()
    page = consent_get(client, app, challenge, esiid=recent_mover.esiid)
    consent_approve(client, page)
    assert Agreement.objects.get().history_start <= move_in_date(alice)
    html = client.get("/accounts/apps/").content.decode()
    move_in = market_today() - timedelta(days=200)
    assert f"data from {move_in:%b} {move_in.day}, {move_in.year}" in html
    earlier = window_start(market_today())
    assert f"data from {earlier:%b} {earlier.day}, {earlier.year}" not in html


def move_in_date(user):
    return user.premise_registrations.get().period.starts_on


@pytest.mark.parametrize(
    ("approved", "months"),
    [(datetime(2026, 7, 10, 19, 5, tzinfo=UTC), 6), (datetime(2026, 1, 10, 20, 5, tzinfo=UTC), 6)],
    ids=["cdt-to-cst", "cst-to-cdt"],
)
def test_an_agreement_ends_at_the_same_wall_clock_time_across_dst(approved, months):
    end = add_months(approved, months)
    start_local, end_local = approved.astimezone(MARKET_TZ), end.astimezone(MARKET_TZ)
    assert (end_local.hour, end_local.minute) == (start_local.hour, start_local.minute)
    assert end_local.tzname() != start_local.tzname()
    assert end_local.day == start_local.day
