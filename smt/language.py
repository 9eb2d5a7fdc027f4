"""The language of an answer made before ``LocaleMiddleware`` has run: a request shed for overload, an ``OPTIONS``
rate limit, a NUL in the address, an outage met by an outer middleware.

Such answers must stay cheap (the shed path exists to spare the server), so the language comes from the request
alone: the ``django_language`` cookie the header's switch sets, then ``Accept-Language``, else English. No
session, no account, no database. An answer made after ``LocaleMiddleware`` keeps the language it chose (which
may be the account's saved one).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


def request_language(request: HttpRequest) -> str:
    """The language already chosen for this request, else the cookie's, else ``Accept-Language``'s."""
    chosen = getattr(request, "LANGUAGE_CODE", None)
    if chosen:
        return str(chosen)
    # Django's own order without the URL prefix: the cookie, then the header (parsed once per value, cached)
    return translation.get_language_from_request(request, check_path=False)


def in_request_language(request: HttpRequest, build: Callable[[], HttpResponse]) -> HttpResponse:
    """``build()`` with the request's language active only while it runs; the answer says which it is
    (``Content-Language``) and that it depends on the header (``Vary``), as ``LocaleMiddleware``'s do."""
    language = request_language(request)
    with translation.override(language):
        response = build()
    response.headers.setdefault("Content-Language", language)
    patch_vary_headers(response, ("Accept-Language",))
    return response
