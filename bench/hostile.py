"""The fault audit's hostile TDU files at full size, each loaded by ``manage.py load_intervals`` in a child
process: one JSON line per file with the outcome (reason), wall seconds and the child's peak RSS (wait4).

    DATABASE_URL=postgres://.../name python bench/hostile.py [--only NAME ...] [--keep DIR]

Run by hand (minutes, several GB of temporary files), not by CI; the CI-sized versions are in
tests/usage/test_ingest_bombs.py. Works in a scratch database ``<name>_hostile`` on the same server, dropped
and created anew, with the default limits (docs/ingest.md, "Limits per file") unless the environment sets
others. Files:
- blank-gz: a gzip of 2 GiB of blank lines (about 2 MB compressed);
- row-gz: a gzip of one valid row repeated to 2 GiB;
- bad-gz: a gzip of one bad row repeated to 2 GiB;
- blank-plain: 256 MiB of blank lines, plain;
- row-plain: one valid row repeated to 2 GiB, plain (no ratio to catch it);
- valid-plain: 1 GiB of distinct valid rows (400 meters x about 330 days), plain: it loads.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GIB = 1 << 30
MIB = 1 << 20
DUNS = "1039940674000"
HEADER = (
    "ESIID,USAGE_DATE,REVISION_DATE,USAGE_START_TIME,USAGE_END_TIME,USAGE_KWH,ESTIMATED_ACTUAL,"
    "CONSUMPTION_SURPLUSGENERATION\n"
)
METERS = 400
FIRST_DAY = date(2024, 1, 1)

SETUP = f"""
import django
django.setup()
from datetime import date
from usage.models import Meter, Premise, Tdu
tdu, _ = Tdu.objects.get_or_create(duns="{DUNS}", defaults={{"name": "Oncor", "esiid_prefixes": ["1044372"]}})
for i in range({METERS}):
    esiid = f"1044372{{i:010d}}"
    p, made = Premise.objects.get_or_create(esiid=esiid, defaults=dict(tdu=tdu, address_line1="1 Main St",
        city="Austin", zip_code="78701"))
    if made:
        Meter.objects.create(premise=p, meter_number=f"M{{esiid}}", installed_on=date(2020, 1, 1))
"""


def _write(path: Path, line: bytes, total: int, *, gz: bool) -> Path:
    block = line * max(1, (4 * MIB) // len(line))
    with path.open("wb") as raw:
        fh = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) if gz else raw
        fh.write(HEADER.encode())
        written = 0
        while written < total:
            fh.write(block)
            written += len(block)
        if gz:
            fh.close()
    return path


def _slots(day: date) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from usage import timegrid

    return [timegrid.slot_wallclock(day, s) for s in range(timegrid.slots_in_day(day))]


def _valid_plain(path: Path, target: int) -> Path:
    """Distinct valid rows, meter-days in day order, until ``target`` bytes."""
    written = 0
    day = FIRST_DAY
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        while written < target:
            slots = _slots(day)
            rev = (
                datetime.combine(day + timedelta(days=1), datetime.min.time()) + timedelta(hours=7)
            ).strftime("%m/%d/%Y %H:%M:%S")
            d = day.strftime("%m/%d/%Y")
            out = []
            for m in range(METERS):
                esiid = f"'1044372{m:010d}"
                for k, (a, b) in enumerate(slots):
                    out.append(f"{esiid},{d},{rev},{a},{b},{(k * 37 + m) % 2000 / 1000:.3f},A,Consumption\n")
            data = "".join(out).encode()
            fh.write(data)
            written += len(data)
            day += timedelta(days=1)
    return path


def _run_loader(path: Path, env: dict) -> dict:
    started = time.perf_counter()
    with open(str(path) + ".out", "wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 - our interpreter, manage.py, our file
            [PY, str(ROOT / "manage.py"), "load_intervals", "--no-progress", str(path)],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out = Path(str(path) + ".out").read_text("utf-8", "replace")
    first = out.splitlines()[0] if out else ""
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "outcome": first[:300],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--keep", default=None, help="directory for the files (kept); default a temporary one")
    args = ap.parse_args()
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_hostile"
    admin = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": urlunsplit(parts._replace(path="/" + name))}
    env.pop("REDIS_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "smt.settings"
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([PY, "-c", SETUP], cwd=ROOT, env=env, check=True)  # noqa: S603
    valid = b"'10443720000000001,07/01/2025,07/02/2025 07:37:17,10:00,10:15,0.625,A,Consumption\n"
    bad = valid.replace(b",A,", b",Q,")
    files = {
        "blank-gz": lambda p: _write(p, b"\n", 2 * GIB, gz=True),
        "row-gz": lambda p: _write(p, valid, 2 * GIB, gz=True),
        "bad-gz": lambda p: _write(p, bad, 2 * GIB, gz=True),
        "blank-plain": lambda p: _write(p, b"\n", 256 * MIB, gz=False),
        "row-plain": lambda p: _write(p, valid, 2 * GIB, gz=False),
        "valid-plain": lambda p: _valid_plain(p, GIB),
    }
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        for tag, make in files.items():
            if args.only and tag not in args.only:
                continue
            path = Path(tmp) / f"{DUNS}_20250701_{tag}.csv{'.gz' if tag.endswith('gz') else ''}"
            make(path)
            size = path.stat().st_size
            result = _run_loader(path, env)
            print(orjson.dumps({"file": tag, "bytes": size, **result}).decode(), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
