"""Reads of the market registry."""

from usage.esiid import esiid_normalize
from usage.models import Premise, Tdu


def tdu_for_esiid(esiid: str) -> Tdu | None:
    """The TDU whose prefixes cover this ESI ID, if any."""
    esiid = esiid_normalize(esiid)
    for tdu in Tdu.objects.all():
        if any(esiid.startswith(prefix) for prefix in tdu.esiid_prefixes):
            return tdu
    return None


def premise_by_esiid(esiid: str) -> Premise | None:
    return Premise.objects.select_related("tdu").filter(esiid=esiid_normalize(esiid)).first()
