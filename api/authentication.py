"""Who is calling: an OAuth 2.0 bearer token, an organization API key, or a signed-in customer (session + CSRF).

Each class sets ``request.auth`` to a ``thirdparty.access.Actor``. The bearer-token check is one indexed,
prepared query on django-oauth-toolkit's token checksum (tokens are hashed at rest, RFC 9700), with the
user, application and organization joined in (thirdparty.tokens), so the hot path costs one round trip.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from rest_framework import authentication, exceptions

from portal.accounts.tokens import TOKEN_PREFIX, token_authenticate
from smt.clientip import client_ip
from thirdparty.access import (
    actor_for_api_key,
    actor_for_customer,
    actor_for_personal_token,
    local_get,
    local_put,
)
from thirdparty.apikeys import apikey_authenticate
from thirdparty.tokens import token_lookup


class OrganizationPrincipal:
    """``request.user`` for an API key: an organization, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, organization):
        self.organization = organization

    def __str__(self):
        return str(self.organization)


def bearer_challenge(realm: str, error_description: str | None = None) -> str:
    """RFC 6750 3: the ``WWW-Authenticate`` challenge; with ``error="invalid_token"`` when a token was sent
    and refused (expired, revoked, unknown), which is what makes stock OAuth clients refresh by themselves."""
    if error_description is None:
        return f'Bearer realm="{realm}"'
    description = error_description.replace("\\", "").replace('"', "'")
    return f'Bearer realm="{realm}", error="invalid_token", error_description="{description}"'


def _authorization(request) -> tuple[str, str]:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return "", ""
    scheme, _, value = header.partition(" ")
    return scheme.lower(), value.strip()


class _Refused(exceptions.AuthenticationFailed):
    """A refused credential: the 401's detail in the caller's language, and the English words kept for the
    ``WWW-Authenticate`` header's ``error_description`` (a header carries ASCII only)."""

    def __init__(self, english: str) -> None:
        super().__init__(gettext(english))
        self.english = english


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``: an access token from our OAuth 2.0 server."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        scheme, value = _authorization(request)
        if scheme != "bearer":
            return None
        if not value:
            raise _Refused(gettext_noop("The Authorization header has no token after 'Bearer'."))
        try:
            return self._authenticate_token(request, value)
        except exceptions.AuthenticationFailed as exc:
            request._bearer_error = getattr(exc, "english", str(exc.detail))  # RFC 6750 3.1: invalid_token
            raise

    def _authenticate_token(self, request, value: str):
        if value.startswith(TOKEN_PREFIX):  # a resident's personal access token (portal.accounts.tokens)
            credential = token_authenticate(value, ip=client_ip(request))
            if credential is None:
                raise _Refused(
                    gettext_noop(
                        "This personal access token is not valid: it was revoked, has expired or was mistyped."
                    )
                )
            return (credential.user, actor_for_personal_token(credential))
        checksum = hashlib.sha256(value.encode("utf-8")).hexdigest()
        generation = getattr(request, "_access_generation", None)
        hit = local_get(("token", checksum), generation)
        if hit is not None:
            expires, actor = hit
            if expires > timezone.now():
                return (actor.user, actor)
        found = token_lookup(checksum)
        if found is None:
            raise _Refused(
                gettext_noop("This access token is not valid: it was revoked or never issued. Get a new one.")
            )
        if found.expires is None or found.expires <= timezone.now():
            raise _Refused(
                gettext_noop("This access token has expired; use your refresh token to get a new one.")
            )
        if found.user is not None and not found.user.is_active:
            raise _Refused(gettext_noop("The account that granted this token is closed."))
        local_put(("token", checksum), generation, (found.expires, found.actor))
        return (found.user, found.actor)

    def authenticate_header(self, request):
        return bearer_challenge(self.www_authenticate_realm, getattr(request, "_bearer_error", None))


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key smt_...`` (or ``X-Api-Key: smt_...``): an organization's server-to-server key."""

    def authenticate(self, request):
        scheme, value = _authorization(request)
        if scheme not in ("api-key", "apikey"):
            value = request.META.get("HTTP_X_API_KEY", "")
            if not value:
                return None
        key = apikey_authenticate(value, generation=getattr(request, "_access_generation", None))
        if key is None:
            raise _Refused(
                gettext_noop(
                    "This API key is not valid: it was revoked or mistyped. Create a new key in the portal."
                )
            )
        return (OrganizationPrincipal(key.organization), actor_for_api_key(key))

    def authenticate_header(self, request):
        return 'Api-Key realm="api"'


class CustomerSessionAuthentication(authentication.SessionAuthentication):
    """A signed-in customer in the browser: the session cookie, with CSRF for unsafe methods."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        return (user, actor_for_customer(user))
