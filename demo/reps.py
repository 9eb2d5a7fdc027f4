"""A dozen real Texas retail electric providers (REPs), with the DBA and brand names they trade under.

The names SMT offers as separate, look-alike choices (the seed filing's five "Reliants", "Cirro Energy" versus
"US RETAILERS LLC (LSE)") are aliases of the one company they belong to here, so a search shows that company once.

PUCT certificate numbers are the ones these companies print on their bills as far as we know; they are demo data,
not an authoritative registry: check them against the PUCT's REP directory before relying on them.
"""

from dataclasses import dataclass, field

from portal.models import Rep, RepAlias
from portal.services import rep_alias_add, rep_create

DBA = RepAlias.Kind.DBA
BRAND = RepAlias.Kind.BRAND
FORMER = RepAlias.Kind.FORMER


@dataclass(frozen=True)
class DemoRep:
    legal_name: str
    puct_certificate: str
    website: str
    aliases: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    share: float = 1.0  # relative share of demo premises that have this REP of record


DEMO_REPS: tuple[DemoRep, ...] = (
    DemoRep(
        "Reliant Energy Retail Services LLC",
        "10007",
        "https://www.reliant.com/",
        (
            ("Reliant", BRAND),
            ("Reliant Energy", BRAND),
            ("Reliant Energy Retail", BRAND),
            ("Reliant Energy Retail Services LLC (LSE)", DBA),
            ("Reliant Energy Retail Services LLC dba Reliant Energy Solutions", DBA),
            ("Reliant Energy Solutions", DBA),
        ),
        share=22,
    ),
    DemoRep(
        "TXU Energy Retail Company LLC",
        "10004",
        "https://www.txu.com/",
        (("TXU Energy", BRAND), ("TXU", BRAND), ("TXU Energy Retail Company LLC (LSE)", DBA)),
        share=24,
    ),
    DemoRep(
        "US Retailers LLC",
        "10177",
        "https://www.cirroenergy.com/",
        (("Cirro Energy", DBA), ("Cirro", BRAND), ("US Retailers LLC (LSE)", DBA)),
        share=6,
    ),
    DemoRep(
        "Green Mountain Energy Company",
        "10009",
        "https://www.greenmountainenergy.com/",
        (("Green Mountain Energy", BRAND), ("Green Mountain", BRAND)),
        share=8,
    ),
    DemoRep(
        "Direct Energy LP",
        "10040",
        "https://www.directenergy.com/",
        (("Direct Energy", BRAND), ("Direct Energy Business", DBA)),
        share=8,
    ),
    DemoRep(
        "Champion Energy Services LLC",
        "10098",
        "https://www.championenergyservices.com/",
        (("Champion Energy", BRAND), ("Champion Energy Services", BRAND)),
        share=5,
    ),
    DemoRep(
        "Gexa Energy LP",
        "10027",
        "https://www.gexaenergy.com/",
        (("Gexa Energy", BRAND), ("Gexa", BRAND)),
        share=6,
    ),
    DemoRep(
        "TriEagle Energy LP",
        "10157",
        "https://www.trieagleenergy.com/",
        (("TriEagle Energy", BRAND), ("Tri-Eagle Energy", BRAND), ("TriEagle", BRAND)),
        share=3,
    ),
    DemoRep(
        "4Change Energy Company",
        "10041",
        "https://www.4changeenergy.com/",
        (("4Change Energy", BRAND), ("4Change", BRAND), ("Four Change Energy", BRAND)),
        share=4,
    ),
    DemoRep(
        "Just Energy Texas LP",
        "10052",
        "https://www.justenergy.com/",
        (("Just Energy", BRAND), ("Amigo Energy", BRAND), ("Tara Energy", BRAND)),
        share=3,
    ),
    DemoRep(
        "Frontier Utilities LLC",
        "10169",
        "https://www.frontierutilities.com/",
        (("Frontier Utilities", BRAND), ("Frontier Power", BRAND)),
        share=3,
    ),
    DemoRep(
        "Express Energy LLC",
        "10278",
        "https://www.expressenergy.com/",
        (("Express Energy", BRAND),),
        share=2,
    ),
    DemoRep(
        "Reach Energy LLC",
        "10235",
        "https://www.reachenergy.com/",
        (("Reach Energy", BRAND),),
        share=1,
    ),
)


# The brand each company's customers know it by (printed on their bills).
BRANDS = {
    "Reliant Energy Retail Services LLC": "Reliant Energy",
    "TXU Energy Retail Company LLC": "TXU Energy",
    "US Retailers LLC": "Cirro Energy",
    "Green Mountain Energy Company": "Green Mountain Energy",
    "Direct Energy LP": "Direct Energy",
    "Champion Energy Services LLC": "Champion Energy",
    "Gexa Energy LP": "Gexa Energy",
    "TriEagle Energy LP": "TriEagle Energy",
    "4Change Energy Company": "4Change Energy",
    "Just Energy Texas LP": "Just Energy",
    "Frontier Utilities LLC": "Frontier Utilities",
    "Express Energy LLC": "Express Energy",
    "Reach Energy LLC": "Reach Energy",
}


def demo_reps_ensure() -> dict[str, Rep]:
    """Create or complete the demo REPs and their aliases (idempotent). Returns them by legal name.

    A REP already present (by PUCT certificate, else by legal name) is kept as it is; missing aliases are added.
    """

    reps: dict[str, Rep] = {}
    for spec in DEMO_REPS:
        rep = (
            Rep.objects.filter(puct_certificate=spec.puct_certificate).first()
            or Rep.objects.filter(legal_name=spec.legal_name).exclude(status=Rep.Status.MERGED).first()
        )
        if rep is None:
            rep = rep_create(
                legal_name=spec.legal_name,
                puct_certificate=spec.puct_certificate,
                website=spec.website,
                aliases=list(spec.aliases),
                brand=BRANDS.get(spec.legal_name, ""),
            )
        else:
            for name, kind in spec.aliases:
                rep_alias_add(rep=rep, name=name, kind=kind)
            if not rep.brand and BRANDS.get(spec.legal_name):
                rep.brand = BRANDS[spec.legal_name]
                rep.save(update_fields=["brand"])
        reps[spec.legal_name] = rep
    return reps
