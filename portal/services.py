"""Writes for the market's people side: REPs, their aliases and merges, service periods and codes."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.access_window import market_today
from portal.codes import code_encrypt, code_generate
from portal.models import Rep, RepAlias, RepTenure, ServicePeriod
from portal.search import search_key
from portal.signals import registration_code_rotated, rep_merged, service_period_ended
from usage.models import Premise


def rep_create(
    *,
    legal_name: str,
    puct_certificate: str = "",
    duns: str = "",
    website: str = "",
    aliases: list[tuple[str, str]] = (),
    brand: str = "",
) -> Rep:
    """A REP with its aliases given as (name, kind) pairs."""
    rep = Rep(
        legal_name=legal_name, brand=brand, puct_certificate=puct_certificate, duns=duns, website=website
    )
    rep_check_certificate(rep=rep)
    rep.full_clean(exclude=["search_key"])
    rep.save()
    for name, kind in aliases:
        rep_alias_add(rep=rep, name=name, kind=kind)
    return rep


def rep_check_certificate(*, rep: Rep) -> None:
    """Raise ValidationError naming the REP that already holds ``rep``'s PUCT certificate number."""
    if not rep.puct_certificate:
        return
    holder = Rep.objects.filter(puct_certificate=rep.puct_certificate).exclude(pk=rep.pk).first()
    if holder is not None:
        raise ValidationError(
            {
                "puct_certificate": f"PUCT certificate {rep.puct_certificate} already belongs to {holder}; "
                "if this is the same company, add its name as an alias or merge the two entries."
            }
        )


def rep_alias_add(*, rep: Rep, name: str, kind: str = RepAlias.Kind.BRAND) -> RepAlias:
    """Add a DBA/brand/former name; a name that differs only in case or punctuation is the same alias."""
    name = " ".join((name or "").split())
    key = search_key(name)
    if not key:
        raise ValidationError({"name": "An alias needs a name with letters or digits."})
    alias = RepAlias.objects.filter(rep=rep, search_key=key).first()
    if alias is None:
        alias = RepAlias(rep=rep, name=name, kind=kind)
        alias.save()
    return alias


