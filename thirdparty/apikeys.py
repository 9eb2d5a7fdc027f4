"""Organization API keys: shown once, stored as a SHA-256 digest, recognisable by a visible prefix.

A key looks like ``smt_k3J9pQ2v_<43 random characters>``. The first 12 characters (``smt_k3J9pQ2v``) are the
prefix shown in lists and logs; the whole key is never stored. A key is 256 bits of randomness, so a single
unsalted SHA-256 is the right hash (a slow password hash would only slow every API call down).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from thirdparty.access import cache_bump_on_commit, local_get, local_put
from thirdparty.credential_mail import credential_created_notify
from thirdparty.models import ApiKey, Organization
from thirdparty.scopes import METER_READ_REQUEST, SCOPES, scopes_validate

KEY_PREFIX = "smt_"
PREFIX_LENGTH = 12  # "smt_" + 8 characters
LAST_USED_RESOLUTION = timedelta(minutes=1)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

# What a REP's key may do: read its own customers' data while it is REP of record.
REP_KEY_SCOPES = [s for s in SCOPES if s != METER_READ_REQUEST]


def apikey_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH - len(KEY_PREFIX)))
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def apikey_create(
    *, organization: Organization, name: str, scopes: list[str], created_by=None
) -> tuple[ApiKey, str]:
    """A new key; returns the row and the plaintext key, which is never available again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the key a name, e.g. the server that will use it."})
    try:
        scopes = scopes_validate(scopes)
    except ValueError as exc:
        raise ValidationError({"scopes": str(exc)}) from exc
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    if organization.kind == Organization.Kind.REP and not set(scopes) <= set(REP_KEY_SCOPES):
        raise ValidationError({"scopes": f"A REP's key may have only: {', '.join(REP_KEY_SCOPES)}."})
    for _ in range(5):
        prefix, key = _new_key()
        try:
            with transaction.atomic():
                row = ApiKey.objects.create(
                    organization=organization,
                    name=name[:100],
                    prefix=prefix,
                    secret_hash=apikey_digest(key),
                    scopes=scopes,
                    created_by=created_by,
                )
            credential_created_notify(
                organization=organization, what=f"API key “{row.name}” ({row.prefix}…)", by=created_by
            )
            return row, key
        except IntegrityError:  # a prefix collision: astronomically rare, try again
            continue
    raise RuntimeError("could not allocate a unique API key prefix")


def apikey_revoke(*, key: ApiKey) -> ApiKey:
    """Stop the key working at once (idempotent)."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def apikeys_revoke(*, keys) -> int:
    """Stop every key of the queryset ``keys`` at once (the admin's bulk action). Returns how many stopped."""
    count = keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    if count:
        cache_bump_on_commit()  # a bulk update sends no signal
    return count


def apikey_authenticate(presented: str, *, generation: int | None = None) -> ApiKey | None:
    """The live key (with its organization) matching a presented key, or None. One query, or none while
    this process holds the key for the request's access ``generation`` (thirdparty.access: revoking a key
    or changing its organization bumps the generation, so the next request reads the database again).

    ``last_used_at`` is written at most once a minute per key, so a busy client costs no extra writes."""
    presented = (presented or "").strip()
    if not presented.startswith(KEY_PREFIX) or len(presented) < PREFIX_LENGTH + 10:
        return None
    digest = apikey_digest(presented)
    row = local_get(("apikey", digest), generation)
    if row is None:
        row = (
            ApiKey.objects.select_related("organization", "organization__rep")
            .filter(secret_hash=digest, revoked_at__isnull=True)
            .first()
        )
        if row is not None:
            local_put(("apikey", digest), generation, row)
    if row is None or not hmac.compare_digest(row.secret_hash, digest):
        return None
    if row.prefix != presented[:PREFIX_LENGTH]:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
