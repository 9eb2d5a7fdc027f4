"""Limits on the OAuth endpoints a machine calls (token, revoke, introspect): per client IP and per client_id.

Checked before the view runs, so before django-oauth-toolkit computes the hash of the client secret: a flood
of wrong secrets costs a cache increment each, not a password hash. The client_id is read from the HTTP Basic
header or the body and is not verified (it only names the bucket). Counted by ``api.throttling.count`` (Redis,
or the in-process fallback of smt/cache.py while Redis is down); every answer carries the API's ``RateLimit-*``
headers, a 429 adds ``Retry-After`` and an RFC 6749-style JSON error.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from smt.clientip import client_ip
from smt.ratelimit import Counted, count_in_cache, headers_for

WINDOW_SECONDS = 60


def presented_client_id(request: HttpRequest) -> str | None:
    """The client_id the caller claims (HTTP Basic first, then the body), unverified."""
    auth = request.headers.get("Authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return unquote_plus(decoded.split(":", 1)[0]) or None
    if request.method == "POST":
        return request.POST.get("client_id") or None
    return None


def oauth_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an OAuth endpoint view with the limits OAUTH_REQUESTS_PER_MINUTE_PER_IP and _PER_CLIENT (0: none)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        hits = [("oauth-ip", client_ip(request), settings.OAUTH_REQUESTS_PER_MINUTE_PER_IP)]
        client_id = presented_client_id(request)
        if client_id is not None:  # hashed: any length or byte the caller sends makes a short, safe key
            ident = hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()[:32]
            hits.append(("oauth-client", ident, settings.OAUTH_REQUESTS_PER_MINUTE_PER_CLIENT))
        states: list[Counted] = [
            count_in_cache(bucket, ident, limit=limit, period=WINDOW_SECONDS)
            for bucket, ident, limit in hits
            if limit
        ]
        over = [s for s in states if s.exceeded]
        if over:
            wait = max(s.reset for s in over)
            who = "this client" if any(s.bucket == "oauth-client" for s in over) else "your address"
            response: HttpResponse = JsonResponse(
                {
                    "error": "slow_down",
                    "error_description": f"Too many requests from {who}; retry in {wait} s.",
                },
                status=HTTPStatus.TOO_MANY_REQUESTS,
            )
            response["Retry-After"] = str(wait)
        else:
            response = view(request, *args, **kwargs)
        for name, value in headers_for(states).items():
            response[name] = value
        return response

    return wrapped


def client_secret_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The same limits on another view that checks a client secret (the Green Button ``ApplicationInformation``
    and ``Authorization`` resources), counted when the request presents one (HTTP Basic): bearer-token reads
    cost no hash and keep the API's own limits."""
    limited = oauth_limited(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.headers.get("Authorization", "")[:6].lower() == "basic ":
            return limited(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped
