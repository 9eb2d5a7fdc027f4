"""What may be read from a replica: interval data, in GET and HEAD requests, unless the caller just wrote.

Everything that decides who may see what (sessions, tokens, API keys, agreements, service periods) and every
write is on the primary, so a revocation or a move-out counts from its commit whatever a replica's lag; only
the models in ``REPLICA_MODELS`` (and the raw interval reads of usage/storage) may be read from a replica, so
new code reads from the primary unless it is added here. Read-your-writes: after a caller's POST, PUT, PATCH
or DELETE that succeeded, their reads stay on the primary for ``DATABASE_READ_YOUR_WRITES_SECONDS``: a browser
by a short signed cookie, an API caller (``Authorization`` or ``X-Api-Key``) by a cache key for that
credential (docs/scaling.md, "Read replicas").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

from smt.replicas import data_alias, replica_aliases, replica_reads_allowed

REPLICA_MODELS = frozenset({"usage.intervalday", "usage.intervalmonth"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PIN_COOKIE = "smt_wrote"
PIN_SALT = "smt.dbrouter.read-your-writes"
PIN_CACHE_PREFIX = "smt:wrote:"


class ReplicaRouter:
    """Reads of ``REPLICA_MODELS`` where ``smt.replicas.data_alias`` says; all else, and all writes and
    migrations, on the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if model._meta.label_lower in REPLICA_MODELS:
            return data_alias()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # replicas hold the primary's rows: a row read from one relates to the primary's

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Opens ``replica_reads_allowed`` for GET and HEAD requests of callers who did not just write, and marks
    callers whose unsafe request succeeded. Not loaded without replicas."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            if wrote_recently(request):
                return self.get_response(request)
            with replica_reads_allowed():
                return self.get_response(request)
        response = self.get_response(request)
        if request.method in WRITE_METHODS and response.status_code < 400:
            mark_wrote(request, response)
        return response


def pin_seconds() -> int:
    return int(settings.DATABASE_READ_YOUR_WRITES_SECONDS)


def credential_key(request: HttpRequest) -> str | None:
    """The cache key of the credential an API caller presented (hashed), or None for a browser."""
    credential = request.META.get("HTTP_AUTHORIZATION") or request.META.get("HTTP_X_API_KEY")
    if not credential:
        return None
    return PIN_CACHE_PREFIX + hashlib.sha256(credential.encode("utf-8", "replace")).hexdigest()[:40]


def wrote_recently(request: HttpRequest) -> bool:
    if pin_seconds() <= 0:
        return False
    key = credential_key(request)
    if key is not None:
        if getattr(
            cache, "degraded", False
        ):  # Redis is down (smt/cache.py): other processes' marks are unseen
            return True
        try:
            return cache.get(key) is not None
        except Exception:  # noqa: BLE001 - no cache, no memory of writes: the primary is always right
            return True
    return (
        request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT, max_age=pin_seconds()) is not None
    )


def mark_wrote(request: HttpRequest, response: HttpResponse) -> None:
    seconds = pin_seconds()
    if seconds <= 0:
        return
    key = credential_key(request)
    if key is not None:
        try:
            cache.set(key, 1, seconds)
        except Exception:  # noqa: BLE001 - wrote_recently answers True while the cache is down
            return
        return
    response.set_signed_cookie(
        PIN_COOKIE,
        "1",
        salt=PIN_SALT,
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
