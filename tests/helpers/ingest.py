"""Small helpers shared by the ingest and storage tests."""

from __future__ import annotations

import contextlib
import gzip
from datetime import date, datetime, timedelta
from pathlib import Path

from usage import timegrid
from usage.models import Meter, Premise, Tdu

HEADER = (
    "ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
    "CONSUMPTION_SURPLUSGENERATION"
)
ONCOR_DUNS = "1039940674000"
CNP_DUNS = "957877905"
ESI_1 = "10443720000000001"
ESI_2 = "10443720000000002"
ESI_CNP = "1008901000000000000001"


def make_tdus():
    oncor = Tdu.objects.create(name="Oncor Electric Delivery", duns=ONCOR_DUNS, esiid_prefixes=["1044372"])
    cnp = Tdu.objects.create(
        name="CenterPoint Energy Houston Electric", duns=CNP_DUNS, esiid_prefixes=["1008901"]
    )
    return oncor, cnp


def make_premise(esiid: str, tdu: Tdu, installed_on: date = date(2020, 1, 1)) -> Premise:
    premise = Premise.objects.create(
        esiid=esiid, tdu=tdu, address_line1="1 Main St", city="Austin", zip_code="78701"
    )
    Meter.objects.create(premise=premise, meter_number=f"M{esiid}", installed_on=installed_on)
    return premise


def day_rows(
    esiid: str,
    day: date,
    *,
    revised: datetime | None = None,
    kwh=lambda slot: (slot % 7) * 0.125,
    flag="A",
    channel="Consumption",
    apostrophe=True,
) -> list[str]:
    """The TDU layout's rows of one meter-day, in absolute-time order."""
    revised = revised or datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(
        hour=7, minute=37
    )
    rev = revised.strftime("%m/%d/%Y %H:%M:%S")
    out = []
    for slot in range(timegrid.slots_in_day(day)):
        start, end = timegrid.slot_wallclock(day, slot)
        value = kwh(slot)
        out.append(
            f"{chr(39) if apostrophe else ''}{esiid},{day:%m/%d/%Y},{rev},{start},{end},{value:.3f},{flag},{channel}"
        )
    return out


def write_file(
    directory: Path,
    lines: list[str],
    *,
    duns=ONCOR_DUNS,
    day=date(2025, 7, 1),
    tag="a",
    gz=False,
    header=HEADER,
    newline="\n",
    bom=False,
) -> Path:
    name = f"{duns}_{day:%Y%m%d}_{tag}.csv" + (".gz" if gz else "")
    text = newline.join([header, *lines]) + newline
    data = (("\ufeff" if bom else "") + text).encode("utf-8")
    path = directory / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def stream_file(path: Path, header: str, line: bytes, repeat: int, *, gz: bool, block: int = 1 << 16) -> Path:
    """Write ``header`` then ``line`` ``repeat`` times, plain or gzip, without holding the file in memory."""
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(path.open("wb"))
        if gz:
            fh = stack.enter_context(gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=6))
        fh.write(header.encode() + b"\n")
        full, rest = divmod(repeat, block)
        chunk = line * block
        for _ in range(full):
            fh.write(chunk)
        fh.write(line * rest)
    return path


# The loader runs as a grandchild, forked from a small Python process that reports its peak RSS. Measured on
# a direct child, ``ru_maxrss`` includes the *parent's* peak: Linux carries the old address space's high-water
# mark across exec, so a test worker grown past the bound failed every case (a /bin/true started from a
# 600 MB process "peaks" at 612 MB).
_MEASURE = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_loader(path: Path, *, env: dict[str, str], timeout: float = 120) -> tuple[int, str, float, float]:
    """Run ``manage.py load_intervals`` on ``path`` in a child process against the test database (the
    test must commit its data: ``django_db(transaction=True)``). Returns (exit code, stdout, seconds,
    peak RSS of the loader in MB, from wait4)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from urllib.parse import quote

    from django.db import connection

    sd = connection.settings_dict
    auth = quote(sd["USER"] or "") + (f":{quote(sd['PASSWORD'])}" if sd.get("PASSWORD") else "")
    url = f"postgres://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"
    child_env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "smt.settings", **env}
    child_env.pop("REDIS_URL", None)
    root = Path(__file__).resolve().parents[2]
    log = path.with_name(path.name + ".out")
    rss_file = path.with_name(path.name + ".rss")
    rss_file.unlink(missing_ok=True)
    command = [sys.executable, str(root / "manage.py"), "load_intervals", "--no-progress", str(path)]
    started = time.perf_counter()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, str(rss_file), *command],
            env=child_env,
            cwd=root,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that a timeout stops the loader too
        )
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb = int(rss_file.read_text()) if rss_file.exists() else usage.ru_maxrss
    return proc.returncode, log.read_text("utf-8", "replace"), seconds, rss_kb / 1024
