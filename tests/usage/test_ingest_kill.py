"""A process killed in the middle of a file leaves the database as before; a rerun completes the file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.helpers.ingest import ESI_1, ESI_2, day_rows, make_premise, make_tdus, write_file
from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import IngestFile, IntervalDay, Premise

DRIVER = """
import os, signal, sys
import django
django.setup()
from usage import storage
from usage.ingest.loader import ingest_file

real = storage.write_day_blocks

def write_then_die(*args, **kwargs):
    real(*args, **kwargs)  # rows are written inside the open transaction ...
    os.kill(os.getpid(), signal.SIGKILL)  # ... and the process dies before the commit

storage.write_day_blocks = write_then_die
ingest_file(path=sys.argv[1])
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_kill_mid_file_then_rerun(tmp_path):
    oncor, _ = make_tdus()
    make_premise(ESI_1, oncor)
    make_premise(ESI_2, oncor)
    first = ingest_file(path=write_file(tmp_path, day_rows(ESI_1, date(2025, 7, 1)), tag="before"))
    assert first.stored == 96
    lines = day_rows(ESI_1, date(2025, 7, 2)) + day_rows(ESI_2, date(2025, 7, 2))
    path = write_file(tmp_path, lines, day=date(2025, 7, 2), tag="killed")
    sd = connection.settings_dict
    auth = quote(sd["USER"] or "") + (f":{quote(sd['PASSWORD'])}" if sd.get("PASSWORD") else "")
    url = f"postgres://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "smt.settings"}
    env.pop("REDIS_URL", None)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(path)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    # as before the file: no report, no day rows of it
    assert IngestFile.objects.count() == 1
    assert IntervalDay.objects.count() == 1
    report = ingest_file(path=path)
    assert report.status == IngestFile.Status.LOADED and report.stored == 192
    got = storage.read_channel_days(
        premise_id=Premise.objects.get(esiid=ESI_2).pk,
        channel=1,
        start=date(2025, 7, 2),
        end=date(2025, 7, 2),
    )
    assert got.values_wh.size == 96
