"""Webhooks survive a broker outage and a crashed worker (docs/operations.md): the work is in the database
before anything is queued, so the sweep (``webhook_retry_due``, every minute) sends what the broker lost, and
retries an attempt whose worker died mid-POST. Private Redis servers and real worker processes only."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers.faults import CeleryWorker, wait_for
from tests.helpers.webhook_receiver import Receiver
from thirdparty.models import Agreement, WebhookDelivery, WebhookEndpoint
from thirdparty.webhooks import webhook_send
from thirdparty.webhooks.delivery import webhook_retry_due
from thirdparty.webhooks.signing import SIGNATURE_HEADER, retry_schedule, signature_verify

from .consent_fixtures import token_for


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.release.set()
    r.close()


def _revoked_deliveries():
    return WebhookDelivery.objects.filter(event="agreement.revoked")


@pytest.mark.redis
@pytest.mark.django_db
def test_a_revoke_while_redis_is_down_succeeds_and_its_webhook_arrives_once_signed_after(
    client, django_capture_on_commit_callbacks, alice, premise_a, app, receiver, private_cache, settings
):
    from smt.celery import app as celery_app

    app.webhook_url = receiver.url
    app.save()
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    with django_capture_on_commit_callbacks(execute=True):
        token_for(client, app, alice, scope="usage:read premises:read")
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    agreement = Agreement.objects.get()
    received_before = len(receiver.posts())

    private_cache.stop()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/apps/{agreement.pk}/revoke/")
    assert response.status_code == 302, response.content[:500]  # not an error page: the revoke committed
    assert client.get(response["Location"]).status_code == 200
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.REVOKED
    (delivery,) = _revoked_deliveries()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 0
    assert len(receiver.posts()) == received_before  # nothing could be queued

    private_cache.start()
    later = timezone.now() + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_retry_due(now=later) == 1  # the beat's sweep: the overdue pending delivery goes out
        assert webhook_retry_due(now=later) == 0
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    (hook,) = receiver.posts()[received_before:]  # once
    assert hook["headers"]["SMT-Event"] == "agreement.revoked"
    secret = WebhookEndpoint.objects.get(application=app).secret
    assert signature_verify(secret=secret, header=hook["headers"][SIGNATURE_HEADER], body=hook["body"])


@pytest.mark.django_db
def test_the_sweep_retries_a_stale_claim_but_not_an_attempt_in_flight(app, receiver, settings):
    app.webhook_url = receiver.url
    app.save()
    (delivery,) = webhook_send(
        organization=app.organization, event="agreement.created", data={"agreement_id": 1}
    )
    # A worker claimed the first attempt and died before writing its outcome.
    claimed_at = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1, last_attempt_at=claimed_at)
    assert webhook_retry_due(now=claimed_at + timedelta(seconds=60)) == 0  # may still be in flight
    stale = claimed_at + timedelta(seconds=settings.WEBHOOK_CLAIM_STALE_SECONDS + 1)
    assert webhook_retry_due(now=stale) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 2
    assert len(receiver.posts()) == 1


@pytest.mark.django_db
def test_each_delivery_carries_its_subscriptions_sequence_number(
    app, receiver, django_capture_on_commit_callbacks
):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            webhook_send(organization=app.organization, event="agreement.created", data={"agreement_id": n})
    posts = receiver.posts()
    assert [json.loads(p["body"])["sequence"] for p in posts] == [1, 2, 3]
    assert [p["headers"]["SMT-Sequence"] for p in posts] == ["1", "2", "3"]


def test_the_promised_26_and_a_half_hours_of_retries_hold(settings):
    schedule = retry_schedule(settings.WEBHOOK_MAX_ATTEMPTS)
    assert len(schedule) == 12
    assert 26.5 * 3600 <= sum(schedule) < 26.6 * 3600


@pytest.mark.real_clock
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_finishes_it_within_minutes_of_restart(
    app, receiver, private_cache, settings
):
    from smt.celery import app as celery_app
    from thirdparty.tasks import webhook_retry_due as sweep_task

    app.webhook_url = receiver.url
    app.save()
    queue = f"test-hooks-{uuid.uuid4().hex[:8]}"
    celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE=queue)
    settings.CELERY_ONE_QUEUE = queue  # every route to the private queue (smt/celery.py)
    worker = CeleryWorker(
        broker_url=private_cache.url,
        queue=queue,
        env={"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_CLAIM_STALE_SECONDS": "2"},
    )
    receiver.hold_next = True
    try:
        worker.start()
        (delivery,) = webhook_send(
            organization=app.organization, event="agreement.created", data={"agreement_id": 1}
        )  # no transaction here: queued at once
        wait_for(lambda: len(receiver.posts()) == 1, timeout=60, what="the first POST to reach the receiver")
        worker.kill()  # SIGKILL mid-POST
        delivery.refresh_from_db()
        assert (
            delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.PENDING
        )  # claimed, no outcome

        restarted = time.monotonic()
        worker.start()
        time.sleep(2.5)  # the claim goes stale (WEBHOOK_CLAIM_STALE_SECONDS=2 for this worker)
        sweep_task.delay()  # what beat sends every minute
        wait_for(
            lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == WebhookDelivery.Status.DELIVERED,
            timeout=60,
            what="the delivery to be sent again and delivered",
        )
        took = time.monotonic() - restarted
    finally:
        worker.stop()
        celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE="celery")
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    first, second = receiver.posts()
    assert (
        first["headers"]["SMT-Delivery"] == second["headers"]["SMT-Delivery"] == str(delivery.pk)
    )  # de-dup key
    assert took < 120
