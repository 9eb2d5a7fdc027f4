"""Export download links obey revocation: the file is served only while the credential and agreement that
made the job stand; an ended agreement's files are deleted; the link's secret never reaches a log line."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from api.exports import export_path
from api.models import ExportJob
from smt.logredact import RedactSecrets
from tests.helpers.market import ESIID, assert_problem
from thirdparty.apikeys import apikey_revoke
from thirdparty.models import AccessLogEntry, ApiKey
from thirdparty.services.agreements import agreement_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_now(monkeypatch):
    from api import tasks
    from api.exports import export_run

    monkeypatch.setattr(tasks.export_run_task, "delay", lambda job_id: export_run(job_id))


def _export(client, credential: dict, market, capture) -> tuple[ExportJob, str]:
    end = market.today - timedelta(days=1)
    with capture(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {"esiids": [ESIID], "start": (end - timedelta(days=2)).isoformat(), "end": end.isoformat()},
            content_type="application/json",
            **credential,
        )
    assert r.status_code == 202, r.content
    body = client.get(r["Location"], **credential).json()
    assert body["status"] == "done", body
    url = body["download"]["url"]
    assert client.get(url).status_code == 200
    return ExportJob.objects.get(pk=body["id"]), url


def test_revoking_the_agreement_kills_the_link_and_deletes_the_file(
    client, market, run_now, django_capture_on_commit_callbacks
):
    job, url = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    assert export_path(job) is not None
    with django_capture_on_commit_callbacks(execute=True):
        agreement_revoke(agreement=market.agreement, by=market.agreement.customer)
    assert_problem(client.get(url), 410)
    assert export_path(job) is None  # the file is gone from disk


def test_a_revoked_api_key_link_is_refused_and_its_files_deleted(
    client, market, run_now, django_capture_on_commit_callbacks
):
    job, url = _export(client, market.apikey(market.tp_key), market, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        apikey_revoke(key=ApiKey.objects.get(pk=job.api_key_id))
    assert_problem(client.get(url), 410)
    assert export_path(job) is None


def test_an_agreement_that_ran_out_stops_the_link_before_any_sweep(
    client, market, run_now, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    job, url = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    type(market.agreement).objects.filter(pk=market.agreement.pk).update(valid_until=timezone.now())
    assert_problem(client.get(url), 410)


def test_the_links_secret_is_in_no_access_log_row_and_no_log_line(
    client, market, run_now, django_capture_on_commit_callbacks
):
    job, url = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    secret = parse_qs(urlsplit(url).query)["token"][0]
    rows = list(AccessLogEntry.objects.values())
    assert rows and all(secret not in str(v) for row in rows for v in row.values())
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)
    )
    path = urlsplit(url).path + "?" + urlsplit(url).query
    for logger, message, args in [
        ("django.server", '"%s" %s %s', (f"GET {path} HTTP/1.1", 200, 1234)),
        ("django.request", "Gone: %s", (path,)),
    ]:
        record = logging.getLogger(logger).makeRecord(logger, logging.INFO, __file__, 1, message, args, None)
        assert handler.filter(record)
        line = handler.format(record)
        assert secret not in line and "token=[redacted]" in line
    assert handler in logging.getLogger("django.server").handlers  # the dev server's request lines too


def test_revoking_the_apps_tokens_stops_the_link_while_the_agreement_stands(
    client, market, run_now, django_capture_on_commit_callbacks
):
    """What /o/revoke_token/ does (AccessToken.revoke, RefreshToken.revoke): the app holds no credential for
    the agreement any more, so links made with its tokens stop, although the customer's agreement stands."""
    from thirdparty.models import AccessToken, RefreshToken

    job, url = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    for refresh in RefreshToken.objects.filter(agreement=market.agreement):
        refresh.revoke()
    for token in AccessToken.objects.filter(agreement=market.agreement):
        token.revoke()
    assert market.agreement.is_live()
    assert_problem(client.get(url), 410)


def test_a_token_refreshed_keeps_the_links_it_made(
    client, market, run_now, django_capture_on_commit_callbacks
):
    """A refresh replaces the access token; the app still holds a credential for the agreement."""
    from thirdparty.models import AccessToken

    job, url = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    token = AccessToken.objects.filter(agreement=market.agreement).first()
    AccessToken.objects.create(
        application=token.application,
        user=token.user,
        agreement=market.agreement,
        token="replacement-token-for-the-test",
        expires=token.expires,
        scope=token.scope,
    )
    token.revoke()
    assert client.get(url).status_code == 200


def test_files_of_keys_revoked_in_bulk_are_deleted_by_the_purge(
    client, market, run_now, django_capture_on_commit_callbacks
):
    """A bulk revocation (an organization suspended, keys revoked from the admin) sends no signal: the
    periodic purge deletes the files no link may serve."""
    from django.utils import timezone

    from api.tasks import exports_purge_expired

    job, url = _export(client, market.apikey(market.tp_key), market, django_capture_on_commit_callbacks)
    kept, _ = _export(client, market.bearer(), market, django_capture_on_commit_callbacks)
    ApiKey.objects.filter(pk=job.api_key_id).update(revoked_at=timezone.now())
    assert export_path(job) is not None
    assert exports_purge_expired() == 1
    assert export_path(job) is None
    assert export_path(kept) is not None  # a live credential's file stays
    assert_problem(client.get(url), 410)
