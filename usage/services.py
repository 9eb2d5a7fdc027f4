"""Writes to the market registry: TDUs, premises, meters. Each raises ValidationError with a clear message."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from usage.esiid import InvalidEsiid, esiid_validate
from usage.models import Meter, Premise, Tdu
from usage.synth.premises import SynthPremise

# The five TDUs of the ERCOT market with the ESI ID prefixes they issue.
TEXAS_TDUS = (
    {
        "name": "Oncor Electric Delivery",
        "short_name": "Oncor",
        "duns": "1039940674000",
        "esiid_prefixes": ["1044372", "1017699"],
    },
    {
        "name": "CenterPoint Energy Houston Electric",
        "short_name": "CenterPoint",
        "duns": "957877905",
        "esiid_prefixes": ["1008901"],
    },
    {
        "name": "AEP Texas Central",
        "short_name": "AEP Central",
        "duns": "007924772",
        "esiid_prefixes": ["1003278"],
    },
    {
        "name": "AEP Texas North",
        "short_name": "AEP North",
        "duns": "007923311",
        "esiid_prefixes": ["1020404"],
    },
    {
        "name": "Texas-New Mexico Power",
        "short_name": "TNMP",
        "duns": "007929441",
        "esiid_prefixes": ["1040051"],
    },
)


@dataclass(frozen=True)
class PremiseSpec:
    """What registering one premise with its meter needs (the generator and imports use it)."""

    esiid: str
    tdu_duns: str
    address_line1: str
    city: str
    zip_code: str
    meter_number: str
    installed_on: date
    kind: str = Premise.Kind.RESIDENTIAL
    starting_register_kwh: Decimal = Decimal(0)
    han_capable: bool = True


def tdus_ensure() -> list[Tdu]:
    """Create or update the five Texas TDUs (idempotent)."""
    tdus = []
    for spec in TEXAS_TDUS:
        tdu, _ = Tdu.objects.update_or_create(duns=spec["duns"], defaults=spec)
        tdus.append(tdu)
    return tdus


def premise_create(
    *,
    tdu: Tdu,
    esiid: str,
    address_line1: str,
    city: str,
    zip_code: str,
    kind: str = Premise.Kind.RESIDENTIAL,
    address_line2: str = "",
) -> Premise:
    """Register a premise; the ESI ID must be well formed and issued by ``tdu``."""
    try:
        esiid = esiid_validate(esiid, tdu.esiid_prefixes)
    except InvalidEsiid as exc:
        raise ValidationError({"esiid": str(exc)}) from exc
    if Premise.objects.filter(esiid=esiid).exists():
        raise ValidationError({"esiid": f"ESI ID {esiid} is already registered."})
    premise = Premise(
        tdu=tdu,
        esiid=esiid,
        address_line1=address_line1,
        address_line2=address_line2,
        city=city,
        zip_code=zip_code,
        kind=kind,
    )
    premise.full_clean()
    premise.save()
    return premise


def meter_install(
    *,
    premise: Premise,
    meter_number: str,
    installed_on: date,
    starting_register_kwh: Decimal = Decimal(0),
    han_capable: bool = True,
) -> Meter:
    """Install a meter at a premise."""
    meter = Meter(
        premise=premise,
        meter_number=meter_number,
        installed_on=installed_on,
        starting_register_kwh=starting_register_kwh,
        han_capable=han_capable,
    )
    meter.full_clean()
    meter.save()
    return meter


@transaction.atomic
def premises_register_bulk(*, specs: Sequence[PremiseSpec]) -> int:
    """Register many premises and their meters at once, skipping those already known. Returns how many were new."""
    tdus = {tdu.duns: tdu for tdu in Tdu.objects.all()}
    missing = {spec.tdu_duns for spec in specs} - tdus.keys()
    if missing:
        raise ValidationError(f"Unknown TDU DUNS {', '.join(sorted(missing))}: run tdus_ensure() first.")
    for spec in specs:
        try:
            esiid_validate(spec.esiid, tdus[spec.tdu_duns].esiid_prefixes)
        except InvalidEsiid as exc:
            raise ValidationError({"esiid": str(exc)}) from exc
    known = set(Premise.objects.filter(esiid__in=[s.esiid for s in specs]).values_list("esiid", flat=True))
    new = [s for s in specs if s.esiid not in known]
    Premise.objects.bulk_create(
        [
            Premise(
                esiid=s.esiid,
                tdu=tdus[s.tdu_duns],
                address_line1=s.address_line1,
                city=s.city,
                zip_code=s.zip_code,
                kind=s.kind,
            )
            for s in new
        ],
        batch_size=2000,
    )
    ids = dict(Premise.objects.filter(esiid__in=[s.esiid for s in new]).values_list("esiid", "id"))
    Meter.objects.bulk_create(
        [
            Meter(
                premise_id=ids[s.esiid],
                meter_number=s.meter_number,
                installed_on=s.installed_on,
                starting_register_kwh=s.starting_register_kwh,
                han_capable=s.han_capable,
            )
            for s in new
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return len(new)


REGISTER_BATCH = 5000


def synthetic_premises_register(*, premises: Sequence[SynthPremise]) -> int:
    """Register generated premises and their meters (the demo's and ``generate_tdu_files``') through the bulk
    service, in batches; idempotent. Returns how many premises were new."""
    tdus_ensure()
    specs = [
        PremiseSpec(
            esiid=p.esiid,
            tdu_duns=p.tdu_duns,
            address_line1=p.address_line1,
            city=p.city,
            zip_code=p.zip_code,
            meter_number=p.meter_number,
            installed_on=p.meter_installed_on,
            kind=p.kind,
            starting_register_kwh=Decimal(p.starting_register_kwh),
            han_capable=p.han_capable,
        )
        for p in premises
    ]
    return sum(
        premises_register_bulk(specs=specs[i : i + REGISTER_BATCH])
        for i in range(0, len(specs), REGISTER_BATCH)
    )
