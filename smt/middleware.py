"""Headers every response carries: a strict Content Security Policy (no CDN, no inline script), and no caching
of any page rendered for a signed-in person.

``form-action`` allows the site only; a view whose form legitimately ends in a redirect to another origin (the
OAuth consent page: Approve and Decline redirect to the client's registered ``redirect_uri``) names that one
origin with ``csp_form_action_allow(request, origin)``.
"""

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
