"""The signed link in every alert e-mail that unsubscribes from that kind of alert in one click (RFC 8058).

The token names the subscription and the kind; it is signed with ``SECRET_KEY`` (a salt of its own) and
expires after UNSUBSCRIBE_MAX_AGE, so an old e-mail forwarded around cannot change settings forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from portal.models import AlertSubscription

SALT = "portal.alerts.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)


class BadToken(Exception):
    """The link is not one of ours, was altered, or has expired; ``expired`` tells which."""

    def __init__(self, *, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class Unsubscribe:
    subscription_id: int
    kind: str


def unsubscribe_token(*, subscription_id: int, kind: str) -> str:
    return signing.dumps({"s": subscription_id, "k": kind}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    """The subscription and kind a token names; BadToken when it is altered, foreign or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise BadToken(expired=True) from exc
    except signing.BadSignature as exc:
        raise BadToken(expired=False) from exc
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("s"), int)
        or data.get("k") not in AlertSubscription.Kind.values
    ):
        raise BadToken(expired=False)
    return Unsubscribe(subscription_id=data["s"], kind=data["k"])
