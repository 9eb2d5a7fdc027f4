"""The scope registry: what an app or key may ask for, described once in plain language.

Scopes are defined here and nowhere else: the consent page, the API docs, the OpenAPI document, the
RFC 8414 metadata and django-oauth-toolkit (through ``ScopesBackend``) all read ``SCOPES``.

Green Button Connect My Data clients ask for scopes as function-block strings such as
``FB=1_3_4_5_13_14_39;IntervalDuration=900;BlockDuration=daily;HistoryLength=34128000``; ``scopes_expand``
maps such a string to our scopes, so a token issued for it works like a token for those scopes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

PROFILE_READ = "profile:read"
PREMISES_READ = "premises:read"
USAGE_READ = "usage:read"
BILLING_READ = "billing:read"
METER_READ_REQUEST = "meter-read:request"
#: the scope of a third party's own client-credentials token (Connect My Data "admin" access): its
#: ApplicationInformation, the Authorizations of its customers and ReadServiceStatus - never a customer's
#: data. Not in SCOPES: no customer is ever asked for it and ``scopes_expand`` gives it no data scope.
APPLICATION_METADATA = "application:metadata"
HAN_READ = "han:read"
HAN_MANAGE = "han:manage"
HAN_MESSAGE = "han:message"


@dataclass(frozen=True)
class Scope:
    """A scope and what it means to a customer, in the reader's language (lazy: translated when shown)."""

    name: str
    title: str | Promise
    description: str | Promise


SCOPES: dict[str, Scope] = {
    s.name: s
    for s in (
        Scope(
            PROFILE_READ,
            _("Your name and e-mail address"),
            _("The name and e-mail address of the account holder."),
        ),
        Scope(
            PREMISES_READ,
            _("Your addresses and meters"),
            _("The service addresses you choose, their utility, meters and retail provider of record."),
        ),
        Scope(
            USAGE_READ,
            _("Your electricity usage"),
            _(
                "15-minute, hourly, daily and monthly usage and surplus generation, and usage summaries, "
                "for the dates you allow."
            ),
        ),
        Scope(
            BILLING_READ,
            _("Your billing-period usage"),
            _("The usage totals of each billing period as the utility reports them to your provider."),
        ),
        Scope(
            METER_READ_REQUEST,
            _("Ask your meter for a fresh reading"),
            _("Request an on-demand meter read (a few per day) on your behalf."),
        ),
        Scope(
            HAN_READ,
            _("See the devices connected to your meter"),
            _(
                "The in-home displays, thermostats, plugs and other devices joined to your meter, their status, "
                "and the messages they received."
            ),
        ),
        Scope(
            HAN_MANAGE,
            _("Connect and disconnect devices on your meter"),
            _(
                "Add new in-home devices to your meter (with the install code on their label) and remove them."
            ),
        ),
        Scope(
            HAN_MESSAGE,
            _("Send messages and prices to your devices"),
            _("Show text messages and electricity price signals on the devices joined to your meter."),
        ),
    )
}

ALL_SCOPES: frozenset[str] = frozenset(SCOPES)

# Green Button function blocks (NAESB REQ.21) and what they reach here.
# 1 common, 3 interval metering, 4 interval electricity metering, 5 demand electricity metering,
# 13 security and privacy, 14 authorization and authentication (OAuth), 15 usage summary with cost,
# 16 usage summary with demands, 27 usage summary of costs, 32-35 retail customer (account, contact, meter),
# 39 brokered authorization.
FUNCTION_BLOCKS: dict[int, tuple[str, ...]] = {
    3: (USAGE_READ,),
    4: (USAGE_READ,),
    5: (USAGE_READ,),
    15: (USAGE_READ, BILLING_READ),
    16: (USAGE_READ,),
    27: (BILLING_READ,),
    32: (PROFILE_READ,),
    33: (PROFILE_READ,),
    34: (PREMISES_READ,),
    35: (PREMISES_READ,),
}
_FB = re.compile(r"^FB=([0-9_]+)(;.*)?$")


def is_function_block_scope(scope: str) -> bool:
    return bool(_FB.match(scope or ""))


def function_block_scopes(scope: str) -> frozenset[str]:
    """Our scopes reached by one Green Button ``FB=...`` scope string (empty for anything else)."""
    match = _FB.match(scope or "")
    if not match:
        return frozenset()
    out: set[str] = set()
    for part in match.group(1).split("_"):
        if part.isdigit():
            out.update(FUNCTION_BLOCKS.get(int(part), ()))
    return frozenset(out)


def scopes_expand(scopes: Iterable[str] | str | None) -> frozenset[str]:
    """The registry scopes a list (or space-separated string) of granted scopes amounts to.

    Unknown names are dropped; ``FB=`` strings become the scopes their function blocks reach."""
    if scopes is None:
        return frozenset()
    if isinstance(scopes, str):
        scopes = scopes.split()
    out: set[str] = set()
    for s in scopes:
        if s in SCOPES:
            out.add(s)
        elif is_function_block_scope(s):
            out |= function_block_scopes(s)
    return frozenset(out)


def scopes_validate(scopes: Iterable[str]) -> list[str]:
    """The given scopes in registry order; ValueError naming the first unknown one."""
    wanted = list(scopes)
    for s in wanted:
        if s not in SCOPES:
            raise ValueError(f"Unknown scope {s!r}; known scopes: {', '.join(SCOPES)}.")
    return [s for s in SCOPES if s in wanted]


def scopes_describe(scopes: Iterable[str] | str) -> list[Scope]:
    """Registry entries for the scopes a grant amounts to, in registry order (for consent pages)."""
    names = scopes_expand(scopes)
    return [SCOPES[n] for n in SCOPES if n in names]


class ScopesBackend(BaseScopes):
    """django-oauth-toolkit scopes backend: each application may ask only for its ``allowed_scopes``.

    A Green Button ``FB=`` string is accepted when every scope it reaches is allowed to the application."""

    def get_all_scopes(self):
        return {name: s.description for name, s in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = [s for s in (getattr(application, "allowed_scopes", None) or []) if s in SCOPES]
        requested = getattr(request, "scopes", None) or []
        allowed_set = set(allowed)
        for s in requested:
            if is_function_block_scope(s):
                reached = function_block_scopes(s)
                if reached and reached <= allowed_set:
                    allowed.append(s)
        return allowed

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = getattr(application, "allowed_scopes", None) or []
        return [s for s in allowed if s in SCOPES]
