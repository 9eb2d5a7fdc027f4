"""The restore drill of docs/operations.md, in CI: pg_dump (custom format) of a database with interval data,
pg_restore into a fresh database, and the restored copy gives the same interval digests, the same export bytes and
the same registration codes, but only with the REGISTRATION_CODE_KEY that is backed up apart from the data."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers.faults import PG_BIN
from tests.helpers.market import ESIID

ROOT = Path(__file__).resolve().parent.parent.parent
CODE_KEY = "restore-drill-registration-code-key"

PROBE = """
import hashlib, io, json, sys
from django.core.management import call_command
from portal.models import ServicePeriod
from usage.models import IntervalDay, IntervalMonth

esiid, start, end = sys.argv[1:4]
digest = hashlib.sha256()
for model in (IntervalDay, IntervalMonth):
    for row in model.objects.order_by("pk").values_list():
        digest.update(repr(row).encode())
out = io.StringIO()
call_command("export_intervals", esiid, "--start", start, "--end", end, "--format", "csv", stdout=out)
codes = sorted(str(p.registration_code) for p in ServicePeriod.objects.all())
print(json.dumps({"intervals": digest.hexdigest(), "rows": IntervalDay.objects.count(),
                  "export": hashlib.sha256(out.getvalue().encode()).hexdigest(), "codes": codes}))
"""


def _url(settings_dict: dict, name: str) -> str:
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{settings_dict['USER']}{password}@{host}:{port}/{name}"


def _probe(url: str, *, code_key: str, start: str, end: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "REGISTRATION_CODE_KEY": code_key}
    script = "import django, sys; django.setup(); " + f"exec({PROBE!r})"
    result = subprocess.run(
        [sys.executable, "-c", script, ESIID, start, end],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "smt.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pg(tool: str, *args: str) -> None:
    subprocess.run([str(PG_BIN / tool), *args], check=True, capture_output=True, timeout=300)


@pytest.fixture
def code_key(settings):
    settings.REGISTRATION_CODE_KEY = CODE_KEY
    return CODE_KEY


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_into_a_fresh_database_with_the_same_data_exports_and_codes(
    code_key, market, tmp_path
):
    from django.db import connection

    source = _url(connection.settings_dict, connection.settings_dict["NAME"])
    fresh = f"{connection.settings_dict['NAME']}_restored"
    target = _url(connection.settings_dict, fresh)
    maintenance = _url(connection.settings_dict, "postgres")
    end = market.today - timedelta(days=1)
    window = {"start": (end - timedelta(days=30)).isoformat(), "end": end.isoformat()}
    dump = tmp_path / "smt.dump"

    _pg("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={source}")
    _pg("dropdb", "--if-exists", f"--maintenance-db={maintenance}", fresh)
    _pg("createdb", f"--maintenance-db={maintenance}", fresh)
    try:
        _pg("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target}", str(dump))
        before = _probe(source, code_key=code_key, **window)
        after = _probe(target, code_key=code_key, **window)
        without_key = _probe(target, code_key="a-new-key-because-the-old-one-was-not-backed-up", **window)
    finally:
        _pg("dropdb", "--if-exists", f"--maintenance-db={maintenance}", fresh)

    assert before["rows"] > 0
    assert after == before  # intervals, export bytes, codes
    assert all(code != "None" for code in before["codes"])
    assert without_key["intervals"] == before["intervals"]
    assert set(without_key["codes"]) == {"None"}  # the codes are lost without their key
