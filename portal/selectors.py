"""Reads for the market's people side."""

from dataclasses import dataclass

from django.db.models import Q

from portal.models import Rep, RepAlias, ServicePeriod
from portal.search import search_key
from usage.models import Premise


@dataclass(frozen=True)
class RepMatch:
    rep: Rep
    brand_names: list[str]
    matched_name: str


def rep_search(query: str, *, limit: int = 20) -> list[RepMatch]:
    """One entry per REP whose legal name or any alias contains the query, ignoring case and punctuation."""
    key = search_key(query)
    if not key:
        return []
    reps = (
        Rep.objects.exclude(status=Rep.Status.MERGED)
        .filter(Q(search_key__contains=key) | Q(aliases__search_key__contains=key))
        .distinct()
        .prefetch_related("aliases")
        .order_by("legal_name")[:limit]
    )
    matches = []
    for rep in reps:
        aliases = sorted(rep.aliases.all(), key=lambda a: a.name)
        hit = (
            rep.legal_name if key in rep.search_key else next(a.name for a in aliases if key in a.search_key)
        )
        brands = [a.name for a in aliases if a.kind != RepAlias.Kind.FORMER]
        matches.append(RepMatch(rep=rep, brand_names=brands, matched_name=hit))
    return matches


def service_period_current(premise: Premise) -> ServicePeriod | None:
    return premise.service_periods.filter(ends_on__isnull=True).select_related("rep").first()


def service_period_for_code(*, premise: Premise, code: str) -> ServicePeriod | None:
    """The premise's current occupancy when ``code`` is its registration code, else None.

    This is what "the code works" means: only the open period's code is accepted, so a code stops working the
    moment its occupancy ends (move-out, or move-in of someone else) or the code is rotated.
    """
    from portal.codes import code_matches

    current = service_period_current(premise)
    if current is not None and code_matches(current.registration_code_encrypted, code):
        return current
    return None
