"""Problem ``type`` URIs (RFC 9457) and what each means: ``/api/problems/<slug>`` (api/views/problems.py)
explains each, so every ``type`` an error carries leads to a page. Here, below the API, so the project's error
handlers (smt/errors.py) and the API's share one list."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest

#: every problem ``type`` the API answers: (title, what it means and what to do), served at
#: ``/api/problems/<slug>`` (api/views/problems.py) so that each type URI leads to its explanation
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "invalid-parameter": (
        "Invalid parameter",
        "A query parameter, body field or header is missing or not valid; `parameter` names it and `detail` "
        "says what is expected. Fix it and send the request again.",
    ),
    "malformed-body": (
        "Malformed request body",
        "The body could not be parsed (not JSON, or not the object the operation expects). Send a JSON object "
        "with `Content-Type: application/json`.",
    ),
    "unauthenticated": (
        "Authentication required",
        "No credential, or one that is not valid (expired, revoked, unknown). Send an OAuth 2.0 bearer token, "
        "an organization API key or sign in; refresh an expired token.",
    ),
    "forbidden": ("Forbidden", "The credential may not do this."),
    "scope-missing": (
        "Scope not granted",
        "The grant behind the credential lacks the scope this operation needs (named in `scope`). Ask the "
        "customer for it through the consent page.",
    ),
    "organization-inactive": (
        "Organization not active",
        "Your organization is suspended or not yet approved; no data can be read until it is active again.",
    ),
    "rep-only": ("REPs only", "Only a REP's API key may use this operation."),
    "not-current": (
        "Not the current occupancy",
        "Only the meter of the current occupancy can be read on demand.",
    ),
    "not-found": (
        "Not found",
        "Nothing is at this address, or it is not yours: an unknown premise and one you hold no grant on get "
        "the same answer.",
    ),
    "method-not-allowed": ("Method not allowed", "This address does not answer this method; see `Allow`."),
    "not-acceptable": (
        "Not acceptable",
        "The operation cannot produce the format asked for (`Accept` or `?format=`); `detail` lists those it can.",
    ),
    "conflict": ("Conflict", "The request conflicts with the state of the resource."),
    "no-meter": ("No meter", "The premise has no meter that can be read on demand."),
    "idempotency-in-flight": (
        "Request in flight",
        "The first request with this `Idempotency-Key` is still being answered. Wait a second (`Retry-After`) "
        "and send it again to get its answer.",
    ),
    "idempotency-key-reused": (
        "Idempotency key reused",
        "This `Idempotency-Key` was used in the last 24 hours for another request (another body or address). "
        "Use a new key for a new request.",
    ),
    "gone": (
        "Gone",
        "The download link has expired or is not valid; get a new one from the job, or start again.",
    ),
    "too-large": (
        "Request too large",
        "The request body is larger than the server accepts; send less at once.",
    ),
    "unsupported-media-type": (
        "Unsupported media type",
        "The body's `Content-Type` is not one this operation reads; send `application/json`.",
    ),
    "outside-window": (
        "Outside your access window",
        "The range asked for lies outside the dates your grant covers; `windows` gives their bounds. Ask for "
        "dates inside them.",
    ),
    "rate-limited": (
        "Too many requests",
        "A rate limit or a quota (exports, meter reads) is used up. `Retry-After` says when to try again; the "
        "`RateLimit-*` headers say how much is left. Refused requests do not use up a quota.",
    ),
    "meter-read-limit": (
        "Meter read limit",
        "The meter's network allows only a few on-demand reads per hour and day; `Retry-After` says when.",
    ),
    "service-unavailable": (
        "Service unavailable",
        "A service the API depends on is down, or the server is busy; nothing was lost. Try again after "
        "`Retry-After` seconds.",
    ),
    "server-error": ("Internal server error", "Something went wrong on our side; it has been logged."),
    "error": ("Error", "An error without a more specific type."),
}


def problem_type(slug: str, request: HttpRequest | None = None) -> str:
    """The absolute URI of a problem type's page: on the host (and port) the request came to, else the
    configured ``API_PROBLEM_TYPE_BASE`` or ``SITE_URL``."""
    base = getattr(settings, "API_PROBLEM_TYPE_BASE", None)
    if not base:
        root = settings.SITE_URL
        if request is not None:
            with contextlib.suppress(SuspiciousOperation):  # a Host not allowed: the configured site
                root = request.build_absolute_uri("/").rstrip("/")
        base = f"{root}/api/problems/"
    return f"{base}{slug}" if base.endswith(("/", "-")) else f"{base}/{slug}"
