"""Passwords per NIST SP 800-63B-4: length by the number of factors, and no blocklisted, repetitive or
sequential passwords.

* at least ``PASSWORD_MIN_LENGTH`` (15) characters when the password is the only factor, at least
  ``PASSWORD_MIN_LENGTH_WITH_MFA`` (8) for an account with a second factor (allauth MFA: TOTP or WebAuthn);
* refused, whatever the length, when it is on the blocklist — Django's 20,000 common passwords, zxcvbn's
  30,000, and the operator's breach filter (``PASSWORD_BREACH_FILTER``, built by
  ``manage.py password_breach_filter`` from e.g. a Pwned Passwords download) — also once the digits and
  symbols around a blocklisted word are taken away ("Password1234567!");
* refused when zxcvbn (a maintained estimator, run locally) finds it is mostly a repeat ("aaaa…"), a sequence
  ("1234…", "abcd…"), a keyboard pattern or common passwords glued together ("qwertyuiopasdfgh"), or when its
  score is below 2.

No network call: every list is on disk. ``password_problem`` is also what the sign-in check uses to ask an
existing user with a now-refused password to change it (``portal.accounts.adapter``).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

PASSWORD_CHANGE_REQUIRED = "_smt_password_change_required"  # session flag set at sign-in
PATTERN_SHARE = 0.75  # repeats, sequences, keyboard patterns and common passwords may cover less than this
MIN_SCORE = 2
BLOOM_MAGIC = b"SMTBLOOM1"
BLOOM_HEADER = struct.Struct(">QI")  # bits, hash functions
STRIP = "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input (and its time grows with length): judge the first 72


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    """The lists that ship with Django and zxcvbn, lower-cased."""
    django_list = {p.casefold() for p in CommonPasswordValidator().passwords}
    return frozenset(django_list | {p.casefold() for p in FREQUENCY_LISTS["passwords"]})


def bloom_indexes(password: str, bits: int, hashes: int) -> list[int]:
    """The filter positions of a password: double hashing over its SHA-1 (the hash Pwned Passwords lists)."""
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).digest()
    return sha1_indexes(digest, bits, hashes)


def sha1_indexes(digest: bytes, bits: int, hashes: int) -> list[int]:
    h1 = int.from_bytes(digest[:8], "big")
    h2 = int.from_bytes(digest[8:16], "big") | 1
    return [(h1 + i * h2) % bits for i in range(hashes)]


class BreachFilter:
    """A Bloom filter file (``password_breach_filter`` writes it), memory-mapped, read-only."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[: len(BLOOM_MAGIC)] != BLOOM_MAGIC:
            raise ValueError(f"{path} is not a password breach filter")
        self.bits, self.hashes = BLOOM_HEADER.unpack_from(self._map, len(BLOOM_MAGIC))
        self._offset = len(BLOOM_MAGIC) + BLOOM_HEADER.size

    def __contains__(self, password: str) -> bool:
        for i in bloom_indexes(password, self.bits, self.hashes):
            if not self._map[self._offset + i // 8] & (1 << (i % 8)):
                return False
        return True


@lru_cache(maxsize=4)
def _breach_filter(path: str, mtime: float) -> BreachFilter:
    return BreachFilter(Path(path))


def breach_filter() -> BreachFilter | None:
    path = getattr(settings, "PASSWORD_BREACH_FILTER", "")
    if not path or not os.path.exists(path):
        return None
    return _breach_filter(path, os.path.getmtime(path))


def has_second_factor(user: Any) -> bool:
    if user is None or getattr(user, "pk", None) is None:
        return False
    return user.authenticator_set.filter(type__in=("totp", "webauthn")).exists()


def min_length(user: Any) -> int:
    if has_second_factor(user):
        return settings.PASSWORD_MIN_LENGTH_WITH_MFA
    return settings.PASSWORD_MIN_LENGTH


def _blocklisted(password: str) -> bool:
    folded = password.casefold()
    words = blocklist()
    if folded in words or folded.strip(STRIP) in words:
        return True
    found = breach_filter()
    return found is not None and password in found


def _patterned(password: str) -> bool:
    sample = password[:ZXCVBN_MAX_LENGTH]
    result = zxcvbn(sample)
    covered = 0
    for match in result["sequence"]:
        pattern = match["pattern"]
        if pattern in ("repeat", "sequence", "spatial") or (
            pattern == "dictionary" and match.get("dictionary_name") == "passwords"
        ):
            covered += len(match["token"])
    return result["score"] < MIN_SCORE or covered >= PATTERN_SHARE * len(sample)


def password_problem(password: str, user: Any = None) -> ValidationError | None:
    """Why ``password`` is refused for ``user`` (None: an account being created), or None."""
    need = min_length(user)
    if len(password) < need:
        if need <= settings.PASSWORD_MIN_LENGTH_WITH_MFA:
            message = _("Use at least %(need)d characters; this one has %(count)d. A few words make it easy.")
        else:
            message = _(
                "Use at least %(need)d characters (%(need_mfa)d once two-factor sign-in is on); this one has "
                "%(count)d. A few words make it easy."
            )
        return ValidationError(
            message
            % {"need": need, "need_mfa": settings.PASSWORD_MIN_LENGTH_WITH_MFA, "count": len(password)},
            code="password_too_short",
        )
    if _blocklisted(password):
        return ValidationError(
            _(
                "This password is on lists of common or breached passwords, which attackers try first. "
                "Choose another (a few unrelated words work well)."
            ),
            code="password_blocklisted",
        )
    if len(set(password)) < 4 or _patterned(password):
        return ValidationError(
            _(
                "This password is mostly a repeated character, a sequence (1234, abcd), a keyboard row (qwerty) or "
                "common passwords put together, which attackers guess quickly. Choose another."
            ),
            code="password_predictable",
        )
    return None


class NistPasswordValidator:
    """The Django password validator of this module (AUTH_PASSWORD_VALIDATORS)."""

    def validate(self, password: str, user: Any = None) -> None:
        problem = password_problem(password, user)
        if problem is not None:
            raise problem

    def get_help_text(self) -> str:
        return _(
            "At least %(count)d characters (%(count_mfa)d with two-factor sign-in); not a common, breached, "
            "repetitive or sequential password."
        ) % {"count": settings.PASSWORD_MIN_LENGTH, "count_mfa": settings.PASSWORD_MIN_LENGTH_WITH_MFA}
