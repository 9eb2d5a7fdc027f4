"""REP registration codes (one by one, feed, webhook) and bulk export jobs."""

import gzip
import io
from datetime import timedelta

import pytest
import zstandard
from django.utils import timezone

from api.models import ExportJob
from tests.helpers.market import ESIID, OTHER_ESIID, UNKNOWN_ESIID, assert_problem
from thirdparty.models import AccessLogEntry

pytestmark = pytest.mark.django_db


# --- registration codes ----------------------------------------------------------------------------


def test_rep_of_record_gets_the_current_code(client, market):
    r = client.get(f"/api/v1/premises/{ESIID}/registration-code/", **market.apikey(market.rep_key))
    assert r.status_code == 200
    body = r.json()
    assert body["registration_code"] == market.period.registration_code
    assert body["display"].replace("-", "") == body["registration_code"]


def test_codes_are_for_reps_only(client, market):
    body = assert_problem(client.get(f"/api/v1/premises/{ESIID}/registration-code/", **market.bearer()), 403)
    assert "REP" in body["detail"]
    client.force_login(market.owner)
    assert_problem(client.get("/api/v1/registration-codes/"), 403)


def test_other_rep_or_old_occupancy_gets_404(client, market):
    from portal.services import service_period_switch_rep

    service_period_switch_rep(period=market.period, rep=market.other_rep)
    assert_problem(
        client.get(f"/api/v1/premises/{ESIID}/registration-code/", **market.apikey(market.rep_key)), 404
    )


def test_code_feed_changed_since(client, market):
    from portal.services import registration_code_rotate

    r = client.get("/api/v1/registration-codes/", **market.apikey(market.rep_key))
    assert sorted(c["esiid"] for c in r.json()["results"]) == [ESIID, OTHER_ESIID]
    since = timezone.now()
    registration_code_rotate(period=market.period)
    r = client.get(
        "/api/v1/registration-codes/", {"changed_since": since.isoformat()}, **market.apikey(market.rep_key)
    )
    items = r.json()["results"]
    assert [c["esiid"] for c in items] == [ESIID]
    market.period.refresh_from_db()
    assert items[0]["registration_code"] == market.period.registration_code
    assert_problem(
        client.get(
            "/api/v1/registration-codes/", {"changed_since": "last tuesday"}, **market.apikey(market.rep_key)
        ),
        400,
        parameter="changed_since",
    )


def test_code_rotation_sends_a_webhook_to_the_rep(market, django_capture_on_commit_callbacks, monkeypatch):
    from portal.services import registration_code_rotate

    sent = []
    import thirdparty.webhooks as wh

    monkeypatch.setattr(wh, "webhook_send", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        registration_code_rotate(period=market.period)
    assert len(sent) == 1
    assert sent[0]["organization"] == market.rep_org
    assert sent[0]["event"] == "registration_code.rotated"
    assert sent[0]["data"]["esiid"] == ESIID
    assert "registration_code" not in sent[0]["data"]  # the code itself travels only over the API


# --- bulk exports ----------------------------------------------------------------------------------


@pytest.fixture
def run_now(monkeypatch):
    """Run export tasks in-process when the job is committed (whatever the Celery broker)."""
    from api import tasks
    from api.exports import export_run

    monkeypatch.setattr(tasks.export_run_task, "delay", lambda job_id: export_run(job_id))


def _decompress(data: bytes, compression: str) -> bytes:
    if compression == "gzip":
        return gzip.decompress(data)
    return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_export_job_writes_what_the_caller_may_see_and_lists_the_rest(
    client, market, run_now, compression, django_capture_on_commit_callbacks
):
    end = market.today - timedelta(days=1)
    start = end - timedelta(days=9)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {
                "esiids": [ESIID, OTHER_ESIID, UNKNOWN_ESIID],
                "start": start.isoformat(),
                "end": end.isoformat(),
                "format": "csv",
                "compression": compression,
            },
            content_type="application/json",
            **market.bearer(),
        )
    assert r.status_code == 202, r.content
    job_url = r["Location"]
    job = client.get(job_url, **market.bearer()).json()
    assert job["status"] == "done", job
    assert job["progress"] == {"premises_done": 3, "premises_total": 3}
    assert {x["esiid"] for x in job["not_included"]} == {OTHER_ESIID, UNKNOWN_ESIID}
    dl = client.get(job["download"]["url"])  # the signed link needs no credential
    assert dl.status_code == 200
    content = _decompress(b"".join(dl.streaming_content), compression)
    from usage.writers.export import export_intervals

    expected = export_intervals(
        premise=market.premise, start=start, end=end, granularity="15min", fmt="csv"
    ).body
    assert content == expected
    logged = AccessLogEntry.objects.filter(resource="export")
    assert [e.premise_id for e in logged] == [market.premise.pk]


