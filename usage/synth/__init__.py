"""Synthetic TDU data: premises, a load model driven by a synthetic Texas weather year, and the file writer.

Pure: no Django imports anywhere in this package. Public API:

- ``synth_premises(meters, seed, *, install_before=None) -> list[SynthPremise]``
- ``generate(out_dir, premises, start, days, seed, solar_share=0.1, error_rate=0.0, *, billing=True,
  progress=None) -> GenerationSummary``
- ``TDUS`` / ``TDU_BY_DUNS`` (usage.synth.tdus): the five TDUs with their DUNS numbers and ESI ID prefixes.
"""

from usage.synth.generate import (
    BILLING_HEADER,
    ERROR_KINDS,
    GenerationSummary,
    billing_file_name,
    billing_periods,
    generate,
    interval_file_name,
)
from usage.synth.premises import LoadProfile, SynthPremise, synth_premises, unknown_esiid
from usage.synth.tdus import TDU_BY_DUNS, TDU_BY_KEY, TDUS, TduInfo, tdu_for_esiid

__all__ = [
    "BILLING_HEADER",
    "ERROR_KINDS",
    "TDUS",
    "TDU_BY_DUNS",
    "TDU_BY_KEY",
    "GenerationSummary",
    "LoadProfile",
    "SynthPremise",
    "TduInfo",
    "billing_file_name",
    "billing_periods",
    "generate",
    "interval_file_name",
    "synth_premises",
    "tdu_for_esiid",
    "unknown_esiid",
]
