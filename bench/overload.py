"""Overload: N clients hammer one expensive page through a "proxy" that stamps X-Request-Start; how much is shed,
and how fast the served requests are (docs/operations.md, "Overload").

    python bench/overload.py [--clients 64] [--seconds 15] [--workers 2] [--path /api/schema/] [--timeout-ms 1000]

Serves the app with gunicorn (sync workers) on a free local port against $DATABASE_URL; each client stamps
``X-Request-Start: t=<ms>`` as it sends, which is what the front proxy does when a request arrives. Prints one JSON
object: requests, shed share, p50/p99 of served requests and of shed ones (seconds).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def start(port: int, workers: int, timeout_ms: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "REQUEST_QUEUE_TIMEOUT_MS": str(timeout_ms), "API_THROTTLE_PROFILE": "benchmark"}
    cmd = [str(gunicorn), "smt.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--backlog", "2048"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def hammer(*, port: int, path: str, clients: int, seconds: float) -> dict:
    served: list[float] = []
    shed: list[float] = []
    other: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path, headers={"X-Request-Start": f"t={int(time.time() * 1000)}"})
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0
            took = time.monotonic() - started
            with lock:
                if status == 503:
                    shed.append(took)
                elif 200 <= status < 500:
                    served.append(took)
                else:
                    other.append(status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = len(served) + len(shed) + len(other)
    return {
        "clients": clients,
        "seconds": seconds,
        "path": path,
        "requests": total,
        "served": len(served),
        "shed": len(shed),
        "errors": len(other),
        "shed_share": round(len(shed) / total, 3) if total else None,
        "served_p50": _quantile(served, 0.50),
        "served_p99": _quantile(served, 0.99),
        "shed_p50": _quantile(shed, 0.50),
        "shed_p99": _quantile(shed, 0.99),
    }


def run(*, clients: int, seconds: float, workers: int, path: str, timeout_ms: int) -> dict:
    port = _free_port()
    proc = start(port, workers, timeout_ms)
    try:
        result = hammer(port=port, path=path, clients=clients, seconds=seconds)
    finally:
        stop(proc)
    return {**result, "workers": workers, "timeout_ms": timeout_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--path", default="/api/schema/")
    parser.add_argument("--timeout-ms", type=int, default=1000)
    args = parser.parse_args()
    result = run(
        clients=args.clients,
        seconds=args.seconds,
        workers=args.workers,
        path=args.path,
        timeout_ms=args.timeout_ms,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