def test_export_jsonl_lists_left_out_premises_in_the_file(
    client, market, run_now, django_capture_on_commit_callbacks
):
    import orjson

    end = market.today - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {
                "esiids": [ESIID, OTHER_ESIID],
                "start": end.isoformat(),
                "end": end.isoformat(),
                "format": "jsonl",
            },
            content_type="application/json",
            **market.apikey(market.rep_key),
        )
    job = client.get(r["Location"], **market.apikey(market.rep_key)).json()
    dl = client.get(job["download"]["url"])
    lines = _decompress(b"".join(dl.streaming_content), "zstd").splitlines()
    assert [orjson.loads(x)["esiid"] for x in lines] == [ESIID, OTHER_ESIID]


def test_export_job_is_private_to_its_credential(client, market, run_now, django_capture_on_commit_callbacks):
    end = market.today - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()},
            content_type="application/json",
            **market.bearer(),
        )
    assert_problem(client.get(r["Location"], **market.apikey(market.rep_key)), 404)


def test_export_download_link_must_be_signed_and_fresh(
    client, market, run_now, django_capture_on_commit_callbacks
):
    end = market.today - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()},
            content_type="application/json",
            **market.bearer(),
        )
    job = ExportJob.objects.get()
    assert_problem(client.get(f"/api/v1/exports/{job.pk}/download/?token=forged"), 410)
    assert_problem(client.get(f"/api/v1/exports/{job.pk}/download/"), 400, parameter="token")
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(r["Location"], **market.bearer()).json()["download"] is None


@pytest.mark.parametrize(
    ("payload", "parameter"),
    [
        ({"esiids": [], "start": "2025-01-01", "end": "2025-01-02"}, "esiids"),
        ({"esiids": ["1"] * 10_001, "start": "2025-01-01", "end": "2025-01-02"}, "esiids"),
        ({"esiids": [ESIID], "start": "2025-01-05", "end": "2025-01-02"}, "end"),
        ({"esiids": [ESIID], "start": "soon", "end": "2025-01-02"}, "start"),
        (
            {"esiids": [ESIID], "start": "2025-01-01", "end": "2025-01-02", "granularity": "5min"},
            "granularity",
        ),
    ],
)
def test_export_validation(client, market, payload, parameter):
    r = client.post("/api/v1/exports/", payload, content_type="application/json", **market.bearer())
    assert_problem(r, 400, parameter=parameter)


def test_expired_export_files_are_purged(
    client, market, run_now, django_capture_on_commit_callbacks, settings, tmp_path
):
    from api.exports import export_path
    from api.tasks import exports_purge_expired

    settings.API_EXPORT_DIR = tmp_path
    end = market.today - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/api/v1/exports/",
            {"esiids": [ESIID], "start": end.isoformat(), "end": end.isoformat()},
            content_type="application/json",
            **market.bearer(),
        )
    job = ExportJob.objects.get()
    path = export_path(job)
    assert path is not None and path.exists()
    assert exports_purge_expired() == 0
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exports_purge_expired() == 1
    assert not path.exists()


def test_customer_exports_only_their_own_window(client, market, run_now, django_capture_on_commit_callbacks):
    client.force_login(market.owner)
    before = market.period.starts_on - timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {
                "esiids": [ESIID, OTHER_ESIID],
                "start": before.isoformat(),
                "end": market.period.starts_on.isoformat(),
            },
            content_type="application/json",
        )
    job = client.get(r["Location"]).json()
    assert job["status"] == "done"
    reasons = {x["esiid"]: x["reason"] for x in job["not_included"]}
    assert reasons == {ESIID: "outside_window", OTHER_ESIID: "not_found"}
    assert AccessLogEntry.objects.count() == 0  # customers reading their own data are not logged
