"""A bill column (cost per interval) handed to the writers: computed by the caller (the portal knows plans and tariffs), one
value per interval of the series being written. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BillColumn:
    """Cost per interval in tenths of a cent (written as dollars with 3 decimals); ``null``: no cost."""

    tenths: np.ndarray  # int64, non-negative
    null: np.ndarray  # bool
