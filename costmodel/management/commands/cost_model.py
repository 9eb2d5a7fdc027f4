"""`python manage.py cost_model --meters 7000000 --years 7`: the yearly bill from the committed figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from costmodel import inputs
from costmodel.estimate import CostModelError, estimate
from costmodel.report import as_dict, as_text, write_chart


class Command(BaseCommand):
    help = "Print the yearly bill of running the whole state on this system, item by item (docs/cost.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--meters", type=int, default=7_000_000)
        parser.add_argument("--years", type=float, default=7.0, help="years of 15-minute data kept")
        parser.add_argument(
            "--figures", type=Path, help="a scale benchmark's JSON lines (default: the latest)"
        )
        parser.add_argument("--prices", type=Path, default=inputs.PRICES)
        parser.add_argument("--assumptions", type=Path, default=inputs.ASSUMPTIONS)
        parser.add_argument("--json", action="store_true", help="print the bill as one JSON object")
        parser.add_argument("--chart", type=Path, help="also write the breakdown as a PNG (plotly + kaleido)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            figures_path = opts["figures"] or inputs.latest_figures_file()
            figures = inputs.load_figures(figures_path)
            prices = inputs.load_prices(opts["prices"])
            bill = estimate(
                meters=opts["meters"],
                years=opts["years"],
                figures=figures,
                prices=prices,
                assumptions=inputs.load_toml(opts["assumptions"]),
            )
        except CostModelError as exc:
            raise CommandError(str(exc)) from exc
        if opts["json"]:
            self.stdout.write(json.dumps(as_dict(bill, figures), indent=2))
        else:
            self.stdout.write(as_text(bill, figures, prices), ending="")
        if opts["chart"]:
            try:
                write_chart(bill, opts["chart"])
            except (ImportError, ValueError, RuntimeError) as exc:
                raise CommandError(f"cannot write the chart ({exc}); it needs kaleido and Chromium") from exc
