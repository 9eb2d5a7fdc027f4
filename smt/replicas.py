"""Read replicas: which database an interval-data read uses, each replica's lag, replicas that stopped answering.

A read goes to a replica only inside ``replica_reads_allowed()`` (smt/dbrouter.py's middleware opens it for
GET and HEAD requests) and only when a caller asks (``data_read``, the ORM router's interval models); every
other read, and every read outside a request (Celery, commands), is on the primary. One replica is chosen per
request, so its reads agree with one another. A replica lagging past ``DATABASE_REPLICA_MAX_LAG_SECONDS``, or
one that does not answer, is skipped; a read that fails on a replica is made again on the primary
(docs/scaling.md, "Read replicas").
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, TypeVar

import dj_database_url
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from smt.sql import fetch_all

log = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
T = TypeVar("T")

# Seconds behind the primary. Caught up when everything received has been replayed while streaming (an idle
# primary sends nothing, so the last replayed commit's age says nothing then); otherwise the age of the last
# replayed commit, infinite if none was replayed yet. A server not in recovery (a promoted standby) is current.
# The receiver's status is NULL for a role without pg_read_all_stats: then a running receiver counts.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE COALESCE(status, 'streaming') = 'streaming') THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 'Infinity')
END
"""


def replica_databases(
    urls: list[str], *, primary: dict[str, Any], connect_timeout: int
) -> dict[str, dict[str, Any]]:
    """DATABASES entries ``replica_0``, ``replica_1``, ... for ``DATABASE_REPLICA_URLS``: each the primary's
    options (pool, prepared statements, cursors) at the replica's address, a short connect timeout, and in tests
    a mirror of the primary, so the test suite runs unchanged with replicas configured."""
    if not urls:
        return {}
    if not str(primary.get("ENGINE", "")).endswith("postgresql"):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (replicas stream from it)."
        )
    if connect_timeout < 1:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_CONNECT_TIMEOUT={connect_timeout}: need 1 second or more."
        )
    out: dict[str, dict[str, Any]] = {}
    for i, url in enumerate(urls):
        parsed: dict[str, Any] = dict(dj_database_url.parse(url))
        if not str(parsed.get("ENGINE", "")).endswith("postgresql"):
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS item {i + 1} is not a postgres:// URL.")
        out[f"{REPLICA_PREFIX}{i}"] = {
            **primary,
            **{k: parsed[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if k in parsed},
            "OPTIONS": {
                **primary.get("OPTIONS", {}),
                **parsed.get("OPTIONS", {}),
                "connect_timeout": connect_timeout,
            },
            "ATOMIC_REQUESTS": False,  # a request must not open a transaction on every replica
            "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
        }
    return out


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


# --- the per-request choice -------------------------------------------------------------------------------


class _Scope:
    """A request whose interval-data reads may use a replica; ``alias`` is the database chosen at its first."""

    __slots__ = ("alias",)

    def __init__(self) -> None:
        self.alias: str | None = None


_SCOPE: ContextVar[_Scope | None] = ContextVar("smt_replica_scope", default=None)


@contextlib.contextmanager
def replica_reads_allowed() -> Iterator[None]:
    """Inside the block interval-data reads may go to a replica."""
    token = _SCOPE.set(_Scope())
    try:
        yield
    finally:
        _SCOPE.reset(token)


def primary_only_enter() -> Token[_Scope | None]:
    """From here on (until ``primary_only_leave``) every read is on the primary: a Celery task, even one run
    in process inside a GET (smt/celery.py)."""
    return _SCOPE.set(None)


def primary_only_leave(token: Token[_Scope | None]) -> None:
    _SCOPE.reset(token)


def data_alias() -> str:
    """The database for an interval-data read now: the primary outside ``replica_reads_allowed``, else the
    replica this request chose at its first read (a usable one at random), else the primary."""
    scope = _SCOPE.get()
    if scope is None:
        return DEFAULT_DB_ALIAS
    if scope.alias is None:
        usable = [alias for alias in replica_aliases() if replica_usable(alias)]
        scope.alias = random.choice(usable) if usable else DEFAULT_DB_ALIAS
    return scope.alias


def data_read(read: Callable[[str], T]) -> T:
    """``read(alias)`` on ``data_alias()``; a replica that fails is marked down and the read made again on
    the primary (as are the rest of the request's reads)."""
    alias = data_alias()
    if alias == DEFAULT_DB_ALIAS:
        return read(alias)
    try:
        return read(alias)
    except DatabaseError as exc:
        replica_down(alias, reason=exc)
        scope = _SCOPE.get()
        if scope is not None:
            scope.alias = DEFAULT_DB_ALIAS
        return read(DEFAULT_DB_ALIAS)


def data_rows(sql: str, params: list) -> list[tuple]:
    """Rows of an interval-data query, on the database ``data_read`` picks."""
    return data_read(lambda alias: fetch_all(sql, params, using=alias))


# --- health: lag and answers, measured at most every DATABASE_REPLICA_CHECK_SECONDS per process --------------


@dataclass(frozen=True)
class _Health:
    checked: float  # time.monotonic() of the measurement
    lag: float | None  # seconds behind the primary; None: did not answer


_HEALTH: dict[str, _Health] = {}
_HEALTH_LOCK = threading.Lock()


def replica_usable(alias: str) -> bool:
    """Whether ``alias`` answers and lags at most ``DATABASE_REPLICA_MAX_LAG_SECONDS``: measured again once the
    last measurement is ``DATABASE_REPLICA_CHECK_SECONDS`` old, or ``DATABASE_REPLICA_RETRY_SECONDS`` after it
    stopped answering."""
    now = time.monotonic()
    health = _HEALTH.get(alias)
    if health is None or now - health.checked >= _recheck_after(health):
        health = _measure(alias)
    return health.lag is not None and health.lag <= float(settings.DATABASE_REPLICA_MAX_LAG_SECONDS)


def replica_lag(alias: str) -> float:
    """Seconds ``alias`` is behind the primary (one query on it; raises DatabaseError when it does not answer)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        row = cursor.fetchone()
    return float(row[0])


def replica_down(alias: str, *, reason: BaseException | str) -> None:
    """Skip ``alias`` for ``DATABASE_REPLICA_RETRY_SECONDS``; its connection is dropped."""
    with _HEALTH_LOCK:
        was_up = (health := _HEALTH.get(alias)) is None or health.lag is not None
        _HEALTH[alias] = _Health(time.monotonic(), None)
    if was_up:
        log.warning("read replica %s skipped: %s", alias, reason)
    with contextlib.suppress(Exception):
        connections[alias].close()


def health_forget() -> None:
    """Forget every measurement (tests; a process that changed its settings)."""
    with _HEALTH_LOCK:
        _HEALTH.clear()


def _recheck_after(health: _Health) -> float:
    if health.lag is None:
        return float(settings.DATABASE_REPLICA_RETRY_SECONDS)
    return float(settings.DATABASE_REPLICA_CHECK_SECONDS)


def _measure(alias: str) -> _Health:
    try:
        lag = replica_lag(alias)
    except Exception as exc:  # noqa: BLE001 - a replica that fails in any way is skipped, never a 500
        replica_down(alias, reason=exc)
        return _HEALTH[alias]
    health = _Health(time.monotonic(), lag)
    with _HEALTH_LOCK:
        _HEALTH[alias] = health
    return health
