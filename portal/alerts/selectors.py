"""Which premises an account may set alerts for, with what it set: its current premises only (a former
occupant hears nothing of the next one's use), checked with the one access rule (portal.access_window)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.access_window import customer_premises
from portal.models import AlertSubscription
from usage.models import Premise


@dataclass
class PremiseAlerts:
    premise: Premise
    subscription: AlertSubscription | None


def alert_premises(*, user: Any) -> list[PremiseAlerts]:
    premises = [cp.premise for cp in customer_premises(user=user) if cp.is_current and cp.windows]
    existing = {s.premise_id: s for s in AlertSubscription.objects.filter(user=user, premise__in=premises)}
    return [PremiseAlerts(premise=p, subscription=existing.get(p.pk)) for p in premises]


def alert_premise(*, user: Any, esiid: str) -> PremiseAlerts | None:
    """One of the account's current premises by ESI ID; None when it is not one (or there is no such)."""
    return next((item for item in alert_premises(user=user) if item.premise.esiid == esiid), None)
