"""Quotas count accepted work only; Idempotency-Key on the POSTs that create work; a job waiting for a
worker says so; export jobs the broker lost are queued again by the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.exports import export_run, export_sweep
from api.idempotency import idempotency_purge
from api.models import ExportJob, IdempotencyRecord
from tests.helpers.market import ESIID, UNKNOWN_ESIID, assert_problem

pytestmark = pytest.mark.django_db

EXPORTS = "/api/v1/exports/"
READS = f"/api/v1/premises/{ESIID}/reads/"


@pytest.fixture
def queued_only(monkeypatch):
    """Export jobs stay queued (no broker, no worker): the tests look at what the POST answers."""
    from api import tasks

    monkeypatch.setattr(tasks.export_run_task, "delay", lambda job_id: None)


@pytest.fixture
def quotas(settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 1000, "period": 3600},
        "ip": {"limit": 1000, "period": 3600},
        "exports": {"limit": 30, "period": 3600},
        "meter-reads": {"limit": 3, "period": 86400},
    }


def _export(client, market, payload=None, **headers):
    end = market.today - timedelta(days=1)
    payload = payload or {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()}
    return client.post(EXPORTS, payload, content_type="application/json", **market.bearer(), **headers)


# --- item 3: quotas count accepted work only ---------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"esiids": [], "start": "2025-01-01", "end": "2025-01-02"},
        {"esiids": [ESIID], "start": "2025-01-05", "end": "2025-01-01"},
        {"esiids": [ESIID], "start": "not a date", "end": "2025-01-01"},
        ["a", "json", "array"],
    ],
)
def test_a_refused_export_leaves_the_quota_untouched(client, market, quotas, queued_only, payload):
    for _ in range(40):  # more than the quota: none of them counts
        assert _export(client, market, payload).status_code == 400
    assert _export(client, market).status_code == 202
    assert ExportJob.objects.count() == 1


def test_thirty_accepted_exports_then_429_with_ratelimit_headers(client, market, quotas, queued_only):
    statuses = [_export(client, market).status_code for _ in range(30)]
    assert statuses == [202] * 30
    r = _export(client, market)
    body = assert_problem(r, 429)
    assert int(r["Retry-After"]) > 0 and body["retry_after"] == int(r["Retry-After"])
    assert r["RateLimit-Remaining"] == "0" and r["RateLimit-Limit"] == "30"
    assert ExportJob.objects.count() == 30
    # a refused request still answers 400 (not 429) and still counts nothing
    assert _export(client, market, {"esiids": []}).status_code == 400


def test_an_accepted_export_uses_one_unit_and_says_how_many_are_left(client, market, quotas, queued_only):
    first = _export(client, market)
    assert first.status_code == 202
    second = _export(client, market)
    assert 'comment="exports"' in second["RateLimit-Policy"]
    bad = _export(client, market, {"esiids": []})
    assert bad.status_code == 400
    assert "exports" in bad["RateLimit-Policy"]


def test_a_refused_meter_read_leaves_the_quota_untouched(client, market, quotas, settings):
    settings.ON_DEMAND_READS_PER_HOUR = 100
    settings.ON_DEMAND_READS_PER_DAY = 100
    # a token without the scope: 403s, as many as you like, count nothing
    for _ in range(5):
        assert_problem(client.post(READS, **market.bearer()), 403)
    client.force_login(market.owner)
    for _ in range(5):  # an unknown premise: 404s count nothing
        assert_problem(client.post(f"/api/v1/premises/{UNKNOWN_ESIID}/reads/"), 404)
    statuses = [client.post(READS).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


# --- item 10: Idempotency-Key -----------------------------------------------------------------------


def test_same_key_and_body_returns_the_first_answer(client, market, quotas, queued_only):
    first = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-1")
    again = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert ExportJob.objects.count() == 1
    # the replay used no quota: 29 more accepted jobs fit
    assert [_export(client, market).status_code for _ in range(29)] == [202] * 29
    assert _export(client, market).status_code == 429


def test_same_key_with_another_body_is_422(client, market, quotas, queued_only):
    assert _export(client, market, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 202
    end = market.today - timedelta(days=2)
    other = {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()}
    body = assert_problem(_export(client, market, other, HTTP_IDEMPOTENCY_KEY="k-2"), 422)
    assert body["parameter"] == "Idempotency-Key" and "idempotency-key-reused" in body["type"]
    assert ExportJob.objects.count() == 1


def test_a_key_whose_first_request_is_in_flight_is_409(client, market, quotas, queued_only):
    first = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-3")
    record = IdempotencyRecord.objects.get(key="k-3")
    IdempotencyRecord.objects.filter(pk=record.pk).update(state=IdempotencyRecord.State.IN_FLIGHT)
    r = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-3")
    assert_problem(r, 409)
    assert r["Retry-After"] == "1"
    assert first.status_code == 202 and ExportJob.objects.count() == 1


def test_keys_are_scoped_to_the_credential(client, market, quotas, queued_only):
    a = _export(client, market, HTTP_IDEMPOTENCY_KEY="shared")
    end = market.today - timedelta(days=1)
    b = client.post(
        EXPORTS,
        {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="shared",
        **market.apikey(market.tp_key),  # the same organization's API key: another credential
    )
    assert a.status_code == b.status_code == 202
    assert a.json()["id"] != b.json()["id"]
    assert "Idempotent-Replayed" not in b


def test_a_refused_request_leaves_the_key_free(client, market, quotas, queued_only):
    assert _export(client, market, {"esiids": []}, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 400
    assert _export(client, market, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 202


def test_keys_expire_after_24_hours(client, market, quotas, queued_only):
    first = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-5")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _export(client, market, HTTP_IDEMPOTENCY_KEY="k-5")
    assert again.status_code == 202 and again.json()["id"] != first.json()["id"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge() == 1 and not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode"])
def test_a_malformed_key_is_400_naming_the_header(client, market, quotas, queued_only, key):
    assert_problem(_export(client, market, HTTP_IDEMPOTENCY_KEY=key), 400, parameter="Idempotency-Key")


def test_meter_reads_replay_the_first_answer(client, market, quotas, settings):
    settings.ON_DEMAND_READS_PER_HOUR = 100
    settings.ON_DEMAND_READS_PER_DAY = 100
    client.force_login(market.owner)
    first = client.post(READS, HTTP_IDEMPOTENCY_KEY="read-1")
    again = client.post(READS, HTTP_IDEMPOTENCY_KEY="read-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] and first["Location"] == again["Location"]


# --- a job waiting for a worker; the sweep -----------------------------------------------------------


def test_a_job_no_worker_started_says_so(client, market, queued_only, settings):
    settings.API_EXPORT_WAIT_NOTE_SECONDS = 30
    r = _export(client, market)
    body = r.json()
    assert body["status"] == "queued" and body["queued_at"] and body["waiting_for_worker"] is False
    ExportJob.objects.update(created_at=timezone.now() - timedelta(seconds=31))
    later = client.get(r["Location"], **market.bearer()).json()
    assert later["status"] == "queued" and later["waiting_for_worker"] is True and later["note"]


def test_the_sweep_queues_lost_jobs_and_stale_claims_once(market, monkeypatch, settings):
    from api import tasks

    sent = []
    monkeypatch.setattr(tasks.export_run_task, "delay", sent.append)
    now = timezone.now()
    end = market.today - timedelta(days=1)
    make = {"actor_kind": "customer", "credential": "c", "esiids": [ESIID], "start": end, "end": end}
    never = ExportJob.objects.create(**make)  # the broker was down at commit
    fresh = ExportJob.objects.create(**make)
    handed = ExportJob.objects.create(**make, enqueued_at=now)  # in the broker's queue
    dead = ExportJob.objects.create(**make, status="running", started_at=now)  # its worker died
    ExportJob.objects.filter(pk__in=[never.pk, handed.pk, dead.pk]).update(
        created_at=now - timedelta(minutes=5)
    )
    assert export_sweep(now=now) == 1 and sent == [str(never.pk)]
    stale = now + timedelta(seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT + 1)
    sent.clear()
    export_sweep(now=stale)
    assert str(dead.pk) in sent and str(handed.pk) in sent and str(fresh.pk) in sent
    # a running job's claim is not taken while it is fresh
    ExportJob.objects.filter(pk=dead.pk).update(started_at=timezone.now())
    assert export_run(str(dead.pk)).status == "running"


@pytest.mark.redis
def test_an_export_posted_while_the_broker_fails_gets_its_202_and_the_sweep_runs_it(
    client, market, private_cache, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker answers the check before the request and is gone when the job commits."""
    import api.base
    from api import tasks

    monkeypatch.setattr(api.base, "broker_down", lambda: False)
    private_cache.stop()
    with django_capture_on_commit_callbacks(execute=True):
        r = _export(client, market)
    assert r.status_code == 202, r.content  # the job is committed: not an error
    job = ExportJob.objects.get()
    assert job.status == "queued" and job.enqueued_at is None
    private_cache.start()
    monkeypatch.setattr(tasks.export_run_task, "delay", lambda job_id: export_run(job_id))
    assert export_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert client.get(r["Location"], **market.bearer()).json()["download"]
