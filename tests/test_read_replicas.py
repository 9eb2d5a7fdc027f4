"""Read replicas with a real streaming standby (docs/scaling.md, "Read replicas").

A private primary and a ``pg_basebackup -R`` standby of it on free ports (never the shared PostgreSQL), the API
served by gunicorn with the standby configured. Replay on the standby is paused and interval data deleted on the
primary: what a server answers shows which database it read. Every wait is bounded; every process and
directory is removed however the test ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from smt.replicas import LAG_SQL
from tests.helpers.faults import (
    PrivatePrimary,
    PrivateStandby,
    django_database_at,
    free_port,
    private_redis,
    wait_for,
)
from tests.helpers.market import ESIID, OTHER_ESIID, build_market, make_token

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.real_clock]


class Body(bytes):
    """A response body that a failed assertion shows by its length and digest, not whole."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes, sha256 {hashlib.sha256(self).hexdigest()[:12]}: {bytes(self[:80])!r}>"


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[int, Body]:
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, Body(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, Body(exc.read())


def _post_json(base: str, path: str, body: dict, headers: dict[str, str]) -> tuple[int, bytes]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@contextlib.contextmanager
def _served(env: dict[str, str]) -> Iterator[str]:
    """gunicorn (one sync worker) with ``env`` on a free port; yields its base URL."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix="smt-replica-server-", suffix=".log")
    os.close(fd)
    log = Path(name)
    with open(log, "ab") as err:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "smt.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
            ]
            + ["--timeout", "60"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(lambda: _answers(base + "/healthz"), timeout=60, what="gunicorn to answer /healthz")
        except TimeoutError:
            raise AssertionError(log.read_text()[-3000:]) from None
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.unlink(missing_ok=True)


def _standby_lag(standby: PrivateStandby) -> float:
    import psycopg

    dsn = f"host=127.0.0.1 port={standby.port} user=postgres dbname=postgres connect_timeout=3"
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(LAG_SQL).fetchone()
        assert row is not None
        return float(row[0])


def _standby_sql(standby: PrivateStandby, sql: str) -> None:
    import psycopg

    dsn = f"host=127.0.0.1 port={standby.port} user=postgres dbname=postgres connect_timeout=3"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def test_interval_reads_go_to_the_standby_and_decisions_to_the_primary(django_db_blocker, settings):
    from portal.services import service_period_move_out
    from thirdparty.apikeys import apikey_revoke
    from thirdparty.models import ApiKey
    from usage.models import IntervalDay

    with contextlib.ExitStack() as stack:
        primary = PrivatePrimary()
        stack.callback(primary.remove)
        primary.start()
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(django_database_at(port=primary.port))
        call_command("migrate", verbosity=0)
        market = build_market(get_user_model())
        second_token = make_token(
            user=market.owner, app=market.app, agreement=market.agreement, scope="premises:read usage:read"
        )

        standby = PrivateStandby(primary)
        stack.callback(standby.remove)
        standby.start()
        wait_for(
            lambda: _standby_lag(standby) == 0, timeout=60, what="the standby to stream from the primary"
        )

        redis = stack.enter_context(private_redis())
        # the test's own writes void the servers' access caches: the same Redis, the same keys
        settings.CACHES = {"default": {"BACKEND": "smt.cache.FailoverRedisCache", "LOCATION": redis.url}}
        env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary.port}/postgres",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{standby.port}/postgres",
            "REDIS_URL": redis.url,
            "DATABASE_REPLICA_CHECK_SECONDS": "0",
            "DATABASE_REPLICA_RETRY_SECONDS": "1",
            "DATABASE_READ_YOUR_WRITES_SECONDS": "600",
        }
        patient = stack.enter_context(_served({**env, "DATABASE_REPLICA_MAX_LAG_SECONDS": "3600"}))
        strict = stack.enter_context(_served({**env, "DATABASE_REPLICA_MAX_LAG_SECONDS": "1"}))

        end = market.today - timedelta(days=1)
        start = end - timedelta(days=9)
        path = f"/api/v1/premises/{ESIID}/intervals/?start={start}&end={end}"
        other_path = f"/api/v1/premises/{OTHER_ESIID}/intervals/?start={start}&end={end}"
        token = {"Authorization": f"Bearer {market.token}"}
        token2 = {"Authorization": f"Bearer {second_token}"}
        tp_key = {"Authorization": f"Api-Key {market.tp_key}"}
        rep_key = {"Authorization": f"Api-Key {market.rep_key}"}

        status, before = _get(patient, path, token)
        assert status == 200, before
        assert _get(strict, path, token) == (200, before)
        assert _get(patient, path, tp_key) == (200, before)
        status, other_before = _get(patient, other_path, rep_key)
        assert status == 200, other_before

        # the standby stops replaying; the primary loses the ten days
        _standby_sql(standby, "SELECT pg_wal_replay_pause()")
        IntervalDay.objects.filter(premise=market.premise, day__gte=start).delete()
        wait_for(lambda: _standby_lag(standby) > 1.5, timeout=30, what="the standby to lag past 1.5 s")

        # (a) interval reads land on the standby: the old ten days
        assert _get(patient, path, token) == (200, before)
        assert _get(patient, path, token2) == (200, before)
        # (d) past DATABASE_REPLICA_MAX_LAG_SECONDS the standby is skipped: the primary's answer
        status, after = _get(strict, path, token)
        assert status == 200, after
        assert after != before

        # (c) a caller's own write is read back from the primary; another caller still reads the standby
        status, body = _post_json(
            patient, "/api/v1/exports/", {"esiids": [ESIID], "start": str(start), "end": str(end)}, token
        )
        assert status == 202, body
        assert _get(patient, path, token) == (200, after)
        assert _get(patient, path, tp_key) == (200, before)

        # (b) decisions are on the primary, whatever the standby's lag: a revoked key and a move-out count at once
        apikey_revoke(key=ApiKey.objects.get(organization=market.org))
        status, body = _get(patient, path, tp_key)
        assert status == 401, body
        service_period_move_out(premise=market.premise, ends_on=market.today)
        status, body = _get(patient, path, token2)
        assert status in (401, 403, 404), body

        # (e) the standby stops: GETs keep answering, from the primary
        standby.stop_immediately()
        assert _get(patient, other_path, rep_key) == (200, other_before)
        assert _get(patient, other_path, rep_key) == (200, other_before)
        assert _get(strict, other_path, rep_key) == (200, other_before)
