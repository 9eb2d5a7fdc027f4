"""``OPTIONS`` on every API and Green Button address: 200 with ``Allow`` (RFC 9110 §9.3.7), decided here once.

Answered before the view runs, so it needs no credential (a CORS preflight carries none), never meets a view's
renderer (the CSV and XML markers cannot render a metadata body) and never reaches a function view that
allows only GET. Addresses that lead nowhere go on to the view and get its 404 problem document.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext

from api import throttling
from smt.language import in_request_language

_METHODS = ("get", "post", "put", "patch", "delete")
PREFIXES = ("/api/", "/espi/")


def allowed_methods(request: HttpRequest) -> list[str] | None:
    """The methods the view at the request's path answers; None when nothing is there."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "view_class", None)
    if view_class is None:  # a function view: the Green Button documents, read-only
        methods = ["GET"]
    else:
        from api.base import NotFoundView

        if issubclass(view_class, NotFoundView):
            return None
        methods = [m.upper() for m in _METHODS if hasattr(view_class, m)]
    if "GET" in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return [*methods, "OPTIONS"]


class OptionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "OPTIONS" or not request.path_info.startswith(PREFIXES):
            return self.get_response(request)
        methods = allowed_methods(request)
        if methods is None:
            return self.get_response(request)
        allow = ", ".join(methods)
        response = HttpResponse(orjson.dumps({"allow": methods}), content_type="application/json")
        response["Allow"] = allow
        response["Cache-Control"] = "private, no-store"
        states, _ = throttling.count([("ip", throttling.client_ip(request))])
        for name, value in throttling.headers_for(states).items():
            response[name] = value
        if any(s.exceeded for s in states):
            from api.problems import problem_response

            t = throttling.tightest(states)
            wait = t.reset if t is not None else 1
            limited = in_request_language(  # before LocaleMiddleware: the language from the request alone
                request,
                lambda: problem_response(
                    429,
                    gettext("Too many requests; try again in %(seconds)d seconds.") % {"seconds": wait},
                    headers={"Retry-After": str(wait)},
                ),
            )
            for name, value in throttling.headers_for(states).items():
                limited[name] = value
            return limited
        return response
