"""The project's error pages: 400, 403, 404, 500, 503 and the CSRF failure, never a bare Django page.

API paths answer problem+json; every other path gets the site's own page saying what happened and what to
do. Django calls ``handler500`` inside its ``except`` block for any exception that escapes a view or a
middleware, so ``sys.exc_info()`` tells which it was: a dependency outage becomes 503 with ``Retry-After``.
DRF views answer their own errors through ``api.problems.exception_handler``, which makes the same decision.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import loader
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from smt.language import in_request_language
from smt.outage import RETRY_AFTER_SECONDS, dependency_down, wants_problem_json
from smt.problemtypes import problem_type

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str],
    request: HttpRequest | None = None,
    **extra: object,
) -> HttpResponse:
    body = {"type": problem_type(slug, request), "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    response = HttpResponse(orjson.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in headers.items():
        response[name] = value
    return response


def unavailable_response(request: HttpRequest, dependency: str) -> HttpResponse:
    """503 for a request that met an outage: problem+json for the API, the "back soon" page otherwise; in the
    request's language even when an outer middleware met it, before ``LocaleMiddleware`` ran."""
    return in_request_language(request, lambda: _unavailable(request, dependency))


def _unavailable(request: HttpRequest, dependency: str) -> HttpResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if wants_problem_json(request.path):
        return _problem(
            503,
            "service-unavailable",
            "Service unavailable",
            _(
                "A service we depend on (%(dependency)s) is not answering. "
                "Nothing was lost; please try again in %(seconds)d seconds."
            )
            % {"dependency": dependency, "seconds": RETRY_AFTER_SECONDS},
            headers,
        )
    # Rendered without the request: the page must not touch the session or the user (the database).
    html = loader.render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def _in_request_language(
    handler: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """An error handler answers in the request's language (the one ``LocaleMiddleware`` and the account chose,
    else the cookie's or ``Accept-Language``'s), with ``Content-Language``: even when the error escaped a
    middleware outside ``LocaleMiddleware``, whose language is then not active."""

    @functools.wraps(handler)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return in_request_language(request, lambda: handler(request, *args, **kwargs))

    return wrapped


def server_error(request: HttpRequest) -> HttpResponse:
    dependency = dependency_down(sys.exc_info()[1])
    if dependency is not None:
        return unavailable_response(request, dependency)
    return in_request_language(request, lambda: _server_error(request))


def _server_error(request: HttpRequest) -> HttpResponse:
    if wants_problem_json(request.path):
        return _problem(
            500,
            "server-error",
            "Internal server error",
            _("Something went wrong on our side; it has been logged. Please try again."),
            {},
        )
    html = loader.render_to_string("500.html")
    return HttpResponse(html, status=500, content_type="text/html; charset=utf-8")


def _page(
    request: HttpRequest, template: str, status: int, context: dict[str, object] | None = None
) -> HttpResponse:
    html = loader.render_to_string(template, context or {}, request=request)
    response = HttpResponse(html, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def bad_request_response(request: HttpRequest, detail: str, parameter: str | None = None) -> HttpResponse:
    """400: problem+json naming the parameter on the API, the site's page for a person elsewhere."""
    if wants_problem_json(request.path):
        return _problem(
            400, "invalid-parameter", "Invalid parameter", detail, {}, request, parameter=parameter
        )
    return _page(request, "400.html", 400, {"detail": detail})


def too_large_response(request: HttpRequest) -> HttpResponse:
    detail = _("The request body is larger than %(size)s bytes; send less at once.") % {
        "size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
    }
    if wants_problem_json(request.path):
        return _problem(413, "too-large", "Request too large", detail, {}, request)
    return _page(request, "4xx.html", 413, {"title": _("This request is too large"), "detail": detail})


def too_many_fields_detail() -> str:
    return _("The request has more than %(count)s fields (query parameters or form fields); send fewer.") % {
        "count": f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}"
    }


@_in_request_language
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a suspicious or malformed request (too many fields, a body too large, a bad host)."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    if isinstance(exception, TooManyFieldsSent):
        return bad_request_response(request, too_many_fields_detail(), "fields")
    return bad_request_response(request, _("This request is malformed and cannot be answered."))


@_in_request_language
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: signed in, but this page is not yours to see."""
    if wants_problem_json(request.path):
        return _problem(
            403, "forbidden", "Forbidden", _("You do not have access to this resource."), {}, request
        )
    return _page(request, "403.html", 403)


@_in_request_language
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``, and with DEBUG on Django's technical 404 too (see ``PortalConfig.ready``): the site's
    page, never the list of URL patterns."""
    if wants_problem_json(request.path):
        return _problem(
            404, "not-found", "Not found", _("Nothing is available at this address."), {}, request
        )
    return _page(request, "404.html", 404)


def technical_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Stands in for ``django.views.debug.technical_404_response``: a 404 never lists the URLconf, even on
    the default ``make run`` setup where DEBUG is on."""
    return page_not_found(request, exception)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def _reload_url(request: HttpRequest) -> str:
    """The page that held the form (the Referer, same-origin only), else the path the form was sent to."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path()


@_in_request_language
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent with a stale or missing token (opened before a sign-in or sign-out
    in another tab, or with cookies cleared). A person already signed in who sent a sign-in form goes straight
    on; anyone else is told what happened and offered the form again."""
    if wants_problem_json(request.path):
        return _problem(
            403,
            "csrf-failed",
            "CSRF check failed",
            _("Send the session's CSRF token in the X-CSRFToken header, or use a bearer token."),
            {},
            request,
        )
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if signed_in and request.path == settings.LOGIN_URL:
        return HttpResponseRedirect(_next_url(request), status=303)
    if not signed_in and request.path == reverse("account_logout"):
        return HttpResponseRedirect("/", status=303)  # signed out already, in another tab
    return _page(
        request,
        "403_csrf.html",
        403,
        {
            "reload_url": _reload_url(request),
            "no_cookies": "cookie" in reason.lower(),
            "signed_in": signed_in,
        },
    )


SHED_RETRY_AFTER_SECONDS = 2


def overloaded_response(request: HttpRequest, *, waited_ms: float) -> HttpResponse:
    """503 for a request shed after queueing too long: cheap to make (no template, no database), in the language
    the request asks for (``smt.language``: its cookie or ``Accept-Language``)."""
    return in_request_language(request, lambda: _overloaded(request, waited_ms))


def _overloaded(request: HttpRequest, waited_ms: float) -> HttpResponse:
    headers = {"Retry-After": str(SHED_RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    detail = _(
        "The server is busy: this request waited %(waited)s s in line. "
        "Please try again in %(seconds)d seconds."
    ) % {"waited": f"{waited_ms / 1000:.1f}", "seconds": SHED_RETRY_AFTER_SECONDS}
    if wants_problem_json(request.path):
        return _problem(503, "service-unavailable", "Service unavailable", detail, headers)
    title, heading = _("Busy"), _("We are very busy")
    html = (
        f'<!doctype html><html lang="{escape(get_language())}"><head><meta charset="utf-8"><title>'
        f"{escape(title)} · Open Smart Meter Texas</title>"
        f'<link rel="stylesheet" href="/static/css/site.css"></head><body><main class="wrap"><h1>'
        f"{escape(heading)}</h1><p>{escape(detail)}</p></main></body></html>"
    )
    response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response
