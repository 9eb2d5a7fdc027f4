"""Redis down, as decided (docs/operations.md): reads of data are served (fail open, rate limits counted in the
process, a warning logged); sign-in limits fall back to an in-process limiter, never to none; exports and meter
reads are refused with 503 problem+json and Retry-After (fail closed); the portal keeps working; and everything
goes back to Redis once it answers again. A PRIVATE Redis is stopped, never the shared one."""

import logging
import time
from datetime import timedelta

import pytest
from django.test import Client

from api.models import ExportJob
from tests.helpers.market import ESIID


def _export(client, market):
    end = market.today - timedelta(days=1)
    return client.post(
        "/api/v1/exports/",
        {
            "esiids": [ESIID],
            "start": (end - timedelta(days=3)).isoformat(),
            "end": end.isoformat(),
            "format": "csv",
        },
        content_type="application/json",
        **market.bearer(),
    )


@pytest.mark.redis
def test_redis_down_serves_reads_refuses_exports_and_meter_reads_and_recovers(
    client, market, private_cache, caplog
):
    from django.core.cache import cache

    assert client.get(f"/api/v1/premises/{ESIID}/", **market.bearer()).status_code == 200

    private_cache.stop()
    with caplog.at_level(logging.WARNING):
        read = client.get(f"/api/v1/premises/{ESIID}/", **market.bearer())
    assert read.status_code == 200, read.content  # fail open
    assert int(read["RateLimit-Remaining"]) < int(read["RateLimit-Limit"])  # still counted, in this process
    assert "Redis (cache) is not answering" in caplog.text
    assert cache.degraded

    for response in (
        _export(client, market),
        client.post(f"/api/v1/premises/{ESIID}/reads/", **market.bearer()),
    ):
        assert response.status_code == 503, response.content  # fail closed
        assert response["Content-Type"] == "application/problem+json"
        assert int(response["Retry-After"]) > 0
        assert response.json()["type"].endswith("service-unavailable")
    assert not ExportJob.objects.exists()  # nothing half-made

    portal = Client()
    portal.force_login(market.owner)
    assert portal.get("/dashboard/").status_code == 200  # the portal keeps working

    private_cache.start()
    time.sleep(0.6)  # past REDIS_RETRY_SECONDS: the next call asks Redis again
    assert client.get(f"/api/v1/premises/{ESIID}/", **market.bearer()).status_code == 200
    assert not cache.degraded
    assert _export(client, market).status_code == 202


@pytest.mark.redis
def test_redis_down_sign_in_limits_fall_back_to_an_in_process_limiter(market, private_cache):
    private_cache.stop()
    statuses = [
        Client().post("/accounts/login/", {"login": "owner", "password": "not-the-password"}).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 400  # the form again, with its error
    assert 429 in statuses  # limited: never no limit at all
