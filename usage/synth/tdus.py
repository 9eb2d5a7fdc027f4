"""The five TDUs of the ERCOT market as the synthetic data generator (and anyone else) needs them.

Pure: no Django. One table, importable by anyone: ``TDUS``, ``TDU_BY_DUNS``, ``TDU_BY_KEY``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TduInfo:
    key: str  # short stable identifier used in code
    name: str  # legal-ish display name
    short_name: str
    duns: str  # exactly as it appears in TDU file names
    esiid_prefixes: tuple[str, ...]
    esiid_length: int  # 17, or 22 for CenterPoint
    meter_share: float  # share of Texas competitive-market meters, used to spread synthetic premises


TDUS: tuple[TduInfo, ...] = (
    TduInfo("oncor", "Oncor Electric Delivery", "Oncor", "1039940674000", ("1044372", "1017699"), 17, 0.49),
    TduInfo(
        "centerpoint",
        "CenterPoint Energy Houston Electric",
        "CenterPoint",
        "957877905",
        ("1008901",),
        22,
        0.33,
    ),
    TduInfo("aep_central", "AEP Texas Central", "AEP Central", "007924772", ("1003278",), 17, 0.11),
    TduInfo("aep_north", "AEP Texas North", "AEP North", "007923311", ("1020404",), 17, 0.03),
    TduInfo("tnmp", "Texas-New Mexico Power", "TNMP", "007929441", ("1040051",), 17, 0.04),
)

TDU_BY_DUNS: dict[str, TduInfo] = {t.duns: t for t in TDUS}
TDU_BY_KEY: dict[str, TduInfo] = {t.key: t for t in TDUS}


def tdu_for_esiid(esiid: str) -> TduInfo | None:
    """The TDU whose prefix starts ``esiid`` (None when no TDU issues it)."""
    for tdu in TDUS:
        if any(esiid.startswith(p) for p in tdu.esiid_prefixes):
            return tdu
    return None
