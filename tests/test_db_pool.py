"""Connection pooling (smt/dbpool.py): the settings it makes, and the API's prepared hot path on pooled
connections handed back and reused."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from smt.dbpool import pooled
from tests.helpers.market import ESIID, build_market
from usage.writers.export import export_intervals

ROOT = Path(__file__).resolve().parent.parent


def test_pooled_sets_the_pool_and_no_persistent_connections():
    db = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {"connect_timeout": 5}}
    out = pooled(db, min_size=1, max_size=4, timeout=5)
    assert out["CONN_MAX_AGE"] == 0
    assert out["OPTIONS"] == {"connect_timeout": 5, "pool": {"min_size": 1, "max_size": 4, "timeout": 5.0}}
    assert db["CONN_MAX_AGE"] == 60 and "pool" not in db["OPTIONS"]  # the input is left alone


@pytest.mark.parametrize(("min_size", "max_size", "timeout"), [(-1, 4, 5), (5, 4, 5), (0, 0, 5), (1, 4, 0)])
def test_pool_sizes_that_cannot_work_are_refused_naming_the_variables(min_size, max_size, timeout):
    with pytest.raises(ImproperlyConfigured, match="DB_POOL_MAX_SIZE"):
        pooled({}, min_size=min_size, max_size=max_size, timeout=timeout)


def _settings_database(env: dict[str, str]) -> str:
    code = "from django.conf import settings; d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['OPTIONS'], d.get('DISABLE_SERVER_SIDE_CURSORS'))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    run = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "smt.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.strip()


def test_db_pool_switches_the_pool_on_for_postgresql_only():
    url = "postgres://u@db.example:5432/smt"
    assert "pool" not in _settings_database({"DATABASE_URL": url})
    on = _settings_database({"DATABASE_URL": url, "DB_POOL": "true", "DB_POOL_MAX_SIZE": "8"})
    assert on.startswith("0 ") and "'pool': {'min_size': 1, 'max_size': 8, 'timeout': 5.0}" in on
    assert "pool" not in _settings_database({"DATABASE_URL": "", "DB_POOL": "true"})  # SQLite: no pool


def test_behind_pgbouncer_server_side_cursors_are_off():
    url = "postgres://u@pgbouncer.example:6432/smt"
    assert _settings_database({"DATABASE_URL": url}).endswith(" False")
    assert _settings_database({"DATABASE_URL": url, "DB_TRANSACTION_POOLER": "true"}).endswith(" True")


def _backend_state(connection) -> tuple[int, set[str]]:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return pid, {row[0] for row in cur.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_hot_path_statements_are_really_prepared_on_postgresql(client, django_user_model):
    """Django turns psycopg's prepared statements off unless OPTIONS sets a threshold (then even prepare=True
    is ignored); the settings set one no ORM query reaches, so only the hot path's are prepared."""
    from django.db import connection

    market = build_market(django_user_model)
    end = market.today - timedelta(days=1)
    r = client.get(f"/api/v1/premises/{ESIID}/intervals/", {"start": end, "end": end}, **market.bearer())
    assert r.status_code == 200
    _, prepared = _backend_state(connection)
    assert any("day_mask" in s for s in prepared)  # the interval read
    assert any("token_checksum" in s for s in prepared)  # the bearer token
    hot_path = (
        "day_mask",
        "token_checksum",
        "thirdparty_agreementpremise",
        'INSERT INTO "thirdparty_accesslog',
        "UNION ALL SELECT 1, channel, month, data",  # the data's revision stamp (ETag, conditional requests)
    )
    assert all(any(mark in s for mark in hot_path) for s in prepared)  # and no ORM query


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_prepared_hot_path_answers_right_on_a_pooled_connection_handed_back_and_reused(
    client, django_user_model
):
    from django.db import close_old_connections, connection

    market = build_market(django_user_model)
    end = market.today - timedelta(days=1)
    start = end - timedelta(days=9)
    url = f"/api/v1/premises/{ESIID}/intervals/"
    expected = export_intervals(premise=market.premise, start=start, end=end, granularity="15min", fmt="json")

    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(pooled(saved, min_size=1, max_size=1, timeout=5))
    try:
        answers, states = [], []
        for _ in range(3):
            answers.append(client.get(url, {"start": start, "end": end}, **market.bearer()))
            states.append(_backend_state(connection))
            close_old_connections()  # the end of a request: the connection goes back to the pool
            assert connection.connection is None
        stats = connection.pool.get_stats()
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert all(r.content == expected.body for r in answers)
    (pid, prepared), *later = states
    assert any("day_mask" in statement for statement in prepared)  # the hot path prepared its reads
    # one pooled connection served every request, and the later ones reused its prepared statements
    assert later == [(pid, prepared), (pid, prepared)]
    assert stats["connections_num"] == 1 and stats["requests_num"] >= 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_the_pool_exhausted_answers_503_not_a_hang_or_500(django_user_model):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    market = build_market(django_user_model)
    end = market.today - timedelta(days=1)
    url = f"/api/v1/premises/{ESIID}/intervals/"
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(pooled(saved, min_size=1, max_size=1, timeout=0.5))
    try:
        connection.ensure_connection()  # this thread holds the pool's only connection
        with ThreadPoolExecutor(1) as other:
            response = other.submit(
                lambda: Client(raise_request_exception=False).get(
                    url, {"start": end, "end": end}, **market.bearer()
                )
            ).result(timeout=30)
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json" and response["Retry-After"]
