"""New-device sign-in notices: every browser gets a random device id in a long-lived, HttpOnly cookie; a sign-in
from a browser the account has not used before (no cookie, or one this account does not know) e-mails the
account holder what signed in, from where and when, and what to do if it was not them. The very first sign-in
of an account (right after confirming the e-mail) is not announced."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from portal.accounts.language import recipient_language
from portal.accounts.mail import email_send_template, url
from portal.accounts.useragent import device_name
from portal.models import KnownDevice
from smt.clientip import client_ip

COOKIE = "smt_device"
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
NEW_COOKIE_ATTR = "_smt_device_cookie"


def _hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def device_sign_in(*, request: HttpRequest, user: Any) -> bool:
    """Record the browser of this sign-in; e-mail the account when it is new to it. True when announced."""
    device_id = request.COOKIES.get(COOKIE) or ""
    if len(device_id) != 43:
        device_id = secrets.token_urlsafe(32)
        setattr(request, NEW_COOKIE_ATTR, device_id)
    label = device_name(request.META.get("HTTP_USER_AGENT", ""))
    seen_before = KnownDevice.objects.filter(user=user).exists()
    _, created = KnownDevice.objects.update_or_create(
        user=user, key_hash=_hash(device_id), defaults={"label": label[:200]}
    )
    if not created or not seen_before or not user.email:
        return False
    email_send_template(
        template_prefix="portal/accounts/email/new_device_sign_in",
        to=[user.email],
        language=recipient_language(user),
        context={
            "recipient": user,
            "device": label,
            "ip": client_ip(request),
            "when": timezone.localtime(),
            "sessions_url": url("usersessions_list"),
            "password_url": url("account_change_password"),
        },
    )
    return True


def device_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    device_id = getattr(request, NEW_COOKIE_ATTR, None)
    if device_id:
        response.set_cookie(
            COOKIE,
            device_id,
            max_age=COOKIE_AGE,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )


def _on_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "COOKIES"):
        device_sign_in(request=request, user=user)


user_logged_in.connect(_on_sign_in, dispatch_uid="portal.accounts.devices.sign_in")
