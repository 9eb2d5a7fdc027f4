"""Signed webhooks: signatures verify, deliveries are logged, failures retry with exponential backoff."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers.webhook_receiver import Receiver
from thirdparty.models import WebhookDelivery, WebhookEndpoint
from thirdparty.webhooks import webhook_send
from thirdparty.webhooks.delivery import webhook_attempt, webhook_replay, webhook_retry_due
from thirdparty.webhooks.signing import (
    SIGNATURE_HEADER,
    backoff_seconds,
    retry_schedule,
    signature_header,
    signature_verify,
)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_signature_verifies_and_anything_changed_does_not():
    body = b'{"type":"agreement.revoked"}'
    header = signature_header(secret="whsec_1", body=body, timestamp=1_764_000_000)
    assert header.startswith("t=1764000000,v1=")
    assert signature_verify(secret="whsec_1", header=header, body=body, now=1_764_000_100)
    assert not signature_verify(secret="whsec_1", header=header, body=body + b" ", now=1_764_000_100)
    assert not signature_verify(secret="whsec_2", header=header, body=body, now=1_764_000_100)
    # Replay protection: an old signature is refused.
    assert not signature_verify(secret="whsec_1", header=header, body=body, now=1_764_000_000 + 301)
    assert not signature_verify(secret="whsec_1", header="garbage", body=body)


def test_retries_back_off_exponentially_for_more_than_a_day(settings):
    assert [backoff_seconds(n) for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert backoff_seconds(30) == 6 * 3600
    schedule = retry_schedule(settings.WEBHOOK_MAX_ATTEMPTS)
    assert all(b >= a for a, b in zip(schedule, schedule[1:], strict=False))
    assert sum(schedule) >= 24 * 3600


@pytest.mark.django_db
def test_an_event_is_delivered_signed_and_logged(django_capture_on_commit_callbacks, app, receiver):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(
            organization=app.organization, event="agreement.created", data={"agreement_id": 7}
        )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    (request,) = receiver.requests
    secret = WebhookEndpoint.objects.get(application=app).secret
    assert signature_verify(secret=secret, header=request["headers"][SIGNATURE_HEADER], body=request["body"])
    payload = json.loads(request["body"])
    assert payload["type"] == "agreement.created" and payload["data"] == {"agreement_id": 7}
    assert payload["id"] == str(delivery.pk) == request["headers"]["SMT-Delivery"]


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_with_growing_delays_then_given_up(
    django_capture_on_commit_callbacks, app, receiver, settings
):
    receiver.status = 500
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(
            organization=app.organization, event="agreement.revoked", data={"agreement_id": 1}
        )
    delays = []
    for _ in range(settings.WEBHOOK_MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.RETRYING
        delays.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        # Nothing is due before its time...
        assert webhook_retry_due(now=delivery.next_attempt_at - timedelta(minutes=1)) == 0
        # ...and the sweep sends it once it is.
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_retry_due(now=delivery.next_attempt_at + timedelta(minutes=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == settings.WEBHOOK_MAX_ATTEMPTS == len(receiver.requests)
    assert delays[:4] == [60, 120, 240, 480]
    assert sum(delays) >= 24 * 3600
    assert delivery.last_status_code == 500 and len(delivery.attempt_log) == delivery.attempts


@pytest.mark.django_db
def test_an_attempt_runs_once_even_if_enqueued_twice(django_capture_on_commit_callbacks, app, receiver):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={})
    assert webhook_attempt(delivery_id=delivery.pk, attempt=1) is None
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_delivery_can_be_replayed_with_a_fresh_signature(django_capture_on_commit_callbacks, app, receiver):
    receiver.status = 503
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={"x": 1})
    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        copy = webhook_replay(delivery=delivery, organization=app.organization)
    copy.refresh_from_db()
    assert copy.status == WebhookDelivery.Status.DELIVERED and copy.replay_of == delivery
    assert receiver.requests[-1]["body"] == receiver.requests[0]["body"]


@pytest.mark.django_db
def test_the_third_party_sees_its_deliveries_and_replays_one(
    client, django_capture_on_commit_callbacks, app, receiver
):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={"x": 1})
    client.force_login(app.organization.members.get())
    page = client.get("/developers/webhooks/")
    assert page.status_code == 200 and "agreement.created" in page.content.decode()
    detail = client.get(f"/developers/webhooks/{delivery.pk}/")
    assert detail.status_code == 200 and "Delivered" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/developers/webhooks/{delivery.pk}/replay/")
    assert response.status_code == 302
    assert WebhookDelivery.objects.count() == 2 and len(receiver.requests) == 2


@pytest.mark.django_db
def test_another_organization_cannot_see_or_replay_a_delivery(client, django_user_model, app, receiver):
    from thirdparty.models import Organization
    from thirdparty.services.onboarding import organization_approve

    app.webhook_url = receiver.url
    app.save()
    (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={})
    other = Organization.objects.create(legal_name="Other", contact_email="o@example.com")
    organization_approve(organization=other)
    user = django_user_model.objects.create_user(username="eve", password="x" * 16)
    other.membership_set.create(user=user)
    client.force_login(user)
    assert client.get(f"/developers/webhooks/{delivery.pk}/").status_code == 404
    assert client.post(f"/developers/webhooks/{delivery.pk}/replay/").status_code == 404


@pytest.mark.django_db
def test_green_button_clients_get_a_batchlist_notification(django_capture_on_commit_callbacks, app, receiver):
    endpoint = WebhookEndpoint.objects.get(application=app)
    endpoint.style = WebhookEndpoint.Style.ESPI
    endpoint.espi_notify_url = receiver.url
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_send(organization=app.organization, event="data.available", data={"agreement_id": 42})
    (request,) = receiver.requests
    body = request["body"].decode()
    assert '<BatchList xmlns="http://naesb.org/espi">' in body
    assert "/espi/1_1/resource/Batch/Subscription/42</resources>" in body
    assert SIGNATURE_HEADER in request["headers"]


@pytest.mark.django_db
def test_unknown_events_are_refused(app):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_send(organization=app.organization, event="agreement.exploded", data={})


def test_due_sweep_ignores_fresh_deliveries(db):
    assert webhook_retry_due(now=timezone.now()) == 0


@pytest.mark.django_db
def test_a_loaded_tdu_file_announces_data_available_to_apps_that_may_read_it(
    client, django_capture_on_commit_callbacks, tmp_path, alice, premise_a, premise_c, app, receiver
):
    from datetime import timedelta

    from portal.access_window import market_today
    from tests.helpers.ingest import HEADER, day_rows
    from usage.ingest.loader import ingest_file

    from .consent_fixtures import token_for

    app.webhook_url = receiver.url
    app.save()
    token_for(client, app, alice)
    day = market_today() - timedelta(days=2)
    rows = day_rows(premise_a.esiid, day) + day_rows(premise_c.esiid, day)  # premise_c: nobody granted it
    path = tmp_path / f"{premise_a.tdu.duns}_{day:%Y%m%d}_x.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    with django_capture_on_commit_callbacks(execute=True):
        report = ingest_file(path=path)
    assert report.stored > 0
    hooks = [json.loads(r["body"]) for r in receiver.posts() if r["headers"]["SMT-Event"] == "data.available"]
    assert len(hooks) == 1
    data = hooks[0]["data"]
    assert data["esiid"] == premise_a.esiid and data["start"] == data["end"] == day.isoformat()
    assert data["url"].endswith(f"/api/v1/premises/{premise_a.esiid}/intervals/?start={day}&end={day}")


@pytest.mark.django_db
def test_the_developer_switches_an_app_to_green_button_notifications(client, app, receiver):
    client.force_login(app.organization.members.get())
    form = {
        "name": app.name,
        "redirect_uris": "\n".join(app.redirect_uris.split()),
        "allowed_scopes": app.allowed_scopes,
        "webhook_url": "",
        "webhook_style": "espi",
        "espi_notify_url": "",
    }
    refused = client.post(f"/developers/apps/{app.pk}/", form)
    assert refused.status_code == 400 and "Green Button notify URL" in refused.content.decode()
    saved = client.post(f"/developers/apps/{app.pk}/", {**form, "espi_notify_url": receiver.url})
    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    endpoint = WebhookEndpoint.objects.get(application=app)
    assert endpoint.style == "espi" and endpoint.espi_notify_url == receiver.url


@pytest.mark.django_db
def test_webhooks_to_private_addresses_are_refused_in_production(
    django_capture_on_commit_callbacks, settings, app, receiver
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    app.webhook_url = receiver.url  # 127.0.0.1
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={})
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert "private or local address" in delivery.last_error
    assert receiver.requests == []
