"""E-mail alerts: a day over the threshold, yesterday's data arriving, a completed meter read; each sent once
(not again on a reload, a re-delivery or a retry), only inside the subscriber's window, with RFC 8058
one-click unsubscribe that works without a session or CSRF token and never on GET."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from portal.alerts.tokens import unsubscribe_token
from portal.models import AlertCheck, AlertSent, AlertSubscription, MeterReadRequest
from portal.tasks import alerts_for_file, alerts_for_read, alerts_sweep
from tests.helpers.alert_loads import market_now, subscribe
from tests.helpers.portal_usage import ESI_HOME, ESI_OTHER, make_customer
from usage.models import IngestFile

pytestmark = pytest.mark.django_db

Kind = AlertSubscription.Kind


def alert_mails(kind_word: str) -> list:
    return [m for m in mail.outbox if kind_word in m.subject]


def test_a_day_over_the_threshold_sends_one_email_and_a_reload_sends_none(customer, home, today, load):
    subscribe(customer, home, threshold_kwh=Decimal("40"))
    yesterday = today - timedelta(days=1)
    mail.outbox.clear()
    path, report = load(yesterday, kwh=0.5)  # 96 x 0.5 = 48 kWh
    assert report.stored > 0
    [sent] = alert_mails("threshold")
    assert sent.to == [customer.email]
    assert "48" in sent.subject and "over your daily threshold" in sent.subject
    assert "48 kWh" in sent.body and "40 kWh" in sent.body
    link = re.search(r"http\S+/alerts/unsubscribe/\S+/", sent.body).group(0)
    assert sent.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    _, again = load(yesterday, path=path)  # the same file delivered again
    assert again.status == IngestFile.Status.DUPLICATE
    _, revised = load(yesterday, kwh=0.6, revised=market_now() + timedelta(minutes=5), tag="y")
    assert revised.stored > 0  # a newer revision of the same day: stored, still over, not e-mailed again
    assert len(alert_mails("threshold")) == 1
    assert AlertSent.objects.filter(kind=Kind.THRESHOLD, day=yesterday).count() == 1


def test_a_retried_task_sends_nothing_twice(customer, home, today, load):
    subscribe(customer, home, threshold_kwh=Decimal("40"))
    _, report = load(today - timedelta(days=1))
    mail.outbox.clear()
    assert alerts_for_file(report.pk) == 0
    assert mail.outbox == []


def test_a_day_under_the_threshold_sends_nothing(customer, home, today, load):
    subscribe(customer, home, threshold_kwh=Decimal("50"))
    mail.outbox.clear()
    load(today - timedelta(days=1), kwh=0.5)
    assert alert_mails("threshold") == []


def test_old_days_revised_send_nothing(customer, home, today, load):
    subscribe(customer, home, threshold_kwh=Decimal("1"), on_data_arrived=True)
    mail.outbox.clear()
    load(today - timedelta(days=30), kwh=0.5)
    assert mail.outbox == []


def test_yesterdays_data_alert_is_off_by_default_and_sent_once_when_asked(customer, home, today, load):
    subscribe(customer, home)  # defaults: nothing
    mail.outbox.clear()
    load(today - timedelta(days=1), tag="a")
    assert mail.outbox == []
    AlertSubscription.objects.filter(user=customer).update(on_data_arrived=True)
    load(today - timedelta(days=1), revised=market_now() + timedelta(minutes=1), tag="b")
    [sent] = alert_mails("Yesterday's data is in")
    assert "48 kWh used that day" in sent.body
    load(today - timedelta(days=1), revised=market_now() + timedelta(minutes=2), tag="c")
    assert len(mail.outbox) == 1
    load(today - timedelta(days=2), revised=market_now() + timedelta(minutes=3), tag="d")
    assert len(mail.outbox) == 1  # the day before yesterday is not "yesterday's data"


def test_nobody_hears_of_a_premise_outside_their_own_window(other_customer, home, today, load):
    subscribe(other_customer, home, threshold_kwh=Decimal("1"), on_data_arrived=True)
    mail.outbox.clear()
    load(today - timedelta(days=1))
    assert mail.outbox == []


def test_a_completed_meter_read_is_emailed_when_asked(
    client, customer, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    subscribe(customer, home, on_read_completed=True)
    client.force_login(customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(f"/premises/{ESI_HOME}/reads/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 202
    [sent] = alert_mails("meter read is complete")
    assert "on its register" in sent.body and sent.extra_headers["List-Unsubscribe-Post"]


def test_a_completed_read_is_not_emailed_without_asking(
    client, customer, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    subscribe(customer, home, threshold_kwh=Decimal("1"))
    client.force_login(customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/premises/{ESI_HOME}/reads/", HTTP_ACCEPT="application/json")
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------- unsubscribe


def unsubscribe_url(subscription, kind) -> str:
    return f"/alerts/unsubscribe/{unsubscribe_token(subscription_id=subscription.pk, kind=kind)}/"


def test_get_only_asks_and_one_click_post_unsubscribes_without_session_or_csrf(customer, home):
    sub = subscribe(customer, home, threshold_kwh=Decimal("40"), on_read_completed=True)
    url = unsubscribe_url(sub, Kind.THRESHOLD)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200 and b"Stop this alert" in page.content
    sub.refresh_from_db()
    assert sub.threshold_kwh == Decimal("40")  # a mail scanner fetching the link changes nothing

    done = browser.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and b"Alert stopped" in done.content
    sub.refresh_from_db()
    assert sub.threshold_kwh is None and sub.on_read_completed  # only that kind of alert stopped
    assert browser.post(url).status_code == 200  # again: still fine


def test_an_altered_or_expired_link_is_refused_with_a_way_forward(customer, home):
    sub = subscribe(customer, home, threshold_kwh=Decimal("40"))
    url = unsubscribe_url(sub, Kind.THRESHOLD)
    tampered = Client().post(url[:-3] + "xx/")
    assert tampered.status_code == 400 and b"was changed" in tampered.content
    with mock.patch("portal.alerts.tokens.UNSUBSCRIBE_MAX_AGE", timedelta(seconds=-1)):
        expired = Client().post(url)
    assert expired.status_code == 400 and b"60 days" in expired.content
    sub.refresh_from_db()
    assert sub.threshold_kwh == Decimal("40")


def test_the_other_unsubscribe_kinds_stop_their_own_alert(customer, home):
    sub = subscribe(customer, home, threshold_kwh=Decimal("40"), on_data_arrived=True, on_read_completed=True)
    Client().post(unsubscribe_url(sub, Kind.DATA_ARRIVED))
    Client().post(unsubscribe_url(sub, Kind.READ_COMPLETED))
    sub.refresh_from_db()
    assert (sub.threshold_kwh, sub.on_data_arrived, sub.on_read_completed) == (Decimal("40"), False, False)


# ------------------------------------------------------------------------------------------- settings


def test_the_settings_page_lists_current_premises_and_saves(client, customer, home):
    assert client.get("/alerts/").status_code == 302  # sign in first
    client.force_login(customer)
    page = client.get("/alerts/")
    assert page.status_code == 200 and ESI_HOME.encode() in page.content
    prefix = f"p{ESI_HOME}-"
    resp = client.post(
        f"/alerts/premises/{ESI_HOME}/", {prefix + "threshold_kwh": "35.5", prefix + "on_data_arrived": "on"}
    )
    assert resp.status_code == 302
    sub = AlertSubscription.objects.get(user=customer, premise=home)
    assert (sub.threshold_kwh, sub.on_data_arrived, sub.on_read_completed) == (Decimal("35.5"), True, False)
    assert b'value="35.5"' in client.get("/alerts/").content


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", b"above 0 kWh"), ("lots", b"Enter a number of kWh"), ("1.23456", b"at most 3 decimals")],
)
def test_a_bad_threshold_is_explained(client, customer, home, value, message):
    client.force_login(customer)
    resp = client.post(f"/alerts/premises/{ESI_HOME}/", {f"p{ESI_HOME}-threshold_kwh": value})
    assert resp.status_code == 400 and message in resp.content
    assert not AlertSubscription.objects.exists()


def test_nobody_sets_alerts_for_a_premise_not_theirs(client, customer, other_home):
    client.force_login(customer)
    resp = client.post(f"/alerts/premises/{ESI_OTHER}/", {f"p{ESI_OTHER}-threshold_kwh": "5"})
    assert resp.status_code == 404 and b"not one of yours" in resp.content
    assert not AlertSubscription.objects.exists()


def test_a_former_occupant_cannot_set_alerts(client, home, rep, today):
    from portal.services import service_period_move_in

    former = make_customer("fiona", home.period)
    service_period_move_in(premise=home, rep=rep, starts_on=today - timedelta(days=10))
    client.force_login(former)
    assert ESI_HOME.encode() not in client.get("/alerts/").content
    assert client.post(f"/alerts/premises/{ESI_HOME}/", {}).status_code == 404


# ---------------------------------------------------------------------------------------- the sweep


def test_an_alert_the_broker_refused_at_load_time_is_sent_once_by_the_sweep(
    customer, home, today, load, django_capture_on_commit_callbacks
):
    subscribe(customer, home, threshold_kwh=Decimal("40"))
    mail.outbox.clear()
    refused = OperationalError("Error 111 connecting to redis: Connection refused.")
    with mock.patch.object(alerts_for_file, "delay", side_effect=refused) as delay:
        _, report = load(today - timedelta(days=1), kwh=0.5)
    assert delay.called and report.stored > 0
    assert mail.outbox == []  # the load is kept; its alert is not sent yet

    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 0  # a load of a minute ago may still have its task waiting in the queue
    IngestFile.objects.filter(pk=report.pk).update(finished_at=timezone.now() - timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 1
    [sent] = alert_mails("threshold")
    assert sent.to == [customer.email]
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 0  # checked now: not enqueued again
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_alone_what_its_task_checked_and_sends_nothing_twice(
    customer, home, today, load, django_capture_on_commit_callbacks
):
    subscribe(customer, home, threshold_kwh=Decimal("40"))
    mail.outbox.clear()
    _, report = load(today - timedelta(days=1), kwh=0.5)
    assert len(alert_mails("threshold")) == 1
    assert AlertCheck.objects.filter(file=report).count() == 1
    IngestFile.objects.filter(pk=report.pk).update(finished_at=timezone.now() - timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 0
    # A check lost (say the worker died after sending): the sweep enqueues again and AlertSent sends nothing.
    AlertCheck.objects.filter(file=report).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 1
    assert len(mail.outbox) == 1
    # Older than the sweep's look-back: left alone.
    AlertCheck.objects.filter(file=report).delete()
    IngestFile.objects.filter(pk=report.pk).update(finished_at=timezone.now() - timedelta(days=3))
    assert alerts_sweep() == 0


def test_a_read_alert_the_broker_refused_is_sent_once_by_the_sweep(
    client, customer, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    subscribe(customer, home, on_read_completed=True)
    client.force_login(customer)
    mail.outbox.clear()
    refused = OperationalError("Error 111 connecting to redis: Connection refused.")
    with (
        mock.patch.object(alerts_for_read, "delay", side_effect=refused) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        resp = client.post(f"/premises/{ESI_HOME}/reads/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 202 and delay.called
    assert alert_mails("meter read is complete") == []
    read = MeterReadRequest.objects.get(premise=home, status=MeterReadRequest.Status.COMPLETED)
    MeterReadRequest.objects.filter(pk=read.pk).update(answered_at=timezone.now() - timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 1
    assert len(alert_mails("meter read is complete")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_sweep() == 0
    assert len(mail.outbox) == 1
