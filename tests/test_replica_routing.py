"""Which reads may go to a read replica, without a replica (docs/scaling.md, "Read replicas").

The replica ``replica_0`` is pretended: its health is faked and its reads recorded and answered by the test
database. ``tests/test_read_replicas.py`` proves the same against a real streaming standby.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, router
from django.test import Client

import smt.dbrouter
import smt.replicas
from portal.models import PremiseRegistration, ServicePeriod
from smt.replicas import (
    data_alias,
    data_read,
    health_forget,
    replica_databases,
    replica_reads_allowed,
    replica_usable,
)
from tests.helpers.market import ESIID, market  # noqa: F401 - a fixture, registered by being here
from thirdparty.models import AccessToken, Agreement, AgreementPremise, ApiKey
from usage import storage
from usage.models import IntervalDay, IntervalMonth, Premise

PRIMARY, REPLICA, OTHER_REPLICA = "default", "replica_0", "replica_1"


class Pretended:
    """Lags of the pretended replicas (None: does not answer), and the aliases measured, in order."""

    def __init__(self) -> None:
        self.lags: dict[str, float | None] = {REPLICA: 0.0, OTHER_REPLICA: 0.0}
        self.calls: list[str] = []


@pytest.fixture
def replicas(monkeypatch, settings):
    """Two pretended replicas, both answering without lag."""
    pretended = Pretended()
    lags, calls = pretended.lags, pretended.calls

    def lag(alias: str) -> float:
        calls.append(alias)
        value = lags[alias]
        if value is None:
            raise OperationalError(f"{alias} does not answer")
        return value

    monkeypatch.setattr(smt.replicas, "replica_aliases", lambda: list(lags))
    monkeypatch.setattr(smt.dbrouter, "replica_aliases", lambda: list(lags))
    monkeypatch.setattr(smt.replicas, "replica_lag", lag)
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0
    health_forget()
    yield pretended
    health_forget()


@pytest.fixture
def recorded_reads(monkeypatch):
    """The database each interval-data read of usage/storage was sent to; answered by the test database."""
    used: list[str] = []
    real = smt.replicas.fetch_all

    def fetch_all(sql, params, *, using="default"):
        used.append(using)
        return real(sql, params)

    monkeypatch.setattr(smt.replicas, "fetch_all", fetch_all)
    return used


def test_only_interval_data_may_be_read_from_a_replica(replicas):
    decisions = (
        Session,
        AccessToken,
        ApiKey,
        Agreement,
        AgreementPremise,
        ServicePeriod,
        PremiseRegistration,
    )
    with replica_reads_allowed():
        assert router.db_for_read(IntervalDay) in (REPLICA, OTHER_REPLICA)
        assert router.db_for_read(IntervalMonth) == router.db_for_read(IntervalDay)
        for model in (*decisions, Premise, get_user_model()):
            assert router.db_for_read(model) == PRIMARY, model
        assert router.db_for_write(IntervalDay) == PRIMARY
    assert router.db_for_read(IntervalDay) == PRIMARY  # outside a request: Celery, commands, shells
    assert router.allow_migrate(PRIMARY, "usage") is True
    assert router.allow_migrate(REPLICA, "usage") is False


def test_a_request_keeps_the_replica_it_chose_and_skips_lagging_or_silent_ones(replicas):
    replicas.lags[REPLICA] = 6.0  # past DATABASE_REPLICA_MAX_LAG_SECONDS
    for _ in range(5):
        with replica_reads_allowed():
            assert data_alias() == OTHER_REPLICA
            assert data_alias() == OTHER_REPLICA
    replicas.lags[OTHER_REPLICA] = None  # does not answer
    with replica_reads_allowed():
        assert data_alias() == PRIMARY
    replicas.lags[REPLICA] = 4.0
    with replica_reads_allowed():
        assert data_alias() == REPLICA


def test_lag_is_measured_again_only_after_the_check_interval_and_a_silent_replica_after_the_retry_interval(
    replicas, settings
):
    calls = replicas.calls
    settings.DATABASE_REPLICA_CHECK_SECONDS = 3600
    assert replica_usable(REPLICA) is True
    replicas.lags[REPLICA] = 60.0
    assert replica_usable(REPLICA) is True  # the measurement of a moment ago still stands
    assert calls.count(REPLICA) == 1
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    assert replica_usable(REPLICA) is False
    replicas.lags[REPLICA] = None
    assert replica_usable(REPLICA) is False
    replicas.lags[REPLICA] = 0.0
    settings.DATABASE_REPLICA_RETRY_SECONDS = 3600
    measured = calls.count(REPLICA)
    assert replica_usable(REPLICA) is False  # remembered as down: not asked again before the retry interval
    assert calls.count(REPLICA) == measured
    settings.DATABASE_REPLICA_RETRY_SECONDS = 0
    assert replica_usable(REPLICA) is True


def test_a_read_that_fails_on_the_replica_is_made_on_the_primary_and_the_replica_skipped(replicas, settings):
    replicas.lags[OTHER_REPLICA] = None
    tried: list[str] = []

    def read(alias: str) -> str:
        tried.append(alias)
        if alias != PRIMARY:
            raise OperationalError("the replica went away mid-request")
        return "rows"

    settings.DATABASE_REPLICA_RETRY_SECONDS = 3600
    with replica_reads_allowed():
        assert data_read(read) == "rows"
        assert data_alias() == PRIMARY  # the rest of the request too
    assert tried == [REPLICA, PRIMARY]
    assert replica_usable(REPLICA) is False


@pytest.mark.django_db
def test_storage_reads_outside_a_request_use_the_primary(replicas, recorded_reads, market):  # noqa: F811
    end = market.today - timedelta(days=1)
    storage.read_channels(premise_id=market.premise.pk, start=end - timedelta(days=3), end=end)
    storage.revision_stamp(premise_id=market.premise.pk, start=end - timedelta(days=3), end=end)
    assert recorded_reads == [PRIMARY, PRIMARY]


def _intervals(client: Client, market, **headers):  # noqa: F811
    end = market.today - timedelta(days=1)
    url = f"/api/v1/premises/{ESIID}/intervals/"
    response = client.get(url, {"start": end - timedelta(days=6), "end": end}, **headers)
    assert response.status_code == 200, response.content
    return response


def _export(client: Client, market, **headers):  # noqa: F811
    end = market.today - timedelta(days=1)
    body = {"esiids": [ESIID], "start": str(end), "end": str(end)}
    return client.post("/api/v1/exports/", body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_gets_read_interval_data_from_the_replica_until_the_same_caller_writes(
    replicas,
    recorded_reads,
    market,  # noqa: F811
):
    replicas.lags[OTHER_REPLICA] = None
    client = Client()
    _intervals(client, market, **market.bearer())
    assert recorded_reads and set(recorded_reads) == {REPLICA}

    recorded_reads.clear()
    refused = client.post(
        "/api/v1/exports/", {"esiids": []}, content_type="application/json", **market.bearer()
    )
    assert refused.status_code == 400
    _intervals(client, market, **market.bearer())
    assert set(recorded_reads) == {REPLICA}  # a refused request wrote nothing: no pin
    assert client.options("/api/v1/exports/", **market.bearer()).status_code == 200
    recorded_reads.clear()
    _intervals(client, market, **market.bearer())
    assert set(recorded_reads) == {REPLICA}  # nor does OPTIONS

    assert _export(client, market, **market.bearer()).status_code == 202
    recorded_reads.clear()
    _intervals(client, market, **market.bearer())
    assert set(recorded_reads) == {PRIMARY}  # the caller who wrote reads the primary
    recorded_reads.clear()
    _intervals(client, market, **market.apikey(market.tp_key))
    assert set(recorded_reads) == {REPLICA}  # another caller does not


@pytest.mark.django_db
def test_a_browser_that_wrote_reads_the_primary_by_its_signed_cookie(replicas, recorded_reads, market):  # noqa: F811
    replicas.lags[OTHER_REPLICA] = None
    client = Client()
    client.force_login(market.owner)
    _intervals(client, market)
    assert set(recorded_reads) == {REPLICA}

    written = _export(client, market)
    assert written.status_code == 202, written.content
    cookie = written.cookies[smt.dbrouter.PIN_COOKIE]
    assert cookie["httponly"] and int(cookie["max-age"]) == 5
    recorded_reads.clear()
    _intervals(client, market)
    assert set(recorded_reads) == {PRIMARY}

    client.cookies[smt.dbrouter.PIN_COOKIE] = "1"  # not signed: ignored
    recorded_reads.clear()
    _intervals(client, market)
    assert set(recorded_reads) == {REPLICA}


@pytest.mark.django_db
def test_without_replicas_the_middleware_is_not_loaded(recorded_reads, market):  # noqa: F811
    client = Client()
    _intervals(client, market, **market.bearer())
    assert set(recorded_reads) == {PRIMARY}
    written = _export(client, market, **market.bearer())
    assert written.status_code == 202
    assert smt.dbrouter.PIN_COOKIE not in written.cookies


def test_replica_settings_copy_the_primarys_options_and_mirror_it_in_tests():
    primary = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "smt",
        "HOST": "primary.internal",
        "PORT": 5432,
        "USER": "smt",
        "CONN_MAX_AGE": 0,
        "ATOMIC_REQUESTS": True,
        "OPTIONS": {"connect_timeout": 5, "prepare_threshold": 7, "pool": {"min_size": 1, "max_size": 4}},
    }
    got = replica_databases(
        ["postgres://ro@standby-a.internal:6432/smt", "postgres://ro@standby-b.internal/smt"],
        primary=primary,
        connect_timeout=2,
    )
    assert list(got) == ["replica_0", "replica_1"]
    a = got["replica_0"]
    assert (a["HOST"], a["PORT"], a["USER"], a["NAME"]) == ("standby-a.internal", 6432, "ro", "smt")
    assert a["OPTIONS"] == {
        "connect_timeout": 2,
        "prepare_threshold": 7,
        "pool": {"min_size": 1, "max_size": 4},
    }
    assert a["TEST"] == {"MIRROR": "default"}
    assert a["ATOMIC_REQUESTS"] is False
    assert replica_databases([], primary=primary, connect_timeout=2) == {}
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL DATABASE_URL"):
        replica_databases(
            ["postgres://x/y"], primary={"ENGINE": "django.db.backends.sqlite3"}, connect_timeout=2
        )
    with pytest.raises(ImproperlyConfigured, match="item 2"):
        replica_databases(["postgres://x/y", "sqlite:///z"], primary=primary, connect_timeout=2)


def test_a_celery_task_reads_the_primary_even_run_in_process_inside_a_get(replicas, monkeypatch):
    import portal.tasks

    seen: list[str] = []
    monkeypatch.setattr(portal.tasks, "read_expire_stale", lambda: seen.append(data_alias()) or 0)
    with replica_reads_allowed():
        portal.tasks.expire_stale_reads.apply()  # in process, as CELERY_TASK_ALWAYS_EAGER runs it
        assert data_alias() in (REPLICA, OTHER_REPLICA)  # the request's own reads again after the task
    assert seen == [PRIMARY]
