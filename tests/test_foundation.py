"""The project runs: health check, settings rules, deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from smt.env import envbool

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "up"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "refused" not in response.content.decode()


def _manage(*args, env_extra):
    unset = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests set the last one
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "SECRET_KEY": "k3J9-pQ2_vX8#mZ5!rT7@wY4$nB6^hD1&fG0*sL2(aE9)uC3+oI8=eW5",
            "ALLOWED_HOSTS": "smt.example.org",
            "SITE_URL": "https://smt.example.org",
            "REGISTRATION_CODE_KEY": "another-long-random-secret-for-codes",
            "SMT_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_a_registration_code_key(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        env_extra={
            "SECRET_KEY": "y" * 64,
            "ALLOWED_HOSTS": "smt.example.org",
            "SITE_URL": "https://smt.example.org",
            "REGISTRATION_CODE_KEY": "",
            "SMT_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "REGISTRATION_CODE_KEY" in result.stderr + result.stdout


def test_an_access_window_under_13_months_is_an_error_not_a_silent_clamp(tmp_path):
    result = _manage("check", env_extra={"ACCESS_WINDOW_MONTHS": "12", "SMT_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "smt.E004" in result.stderr and "ACCESS_WINDOW_MONTHS is 12" in result.stderr


@pytest.mark.parametrize(("value", "expected"), [("1", True), (" Yes ", True), ("off", False), ("", False)])
def test_envbool_reads_the_usual_words(monkeypatch, value, expected):
    monkeypatch.setenv("SMT_TEST_SWITCH", value)
    assert envbool("SMT_TEST_SWITCH") is expected


@pytest.mark.parametrize("value", ["ture", "enabled", "2"])
def test_envbool_refuses_what_it_cannot_read(monkeypatch, value):
    monkeypatch.setenv("SMT_TEST_SWITCH", value)
    with pytest.raises(ImproperlyConfigured, match="SMT_TEST_SWITCH"):
        envbool("SMT_TEST_SWITCH")


def test_an_unreadable_setting_stops_the_start_with_its_name(tmp_path):
    result = _manage("check", env_extra={"DEBUG": "ture", "SMT_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG='ture' is not a yes/no value" in result.stderr


def test_json_logs_are_one_object_per_line(tmp_path):
    code = (
        "import logging, django; django.setup(); logging.getLogger('smt.test').warning('hello %s', 'world')"
    )
    env = dict(
        os.environ, LOG_FORMAT="json", SMT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="smt.settings"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    import json

    line = result.stderr.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
