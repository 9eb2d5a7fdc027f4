"""On-demand meter reads: pending -> completed/failed, the register value, limits, expiry and access."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from portal.models import MeterReadRequest
from portal.reads.services import read_limits, read_request_create
from tests.helpers.portal_usage import ESI_HOME, consumption_wh, make_customer
from usage import timegrid
from usage.headend import ReadOrder, simulated_meter

pytestmark = pytest.mark.django_db

READS = f"/premises/{ESI_HOME}/reads/"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _reliable_meter(settings):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    settings.ON_DEMAND_READS_PER_HOUR = 2
    settings.ON_DEMAND_READS_PER_DAY = 24


def stored_consumption_kwh(first, last) -> Decimal:
    total, d = 0, first
    while d <= last:
        total += sum(consumption_wh(d, s) for s in range(timegrid.slots_in_day(d)))
        d += timedelta(days=1)
    return Decimal(total) / 1000


def test_a_read_completes_with_the_register_value(
    client, customer, home, today, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(READS, **JSON)
    assert resp.status_code == 202
    body = resp.json()
    assert body["status"] in ("pending", "completed")
    status = client.get(body["status_url"], **JSON).json()
    assert status["status"] == "completed"
    read = MeterReadRequest.objects.get()
    assert read.requested_by == customer and read.adapter == "simulator"
    # starting register + everything stored + a plausible share of the time since the last stored interval
    floor = Decimal(1000) + stored_consumption_kwh(today - timedelta(days=400), today - timedelta(days=1))
    since_hours = (
        timezone.now() - timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    ).total_seconds() / 3600
    assert floor <= read.register_kwh <= floor + Decimal(2.5 * max(since_hours, 0.25))
    assert status["register_kwh"] == f"{read.register_kwh:.3f}"
    assert "CST" in status["read_at_text"] or "CDT" in status["read_at_text"]


def test_simulator_answers_through_a_task_with_a_countdown_not_a_sleep(
    customer, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_DELAY_SECONDS = 5
    with (
        mock.patch("usage.headend.tasks.simulated_meter_answer.apply_async") as apply_async,
        mock.patch("time.sleep") as sleep,
        django_capture_on_commit_callbacks(execute=True),
    ):
        read = read_request_create(user=customer, premise=home)
    meter = home.meters.get()
    apply_async.assert_called_once_with(
        args=[read.pk, meter.pk, home.pk, read.requested_at.isoformat()], countdown=5
    )  # no previous reading yet: the order carries none
    sleep.assert_not_called()
    assert MeterReadRequest.objects.get().status == "pending"


def test_the_meter_fails_now_and_then_with_a_reason(
    client, customer, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 1.0
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(READS, **JSON).json()
    status = client.get(body["status_url"], **JSON).json()
    assert status["status"] == "failed"
    assert status["failure_message"].startswith("The ")
    assert "try again" in status["failure_message"].lower()
    # a failed read does not use up the customer's reads
    assert read_limits(premise=home).used_hour == 0


def test_simulator_failure_rate_is_about_what_the_setting_says(customer, home, settings):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.25
    rng = random.Random(42)
    failed = 0
    for _ in range(200):
        read = MeterReadRequest.objects.create(premise=home, meter=home.meters.first())
        order = ReadOrder(
            request_id=read.pk, meter_id=read.meter_id, premise_id=home.pk, requested_at=read.requested_at
        )
        simulated_meter.answer(order, rng=rng)
        read.refresh_from_db()
        failed += read.status == "failed"
    assert 30 <= failed <= 70


def test_limits_per_hour_are_shown_before_and_explained_after(
    client, customer, home, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    page = client.get(f"/premises/{ESI_HOME}/usage/").content.decode()
    assert "2 reads an hour and 24 a day" in page and "2 left this hour" in page
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(READS, **JSON).status_code == 202
    resp = client.post(READS, **JSON)
    assert resp.status_code == 429
    assert 0 < int(resp["Retry-After"]) <= 3600
    assert "2 reads an hour" in resp.json()["message"]
    assert "You can ask again at" in resp.json()["message"]
    assert MeterReadRequest.objects.exclude(status="refused").count() == 2
    refused = MeterReadRequest.objects.get(status="refused")  # the refusal is one record like any other
    assert refused.requested_by == customer and "You can ask again at" in refused.failure_message
    # without JavaScript: a page with the same explanation and status
    resp = client.post(READS)
    assert resp.status_code == 429
    assert "You can ask again at" in resp.content.decode()
    page = client.get(f"/premises/{ESI_HOME}/usage/").content.decode()
    assert "disabled" in page


def test_limit_per_day_counts_a_rolling_24_hours(customer, home, settings):
    settings.ON_DEMAND_READS_PER_HOUR = 100
    settings.ON_DEMAND_READS_PER_DAY = 3
    now = timezone.now()
    for hours in (23, 5, 1):
        MeterReadRequest.objects.create(
            premise=home, requested_at=now - timedelta(hours=hours), status="completed"
        )
    limits = read_limits(premise=home, now=now)
    assert not limits.allowed
    assert limits.next_allowed_at == now - timedelta(hours=23) + timedelta(days=1)
    assert "3 reads in 24 hours" in limits.explain()
    assert read_limits(premise=home, now=now + timedelta(hours=1, seconds=1)).allowed


def test_the_limit_is_per_premise_not_per_household_member(client, home, django_capture_on_commit_callbacks):
    a, b = make_customer("dana", home.period), make_customer("sam", home.period)
    for user in (a, b):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(READS, **JSON).status_code == 202
    client.force_login(a)
    assert client.post(READS, **JSON).status_code == 429


def test_unanswered_reads_expire_with_a_message(client, customer, home, settings):
    settings.ON_DEMAND_READ_TIMEOUT_SECONDS = 120
    read = MeterReadRequest.objects.create(
        premise=home, requested_by=customer, requested_at=timezone.now() - timedelta(minutes=5)
    )
    client.force_login(customer)
    status = client.get(f"{READS}{read.pk}/", **JSON).json()
    assert status["status"] == "failed"
    assert "did not answer within 2 minutes" in status["failure_message"]


def test_history_lists_reads_and_pending_ones_carry_a_status_url(client, customer, home):
    MeterReadRequest.objects.create(premise=home, requested_by=customer)
    MeterReadRequest.objects.create(
        premise=home, status="completed", register_kwh=Decimal("12345.678"), read_at=timezone.now()
    )
    client.force_login(customer)
    html = client.get(READS).content.decode()
    assert "12,345.678 kWh" in html  # grouped, as the live status says it
    assert "Waiting for the meter" in html
    assert "data-status-url=" in html
    assert 'src="/static/js/read.js"' in html


def test_without_javascript_the_form_posts_and_comes_back(
    client, customer, home, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(READS)
    assert resp.status_code == 302 and resp["Location"] == READS
    assert "kWh" in client.get(READS).content.decode()


def test_a_former_occupant_sees_no_reads_after_moving_out(client, home, rep, today):
    from portal.services import service_period_move_in, service_period_move_out

    maria = make_customer("maria", home.period)
    move = today - timedelta(days=10)
    MeterReadRequest.objects.create(
        premise=home,
        requested_at=timezone.now() - timedelta(days=20),
        status="completed",
        register_kwh=Decimal("111.111"),
        read_at=timezone.now() - timedelta(days=20),
    )
    service_period_move_out(premise=home, ends_on=move)
    nina = make_customer("nina", service_period_move_in(premise=home, rep=rep, starts_on=move))
    later = MeterReadRequest.objects.create(
        premise=home,
        requested_by=nina,
        status="completed",
        register_kwh=Decimal("999.999"),
        read_at=timezone.now(),
    )
    client.force_login(maria)
    page = client.get(f"/premises/{ESI_HOME}/usage/?preset=window").content.decode()
    assert "999.999" not in page
    assert client.get(f"{READS}{later.pk}/", **JSON).status_code == 404
    client.force_login(nina)
    page = client.get(READS).content.decode()
    assert "999.999" in page and "111.111" not in page


def test_a_register_reading_never_goes_down_and_says_what_it_means(
    client, customer, home, settings, django_capture_on_commit_callbacks
):
    """Two reads a second apart: the second is never lower, has its own later read time, and tells the kWh
    since the first; each says about how much was used since midnight."""
    settings.ON_DEMAND_READS_PER_HOUR = 10
    client.force_login(customer)
    bodies = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            body = client.post(READS, **JSON).json()
        bodies.append(client.get(body["status_url"], **JSON).json())
    first, second, third = (MeterReadRequest.objects.get(pk=b["id"]) for b in bodies)
    assert all(r.status == "completed" for r in (first, second, third))
    assert first.register_kwh <= second.register_kwh <= third.register_kwh
    assert first.read_at < second.read_at < third.read_at
    assert first.since_last_kwh is None
    assert second.since_last_kwh == second.register_kwh - first.register_kwh
    assert "kWh since your last read" in bodies[1]["meaning"]
    assert first.since_midnight_kwh is not None and first.since_midnight_kwh >= 0
    assert "about" in bodies[0]["meaning"] and "since midnight" in bodies[0]["meaning"]
    history = client.get(READS).content.decode()
    assert "since your last read" in history


def test_the_simulated_register_is_bounded_by_the_previous_reading(customer, home):
    """Stored data alone could put the register below an earlier answer; the previous reading bounds it."""
    meter = home.meters.get()
    now = timezone.now()
    high = Decimal("999999.000")
    order = ReadOrder(
        request_id=1,
        meter_id=meter.pk,
        premise_id=home.pk,
        requested_at=now,
        last_register_kwh=high,
        last_read_at=now - timedelta(seconds=1),
    )
    assert simulated_meter.simulated_register(meter=meter, order=order, now=now) >= high


def test_a_refused_read_does_not_count_against_the_limit(customer, home, settings):
    from portal.reads.services import ReadLimitReached

    settings.ON_DEMAND_READS_PER_HOUR = 1
    read_request_create(user=customer, premise=home)
    with pytest.raises(ReadLimitReached) as refused:
        read_request_create(user=customer, premise=home)
    assert refused.value.read is not None and refused.value.read.status == "refused"
    assert read_limits(premise=home).used_hour == 1
