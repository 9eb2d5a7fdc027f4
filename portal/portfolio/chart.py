"""The portfolio chart: one bar trace per premise, stacked per day or month, so each premise sits beside the
others and the stack's height is the portfolio's total. Plotly figure as plain data (drawn by
static/js/portfolio.js with the locally served plotly)."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from portal.charts import chart_config, date_formats
from portal.portfolio.selectors import Portfolio

# Okabe-Ito and Tol's muted palette: told apart with common colour-vision deficiencies.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#332288", "#117733",
    "#882255", "#44AA99", "#999933", "#AA4499",
)  # fmt: skip


def portfolio_figure(portfolio: Portfolio) -> dict[str, Any]:
    x = [d.isoformat() for d in portfolio.periods]
    traces = []
    for i, row in enumerate(portfolio.rows):
        y = portfolio.series[i]
        traces.append(
            {
                "type": "bar",
                "name": f"{row.premise.address_line1} ({row.premise.esiid[-4:]})",
                "x": x,
                "y": np.round(y, 3),  # NaN (no data) serialises as null
                "marker": {"color": PALETTE[i % len(PALETTE)]},
                "hovertemplate": "%{fullData.name}: %{y:,.3f} kWh<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        "hovermode": "x unified",
        "margin": {"l": 56, "r": 12, "t": 8, "b": 40},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {
            "family": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
            "size": 13,
            "color": "#1b2330",
        },
        "legend": {"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top", "xanchor": "left"},
        "xaxis": {
            "type": "date",
            **date_formats("portfolio-month" if portfolio.granularity == "month" else "portfolio-day"),
            "linecolor": "#8a94a3",
            "ticks": "outside",
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": _("kWh")},
            "rangemode": "tozero",
            "gridcolor": "#e3e8ef",
            "fixedrange": True,
            "automargin": True,
        },
        "showlegend": True,
    }
    return {"data": traces, "layout": layout, "config": chart_config()}
