"""The cache backend: Redis, and an in-process fallback while Redis is down (docs/operations.md, "Redis down").

What uses the cache and what an outage of Redis means for it:

- rate limits (sign-in, sign-up, password reset through allauth; registration-code attempts; the API's
  buckets): counted in this process's memory instead, so a limit never falls to none; it becomes per process;
- the access cache (``thirdparty.access``) asks ``degraded`` and caches nothing while it is true, so a revoke
  in another process can never be missed.

After a failure Redis is not asked again for ``REDIS_RETRY_SECONDS``; then the next call tries it again, and
once it answers, every call goes back to it (counters start afresh there; the in-process ones are dropped).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from smt.outage import REDIS_ERRORS

log = logging.getLogger(__name__)

T = TypeVar("T")

REDIS_RETRY_SECONDS = 5.0


class FailoverRedisCache(RedisCache):
    """Django's RedisCache; while Redis does not answer, a process-local LocMemCache takes every call."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        # Bounded: a Redis that hangs must cost a request a second at most, not the TCP timeout.
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 1)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._fallback = LocMemCache(
            "smt-redis-fallback",
            {"KEY_PREFIX": params.get("KEY_PREFIX", ""), "TIMEOUT": params.get("TIMEOUT", 300)},
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        """True while Redis is taken to be down (the fallback answers)."""
        return time.monotonic() < self._down_until

    def mark_down(self, exc: BaseException | None = None) -> None:
        with self._lock:
            was_up = not self.degraded
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if was_up:
            log.warning(
                "Redis (cache) is not answering (%s): rate limits count in this process, the access cache is off",
                exc,
            )

    def _call(self, name: str, primary: Callable[[], T], *args: Any, **kwargs: Any) -> T:
        if not self.degraded:
            try:
                return primary()
            except REDIS_ERRORS as exc:
                self.mark_down(exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "add",
            lambda: super(FailoverRedisCache, self).add(key, value, timeout, version),
            key,
            value,
            timeout,
            version,
        )

    def get(self, key, default=None, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "get", lambda: super(FailoverRedisCache, self).get(key, default, version), key, default, version
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "set",
            lambda: super(FailoverRedisCache, self).set(key, value, timeout, version),
            key,
            value,
            timeout,
            version,
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "touch",
            lambda: super(FailoverRedisCache, self).touch(key, timeout, version),
            key,
            timeout,
            version,
        )

    def delete(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "delete", lambda: super(FailoverRedisCache, self).delete(key, version), key, version
        )

    def get_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "get_many", lambda: super(FailoverRedisCache, self).get_many(keys, version), keys, version
        )

    def has_key(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "has_key", lambda: super(FailoverRedisCache, self).has_key(key, version), key, version
        )

    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "incr", lambda: super(FailoverRedisCache, self).incr(key, delta, version), key, delta, version
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "set_many",
            lambda: super(FailoverRedisCache, self).set_many(data, timeout, version),
            data,
            timeout,
            version,
        )

    def delete_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._call(
            "delete_many", lambda: super(FailoverRedisCache, self).delete_many(keys, version), keys, version
        )

    def clear(self):  # type: ignore[no-untyped-def]
        self._fallback.clear()
        return self._call("clear", lambda: super(FailoverRedisCache, self).clear())
