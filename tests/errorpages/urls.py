"""The project's URLconf plus views that fail on purpose, to see the error pages a person would meet."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from smt.urls import handler400, handler403, handler404, handler429, handler500
from smt.urls import urlpatterns as site_patterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("odd")


urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/forbidden/", forbidden),
    path("test-errors/suspicious/", suspicious),
    path("api/v1/test-errors/boom/", boom),
    path("api/v1/test-errors/forbidden/", forbidden),
    *site_patterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler429", "handler500", "urlpatterns"]
