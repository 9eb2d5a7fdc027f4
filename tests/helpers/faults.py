"""Private PostgreSQL and Redis servers that fault tests may stop and start (never the shared ones), and a way
to point this process's Django connection at one of them.

Every wait is bounded; every server is stopped when its ``with`` block ends, whatever happened inside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A local port nothing listens on (bound and released: connections to it are refused at once)."""
    return free_port()


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class PrivateRedis:
    """``redis-server --port P --save ''``: no persistence, so a restart comes back empty (like a failover)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PrivatePostgres:
    """A throwaway cluster (``initdb``, trust authentication) on a free port, started and stopped with pg_ctl."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="smt-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.dir / "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def running(self) -> bool:
        return _port_open(self.port)

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


class PrivatePrimary(PrivatePostgres):
    """A private cluster that streams its WAL to standbys: ``wal_level=replica``, WAL senders, and a
    ``host replication`` line (trust, 127.0.0.1 only) in pg_hba.conf."""

    def __init__(self) -> None:
        super().__init__()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n")
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")


class PrivateStandby(PrivatePostgres):
    """A hot standby of ``primary`` on a free port: ``pg_basebackup -R`` (a copy of its data directory that
    streams from it from then on)."""

    def __init__(self, primary: PrivatePostgres) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="smt-pg-standby-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"]
                + ["-D", str(self.data), "-R", "-X", "stream", "-c", "fast"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def stop_immediately(self) -> None:
        """``pg_ctl stop -m immediate``: the server is gone at once, as a lost machine would be."""
        self._ctl("-m", "immediate", "stop")


@contextlib.contextmanager
def django_database_at(*, port: int, name: str = "postgres", user: str = "postgres") -> Iterator[None]:
    """Point this process's default Django connection at 127.0.0.1:``port`` for the block, then back."""
    from django.db import connection

    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(
        {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "NAME": name,
            "USER": user,
            "PASSWORD": "",
            "CONN_MAX_AGE": 0,
        }
    )
    connection.settings_dict.setdefault("OPTIONS", {})
    connection.settings_dict["OPTIONS"] = {**saved.get("OPTIONS", {}), "connect_timeout": 3}
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def celery_connections_reset(app) -> None:
    """Drop pooled broker connections (Celery's and kombu's global producer pools), so the next publish
    connects to the broker the configuration names now."""
    import kombu.pools

    # Not app.close(): that also deregisters the app, and current_app (which shared tasks use) falls back
    # to a default app without our tasks.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    kombu.pools.reset()
    app.amqp._producer_pool = None


@pytest.fixture
def private_cache(settings, monkeypatch):
    """Cache and Celery broker on a private Redis the test may stop and start; tasks are queued (not run
    in-process) while it runs. Yields the ``PrivateRedis``."""
    import smt.cache
    from smt.celery import app

    monkeypatch.setattr(smt.cache, "REDIS_RETRY_SECONDS", 0.5)
    with private_redis() as server:
        settings.REDIS_URL = server.url
        settings.CACHES = {
            "default": {"BACKEND": "smt.cache.FailoverRedisCache", "LOCATION": server.url, "KEY_PREFIX": "t"}
        }
        saved = {
            "CELERY_BROKER_URL": app.conf.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": app.conf.task_always_eager,
        }
        app.conf.update(CELERY_BROKER_URL=server.url, CELERY_TASK_ALWAYS_EAGER=False)
        celery_connections_reset(app)
        try:
            yield server
        finally:
            app.conf.update(**saved)
            celery_connections_reset(app)


class CeleryWorker:
    """A real ``celery worker`` process (solo pool) for this test database and a private broker; ``kill()`` is
    SIGKILL, as the out-of-memory killer or a lost machine would do."""

    def __init__(self, *, broker_url: str, queue: str, env: dict[str, str] | None = None) -> None:
        from django.db import connection

        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": broker_url,
            "CELERY_QUEUE": queue,
            "CELERY_ONE_QUEUE": queue,  # the tasks this worker queues stay on its private queue
            **(env or {}),
        }
        self.queue = queue
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"smt-worker-{queue}.log"

    def start(self) -> None:
        import sys

        root = Path(__file__).resolve().parent.parent.parent
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smt",
                "worker",
                "-P",
                "solo",
                "-Q",
                self.queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
            cwd=root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115 - the child holds it
        )

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None
