"""The state-wide cost model: its arithmetic, its inputs' checks and the command that prints the bill."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from costmodel import inputs
from costmodel.estimate import GIB, HOURS_PER_YEAR, CostModelError, Figures, estimate

FIGURES = [
    {"metric": "machine", "cpus": 2},
    {"metric": "bytes_per_reading", "value": 1.6, "unit": "B", "database": "scale"},
    {"metric": "bytes_per_reading", "value": 9.9, "unit": "B", "database": "empty"},
    {
        "metric": "ingest_readings_per_s",
        "value": 1_000_000,
        "unit": "readings/s",
        "database": "scale",
        "vcpus": 2,
    },
    {
        "metric": "api_concurrent_requests_per_s",
        "value": 200,
        "unit": "req/s",
        "database": "scale",
        "vcpus": 2,
    },
    {"metric": "api_cold_buffers_read_per_request", "value": 40, "unit": "buffers", "database": "scale"},
    {"metric": "api_json_13_months_wire_bytes", "value": 80_000, "unit": "B", "database": "scale"},
    {"metric": "pg_dump_bytes_per_reading", "value": 1.2, "unit": "B", "database": "scale"},
]


@pytest.fixture
def figures_file(tmp_path: Path) -> Path:
    path = tmp_path / "scale-2026-12-07.jsonl"
    path.write_text("\n".join(json.dumps(f) for f in FIGURES) + "\n")
    return path


def test_the_committed_prices_and_assumptions_load_and_every_price_names_its_source_and_date():
    prices = inputs.load_prices()
    priced = {k: v for k, v in prices.items() if isinstance(v, dict)}
    assert {
        "vm_vcpu_hour",
        "block_storage_gb_month",
        "block_storage_iops_month",
        "object_storage_gb_month",
        "egress_gb",
        "managed_postgres_vcpu_hour",
        "smt_yearly",
    } <= set(priced)
    assert all(v["source"] and v["as_of"] for v in priced.values())
    assert inputs.load_toml(inputs.ASSUMPTIONS)["storage"]["database_hosts"] >= 2


def test_a_price_without_its_source_is_refused(tmp_path):
    bad = tmp_path / "prices.toml"
    bad.write_text('[egress_gb]\nusd = 0.08\nas_of = "2026-01-01"\n')
    with pytest.raises(CostModelError, match=r"\[egress_gb\] needs source"):
        inputs.load_prices(bad)


def test_only_the_built_databases_figures_are_used(figures_file):
    figures = inputs.load_figures(figures_file)
    assert figures.bytes_per_reading == 1.6
    assert figures.ingest_vcpus == 2
    assert figures.requests_per_s == 200


def test_a_figures_file_missing_a_measurement_names_it(tmp_path):
    path = tmp_path / "scale-x.jsonl"
    path.write_text(json.dumps(FIGURES[1]) + "\n")
    with pytest.raises(CostModelError, match="ingest_readings_per_s"):
        inputs.load_figures(path)


def test_storage_is_readings_times_bytes_on_every_host_with_headroom(figures_file):
    prices = inputs.load_prices()
    assumptions = inputs.load_toml(inputs.ASSUMPTIONS)
    bill = estimate(
        meters=1000,
        years=2,
        figures=inputs.load_figures(figures_file),
        prices=prices,
        assumptions=assumptions,
    )
    disks = next(i for i in bill.items if i.key == "database_disks")
    readings = 1000 * 96 * 1.10 * 365.25 * 2
    assert disks.basis["readings_stored"] == pytest.approx(readings)
    per_host = readings * 1.6 / GIB * (1 + assumptions["storage"]["headroom"])
    hosts = assumptions["storage"]["database_hosts"]
    assert disks.usd == pytest.approx(hosts * per_host * prices["block_storage_gb_month"]["usd"] * 12)


def test_more_meters_cost_more_and_twice_the_storage_figure_doubles_the_disks(figures_file):
    prices, assumptions = inputs.load_prices(), inputs.load_toml(inputs.ASSUMPTIONS)
    figures = inputs.load_figures(figures_file)
    small = estimate(meters=100_000, years=7, figures=figures, prices=prices, assumptions=assumptions)
    big = estimate(meters=7_000_000, years=7, figures=figures, prices=prices, assumptions=assumptions)
    assert big.total_usd > small.total_usd
    fat = Figures(**{**figures.__dict__, "bytes_per_reading": 3.2})
    fatter = estimate(meters=7_000_000, years=7, figures=fat, prices=prices, assumptions=assumptions)
    disks = {
        b: next(i.usd for i in bill.items if i.key == "database_disks")
        for b, bill in (("big", big), ("fat", fatter))
    }
    assert disks["fat"] == pytest.approx(2 * disks["big"])


def test_ingest_workers_are_sized_to_load_a_day_within_the_window(figures_file):
    prices, assumptions = inputs.load_prices(), inputs.load_toml(inputs.ASSUMPTIONS)
    assumptions["ingest"]["window_hours"] = (
        0.1  # a short window, so that more than the minimum 2 vCPUs are needed
    )
    bill = estimate(
        meters=7_000_000,
        years=7,
        figures=inputs.load_figures(figures_file),
        prices=prices,
        assumptions=assumptions,
    )
    ingest = next(i for i in bill.items if i.key == "ingest")
    per_day = 7_000_000 * 96 * 1.10
    window = assumptions["ingest"]["window_hours"] * 3600
    assert ingest.basis["vcpus"] > 2
    assert ingest.basis["vcpus"] * 500_000 * window >= per_day  # 1 M/s on 2 vCPUs
    assert (ingest.basis["vcpus"] - 1) * 500_000 * window < per_day
    assert ingest.usd == pytest.approx(
        HOURS_PER_YEAR
        * ingest.basis["vcpus"]
        * (
            prices["vm_vcpu_hour"]["usd"]
            + assumptions["serving"]["memory_gb_per_vcpu"] * prices["vm_memory_gb_hour"]["usd"]
        )
    )


def test_nonsense_input_is_a_clear_error(figures_file):
    with pytest.raises(CostModelError, match="positive"):
        estimate(
            meters=0,
            years=7,
            figures=inputs.load_figures(figures_file),
            prices=inputs.load_prices(),
            assumptions=inputs.load_toml(inputs.ASSUMPTIONS),
        )


def test_the_command_prints_each_item_the_total_and_smt(figures_file):
    out = StringIO()
    call_command(
        "cost_model", "--meters", "7000000", "--years", "7", "--figures", str(figures_file), stdout=out
    )
    text = out.getvalue()
    for label in (
        "Database disks",
        "Backups",
        "Ingest workers",
        "App servers",
        "Redis",
        "Bandwidth",
        "Total",
        "Smart Meter Texas today: $9,800,000",
    ):
        assert label in text


def test_the_command_as_json_adds_up(figures_file):
    out = StringIO()
    call_command("cost_model", "--figures", str(figures_file), "--json", stdout=out)
    bill = json.loads(out.getvalue())
    assert bill["meters"] == 7_000_000
    assert bill["total_usd"] == pytest.approx(sum(i["usd"] for i in bill["items"]), abs=0.05)


def test_the_command_without_figures_says_how_to_get_them(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("cost_model", "--figures", str(tmp_path / "nope.jsonl"))


def test_docs_cost_md_shows_what_the_command_prints_with_the_committed_figures():
    """docs/cost.md quotes the bill; the quote must be what `cost_model` gives for the committed figures today."""
    out = StringIO()
    call_command("cost_model", "--meters", "7000000", "--years", "7", stdout=out)
    doc = (inputs.DOCS / "cost.md").read_text()
    assert out.getvalue() in doc
