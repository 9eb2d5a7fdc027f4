"""Reading the cost model's three inputs: the committed scale figures, the dated prices and the assumptions."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from costmodel.estimate import CostModelError, Figures

DOCS = Path(__file__).resolve().parent.parent / "docs"
PRICES = DOCS / "cost" / "prices.toml"
ASSUMPTIONS = DOCS / "cost" / "assumptions.toml"
SCALE_FIGURES = DOCS / "bench"

# metric name in the scale benchmark's JSON lines -> what the model needs of it
NEEDED = (
    "bytes_per_reading",
    "ingest_readings_per_s",
    "api_concurrent_requests_per_s",
    "api_cold_buffers_read_per_request",
    "api_json_13_months_wire_bytes",
    "pg_dump_bytes_per_reading",
)


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise CostModelError(f"{path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CostModelError(f"{path} is not valid TOML: {exc}") from exc


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    """The price table; every price must say where it comes from and when, or the bill cannot be checked."""
    prices = load_toml(path)
    for key, entry in prices.items():
        if not isinstance(entry, dict):
            continue
        missing = [f for f in ("source", "as_of") if not str(entry.get(f, "")).strip()]
        if missing:
            raise CostModelError(f"{path}: [{key}] needs {' and '.join(missing)}")
    return prices


def latest_figures_file(folder: Path = SCALE_FIGURES) -> Path:
    files = sorted(folder.glob("scale-*.jsonl"))
    if not files:
        raise CostModelError(
            f"no scale figures in {folder}: run `bench/bench_scale.py build` then `measure` (docs/cost.md), "
            "or pass --figures"
        )
    return files[-1]


def load_figures(path: Path) -> Figures:
    """The built database's figures (lines with ``"database": "scale"``) from a scale benchmark run."""
    found: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError as exc:
        raise CostModelError(f"{path} does not exist") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CostModelError(f"{path}:{number} is not a JSON object") from exc
        if isinstance(row, dict) and row.get("database") == "scale" and row.get("metric") in NEEDED:
            found[row["metric"]] = row
    missing = [m for m in NEEDED if m not in found]
    if missing:
        raise CostModelError(f"{path} lacks the built database's {', '.join(missing)}")

    def value(metric: str) -> float:
        v = found[metric].get("value")
        if not isinstance(v, int | float) or v <= 0:
            raise CostModelError(f"{path}: {metric} must be a positive number, not {v!r}")
        return float(v)

    return Figures(
        bytes_per_reading=value("bytes_per_reading"),
        ingest_readings_per_s=value("ingest_readings_per_s"),
        ingest_vcpus=int(found["ingest_readings_per_s"].get("vcpus") or 1),
        requests_per_s=value("api_concurrent_requests_per_s"),
        serving_vcpus=int(found["api_concurrent_requests_per_s"].get("vcpus") or 1),
        cold_buffers_read_per_request=value("api_cold_buffers_read_per_request"),
        wire_bytes_13_months=value("api_json_13_months_wire_bytes"),
        dump_bytes_per_reading=value("pg_dump_bytes_per_reading"),
        source=_shown(path),
    )


def _shown(path: Path) -> str:
    """The figures file as the bill names it: relative to the project when inside it, so output is the same
    on every checkout."""
    try:
        return str(path.resolve().relative_to(DOCS.parent))
    except ValueError:
        return str(path)
