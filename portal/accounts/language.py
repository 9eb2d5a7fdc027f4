"""The language of pages and e-mails: the account's saved choice, then the language cookie, then Accept-Language.

Django's ``LocaleMiddleware`` reads the cookie and Accept-Language; ``AccountLanguageMiddleware`` (after the
authentication middleware) puts a signed-in person's saved choice first, whichever browser they use.
``language_set`` is the header's switch: Django's ``set_language`` (the cookie, the redirect back) plus saving the
choice on the account. ``recipient_language`` is what an e-mail to someone is written in."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def saved_language(user: object) -> str | None:
    """The language saved on an account, if any and still offered."""
    code = getattr(user, "language", "") or ""
    return code if code in LANGUAGE_CODES else None


def recipient_language(user: object | None, *, fallback: str | None = None) -> str:
    """An e-mail goes out in the recipient's saved language; without one, in ``fallback`` (the language of the
    page that asked for it, when the recipient is the one asking) or the site's default — never the sender's."""
    return (saved_language(user) if user is not None else None) or fallback or settings.LANGUAGE_CODE


class AccountLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        code = saved_language(user) if user is not None and user.is_authenticated else None
        if code is not None and code != translation.get_language():
            translation.activate(code)
            request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        return self.get_response(request)


def _saved_language_on_sign_in(
    sender: object, request: HttpRequest | None = None, user: object = None, **kwargs: object
) -> None:
    """From the moment of sign-in the account's language applies: the sign-in's own messages are in it too."""
    code = saved_language(user)
    if request is not None and code is not None:
        translation.activate(code)
        request.LANGUAGE_CODE = code  # type: ignore[attr-defined]


user_logged_in.connect(_saved_language_on_sign_in, dispatch_uid="portal.accounts.language")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's switch: the cookie and the way back (Django), and the account's saved choice if signed in."""
    response = set_language(request)
    code = request.POST.get("language", "")
    user = request.user
    if code in LANGUAGE_CODES and user.is_authenticated and getattr(user, "language", None) != code:
        user.language = code  # type: ignore[union-attr]
        user.save(update_fields=["language"])
    return response
