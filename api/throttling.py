"""Rate limits that tell the truth: every API response says how much is left (RateLimit-* headers).

Limits come from ``settings.API_RATE_LIMITS`` (the profile named by ``API_THROTTLE_PROFILE``): a fixed
window per credential (token, API key or signed-in account) and per client IP, counted in the cache
(Redis in production: one pipelined round trip per request). The docs and the OpenAPI description print
the same settings (``limits_description``), so they cannot drift from what is enforced.

Headers (draft-ietf-httpapi-ratelimit-headers): ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds until the window resets) describe the tightest limit that applies;
``RateLimit-Policy`` lists them all. A 429 adds ``Retry-After``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from smt.clientip import client_ip as request_client_ip
from smt.outage import REDIS_ERRORS
from smt.ratelimit import headers_for, tightest  # noqa: F401 - the API's headers are the shared ones

DEFAULT_PROFILES = {
    # Ordinary use: generous for scripts, firm against runaway loops.
    "default": {
        "credential": {"limit": 600, "period": 60},
        "ip": {"limit": 1200, "period": 60},
        "exports": {"limit": 30, "period": 3600},
        "meter-reads": {"limit": 24, "period": 86400},
        "han-devices": {"limit": 20, "period": 3600},
        "han-messages": {"limit": 60, "period": 3600},
    },
    # `make bench`: limits far above what one machine can serve, so the benchmark measures the server.
    "benchmark": {
        "credential": {"limit": 10_000_000, "period": 60},
        "ip": {"limit": 10_000_000, "period": 60},
        "exports": {"limit": 10_000, "period": 3600},
        "meter-reads": {"limit": 10_000, "period": 86400},
        "han-devices": {"limit": 10_000, "period": 3600},
        "han-messages": {"limit": 10_000, "period": 3600},
    },
}


def profile_name() -> str:
    return getattr(settings, "API_THROTTLE_PROFILE", "default")


def limits() -> dict:
    configured = getattr(settings, "API_RATE_LIMITS", None)
    if configured:
        return configured
    return DEFAULT_PROFILES.get(profile_name(), DEFAULT_PROFILES["default"])


def limits_description() -> str:
    """Markdown for the docs, generated from the settings that enforce the limits."""
    lim = limits()
    names = {
        "credential": "per credential (OAuth token, API key or signed-in account), every request",
        "ip": "per client IP address, every request (also unauthenticated ones)",
        "exports": "per credential, bulk export jobs created",
        "meter-reads": "per credential, on-demand meter reads requested",
        "han-devices": "per credential, in-home devices added, retried or removed",
        "han-messages": "per credential, messages and price signals sent to in-home devices",
    }
    lines = [f"Rate limits (profile `{profile_name()}`):", ""]
    for bucket, spec in lim.items():
        lines.append(f"- {spec['limit']} requests per {spec['period']} seconds {names.get(bucket, bucket)}")
    lines += [
        "",
        "Every response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) "
        "for the tightest limit that applies, and `RateLimit-Policy` for all of them. "
        "A request over a limit gets `429` with `Retry-After`.",
    ]
    return "\n".join(lines)


@dataclass
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


def _redis_client():
    """The raw redis-py client behind Django's RedisCache (None for other cache backends)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    try:
        return backend._cache.get_client(None, write=True)
    except Exception:  # noqa: BLE001 - fall back to the generic cache API
        return None


def count(hits: list[tuple[str, str]], *, read_key: str | None = None) -> tuple[list[Counted], object]:
    """Count one request against each (bucket, identity); returns the state of each bucket after it, and
    the value at ``read_key`` (read in the same round trip; None without it)."""
    lim = limits()
    now = time.time()
    todo = []
    for bucket, ident in hits:
        spec = lim.get(bucket)
        if not spec:
            continue
        period = int(spec["period"])
        window = int(now // period)
        reset = max(1, int((window + 1) * period - now + 0.999))
        key = cache.make_and_validate_key(f"smt:rl:{bucket}:{ident}:{window}")
        todo.append((bucket, int(spec["limit"]), period, key, reset, f"smt:rl:{bucket}:{ident}:{window}"))
    client = None if getattr(cache, "degraded", False) else _redis_client()
    counted = _count_in_redis(client, todo, read_key) if client is not None else None
    counts, value = counted if counted is not None else _count_in_cache(todo, read_key)
    states = [
        Counted(bucket, limit, period, c, reset)
        for (bucket, limit, period, _, reset, _), c in zip(todo, counts, strict=True)
    ]
    return states, value


def _count_in_redis(client, todo: list, read_key: str | None) -> tuple[list[int], object] | None:
    """One pipelined round trip; None when Redis does not answer (then the cache's fallback counts)."""
    pipe = client.pipeline(transaction=False)
    for _, _, period, key, _, _ in todo:
        pipe.incr(key)
        pipe.expire(key, period + 1)
    if read_key is not None:
        pipe.get(cache.make_and_validate_key(read_key))
    try:
        res = pipe.execute()
    except REDIS_ERRORS as exc:  # Redis down: count in this process instead (smt/cache.py), never not at all
        mark_down = getattr(caches["default"], "mark_down", None)
        if mark_down is not None:
            mark_down(exc)
        return None
    value = None
    if read_key is not None:
        raw = res[-1]
        value = None if raw is None else caches["default"]._cache._serializer.loads(raw)
    return [int(res[i * 2]) for i in range(len(todo))], value


def _count_in_cache(todo: list, read_key: str | None) -> tuple[list[int], object]:
    """The generic cache API: another backend, or the in-process fallback while Redis is down."""
    counts = []
    for _, _, period, _, _, plain in todo:
        cache.add(plain, 0, timeout=period + 1)
        try:
            counts.append(int(cache.incr(plain)))
        except ValueError:  # expired between add and incr
            cache.set(plain, 1, timeout=period + 1)
            counts.append(1)
    return counts, (cache.get(read_key) if read_key is not None else None)


def client_ip(request) -> str:
    return request_client_ip(request)
