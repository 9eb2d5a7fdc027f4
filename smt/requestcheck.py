"""Refuse a request whose address carries a NUL character before any view sees it: no database stores one
(PostgreSQL text cannot hold it), so a view would fail deep inside instead of saying what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from smt.errors import bad_request_response
from smt.language import in_request_language


def nul_parameter(request: HttpRequest) -> str | None:
    """The name of the first part of the address holding a NUL: ``path`` or a query parameter's name."""
    if "\x00" in request.path_info:
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query.lower() and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        parameter = nul_parameter(request)
        if parameter is not None:
            detail = _("%(parameter)s contains a NUL character (%%00), which no value here may hold.")
            return in_request_language(
                request, lambda: bad_request_response(request, detail % {"parameter": parameter}, parameter)
            )
        return self.get_response(request)
