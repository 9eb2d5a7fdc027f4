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

import contextlib
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

    #: read without counting (a quota of accepted work, taken later by ``quota_take``)
    peeked: bool = False

    @property
    def exceeded(self) -> bool:
        return self.count >= self.limit if self.peeked else self.count > self.limit


def _redis_client():
    """The raw redis-py client behind Django's RedisCache (None for other cache backends)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    try:
        return backend._cache.get_client(None, write=True)
    except Exception:  # noqa: BLE001 - fall back to the generic cache API
        return None


def _windows(hits: list[tuple[str, str]]) -> list[tuple]:
    """(bucket, limit, period, cache key, reset, plain key) of each configured bucket of ``hits``."""
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
    return todo


def count(
    hits: list[tuple[str, str]],
    *,
    read_key: str | None = None,
    peek: list[tuple[str, str]] | tuple = (),
) -> tuple[list[Counted], object]:
    """Count one request against each (bucket, identity) of ``hits`` and read, without counting, each of
    ``peek`` (quotas of accepted work: ``quota_take`` counts them once the work is accepted); returns the state
    of each bucket, and the value at ``read_key`` (read in the same round trip; None without it)."""
    todo = _windows(hits)
    looks = _windows(list(peek))
    client = None if getattr(cache, "degraded", False) else _redis_client()
    counted = _count_in_redis(client, todo, read_key, looks) if client is not None else None
    counts, value = counted if counted is not None else _count_in_cache(todo, read_key, looks)
    states = [
        Counted(bucket, limit, period, c, reset, peeked=i >= len(todo))
        for i, ((bucket, limit, period, _, reset, _), c) in enumerate(zip(todo + looks, counts, strict=True))
    ]
    return states, value


def quota_take(bucket: str, ident: str) -> Counted | None:
    """Count one unit of accepted work against a quota, atomically (one INCR); when that goes over the
    limit the unit is given back and the state says ``exceeded``. None when the bucket is not configured."""
    windows = _windows([(bucket, ident)])
    if not windows:
        return None
    todo = windows[0]
    name, limit, period, key, reset, plain = todo
    client = None if getattr(cache, "degraded", False) else _redis_client()
    counted = _count_in_redis(client, [todo], None, []) if client is not None else None
    n = (counted if counted is not None else _count_in_cache([todo], None, []))[0][0]
    if n > limit:
        quota_give_back(bucket, ident)
        return Counted(name, limit, period, n - 1, reset, peeked=True)
    return Counted(name, limit, period, n, reset)


def quota_give_back(bucket: str, ident: str) -> None:
    """Undo one ``quota_take`` (the work was not created after all)."""
    for _, _, _, key, _, plain in _windows([(bucket, ident)]):
        client = None if getattr(cache, "degraded", False) else _redis_client()
        if client is not None:
            with contextlib.suppress(*REDIS_ERRORS):
                client.decr(key)
                return
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            cache.decr(plain)


def _count_in_redis(client, todo: list, read_key: str | None, looks: list) -> tuple[list[int], object] | None:
    """One pipelined round trip; None when Redis does not answer (then the cache's fallback counts)."""
    pipe = client.pipeline(transaction=False)
    for _, _, period, key, _, _ in todo:
        pipe.incr(key)
        pipe.expire(key, period + 1)
    for _, _, _, key, _, _ in looks:
        pipe.get(key)
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
    n = len(todo) * 2
    peeked = [int(res[n + i] or 0) for i in range(len(looks))]
    return [int(res[i * 2]) for i in range(len(todo))] + peeked, value


def _count_in_cache(todo: list, read_key: str | None, looks: list) -> tuple[list[int], object]:
    """The generic cache API: another backend, or the in-process fallback while Redis is down."""
    counts = []
    for _, _, period, _, _, plain in todo:
        cache.add(plain, 0, timeout=period + 1)
        try:
            counts.append(int(cache.incr(plain)))
        except ValueError:  # expired between add and incr
            cache.set(plain, 1, timeout=period + 1)
            counts.append(1)
    counts.extend(int(cache.get(plain) or 0) for _, _, _, _, _, plain in looks)
    return counts, (cache.get(read_key) if read_key is not None else None)


def client_ip(request) -> str:
    return request_client_ip(request)
