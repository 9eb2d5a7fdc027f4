"""Account middleware: honest status codes for failed forms, and session idle/absolute timeouts.

``FormStatusMiddleware``: allauth re-renders a form that failed validation with 200 OK — SMT's own sin. For
POSTs under /accounts/ whose template response carries a bound form with errors, answer 400 instead, or 429
with ``Retry-After`` when the error is a rate limit (our registration throttle or allauth's
"too many login attempts").

``SessionTimeoutMiddleware``: signs a session out after SESSION_IDLE_TIMEOUT seconds without a request and
SESSION_ABSOLUTE_TIMEOUT seconds after sign-in, whatever the activity; the next page says why.
"""

from __future__ import annotations

import time
from http import HTTPStatus

from allauth.account.signals import password_changed, password_reset, password_set
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portal.accounts.devices import device_cookie_set
from portal.accounts.passwords import PASSWORD_CHANGE_REQUIRED, has_second_factor
from portal.accounts.ratelimit import allauth_retry_after

RATE_LIMIT_ERROR_CODES = {"throttled", "too_many_login_attempts", "rate_limited"}
FORM_STATUS_PREFIXES = ("/accounts/",)


def _error_codes(form) -> set[str]:
    codes = set()
    for errors in form.errors.as_data().values():
        for error in errors:
            codes.add(error.code or "")
    return codes


class FormStatusMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if request.method != "POST" or response.status_code != HTTPStatus.OK:
            return response
        if not request.path.startswith(FORM_STATUS_PREFIXES):
            return response
        form = (response.context_data or {}).get("form")
        if form is None or not getattr(form, "is_bound", False) or not form.errors:
            return response
        codes = _error_codes(form)
        if codes & RATE_LIMIT_ERROR_CODES:
            response.status_code = HTTPStatus.TOO_MANY_REQUESTS
            throttle = getattr(form, "throttle", None)
            retry_after = throttle.retry_after if throttle is not None else allauth_retry_after(request)
            response["Retry-After"] = str(retry_after)
        else:
            response.status_code = HTTPStatus.BAD_REQUEST
        return response


SESSION_AUTH_AT = "_smt_auth_at"
SESSION_SEEN_AT = "_smt_seen_at"
SEEN_WRITE_EVERY = 60  # seconds: do not write the session on every request
NO_REDIRECT_PREFIXES = ("/api/", "/espi/", "/o/token/", "/o/revoke_token/", "/o/introspect/")


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                logout(request)
                if request.path.startswith(NO_REDIRECT_PREFIXES):
                    return self.get_response(request)  # the API answers 401 for itself, no sign-in page
                messages.info(request, expired)
                if request.method == "GET":
                    return redirect(
                        f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}"
                    )
                return redirect("account_login")
        return self.get_response(request)

    def _expired(self, request) -> str | None:
        now = int(time.time())
        session = request.session
        auth_at = session.get(SESSION_AUTH_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        idle = settings.SESSION_IDLE_TIMEOUT
        absolute = settings.SESSION_ABSOLUTE_TIMEOUT
        if auth_at is None:
            session[SESSION_AUTH_AT] = now
            session[SESSION_SEEN_AT] = now
            return None
        if absolute and now - auth_at > absolute:
            return f"For your security you were signed out {absolute // 3600} hours after signing in. Please sign in again."
        if idle and seen_at is not None and now - seen_at > idle:
            return f"You were signed out after {idle // 60} minutes without activity. Please sign in again."
        if seen_at is None or now - seen_at >= SEEN_WRITE_EVERY:
            session[SESSION_SEEN_AT] = now
        return None


PASSWORD_CHANGE_ALLOWED = (
    "/accounts/password/change/",
    "/accounts/logout/",
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/static/",
)


class PasswordChangeRequiredMiddleware:
    """A person who signed in with a password today's rules refuse (docs/accounts.md "Passwords") sees the
    change-password page, and nothing else of the site, until they change it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.session.get(PASSWORD_CHANGE_REQUIRED)
            and not request.path.startswith(PASSWORD_CHANGE_ALLOWED + NO_REDIRECT_PREFIXES)
        ):
            messages.warning(
                request,
                _(
                    "Your password no longer meets our rules (at least %(count)d characters, or "
                    "%(count_mfa)d with two-factor sign-in; not common, breached, repetitive "
                    "or sequential). Please choose a new one to continue."
                )
                % {"count": settings.PASSWORD_MIN_LENGTH, "count_mfa": settings.PASSWORD_MIN_LENGTH_WITH_MFA},
            )
            return redirect("account_change_password")
        return self.get_response(request)


class DeviceCookieMiddleware:
    """Gives a browser that signed in its device cookie (portal.accounts.devices: new-device e-mails)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        device_cookie_set(request, response)
        return response


SECOND_FACTOR_PREFIXES = ("/admin/",)
SECOND_FACTOR_EXEMPT = ("/admin/login/", "/admin/logout/")


class SecondFactorRequiredMiddleware:
    """Django admin staff must have a second factor before the admin opens (docs/accounts.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.path.startswith(SECOND_FACTOR_PREFIXES)
            and not request.path.startswith(SECOND_FACTOR_EXEMPT)
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not has_second_factor(user)
        ):
            messages.warning(
                request,
                "The admin reaches everyone's data: turn on two-factor sign-in before you use it.",  # i18n: not user-facing
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _password_replaced(sender, request=None, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session.pop(PASSWORD_CHANGE_REQUIRED, None)


for _signal in (password_changed, password_set, password_reset):
    _signal.connect(_password_replaced, dispatch_uid=f"portal.accounts.password_replaced.{id(_signal)}")


def _stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_AUTH_AT] = now
        request.session[SESSION_SEEN_AT] = now


user_logged_in.connect(_stamp_sign_in, dispatch_uid="portal.accounts.session_stamp")
