"""The state-wide yearly bill: measured figures x assumed load x dated prices, item by item.

Pure Python (no Django), so the arithmetic can be read, tested and rerun alone. Every quantity a line item
uses is kept on the item (``basis``), so the command and docs/cost.md can show how each dollar was reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

HOURS_PER_YEAR = 24 * 365
SECONDS_PER_YEAR = HOURS_PER_YEAR * 3600
DAYS_PER_YEAR = 365.25
GIB = 2**30
PAGE_BYTES = 8192


class CostModelError(ValueError):
    """A figure, price or assumption the model needs is missing or makes no sense."""


@dataclass(frozen=True)
class Figures:
    """What the scale benchmark measured on the built database (docs/bench/scale-*.jsonl)."""

    bytes_per_reading: float
    ingest_readings_per_s: float
    ingest_vcpus: int
    requests_per_s: float  # 13-month JSON reads, 8 clients, warm and cold mixed as measured
    serving_vcpus: int
    cold_buffers_read_per_request: float
    wire_bytes_13_months: float
    dump_bytes_per_reading: float
    source: str = ""


@dataclass
class LineItem:
    key: str
    label: str
    usd: float
    basis: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bill:
    meters: int
    years: float
    items: list[LineItem]
    managed_postgres_alternative: LineItem
    smt_yearly_usd: float
    load: dict[str, float]

    @property
    def total_usd(self) -> float:
        return sum(item.usd for item in self.items)

    @property
    def total_with_managed_postgres_usd(self) -> float:
        self_run = sum(i.usd for i in self.items if i.key in SELF_RUN_DATABASE_ITEMS)
        return self.total_usd - self_run + self.managed_postgres_alternative.usd


SELF_RUN_DATABASE_ITEMS = ("database_disks", "database_iops", "database_hosts")


def _price(prices: dict[str, Any], key: str, unit: str = "usd") -> float:
    try:
        value = float(prices[key][unit])
    except (KeyError, TypeError, ValueError) as exc:
        raise CostModelError(f"docs/cost/prices.toml: [{key}] needs a numeric '{unit}'") from exc
    if value < 0:
        raise CostModelError(f"docs/cost/prices.toml: [{key}] {unit} is negative")
    return value


def _assume(assumptions: dict[str, Any], section: str, key: str) -> float:
    try:
        value = float(assumptions[section][key])
    except (KeyError, TypeError, ValueError) as exc:
        raise CostModelError(f"docs/cost/assumptions.toml: [{section}] needs a numeric '{key}'") from exc
    if value < 0:
        raise CostModelError(f"docs/cost/assumptions.toml: [{section}] {key} is negative")
    return value


def _vm_year(prices: dict[str, Any], vcpus: float, memory_gb: float, hours: float = HOURS_PER_YEAR) -> float:
    return hours * (vcpus * _price(prices, "vm_vcpu_hour") + memory_gb * _price(prices, "vm_memory_gb_hour"))


def yearly_load(meters: int, assumptions: dict[str, Any]) -> dict[str, float]:
    """Requests a year by caller kind, in 13-month-read equivalents, with cold reads and bytes sent."""
    a = assumptions
    res_reads = (
        meters
        * _assume(a, "residents", "monthly_active_share")
        * _assume(a, "residents", "views_per_active_month")
        * 12
    )
    rep_reads = meters * _assume(a, "reps", "reads_per_meter_day") * DAYS_PER_YEAR
    tp_reads = (
        meters
        * _assume(a, "third_parties", "meter_share")
        * _assume(a, "third_parties", "reads_per_meter_day")
        * DAYS_PER_YEAR
    )
    equivalents = (
        res_reads
        + rep_reads * _assume(a, "reps", "request_weight")
        + tp_reads * _assume(a, "third_parties", "request_weight")
    )
    cold = (
        res_reads * _assume(a, "residents", "cold_share")
        + rep_reads * _assume(a, "reps", "cold_share")
        + tp_reads * _assume(a, "third_parties", "cold_share")
    )
    return {
        "resident_reads": res_reads,
        "rep_reads": rep_reads,
        "third_party_reads": tp_reads,
        "read_equivalents": equivalents,
        "cold_reads": cold,
    }


def estimate(
    *,
    meters: int,
    years: float,
    figures: Figures,
    prices: dict[str, Any],
    assumptions: dict[str, Any],
) -> Bill:
    """The yearly bill for ``meters`` meters keeping ``years`` years of 15-minute data."""
    if meters <= 0 or years <= 0:
        raise CostModelError("--meters and --years must be positive")
    a = assumptions
    per_meter_day = _assume(a, "data", "readings_per_meter_day") * (1 + _assume(a, "data", "solar_share"))
    readings_per_day = meters * per_meter_day
    readings_stored = readings_per_day * DAYS_PER_YEAR * years
    items: list[LineItem] = []

    # Storage: every database host keeps a full copy on its own disk, with headroom.
    hosts = max(1, int(_assume(a, "storage", "database_hosts")))
    db_gib = readings_stored * figures.bytes_per_reading / GIB
    disk_gib = db_gib * (1 + _assume(a, "storage", "headroom"))
    items.append(
        LineItem(
            "database_disks",
            "Database disks (primary, standby, replica)",
            hosts * disk_gib * _price(prices, "block_storage_gb_month") * 12,
            {
                "readings_stored": readings_stored,
                "database_gib": db_gib,
                "disk_gib_per_host": disk_gib,
                "hosts": hosts,
            },
        )
    )

    load = yearly_load(meters, a)
    peak = _assume(a, "serving", "peak_to_average")
    peak_cold_per_s = load["cold_reads"] / SECONDS_PER_YEAR * peak
    # cold reads go to the read replicas (all hosts but the primary, or the primary alone)
    read_hosts = max(1, hosts - 1)
    iops_per_host = peak_cold_per_s * figures.cold_buffers_read_per_request / read_hosts
    extra_iops = max(0.0, iops_per_host - _price(prices, "block_storage_included_iops", "count"))
    items.append(
        LineItem(
            "database_iops",
            "Provisioned disk IOPS for cold reads",
            read_hosts * extra_iops * _price(prices, "block_storage_iops_month") * 12,
            {
                "peak_cold_reads_per_s": peak_cold_per_s,
                "iops_per_read_host": iops_per_host,
                "extra_iops_per_read_host": extra_iops,
            },
        )
    )

    dump_gib = readings_stored * figures.dump_bytes_per_reading / GIB
    copies = _assume(a, "storage", "backup_copies")
    items.append(
        LineItem(
            "backups",
            "Backups in object storage",
            dump_gib * copies * _price(prices, "object_storage_gb_month") * 12,
            {"dump_gib": dump_gib, "copies": copies},
        )
    )

    db_vcpus = _assume(a, "database", "vcpus_per_host")
    db_mem = _assume(a, "database", "memory_gb_per_host")
    items.append(
        LineItem(
            "database_hosts",
            "Database hosts (compute and memory)",
            hosts * _vm_year(prices, db_vcpus, db_mem),
            {"hosts": hosts, "vcpus_per_host": db_vcpus, "memory_gb_per_host": db_mem},
        )
    )

    # Ingest: the measured rate used the whole benchmark machine (loaders and PostgreSQL together).
    window_s = _assume(a, "ingest", "window_hours") * 3600
    rate_per_vcpu = figures.ingest_readings_per_s / figures.ingest_vcpus
    ingest_vcpus = max(2, math.ceil(readings_per_day / (rate_per_vcpu * window_s)))
    ingest_hours = _assume(a, "ingest", "hosts_billed_hours_per_day") * 365
    items.append(
        LineItem(
            "ingest",
            "Ingest workers",
            _vm_year(
                prices, ingest_vcpus, ingest_vcpus * _assume(a, "serving", "memory_gb_per_vcpu"), ingest_hours
            ),
            {
                "readings_per_day": readings_per_day,
                "readings_per_s_per_vcpu": rate_per_vcpu,
                "vcpus": ingest_vcpus,
            },
        )
    )

    # Serving: the measured throughput also used the whole machine (app and PostgreSQL), so this counts
    # the database's share of serving again on the app servers: an overestimate, on purpose.
    per_vcpu = figures.requests_per_s / figures.serving_vcpus
    peak_rps = load["read_equivalents"] / SECONDS_PER_YEAR * peak
    serving_vcpus = max(int(_assume(a, "serving", "min_vcpus")), math.ceil(peak_rps / per_vcpu))
    items.append(
        LineItem(
            "serving",
            "App servers (portal, API, OAuth)",
            _vm_year(prices, serving_vcpus, serving_vcpus * _assume(a, "serving", "memory_gb_per_vcpu")),
            {
                "peak_read_equivalents_per_s": peak_rps,
                "requests_per_s_per_vcpu": per_vcpu,
                "vcpus": serving_vcpus,
            },
        )
    )

    items.append(
        LineItem(
            "workers",
            "Other workers (exports, webhooks, mail, head-end, maintenance)",
            _vm_year(prices, _assume(a, "workers", "vcpus"), _assume(a, "workers", "memory_gb")),
            {"vcpus": _assume(a, "workers", "vcpus"), "memory_gb": _assume(a, "workers", "memory_gb")},
        )
    )
    items.append(
        LineItem(
            "redis",
            "Redis (broker, cache, locks)",
            _vm_year(prices, _assume(a, "redis", "vcpus"), _assume(a, "redis", "memory_gb")),
            {"vcpus": _assume(a, "redis", "vcpus"), "memory_gb": _assume(a, "redis", "memory_gb")},
        )
    )

    egress_bytes = (
        load["resident_reads"] * figures.wire_bytes_13_months
        + load["rep_reads"] * _assume(a, "reps", "bytes_per_read")
        + load["third_party_reads"] * _assume(a, "third_parties", "bytes_per_read")
    )
    items.append(
        LineItem(
            "bandwidth",
            "Bandwidth (data sent to callers)",
            egress_bytes / GIB * _price(prices, "egress_gb"),
            {"egress_gib": egress_bytes / GIB},
        )
    )

    managed = LineItem(
        "managed_postgres",
        "Managed PostgreSQL instead of self-run hosts and disks",
        hosts
        * (
            HOURS_PER_YEAR
            * (
                db_vcpus * _price(prices, "managed_postgres_vcpu_hour")
                + db_mem * _price(prices, "managed_postgres_memory_gb_hour")
            )
            + disk_gib * _price(prices, "managed_postgres_storage_gb_month") * 12
        ),
        {"hosts": hosts, "disk_gib_per_host": disk_gib},
    )
    return Bill(
        meters=meters,
        years=years,
        items=items,
        managed_postgres_alternative=managed,
        smt_yearly_usd=_price(prices, "smt_yearly"),
        load=load,
    )
