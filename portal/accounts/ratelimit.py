"""Limits on failed registration-code attempts (per client IP, and per client IP + ESI ID) and on failed
sign-ups (per client IP), and honest 429 responses.

Never per ESI ID alone: an ESI ID is public (printed on bills, guessable), so a per-ESI-ID limit let any
stranger lock its registration, the right code included. The code's entropy does the protecting instead
(docs/accounts.md: 31^10 codes against 20 tries per IP per hour).

Failed attempts are kept in the Django cache (Redis in production) as a sliding window of timestamps, so
the exact moment the next attempt is allowed is known: it goes out as ``Retry-After`` and on the page.
Sign-in, sign-up and password reset are limited by allauth's own ACCOUNT_RATE_LIMITS; ``handler429`` below
(wired as ``smt.urls.handler429``, which allauth calls) adds ``Retry-After`` to its 429 responses.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import timefmt

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Throttle:
    """Why and until when an action is refused."""

    scope: str  # "ip_esiid", "ip", "signup" or an allauth action name
    retry_after: int  # seconds

    @property
    def until(self) -> datetime:
        return timezone.localtime(timezone.now() + timedelta(seconds=self.retry_after))

    @property
    def message(self) -> str:
        when = _when(self)
        if self.scope == "ip_esiid":
            return _(
                "Too many wrong registration codes were tried for this ESI ID from your network. "
                "You can try again at %(when)s. Meanwhile, find the code on your most recent bill (it changes "
                "when a new occupant moves in), or ask your retail electric provider for it."
            ) % {"when": when}
        if self.scope == "ip":
            return _(
                "Too many wrong ESI IDs or registration codes were tried from your network. "
                "You can try again at %(when)s. Meanwhile, check both numbers against your most recent bill."
            ) % {"when": when}
        if self.scope == "signup":
            return _(
                "Too many sign-ups failed from your network in the last hour (a taken username, a refused "
                "password, a wrong code). You can try again at %(when)s."
            ) % {"when": when}
        return _("Too many attempts. You can try again at %(when)s.") % {"when": when}


def _when(throttle: Throttle) -> str:
    until = throttle.until
    minutes = max(1, math.ceil(throttle.retry_after / 60))
    return ngettext("%(clock)s (in %(minutes)d minute)", "%(clock)s (in %(minutes)d minutes)", minutes) % {
        "clock": timefmt.clock(until),
        "minutes": minutes,
    }


def _limits() -> dict[str, int]:
    return {
        "ip_esiid": settings.REGISTRATION_ATTEMPTS_PER_IP_ESIID_PER_HOUR,
        "ip": settings.REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR,
        "signup": settings.SIGNUP_FAILURES_PER_IP_PER_HOUR,
    }


def _cache_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()[:40]
    return f"smt:regfail:{scope}:{digest}"


def _history(key: str, now: float) -> list[float]:
    return [ts for ts in cache.get(key, []) if ts > now - WINDOW_SECONDS]


def _subjects(esiid: str, ip: str | None) -> list[tuple[str, str]]:
    ip = ip or "unknown"
    return [("ip_esiid", f"{ip}|{esiid}"), ("ip", ip)]


def registration_throttle(*, esiid: str, ip: str | None) -> Throttle | None:
    """The throttle in force for this client IP (or this IP on this ESI ID), or None when another attempt is
    allowed. Others' failures never count against someone else's address."""
    return _throttle(_subjects(esiid, ip))


def _throttle(subjects: list[tuple[str, str]]) -> Throttle | None:
    now = time.time()
    blocked = []
    limits = _limits()
    for scope, value in subjects:
        history = _history(_cache_key(scope, value), now)
        if len(history) >= limits[scope]:
            oldest_that_counts = sorted(history)[-limits[scope]]
            blocked.append(Throttle(scope, max(1, math.ceil(oldest_that_counts + WINDOW_SECONDS - now))))
    return max(blocked, key=lambda t: t.retry_after) if blocked else None


def registration_failure_record(*, esiid: str, ip: str | None) -> int:
    """Count one failed attempt against the IP and the IP + ESI ID; return the attempts left (the smaller)."""
    return _record(_subjects(esiid, ip))


def signup_throttle(*, ip: str | None) -> Throttle | None:
    """The throttle in force on sign-ups from this IP: failed sign-ups only count, not every post."""
    return _throttle([("signup", ip or "unknown")])


def signup_failure_record(*, ip: str | None) -> int:
    return _record([("signup", ip or "unknown")])


def _record(subjects: list[tuple[str, str]]) -> int:
    now = time.time()
    limits = _limits()
    left = []
    for scope, value in subjects:
        key = _cache_key(scope, value)
        history = _history(key, now)
        history.append(now)
        cache.set(key, history, WINDOW_SECONDS)
        left.append(max(0, limits[scope] - len(history)))
    return min(left)


def response_429(
    request: HttpRequest, throttle: Throttle, *, template="portal/accounts/429.html", context=None
) -> HttpResponse:
    ctx = {"throttle": throttle, "retry_message": throttle.message}
    ctx.update(context or {})
    response = render(request, template, ctx, status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(throttle.retry_after)
    return response


# --- allauth's limits: work out when the limit that refused this request lets the next one through.

_ACTIONS_BY_URL_NAME = {
    "account_login": ("login", "login_failed", "confirm_email"),
    "account_signup": ("signup",),
    "account_reset_password": ("reset_password",),
    "account_reset_password_from_key": ("reset_password_from_key",),
    "account_change_password": ("change_password",),
    "account_set_password": ("change_password",),
    "account_email": ("manage_email",),
    "account_email_verification_sent": ("confirm_email",),
    "account_reauthenticate": ("reauthenticate",),
    "account_request_login_code": ("request_login_code",),
}


def _keys_for(request: HttpRequest, action: str) -> list[str | None]:
    """The per-key values allauth may have used for ``action`` on this request."""
    post = request.POST if request.method == "POST" else {}
    keys: list[str | None] = []
    if action == "login_failed":
        from django.contrib.sites.shortcuts import get_current_site

        login = (post.get("login") or "").lower()
        keys.append(f"{get_current_site(request).domain}:{login}")
    elif action in ("reset_password", "request_login_code"):
        keys.append((post.get("email") or "").lower())
    elif action == "confirm_email":
        state = request.session.get("account_email_verification_code") or {}
        keys.append((state.get("email") or "").lower())
        if post.get("login"):  # signing in with an unconfirmed address sends a new code
            from allauth.account.models import EmailAddress

            emails = EmailAddress.objects.filter(user__username__iexact=post["login"]).values_list(
                "email", flat=True
            )
            keys.extend(e.lower() for e in emails)
    return keys


def allauth_retry_after(request: HttpRequest) -> int:
    """Seconds until allauth lets this kind of request through again (the longest of its full limits)."""
    from allauth.core.internal import ratelimit as rl

    match = getattr(request, "resolver_match", None)
    actions = _ACTIONS_BY_URL_NAME.get(match.url_name if match else "", ())
    now = time.time()
    waits, durations = [], []
    for action in actions:
        for rate in rl.get_rates(app="allauth.account", action=action):
            durations.append(rate.duration)
            candidates: list[str | None] = [None]
            if rate.per == "key":
                candidates = _keys_for(request, action)
            elif rate.per == "user" and not request.user.is_authenticated:
                continue
            for key in candidates:
                try:
                    cache_key = rl.get_cache_key(
                        request, app="allauth.account", action=action, rate=rate, key=key
                    )
                except (ImproperlyConfigured, PermissionDenied, ValueError):
                    continue
                history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
                if len(history) >= rate.amount:
                    waits.append(min(history) + rate.duration - now)
    if waits:
        return max(1, math.ceil(max(waits)))
    return int(max(durations)) if durations else 60


def handler429(request: HttpRequest, exception=None) -> HttpResponse:
    """allauth's 429 response (via ``smt.urls.handler429``), with ``Retry-After`` and the time to come back."""
    throttle = Throttle("allauth", allauth_retry_after(request))
    return response_429(request, throttle)
