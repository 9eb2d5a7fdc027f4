"""The bill as text (the command's output, quoted in docs/cost.md) and as a chart (plotly, a static image)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from costmodel.estimate import Bill, Figures


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def as_text(bill: Bill, figures: Figures, prices: dict[str, Any]) -> str:
    rows = [(item.label, _money(item.usd), f"{item.usd / bill.total_usd:.0%}") for item in bill.items]
    width = max(len(r[0]) for r in rows) + 2
    out = [
        f"Yearly bill for {bill.meters:,} meters keeping {bill.years:g} years of 15-minute data",
        f"  figures: {figures.source}",
        f"  prices:  {prices.get('provider', '')}",
        "",
    ]
    out += [f"  {label:<{width}}{usd:>14}  {share:>4}" for label, usd, share in rows]
    out += [
        f"  {'':<{width}}{'-' * 14}",
        f"  {'Total':<{width}}{_money(bill.total_usd):>14}",
        "",
        f"  {bill.managed_postgres_alternative.label}: {_money(bill.managed_postgres_alternative.usd)} "
        f"for the database, {_money(bill.total_with_managed_postgres_usd)} in all",
        f"  Smart Meter Texas today: {_money(bill.smt_yearly_usd)} a year, "
        f"{bill.smt_yearly_usd / bill.total_usd:,.0f} times this bill",
        "",
        "  Load a year: "
        f"{bill.load['resident_reads']:,.0f} resident views, {bill.load['rep_reads']:,.0f} REP reads, "
        f"{bill.load['third_party_reads']:,.0f} third-party reads; {bill.load['cold_reads']:,.0f} cold reads",
    ]
    return "\n".join(out) + "\n"


def as_dict(bill: Bill, figures: Figures) -> dict[str, Any]:
    return {
        "meters": bill.meters,
        "years": bill.years,
        "figures": figures.source,
        "items": [
            {"key": i.key, "label": i.label, "usd": round(i.usd, 2), "basis": i.basis} for i in bill.items
        ],
        "total_usd": round(bill.total_usd, 2),
        "managed_postgres_alternative_usd": round(bill.managed_postgres_alternative.usd, 2),
        "total_with_managed_postgres_usd": round(bill.total_with_managed_postgres_usd, 2),
        "smt_yearly_usd": bill.smt_yearly_usd,
        "load": bill.load,
    }


def write_chart(bill: Bill, path: Path) -> None:
    """A horizontal bar per item, largest on top, with the total and SMT's yearly cost in the title."""
    import plotly.graph_objects as go  # imported here: only the chart needs plotly's image export (kaleido)

    for noisy in ("kaleido", "choreographer"):  # they log every step of the headless browser at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)

    items = sorted(bill.items, key=lambda i: i.usd)
    fig = go.Figure(
        go.Bar(
            x=[i.usd for i in items],
            y=[i.label for i in items],
            orientation="h",
            text=[_money(i.usd) for i in items],
            textposition="outside",
            marker_color="#1f5f8b",
        )
    )
    fig.update_layout(
        title=(
            f"{bill.meters:,} meters x {bill.years:g} years: {_money(bill.total_usd)} a year "
            f"(Smart Meter Texas: {_money(bill.smt_yearly_usd)})"
        ),
        xaxis_title="US dollars a year",
        template="plotly_white",
        margin={"l": 10, "r": 60, "t": 60, "b": 50},
        font={"size": 13},
    )
    fig.update_xaxes(range=[0, max(i.usd for i in items) * 1.25])
    fig.write_image(str(path), width=1000, height=480, scale=1)
