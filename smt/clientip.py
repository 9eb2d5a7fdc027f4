"""The client's IP address, the one definition every limiter uses (sign-in, sign-up, codes, API, OAuth).

Behind ``TRUSTED_PROXY_COUNT`` proxies (a TLS terminator, a load balancer), ``REMOTE_ADDR`` is the nearest
proxy's address; each trusted proxy appends the address it saw to ``X-Forwarded-For``, so the client is the
``TRUSTED_PROXY_COUNT``-th entry from the right. Entries further left are whatever the client sent and are
never believed. With ``TRUSTED_PROXY_COUNT = 0`` (no proxy) the header is ignored entirely.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str) -> str | None:
    value = value.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as the trusted proxies saw it."""
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted > 0:
        hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if hops:
            # fewer entries than proxies: a proxy was bypassed or did not append; the leftmost is the
            # furthest address any trusted proxy saw
            found = _clean(hops[-trusted] if len(hops) >= trusted else hops[0])
            if found:
                return found
    return remote or "unknown"