@transaction.atomic
def rep_merge(*, survivor: Rep, duplicate: Rep) -> Rep:
    """Fold ``duplicate`` into ``survivor``: its names become aliases, its service periods move over.

    ``rep_merged`` is sent inside the transaction, so what higher layers move with it (thirdparty: the REP
    organization and its API keys, and voiding the access cache) commits or rolls back with the merge."""
    if survivor.pk == duplicate.pk:
        raise ValidationError("A REP cannot be merged into itself: choose two different entries.")
    if duplicate.status == Rep.Status.MERGED:
        raise ValidationError(f"{duplicate} was already merged into another entry.")
    if survivor.status == Rep.Status.MERGED:
        raise ValidationError(
            f"{survivor} was itself merged away; merge into {survivor.merged_into} instead."
        )
    for name, kind in [(duplicate.legal_name, RepAlias.Kind.FORMER)] + [
        (alias.name, alias.kind) for alias in duplicate.aliases.all()
    ]:
        if search_key(name) != survivor.search_key:  # the survivor's own legal name is no alias
            rep_alias_add(rep=survivor, name=name, kind=kind)
    duplicate.aliases.all().delete()
    ServicePeriod.objects.filter(rep=duplicate).update(rep=survivor)
    RepTenure.objects.filter(rep=duplicate).update(rep=survivor)
    for field in ("puct_certificate", "duns", "website"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
            setattr(duplicate, field, "")
    duplicate.status = Rep.Status.MERGED
    duplicate.merged_into = survivor
    duplicate.save()
    survivor.save()
    rep_merged.send(sender=Rep, survivor=survivor, duplicate=duplicate)
    return survivor


def _new_code_fields() -> dict:
    return {"registration_code_encrypted": code_encrypt(code_generate()), "code_rotated_at": timezone.now()}


def service_period_check_move_in(*, premise: Premise, rep: Rep, starts_on: date) -> ServicePeriod | None:
    """Raise ValidationError when a move-in is impossible; return the open period it would end."""
    current = premise.service_periods.filter(ends_on__isnull=True).first()
    if current is not None and starts_on <= current.starts_on:
        raise ValidationError(
            f"Move-in date {starts_on:%m/%d/%Y} must be after the current occupant's move-in "
            f"({current.starts_on:%m/%d/%Y})."
        )
    if current is None and premise.service_periods.filter(ends_on__gt=starts_on).exists():
        raise ValidationError(
            f"Move-in date {starts_on:%m/%d/%Y} overlaps an earlier occupancy of this premise."
        )
    if rep.status != Rep.Status.ACTIVE:
        raise ValidationError(f"{rep} is not an active REP and cannot be REP of record.")
    return current


@transaction.atomic
def service_period_move_in(
    *, premise: Premise, rep: Rep, starts_on: date, occupant_name: str = ""
) -> ServicePeriod:
    """Start a new occupancy; the open period (if any) ends on the move-in date and its code stops working."""
    Premise.objects.select_for_update().filter(pk=premise.pk).first()
    current = service_period_check_move_in(premise=premise, rep=rep, starts_on=starts_on)
    if current is not None:
        _end(current, starts_on)
    period = ServicePeriod(
        premise=premise,
        rep=rep,
        starts_on=starts_on,
        rep_since=starts_on,
        occupant_name=occupant_name,
        **_new_code_fields(),
    )
    period.save()
    RepTenure.objects.create(period=period, rep=rep, starts_on=starts_on)
    return period


def service_period_check_move_out(*, premise: Premise, ends_on: date) -> ServicePeriod:
    """Raise ValidationError when a move-out is impossible; return the open period it would end."""
    current = premise.service_periods.filter(ends_on__isnull=True).first()
    if current is None:
        raise ValidationError(f"Premise {premise.esiid} has no current occupant to move out.")
    if ends_on <= current.starts_on:
        raise ValidationError(
            f"Move-out date {ends_on:%m/%d/%Y} must be after the move-in date ({current.starts_on:%m/%d/%Y})."
        )
    if ends_on < current.rep_since:
        raise ValidationError(
            f"Move-out date {ends_on:%m/%d/%Y} is before the current REP became REP of record "
            f"({current.rep_since:%m/%d/%Y})."
        )
    return current


@transaction.atomic
def service_period_move_out(*, premise: Premise, ends_on: date) -> ServicePeriod:
    """End the premise's open occupancy on ``ends_on`` (the move-out date)."""
    Premise.objects.select_for_update().filter(pk=premise.pk).first()
    current = service_period_check_move_out(premise=premise, ends_on=ends_on)
    _end(current, ends_on)
    return current


def _end(period: ServicePeriod, ends_on: date) -> None:
    period.ends_on = ends_on
    period.ended_at = timezone.now()
    period.save(update_fields=["ends_on", "ended_at"])
    RepTenure.objects.filter(period=period, ends_on__isnull=True).update(ends_on=ends_on)
    transaction.on_commit(lambda: service_period_ended.send(sender=ServicePeriod, period=period))


@transaction.atomic
def service_period_switch_rep(*, period: ServicePeriod, rep: Rep, on: date | None = None) -> ServicePeriod:
    """A customer changed provider without moving: same occupancy, new REP of record from ``on`` (the switch
    date, today by default). The outgoing REP's tenure ends there and is kept; the new REP reads the premise
    from ``on``, never from when another REP served the occupant."""
    if not period.is_open:
        raise ValidationError("Only the current occupancy can change its REP of record.")
    on = on or market_today()
    if on < period.rep_since:
        raise ValidationError(
            f"The switch date {on:%m/%d/%Y} is before the current REP's tenure began ({period.rep_since:%m/%d/%Y})."
        )
    if on > market_today():
        raise ValidationError("Record a switch on the day it takes effect, not before.")
    if rep.status != Rep.Status.ACTIVE:
        raise ValidationError(f"{rep} is not an active REP and cannot be REP of record.")
    if rep.pk == period.rep_id:
        return period
    RepTenure.objects.filter(period=period, ends_on__isnull=True).update(ends_on=on)
    RepTenure.objects.create(period=period, rep=rep, starts_on=on)
    period.rep = rep
    period.rep_since = on
    period.save(update_fields=["rep", "rep_since"])
    return period


def registration_code_rotate(*, period: ServicePeriod) -> ServicePeriod:
    """Issue a new code for an open period; the old one stops working at once."""
    if not period.is_open:
        raise ValidationError(
            "This occupancy has ended; its registration code no longer works and cannot be rotated."
        )
    for name, value in _new_code_fields().items():
        setattr(period, name, value)
    period.save(update_fields=["registration_code_encrypted", "code_rotated_at"])
    transaction.on_commit(lambda: registration_code_rotated.send(sender=ServicePeriod, period=period))
    return period
