"""The one place the portfolio asks what a premise's use cost: ``portfolio_costs``.

The portfolio shows a cost column (and a portfolio total) only for premises this returns a figure for. No
premise has a plan on record yet, so it returns none; the resident's plan and bill service (issue 23, items
1-2) answers here, in bulk, for the premises that have one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from usage.models import Premise


@dataclass(frozen=True)
class PremiseUse:
    """What the portfolio read of one premise: kWh of each local day ``start + i`` of the range, NaN for a
    day without data or outside the account's window (so never another occupant's use)."""

    premise: Premise
    consumption_kwh: np.ndarray
    generation_kwh: np.ndarray


def portfolio_costs(*, uses: Sequence[PremiseUse], start: date, end: date) -> dict[int, Decimal]:
    """Premise id -> cost in dollars of its use over ``start``..``end`` under its plan, for the premises
    that have a plan; a premise without one is absent (the page then shows no figure for it)."""
    return {}
