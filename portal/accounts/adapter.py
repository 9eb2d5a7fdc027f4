"""Our allauth adapter: e-mail through a Celery task, a confirmation link next to the code, safe redirects."""

from __future__ import annotations

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailConfirmationHMAC
from allauth.account.utils import get_next_redirect_url
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from portal.accounts.language import LANGUAGE_CODES, recipient_language
from portal.accounts.mail import absolute_url, email_enqueue
from portal.accounts.passwords import PASSWORD_CHANGE_REQUIRED, password_problem
from smt.clientip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (in the request), deliver later: a Celery task with retries, after the commit."""
        request = allauth_context.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
            "site_name": "Open Smart Meter Texas",
        }
        ctx.update(context)
        # The recipient's saved language; a person with none (yet) reads it in the language of the page that
        # asked (they are the one asking: sign-up, password reset).
        with translation.override(
            recipient_language(context.get("user"), fallback=translation.get_language())
        ):
            email_enqueue(self.render_mail(template_prefix, email, ctx))

    def save_user(self, request, user, form, commit=True):
        """A new account keeps the language it signed up in (its e-mails use it; the header's switch changes it)."""
        user.language = translation.get_language() if translation.get_language() in LANGUAGE_CODES else ""
        return super().save_user(request, user, form, commit)

    def format_email_subject(self, subject: str) -> str:
        from portal.accounts.mail import SUBJECT_PREFIX

        return SUBJECT_PREFIX + str(subject)

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        """The code to type in the open tab *and* a link that works in any browser, both continuing to ``next``."""
        address = emailconfirmation.email_address
        ctx = {
            "user": address.user,
            "code": emailconfirmation.key,
            "code_minutes": max(1, settings.ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT // 60),
            "link_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
        }
        if address.pk:
            ctx["activate_url"] = self.confirmation_link(request, address)
        template = "account/email/email_confirmation_signup" if signup else "account/email/email_confirmation"
        self.send_mail(template, address.email, ctx)

    def confirmation_link(self, request, address) -> str:
        key = EmailConfirmationHMAC(address).key
        path = reverse("account_confirm_email", args=[key])
        next_url = pending_next_url(request)
        if next_url:
            path += "?" + urlencode({"next": next_url})
        return absolute_url(path)

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def authenticate(self, request, **credentials):
        """allauth's check; a password that today's rules refuse (NIST SP 800-63B-4: too short for the account's
        factors, blocklisted, predictable) signs in, but the person must change it before doing anything else
        (``PasswordChangeRequiredMiddleware``)."""
        user = super().authenticate(request, **credentials)
        password = credentials.get("password")
        signing_in = user is not None and password and request is not None and hasattr(request, "session")
        if signing_in and password_problem(password, user) is not None:
            request.session[PASSWORD_CHANGE_REQUIRED] = True
        return user

    def get_client_ip(self, request) -> str:
        """The project's one client address (TRUSTED_PROXY_COUNT), for allauth's limits and sessions too."""
        return client_ip(request)


def pending_next_url(request) -> str | None:
    """Where the person was going when they signed up or signed in (a consent request, say), if safe."""
    if request is None:
        return None
    url = get_next_redirect_url(request, "next")
    if url:
        return url
    try:
        from allauth.account.internal.stagekit import unstash_login

        login = unstash_login(request, peek=True)
    except Exception:  # noqa: BLE001 - no pending login
        login = None
    return getattr(login, "redirect_url", None) or None
