"""Errors as RFC 9457 problem details (``application/problem+json``): never a 200 with an error, never a trace.

Every error body has ``type`` (a stable URI naming the kind of problem, documented in docs/api.md),
``title``, ``status`` and ``detail`` (what went wrong and what to do); validation errors add ``parameter``
(the offending query or body field); 422 adds ``windows``; 403 for a missing scope adds ``scope``.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

import orjson
from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import Http404, HttpResponse
from django.utils.translation import gettext
from rest_framework import exceptions

from smt.outage import RETRY_AFTER_SECONDS, dependency_down
from smt.problemtypes import PROBLEM_TYPES, problem_type  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

#: the request whose exception is being answered (problem ``type`` URIs are on its host)
_REQUEST: ContextVar = ContextVar("api_problem_request", default=None)

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Outside your access window",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

SLUGS = {
    400: "invalid-parameter",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "too-large",
    415: "unsupported-media-type",
    422: "outside-window",
    429: "rate-limited",
    500: "server-error",
    503: "service-unavailable",
}


class ApiProblem(exceptions.APIException):
    """An error the API reports as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict | None = None,
        **extra,
    ):
        self.status_code = status
        self.detail = detail
        self.slug = slug or SLUGS.get(status, "error")
        self.title = title or TITLES.get(status, "Error")
        self.extra = extra
        self.headers = headers or {}
        super().__init__(detail)


def invalid_parameter(parameter: str, detail: str) -> ApiProblem:
    return ApiProblem(400, detail, slug="invalid-parameter", title="Invalid parameter", parameter=parameter)


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict | None = None,
    request=None,
    **extra,
) -> HttpResponse:
    body = {
        "type": problem_type(slug or SLUGS.get(status, "error"), request or _REQUEST.get()),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    response = HttpResponse(orjson.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for k, v in (headers or {}).items():
        response[k] = v
    return response


def _flatten(detail) -> tuple[str | None, str]:
    """(parameter, message) of a DRF ValidationError detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            _, msg = _flatten(value)
            return (None if key == "non_field_errors" else str(key)), msg
        return None, gettext("Invalid request.")
    if isinstance(detail, list | tuple):
        return _flatten(detail[0]) if detail else (None, gettext("Invalid request."))
    return None, str(detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception becomes a problem document (its ``type`` on the request's
    host)."""
    token = _REQUEST.set(context.get("request"))
    try:
        return _exception_problem(exc, context)
    finally:
        _REQUEST.reset(token)


def _exception_problem(exc, context):
    if isinstance(exc, ApiProblem):
        return problem_response(
            exc.status_code, str(exc.detail), slug=exc.slug, title=exc.title, headers=exc.headers, **exc.extra
        )
    if isinstance(exc, Http404):
        return problem_response(404, gettext("Nothing is available at this address."))
    if isinstance(exc, PermissionDenied):
        return problem_response(403, gettext("You may not do this."))
    if isinstance(exc, exceptions.APIException):
        return _api_exception_problem(exc, context)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            413,
            gettext("The request body is larger than %(size)s bytes.")
            % {"size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"},
        )
    if isinstance(exc, TooManyFieldsSent):
        return problem_response(
            400,
            gettext(
                "The request has more than %(count)s fields (query parameters or form fields); send fewer."
            )
            % {"count": f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}"},
            slug="invalid-parameter",
            title="Invalid parameter",
            parameter="fields",
        )
    if isinstance(exc, SuspiciousOperation):
        return problem_response(400, gettext("This request is malformed and cannot be answered."))
    dependency = dependency_down(exc)
    if dependency is not None:
        log.warning("API request met an outage of the %s", dependency, exc_info=exc)
        return problem_response(
            503,
            gettext(
                "A service we depend on (%(dependency)s) is not answering. "
                "Nothing was lost; please try again in %(seconds)d seconds."
            )
            % {"dependency": dependency, "seconds": RETRY_AFTER_SECONDS},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    log.exception("unhandled error in API view", exc_info=exc)
    return problem_response(
        500, gettext("Something went wrong on our side; it has been logged. Please try again.")
    )


def _api_exception_problem(exc: exceptions.APIException, context) -> HttpResponse:
    """The problem document of one of DRF's exceptions (checked in this order)."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return _unauthenticated_problem(exc, context)
    if isinstance(exc, exceptions.NotAcceptable):
        return problem_response(406, str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return _throttled_problem(exc)
    if isinstance(exc, exceptions.ValidationError):
        parameter, message = _flatten(exc.detail)
        return problem_response(
            400, message, slug="invalid-parameter", title="Invalid parameter", parameter=parameter
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return problem_response(405, str(exc.detail))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return problem_response(415, str(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return problem_response(400, str(exc.detail), slug="malformed-body", title="Malformed request body")
    if isinstance(exc, exceptions.PermissionDenied):
        if str(exc.detail).startswith("CSRF Failed"):  # DRF's session check, with Django's English reason
            return problem_response(
                403,
                gettext("Send the session's CSRF token in the X-CSRFToken header, or use a bearer token."),
            )
        return problem_response(403, str(exc.detail))
    return problem_response(exc.status_code, str(exc.detail))


def _unauthenticated_problem(exc: exceptions.APIException, context) -> HttpResponse:
    """401 with the view's WWW-Authenticate challenge, or 403 when the view has none."""
    view = context.get("view")
    request = context.get("request")
    headers = {}
    if view is not None and request is not None:
        auth_header = view.get_authenticate_header(request)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    detail = str(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated):
        detail = gettext(
            "Send an OAuth 2.0 bearer token (Authorization: Bearer ...), an organization API key "
            "(Authorization: Api-Key smt_...) or sign in."
        )
    status = 401 if headers else 403
    return problem_response(status, detail, headers=headers)


def _throttled_problem(exc) -> HttpResponse:
    """429 with Retry-After."""
    wait = int(exc.wait or 1)
    return problem_response(
        429,
        gettext("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait},
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )
