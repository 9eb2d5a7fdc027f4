"""Headers every response carries: a strict Content Security Policy (no CDN, no inline script), and no caching
of any page rendered for a signed-in person; and shedding requests that queued too long.

``form-action`` allows the site only; a view whose form legitimately ends in a redirect to another origin (the
OAuth consent page: Approve and Decline redirect to the client's registered ``redirect_uri``) names that one
origin with ``csp_form_action_allow(request, origin)``.
"""

import time

from django.conf import settings
from django.utils.cache import patch_vary_headers

CSP_BASE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
PRIVATE = "private, no-store"


def csp_form_action_allow(request, origin: str) -> None:
    """Let this response's forms (and the redirects after them) go to ``origin`` (``scheme://host[:port]``)."""
    allowed = getattr(request, "_csp_form_action", [])
    if origin and origin not in allowed:
        allowed.append(origin)
    request._csp_form_action = allowed


def csp_for(request) -> str:
    extra = getattr(request, "_csp_form_action", [])
    return CSP_BASE + "".join(f" {origin}" for origin in extra)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", csp_for(request))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # whatever a signed-in person sees may be personal: no browser or shared cache keeps it, so the
            # back button on a shared computer shows nothing after sign-out
            response.headers.setdefault("Cache-Control", PRIVATE)
            patch_vary_headers(response, ("Cookie",))
        return response


class QueueTimeoutMiddleware:
    """Overload is shed, not queued (docs/operations.md): the front proxy stamps ``X-Request-Start: t=<ms>``
    (milliseconds since the epoch when it received the request); a request that waited longer than
    ``REQUEST_QUEUE_TIMEOUT_MS`` (default 1000) before reaching the app gets 503 with ``Retry-After`` at once,
    without touching the database: its client has most likely given up, and serving it only delays the rest.

    A request without the header (no proxy, or a health probe) is served as usual; so are ``/healthz`` and
    ``/readyz``, which the load balancer needs to see answered.
    """

    EXEMPT = ("/healthz", "/readyz")

    def __init__(self, get_response):
        self.get_response = get_response
        self.timeout_ms = int(getattr(settings, "REQUEST_QUEUE_TIMEOUT_MS", 1000))

    @staticmethod
    def waited_ms(header: str, now_ms: float) -> float | None:
        """How long the request queued, from ``t=<ms>`` (or a bare number of ms); None when unreadable."""
        value = header.strip().removeprefix("t=")
        try:
            start = float(value)
        except ValueError:
            return None
        if start < 1e11:  # seconds (some proxies send t=<seconds>.<fraction>)
            start *= 1000
        elif start > 1e14:  # microseconds (Apache's %t)
            start /= 1000
        return now_ms - start

    def __call__(self, request):
        header = request.META.get("HTTP_X_REQUEST_START")
        if header and self.timeout_ms > 0 and not request.path.startswith(self.EXEMPT):
            waited = self.waited_ms(header, time.time() * 1000)
            if waited is not None and waited > self.timeout_ms:
                return self._shed(request, waited)
        return self.get_response(request)

    def _shed(self, request, waited: float):
        from smt.errors import overloaded_response

        return overloaded_response(request, waited_ms=waited)
