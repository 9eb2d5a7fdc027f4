"""Conditional requests on data: ``ETag`` and ``Last-Modified`` computed before any body is rendered.

The validators come from the stored data's revision times and row counts (usage.reads.selectors.data_stamp)
plus what shapes the body: the premise, the range (which lies inside the caller's window), the granularity,
the format and anything else the caller names (the ESPI path and query). The ETag is weak: compression gives
different bytes of the same representation. A match answers 304 with no body."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from usage.models import Premise
from usage.reads.selectors import data_stamp

#: bumped when a writer's output changes for the same data, so no client keeps a stale body
BODY_VERSION = "1"


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: int | None  # Unix seconds; None when there is no data


def validators_for(
    ranges: list[tuple[Premise, date, date]], *, billing: bool, shape: tuple[object, ...]
) -> Validators:
    """The validators of a body built from ``ranges`` (premise, first and last local date each)."""
    latest = 0
    parts: list[object] = [BODY_VERSION, *shape]
    for premise, start, end in ranges:
        mtime, digest = data_stamp(premise=premise, start=start, end=end, billing=billing)
        latest = max(latest, mtime)
        parts += [start.isoformat(), end.isoformat(), digest]
    key = "|".join(str(p) for p in parts).encode("utf-8")
    etag = 'W/"' + hashlib.sha256(key).hexdigest()[:32] + '"'
    return Validators(etag=etag, last_modified=latest or None)


def not_modified(request: HttpRequest, v: Validators) -> HttpResponseBase | None:
    """A 304 (with the validators) when the request's ``If-None-Match``/``If-Modified-Since`` still hold."""
    response = get_conditional_response(request, etag=v.etag, last_modified=v.last_modified)
    if response is not None:
        apply(response, v, request)
    return response


def apply(response: HttpResponseBase, v: Validators, request: HttpRequest) -> None:
    """Put the validators on a response; personal data: ``private``. A cookie-borne call keeps ``no-store``
    (a shared computer's browser keeps nothing); a server with a credential may keep it and revalidate."""
    response["ETag"] = v.etag
    if v.last_modified is not None:
        response["Last-Modified"] = http_date(v.last_modified)
    response["Cache-Control"] = "private, no-store" if request.COOKIES else "private, no-cache"
