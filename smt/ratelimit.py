"""Fixed-window rate limits shared by the API (api/throttling.py) and the OAuth endpoints
(thirdparty/oauthlimit.py): the counter in the cache and the ``RateLimit-*`` headers both send.

Counted through the cache API, so while Redis is down the in-process fallback of smt/cache.py counts and a
limit never falls to none. Headers: draft-ietf-httpapi-ratelimit-headers, describing the tightest limit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import cache


class Window(Protocol):
    """What the headers need of a counted bucket (api.throttling.Counted and ``Counted`` here)."""

    @property
    def bucket(self) -> str: ...
    @property
    def limit(self) -> int: ...
    @property
    def period(self) -> int: ...
    @property
    def reset(self) -> int: ...
    @property
    def remaining(self) -> int: ...


@dataclass(frozen=True)
class Counted:
    bucket: str
    limit: int
    period: int
    count: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def count_in_cache(bucket: str, ident: str, *, limit: int, period: int) -> Counted:
    """Count one request for ``ident`` in ``bucket``'s current window of ``period`` seconds."""
    now = time.time()
    window = int(now // period)
    key = f"smt:rl:{bucket}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        used = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        used = 1
    return Counted(bucket, limit, period, used, max(1, int((window + 1) * period - now + 0.999)))


def tightest(states: Sequence[Window]) -> Window | None:
    if not states:
        return None
    return min(states, key=lambda s: (s.remaining, -s.reset))


def headers_for(states: Sequence[Window]) -> dict[str, str]:
    t = tightest(states)
    if t is None:
        return {}
    return {
        "RateLimit-Limit": str(t.limit),
        "RateLimit-Remaining": str(t.remaining),
        "RateLimit-Reset": str(t.reset),
        "RateLimit-Policy": ", ".join(f'{s.limit};w={s.period};comment="{s.bucket}"' for s in states),
    }
