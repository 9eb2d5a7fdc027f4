"""The unmodified ``smart-meter-texas==0.5.6`` client (Home Assistant's integration) against a live TLS server
of this app: the two endpoint names patched, a test CA passed as its ``ssl_context`` (docs/smt-compatibility.md).
Every value it reads is checked against /api/v1/ JSON for the same day."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
import smart_meter_texas as smt
from allauth.mfa.models import Authenticator
from django.core.wsgi import get_wsgi_application

from api.smtcompat.rd import rd_string, smt_slot
from portal.accounts.tokens import compat_sessions_revoke, credential_create
from portal.models import MeterReadRequest, PersonalCredential
from portal.reads.services import read_request_create
from portal.services import service_period_move_out
from tests.helpers.portal_usage import ESI_HOME, PASSWORD
from tests.helpers.tls_server import tls_server
from usage import timegrid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Counting:
    """The WSGI app, counting the requests per path (to prove the client does not spin)."""

    def __init__(self, app):
        self.app, self.paths = app, []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        return self.app(environ, start_response)


@pytest.fixture
def server(settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    settings.ON_DEMAND_READS_PER_HOUR = 2
    settings.ON_DEMAND_READS_PER_DAY = 24
    app = Counting(get_wsgi_application())
    with tls_server(app) as (base, ssl_context):
        monkeypatch.setattr(smt, "AUTH_ENDPOINT", base + "commonapi/user/authenticate")
        monkeypatch.setattr(smt, "BASE_ENDPOINT", base + "api")
        monkeypatch.setattr(smt, "OD_READ_RETRY_TIME", 0)  # the client's 15 s between polls, not waited here
        app.ssl_context = ssl_context
        yield app


def run(server, username: str, password: str, steps):
    """Sign in as Home Assistant does and run ``steps(client, account)``."""

    async def main():
        async with aiohttp.ClientSession() as session:
            account = smt.Account(username, password)
            client = smt.Client(session, account, server.ssl_context)
            await client.authenticate()
            return await steps(client, account)

    return asyncio.run(main())


def last_sunday_of(kind: str, today: date) -> date:
    """The most recent fall-back (first Sunday of November) or spring-forward (second Sunday of March) day."""
    d = today - timedelta(days=1)
    while True:
        n = timegrid.slots_in_day(d)
        if (kind == "fall" and n == 100) or (kind == "spring" and n == 92):
            return d
        d -= timedelta(days=1)


def api_day(client, day: date) -> list[tuple[str, float]]:
    """The day's consumption from /api/v1/ as (the client's "MM/DD/YYYY H:MM" label, kWh)."""
    resp = client.get(f"/api/v1/premises/{ESI_HOME}/intervals/?start={day}&end={day}")
    assert resp.status_code == 200, resp.content
    block = resp.json()["days"][0]
    start = datetime.fromisoformat(block["start"])
    out = []
    for i, kwh in enumerate(block["consumption"]["kwh"]):
        at = (start + timedelta(seconds=i * block["interval_seconds"])).astimezone(timegrid.MARKET_TZ)
        out.append((f"{day:%m/%d/%Y} {at.hour}:{at.minute:02d}", kwh))
    return out


def test_home_assistant_reads_meters_a_fresh_reading_and_each_day_like_the_api(
    server, client, customer, home, today
):
    fall, spring = last_sunday_of("fall", today), last_sunday_of("spring", today)
    yesterday = today - timedelta(days=1)

    async def steps(c, account):
        meters = await account.fetch_meters(c)
        assert [(m.esiid, m.meter) for m in meters] == [(ESI_HOME, f"M{ESI_HOME[-6:]}")]
        meter = meters[0]
        await meter.read_meter(c)
        days = {}
        for day in (yesterday, fall, spring):
            await meter.get_15min(c, prevdays=(date.today() - day).days)  # noqa: DTZ011 - the client's own clock
            days[day] = (meter.read_15min_consumption, meter.read_15min)
        return meter, days

    meter, days = run(server, customer.username, PASSWORD, steps)

    read = MeterReadRequest.objects.get(status=MeterReadRequest.Status.COMPLETED)
    assert Decimal(str(meter.reading)) == read.register_kwh
    assert meter.reading_datetime == read.read_at.replace(microsecond=0)
    client.force_login(customer)
    for day, (consumption, generation) in days.items():
        expected = api_day(client, day)
        assert [(label, float(kwh)) for label, kwh in consumption] == expected, day
        assert generation == []  # no solar on this home
    assert len(days[fall][0]) == 100 and len(days[spring][0]) == 92
    assert [label for label, _ in days[fall][0][4:12]] == [
        f"{fall:%m/%d/%Y} 1:{m:02d}" for m in (0, 15, 30, 45)
    ] * 2


def test_the_client_sends_browser_headers_and_no_csrf_token_and_is_served(server, customer):
    async def steps(c, account):
        return await account.fetch_meters(c)

    assert len(run(server, customer.username, PASSWORD, steps)) == 1
    assert server.paths[:2] == ["/commonapi/user/authenticate", "/api/meter"]


def test_a_wrong_password_is_the_clients_invalid_auth(server, customer):
    with pytest.raises(smt.SmartMeterTexasAuthError):
        run(server, customer.username, "not the password", lambda c, a: asyncio.sleep(0))


def test_a_sign_in_lockout_is_the_clients_rate_limit_error(server, customer):
    for _ in range(5):  # ACCOUNT_RATE_LIMITS login_failed: 5 per 5 minutes per account
        with pytest.raises(smt.SmartMeterTexasAuthError):
            run(server, customer.username, "not the password", lambda c, a: asyncio.sleep(0))
    with pytest.raises(smt.SmartMeterTexasRateLimitError):
        run(server, customer.username, PASSWORD, lambda c, a: asyncio.sleep(0))


def test_a_refused_read_stops_the_client_at_its_next_poll(server, settings, customer, home):
    settings.ON_DEMAND_READS_PER_HOUR = 1
    read_request_create(user=customer, premise=home)  # the hour's one read, already used

    async def steps(c, account):
        meter = (await account.fetch_meters(c))[0]
        await meter.read_meter(c)

    with pytest.raises(smt.SmartMeterTexasAPIError, match="LIMIT_REACHED"):
        run(server, customer.username, PASSWORD, steps)
    assert server.paths.count("/api/usage/latestodrread") == 2  # before asking, and the one poll after
    assert MeterReadRequest.objects.filter(status=MeterReadRequest.Status.REFUSED).count() == 1


def test_a_revoked_token_stops_the_client_within_a_few_requests(server, customer):
    async def steps(c, account):
        await account.fetch_meters(c)
        await asyncio.to_thread(compat_sessions_revoke, user=customer)
        await account.fetch_meters(c)

    with pytest.raises((KeyError, smt.SmartMeterTexasAPIError)):
        run(server, customer.username, PASSWORD, steps)
    assert server.paths.count("/api/meter") <= 1 + 4  # three 401s, then a 403 ends it


def test_a_former_occupant_sees_no_meter_after_moving_out(server, customer, home, today):
    service_period_move_out(premise=home, ends_on=today - timedelta(days=1))

    async def steps(c, account):
        return await account.fetch_meters(c)

    assert run(server, customer.username, PASSWORD, steps) == []


def test_with_two_factor_only_an_app_password_signs_in(server, customer):
    Authenticator.objects.create(user=customer, type=Authenticator.Type.TOTP, data={})
    with pytest.raises(smt.SmartMeterTexasAuthError):
        run(server, customer.username, PASSWORD, lambda c, a: asyncio.sleep(0))
    row, secret = credential_create(
        user=customer, kind=PersonalCredential.Kind.APP_PASSWORD, name="Home Assistant"
    )

    async def steps(c, account):
        return await account.fetch_meters(c)

    assert len(run(server, customer.username, secret, steps)) == 1
    row.refresh_from_db()
    assert row.last_used_at is not None and row.secret_hash != secret and secret not in str(row.__dict__)


# the 100-slot day, without a server -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "blank"),
    [(96, set(range(8, 12))), (100, set()), (92, set(range(8, 16)))],
)
def test_rd_puts_each_interval_in_its_smt_slot(n, blank):
    rd = rd_string([0.1] * n, [i == 0 for i in range(n)]).split(",")
    assert len(rd) == 100
    assert {i for i, v in enumerate(rd) if not v} == blank
    assert rd[0] == "0.100-E" and rd[1] == "0.100-A"
    assert smt_slot(n - 1, n) == 99
