"""Exactly one beat sends the schedule, however many hosts start one (docs/scaling.md).

The beat that holds a Redis lock (redis-py's ``Lock``, with a time-to-live it renews on every tick) sends; any
other beat sends nothing and tries the lock again every few seconds, so it takes over within ``LOCK_SECONDS``
of the first one's death. Without a Redis broker (``make run``: tasks in-process) there is nothing to guard.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import redis
from celery.beat import PersistentScheduler
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)

LOCK_SECONDS = 60  # a dead holder's lock expires after this; a live one renews it well before
RETRY_SECONDS = 5  # how often a standby beat tries the lock


class SingleBeatScheduler(PersistentScheduler):
    lock_key = "smt:beat:lock"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock: Any = None
        self._redis: redis.Redis | None = None
        super().__init__(*args, **kwargs)

    def _client(self) -> redis.Redis | None:
        url = str(self.app.conf.broker_url or "")
        if not url.startswith(("redis://", "rediss://")):
            return None
        if self._redis is None:
            self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return self._redis

    def holds_lock(self) -> bool:
        """Take or renew the lock; False while another beat holds it or Redis does not answer."""
        client = self._client()
        if client is None:
            return True
        try:
            if self._lock is not None:
                self._lock.reacquire()
                return True
            lock = client.lock(self.lock_key, timeout=LOCK_SECONDS)
            if lock.acquire(blocking=False):
                self._lock = lock
                log.info("beat: holding %s, sending the schedule", self.lock_key)
                return True
        except LockError:
            log.warning("beat: lost %s (expired), standing by", self.lock_key)
            self._lock = None
        except RedisError:
            log.warning("beat: Redis does not answer, sending nothing")
        return False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.holds_lock():
            return RETRY_SECONDS
        # wake up often enough to renew the lock before it expires
        return min(super().tick(*args, **kwargs), LOCK_SECONDS / 3)

    def close(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(LockError, RedisError):  # expired already: nothing to release
                self._lock.release()
            self._lock = None
        super().close()
