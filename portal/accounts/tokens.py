"""A resident's own credentials: personal access tokens (``/api/v1/`` as themselves), app passwords (the Smart
Meter Texas compatible sign-in, for accounts with two-factor authentication) and the compatibility sign-in's
session tokens.

A token looks like ``smtp_k3J9pQ2v_<43 random characters>_<6-character CRC32>`` (an app password uses
``smta_``): the prefix lets secret scanners and people recognise it, the checksum lets a scanner drop random
look-alikes without asking us. 256 bits of randomness, so one unsalted SHA-256 is the right hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from portal.accounts.language import recipient_language
from portal.accounts.mail import email_send_template, url
from portal.models import CompatSession, PersonalCredential

TOKEN_PREFIX = "smtp_"
APP_PASSWORD_PREFIX = "smta_"
COMPAT_PREFIX = "smtc_"
PREFIX_LENGTH = 13  # "smtp_" + 8 characters
LAST_USED_RESOLUTION = timedelta(minutes=1)
COMPAT_IDLE = timedelta(minutes=30)  # the SMT client spins on 401 for 15 minutes: never expire sooner
EXPIRY_DAYS = (30, 90, 365)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The scopes a resident may give a token: their own data, named as /api/v1/ names them.
PERSONAL_SCOPES = {
    "usage:read": gettext_lazy("Usage (interval data and summaries)"),
    "billing:read": gettext_lazy("Billing periods"),
    "meter-read:request": gettext_lazy("On-demand meter reads"),
    "premises:read": gettext_lazy("Premises"),
}

Kind = PersonalCredential.Kind


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _checksum(body: str) -> str:
    n = zlib.crc32(body.encode("utf-8"))
    out = ""
    for _ in range(6):
        n, r = divmod(n, 62)
        out = _B62[r] + out
    return out


def checksum_ok(secret: str) -> bool:
    """Whether the last 6 characters are the CRC32 of the rest (what a secret scanner checks offline)."""
    body, _, check = secret.rpartition("_")
    return bool(body) and hmac.compare_digest(_checksum(body), check)


def _new_secret(kind_prefix: str) -> tuple[str, str]:
    prefix = kind_prefix + "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH - len(kind_prefix)))
    body = f"{prefix}_{secrets.token_urlsafe(32)}"
    return prefix, f"{body}_{_checksum(body)}"


def credential_create(
    *, user: Any, kind: str, name: str, scopes: list[str] | None = None, expires_days: int | None = None
) -> tuple[PersonalCredential, str]:
    """A new token or app password; returns the row and the plaintext, which is never available again.
    The customer is e-mailed (a credential they did not make is the first sign of a stolen account)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(
            {"name": gettext("Give it a name, e.g. the script or device that will use it.")}
        )
    if kind == Kind.TOKEN:
        scopes = sorted(set(scopes or []))
        unknown = [s for s in scopes if s not in PERSONAL_SCOPES]
        if unknown:
            raise ValidationError(
                {"scopes": gettext("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
            )
        if not scopes:
            raise ValidationError({"scopes": gettext("Choose at least one scope.")})
        if expires_days not in EXPIRY_DAYS:
            raise ValidationError(
                {
                    "expires_days": gettext("Choose an expiry of %(days)s days.")
                    % {"days": ", ".join(map(str, EXPIRY_DAYS))}
                }
            )
        expires_at: datetime | None = timezone.now() + timedelta(days=expires_days)
        kind_prefix = TOKEN_PREFIX
    elif kind == Kind.APP_PASSWORD:
        scopes, expires_at, kind_prefix = [], None, APP_PASSWORD_PREFIX
    else:
        raise ValidationError({"kind": gettext("Unknown kind of credential.")})
    for _ in range(5):
        prefix, secret = _new_secret(kind_prefix)
        try:
            with transaction.atomic():
                row = PersonalCredential.objects.create(
                    user=user,
                    kind=kind,
                    name=name[:100],
                    prefix=prefix,
                    secret_hash=digest(secret),
                    scopes=scopes,
                    expires_at=expires_at,
                )
        except IntegrityError:  # a prefix collision: astronomically rare
            continue
        if user.email:
            email_send_template(
                template_prefix="portal/accounts/email/credential_created",
                to=[user.email],
                language=recipient_language(user),
                context={"user": user, "credential": row, "account_url": url("account_overview")},
            )
        return row, secret
    raise RuntimeError("could not allocate a unique prefix")


def credential_revoke(*, user: Any, credential_id: int) -> bool:
    """Stop one of the user's own credentials at once (idempotent); an app password also signs out the
    compatibility clients (they may have signed in with it). False when it is not theirs."""
    row = PersonalCredential.objects.filter(pk=credential_id, user=user).first()
    if row is None:
        return False
    if row.revoked_at is None:
        PersonalCredential.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    if row.kind == Kind.APP_PASSWORD:
        compat_sessions_revoke(user=user)
    return True


def credentials_of(user: Any) -> list[PersonalCredential]:
    return list(PersonalCredential.objects.filter(user=user, revoked_at__isnull=True))


def _live(presented: str, kind: str, kind_prefix: str) -> PersonalCredential | None:
    presented = (presented or "").strip()
    if not presented.startswith(kind_prefix) or not checksum_ok(presented):
        return None
    d = digest(presented)
    now = timezone.now()
    row = (
        PersonalCredential.objects.select_related("user")
        .filter(secret_hash=d, kind=kind, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.secret_hash, d) or row.prefix != presented[:PREFIX_LENGTH]:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return row


def _touch(row: PersonalCredential, ip: str | None) -> None:
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION or row.last_used_ip != ip:
        PersonalCredential.objects.filter(pk=row.pk).update(last_used_at=now, last_used_ip=ip)
        row.last_used_at, row.last_used_ip = now, ip


def token_authenticate(presented: str, *, ip: str | None = None) -> PersonalCredential | None:
    """The live personal access token matching ``presented`` (with its user), or None. Records the use."""
    row = _live(presented, Kind.TOKEN, TOKEN_PREFIX)
    if row is not None:
        _touch(row, ip)
    return row


def app_password_user(*, username: str, presented: str, ip: str | None = None) -> Any | None:
    """The user whose live app password this is, when the username matches too."""
    row = _live(presented, Kind.APP_PASSWORD, APP_PASSWORD_PREFIX)
    if row is None or row.user.get_username() != username:
        return None
    _touch(row, ip)
    return row.user


def compat_session_create(*, user: Any) -> str:
    """A compatibility sign-in token (opaque, hashed at rest) living COMPAT_IDLE past its last use."""
    secret = COMPAT_PREFIX + secrets.token_urlsafe(32)
    CompatSession.objects.create(
        user=user, secret_hash=digest(secret), expires_at=timezone.now() + COMPAT_IDLE
    )
    return secret


def compat_session_user(presented: str) -> Any | None:
    """The user of a live compatibility token, pushing its expiry on; None when unknown, expired or revoked."""
    if not presented.startswith(COMPAT_PREFIX):
        return None
    now = timezone.now()
    row = (
        CompatSession.objects.select_related("user")
        .filter(
            secret_hash=digest(presented), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
        )
        .first()
    )
    if row is None:
        return None
    if row.expires_at - now < COMPAT_IDLE - LAST_USED_RESOLUTION:
        CompatSession.objects.filter(pk=row.pk).update(expires_at=now + COMPAT_IDLE)
    return row.user


def compat_sessions_revoke(*, user: Any) -> int:
    """Sign every Smart Meter Texas compatible client of this user out at once."""
    return CompatSession.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
