"""``Idempotency-Key`` on the POSTs that create work (exports, meter reads): a client that retries after a
lost answer gets the first answer again instead of a second job.

Keys are scoped to the credential and kept 24 hours (``KEEP``; expired ones are replaced lazily and swept by
``idempotency_purge``). The same key with another request (method, path or body) is a 422; while the first
request is still being answered, a 409. Only successful answers (2xx) are stored: a refused request leaves
the key free, so the client can fix it and send it again with the same key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import IdempotencyRecord
from api.problems import ApiProblem, invalid_parameter

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
#: answer headers worth replaying (the rate-limit headers are those of the replay itself)
_REPLAYED_HEADERS = ("Location", "Content-Type")

State = IdempotencyRecord.State


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def _parse_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _KEY_RE.match(raw):
        raise invalid_parameter(
            HEADER,
            _("%(header)s must be 1 to 255 visible ASCII characters (a UUID is a good choice).")
            % {"header": HEADER},
        )
    return raw


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status or 200)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(credential: str, key: str, digest: str, now: datetime) -> IdempotencyRecord | None:
    """Claim the key for this request (None), or the record that already holds it."""
    IdempotencyRecord.objects.filter(credential=credential, key=key, created_at__lt=now - KEEP).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(credential=credential, key=key, request_hash=digest)
        return None
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(credential=credential, key=key).first()
        if existing is None:  # expired and deleted in between: try once more
            return _claim(credential, key, digest, now)
        return existing


def idempotent(
    *,
    credential: str,
    raw_key: str | None,
    method: str,
    path: str,
    body: bytes,
    answer: Callable[[], HttpResponse],
) -> HttpResponse:
    """``answer()`` once per (credential, key); later calls with the same request get the stored answer."""
    key = _parse_key(raw_key)
    if key is None:
        return answer()
    digest = request_hash(method, path, body)
    existing = _claim(credential, key, digest, timezone.now())
    if existing is not None:
        if existing.request_hash != digest:
            raise ApiProblem(
                422,
                _("This %(header)s was used for another request in the last 24 hours; use a new key.")
                % {"header": HEADER},
                slug="idempotency-key-reused",
                title="Idempotency key reused",
                parameter=HEADER,
            )
        if existing.state == State.IN_FLIGHT:
            raise ApiProblem(
                409,
                _("The first request with this %(header)s is still being answered; try again in a second.")
                % {"header": HEADER},
                slug="idempotency-in-flight",
                title="Request in flight",
                headers={"Retry-After": "1"},
            )
        return _replay(existing)
    try:
        response = answer()
    except BaseException:
        IdempotencyRecord.objects.filter(credential=credential, key=key, state=State.IN_FLIGHT).delete()
        raise
    if 200 <= response.status_code < 300:
        data = getattr(response, "data", None)
        headers = {h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)}
        if data is not None:  # a DRF Response, rendered later: store what the JSON renderer will send
            content = orjson.dumps(data)
            headers["Content-Type"] = "application/json"
        else:
            content = bytes(response.content)
        IdempotencyRecord.objects.filter(credential=credential, key=key).update(
            state=State.DONE, status=response.status_code, body=content, headers=headers
        )
    else:
        IdempotencyRecord.objects.filter(credential=credential, key=key, state=State.IN_FLIGHT).delete()
    return response


def idempotency_purge(now: datetime | None = None) -> int:
    """Delete the records older than 24 hours; returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
