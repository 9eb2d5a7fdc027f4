"""A per-client-IP limit on the OAuth endpoints a machine calls (token, revoke, introspect).

Counted per client IP (``smt.clientip``: behind TRUSTED_PROXY_COUNT proxies, the client's, not the proxy's)
in a fixed window in the cache; over the limit, an RFC 6749-style JSON error with 429 and ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from smt.clientip import client_ip

WINDOW_SECONDS = 60


def oauth_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an OAuth endpoint view with the per-IP limit OAUTH_REQUESTS_PER_MINUTE_PER_IP."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"smt:rl:oauth:{client_ip(request)}:{window}"
        cache.add(key, 0, timeout=WINDOW_SECONDS + 1)
        try:
            used = int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS + 1)
            used = 1
        if limit and used > limit:
            retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
            response = JsonResponse(
                {
                    "error": "slow_down",
                    "error_description": f"Too many requests from your address; retry in {retry_after} s.",
                },
                status=HTTPStatus.TOO_MANY_REQUESTS,
            )
            response["Retry-After"] = str(retry_after)
            return response
        return view(request, *args, **kwargs)

    return wrapped
