"""The export path end to end: TDU files generated and loaded through the real ingest, then read back
through the selectors and the one export entry point, and through ``export_intervals``."""

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from io import StringIO

import orjson
import pytest
from django.core.management import CommandError, call_command

from tests.helpers.espi import assert_valid_espi
from usage import storage
from usage.ingest.loader import ingest_file
from usage.models import BillingPeriod, Channel, Premise
from usage.reads.selectors import billed_periods_for, intervals_for, summary_for
from usage.synth import synth_premises
from usage.writers.export import ExportError, export_intervals

START, DAYS = date(2025, 10, 31), 4  # includes the fall-back day, 2025-11-02
END = date(2025, 11, 3)
METERS, SEED = 5, 11


def _solar_share_for_two_of_five() -> float:
    """A --solar-share that gives exactly two of the generated premises solar: halfway between the second and
    third smallest solar ranks the generator draws for them (a premise has solar when its rank is below the
    share), so the tests always have premises with and without generation, whatever the seed draws."""
    ranks = sorted(p.profile.solar_rank for p in synth_premises(METERS, SEED, install_before=START))
    assert ranks[1] < ranks[2], ranks
    return (ranks[1] + ranks[2]) / 2


@pytest.fixture
def loaded(tmp_path, django_db_blocker):
    call_command(
        "generate_tdu_files",
        "--meters", str(METERS), "--start", START.isoformat(), "--days", str(DAYS), "--out", str(tmp_path),
        "--seed", str(SEED), "--solar-share", repr(_solar_share_for_two_of_five()),
        stdout=StringIO(),
    )  # fmt: skip
    files = sorted(tmp_path.glob("*_INTERVAL.csv"))
    for f in files:
        report = ingest_file(path=f, today=date(2026, 1, 1))
        assert report.rejected == 0, report.message
    rows = defaultdict(list)  # (esiid, date, channel) -> rows in file order
    for f in files:
        for r in csv.DictReader(io.StringIO(f.read_text())):
            esiid = r["ESIID"].lstrip("'")
            rows[(esiid, r["USAGE_DATE"], r["CONSUMPTION_SURPLUSGENERATION"])].append(r)
    assert len({k[0] for k in rows}) == METERS
    assert len({k[0] for k in rows if k[2] == "Surplus Generation"}) == 2  # the solar share chose two
    return rows


def _premise_with(loaded, generation: bool) -> Premise:
    """The first premise (by ESI ID) with, or without, surplus generation in the loaded files."""
    with_gen = {k[0] for k in loaded if k[2] == "Surplus Generation"}
    return next(p for p in Premise.objects.order_by("esiid") if (p.esiid in with_gen) == generation)


def _run(*args) -> bytes:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    call_command("export_intervals", *args, stdout=out)
    out.flush()
    return out.buffer.getvalue()


@pytest.mark.django_db
def test_15min_csv_gives_back_the_tdu_rows_that_were_loaded(loaded):
    premise = _premise_with(loaded, generation=True)
    body = export_intervals(premise=premise, start=START, end=END, granularity="15min", fmt="csv").body
    got = defaultdict(list)
    for r in csv.DictReader(io.StringIO(body.decode())):
        got[(r["ESIID"].lstrip("'"), r["USAGE_DATE"], r["CONSUMPTION_SURPLUSGENERATION"])].append(r)
    expected = {k: v for k, v in loaded.items() if k[0] == premise.esiid}
    assert set(got) == set(expected)
    cols = ("REVISION_DATE", "USAGE_START_TIME", "USAGE_END_TIME", "USAGE_KWH", "ESTIMATED_ACTUAL")
    for key, rows in expected.items():
        assert [tuple(r[c].strip() for c in cols) for r in got[key]] == [
            tuple(r[c].strip() for c in cols) for r in rows
        ], key
    assert len(got[(premise.esiid, "11/02/2025", "Consumption")]) == 100


@pytest.mark.django_db
def test_json_totals_match_the_files_and_dst_shapes(loaded):
    premise = _premise_with(loaded, generation=False)
    doc = orjson.loads(
        export_intervals(premise=premise, start=START, end=END, granularity="day", fmt="json").body
    )
    for row in doc["intervals"]:
        day = datetime.fromisoformat(row["start"]).date()
        src = loaded[(premise.esiid, day.strftime("%m/%d/%Y"), "Consumption")]
        wh = sum(round(float(r["USAGE_KWH"]) * 1000) for r in src)
        assert row["consumption_kwh"] == wh / 1000
        assert row["generation_kwh"] is None
        assert row["estimated"] == any(r["ESTIMATED_ACTUAL"] == "E" for r in src)
    hourly = orjson.loads(
        export_intervals(premise=premise, start=START, end=END, granularity="hour", fmt="json").body
    )
    assert [len(d["consumption"]["kwh"]) for d in hourly["days"]] == [24, 24, 25, 24]
    assert hourly["days"][2]["start"] == "2025-11-02T00:00:00-05:00"


@pytest.mark.django_db
def test_command_prints_exactly_the_export_bytes(loaded):
    premise = _premise_with(loaded, generation=True)
    BillingPeriod.objects.create(
        premise=premise,
        start_date=START,
        end_date=date(2025, 11, 1),
        wh=None,
        revised_at=datetime(2025, 11, 5, tzinfo=UTC),
    )
    for granularity in ("15min", "hour", "day", "month", "billing"):
        for fmt in ("json", "csv", "xml"):
            result = export_intervals(premise=premise, start=START, end=END, granularity=granularity, fmt=fmt)
            printed = _run(
                "'" + premise.esiid, "--start", START.isoformat(), "--end", END.isoformat(),
                "--granularity", granularity, "--format", fmt,
            )  # fmt: skip
            assert printed == result.body, (granularity, fmt)
            assert result.filename == f"{premise.esiid}_20251031-20251103_{granularity}.{fmt}"
            assert result.content_type.split(";")[0] in (
                "application/json",
                "text/csv",
                "application/atom+xml",
            )
            assert b"".join(result.chunks(1000)) == result.body
            again = export_intervals(premise=premise, start=START, end=END, granularity=granularity, fmt=fmt)
            assert again.body == result.body


@pytest.mark.django_db
def test_xml_from_storage_is_valid(loaded, settings):
    settings.SITE_URL = "https://smt.example.org"
    premise = _premise_with(loaded, generation=True)
    body = export_intervals(premise=premise, start=START, end=END, granularity="15min", fmt="xml").body
    assert_valid_espi(body)
    assert b'href="https://smt.example.org/espi/1_1/resource/UsagePoint/' in body


@pytest.mark.django_db
def test_billing_granularity_uses_the_tdu_totals_and_keeps_na_missing(loaded):
    premise = _premise_with(loaded, generation=False)
    rev = datetime(2025, 11, 4, 12, tzinfo=UTC)
    BillingPeriod.objects.create(
        premise=premise, start_date=START, end_date=date(2025, 11, 1), wh=123_456, revised_at=rev
    )
    BillingPeriod.objects.create(
        premise=premise, start_date=date(2025, 11, 2), end_date=END, wh=None, estimated=False, revised_at=rev
    )
    BillingPeriod.objects.create(  # reaches past the range: left out
        premise=premise, start_date=date(2025, 11, 4), end_date=date(2025, 12, 3), wh=5, revised_at=rev
    )
    assert [p.wh for p in billed_periods_for(premise=premise, start=START, end=END)] == [123_456, None]
    doc = orjson.loads(
        export_intervals(premise=premise, start=START, end=END, granularity="billing", fmt="json").body
    )
    rows = doc["intervals"]
    assert [r["consumption_kwh"] for r in rows] == [123.456, None]
    assert rows[1]["interval_consumption_kwh"] > 0
    assert rows[1]["end"] == "2025-11-04T00:00:00-06:00"
    text = export_intervals(
        premise=premise, start=START, end=END, granularity="billing", fmt="csv"
    ).body.decode()
    assert text.splitlines()[2].split(",")[2] == ""  # NA: an empty field, not 0


@pytest.mark.django_db
def test_selectors_and_query_counts(loaded, django_assert_max_num_queries):
    premise = _premise_with(loaded, generation=True)
    with django_assert_max_num_queries(1):
        reads = intervals_for(premise=premise, start=START, end=END, granularity="15min", with_billing=False)
    with django_assert_max_num_queries(2):
        assert intervals_for(premise=premise, start=START, end=END, granularity="billing").billed == ()
    assert reads.range.n_slots == 4 * 96 + 4
    stored = storage.read_channels(premise_id=premise.pk, start=START, end=END)
    assert reads.consumption.values_wh.sum() == stored[int(Channel.CONSUMPTION)].values_wh.sum()
    with django_assert_max_num_queries(1):
        s = summary_for(premise=premise, start=date(2025, 11, 2), end=date(2025, 11, 3))
    assert s["days"] == 2 and s["previous"]["start_date"] == "2025-10-31"
    assert s["previous"]["end_date"] == "2025-11-01"
    assert s["total_kwh"] > 0 and s["generation_total_kwh"] is not None
    assert s["peak"]["start"].startswith("2025-11-0")


ERRORS = [
    (["99999999999999999", "--start", "2025-10-31", "--end", "2025-11-01"], "No premise with ESI ID"),
    (["{esi}", "--start", "2025-13-01", "--end", "2025-11-01"], "--start must be a date"),
    (["{esi}", "--start", "2025-11-01", "--end", "yesterday"], "--end must be a date"),
    (["{esi}", "--start", "2025-11-02", "--end", "2025-11-01"], "is before --start"),
    (
        ["{esi}", "--start", "2025-11-01", "--end", "2025-11-01", "--granularity", "week"],
        "--granularity must",
    ),
    (["{esi}", "--start", "2025-11-01", "--end", "2025-11-01", "--format", "pdf"], "--format must"),
]


@pytest.mark.django_db
def test_command_errors(loaded):
    premise = Premise.objects.order_by("esiid").first()
    for args, message in ERRORS:
        with pytest.raises(CommandError, match=message):
            _run(*[a.replace("{esi}", premise.esiid) for a in args])


@pytest.mark.django_db
def test_export_errors_name_the_parameter(loaded):
    premise = Premise.objects.order_by("esiid").first()
    for kw, param in (
        ({"start": END, "end": START}, "end"),
        ({"granularity": "week"}, "granularity"),
        ({"fmt": "pdf"}, "format"),
    ):
        args = {"premise": premise, "start": START, "end": END, "granularity": "day", "fmt": "json", **kw}
        with pytest.raises(ExportError) as exc:
            export_intervals(**args)
        assert exc.value.param == param


@pytest.mark.django_db
def test_15min_csv_export_loads_back_through_the_ingest_without_rejects(loaded, tmp_path):
    """A customer's download is a valid TDU file: our own loader takes it, and nothing changes (each row
    carries the stored revision time, and an equal revision changes nothing)."""
    premise = _premise_with(loaded, generation=True)
    before = storage.read_channels(premise_id=premise.pk, start=START, end=END)
    body = export_intervals(premise=premise, start=START, end=END, granularity="15min", fmt="csv").body
    path = tmp_path / f"{premise.tdu.duns}_20251104_export.csv"
    path.write_bytes(body)
    report = ingest_file(path=path, today=date(2026, 1, 1))
    assert report.rejected == 0, report.rejected_by_reason
    assert report.rows == body.count(b"\r\n") - 1
    assert (report.stored, report.superseded) == (0, report.rows)
    after = storage.read_channels(premise_id=premise.pk, start=START, end=END)
    for ch in (int(Channel.CONSUMPTION), int(Channel.GENERATION)):
        assert after[ch].values_wh.tolist() == before[ch].values_wh.tolist()
        assert after[ch].estimated.tolist() == before[ch].estimated.tolist()


@pytest.mark.django_db
def test_15min_csv_prints_each_intervals_own_revision_time(loaded, tmp_path):
    """A later revision of one interval shows in that row only: REVISION_DATE is per interval."""
    premise = _premise_with(loaded, generation=False)
    original = loaded[(premise.esiid, "11/01/2025", "Consumption")]
    row = dict(original[10])
    row["REVISION_DATE"] = "12/01/2025 09:30:00"
    row["USAGE_KWH"] = "9.876"
    header = ",".join(row)
    path = tmp_path / f"{premise.tdu.duns}_20251201_REVISION.csv"
    path.write_text(header + "\r\n" + ",".join(row.values()) + "\r\n")
    report = ingest_file(path=path, today=date(2026, 1, 1))
    assert (report.stored, report.rejected) == (1, 0)
    body = export_intervals(
        premise=premise, start=date(2025, 11, 1), end=date(2025, 11, 1), granularity="15min", fmt="csv"
    ).body
    got = [
        r
        for r in csv.DictReader(io.StringIO(body.decode()))
        if r["CONSUMPTION_SURPLUSGENERATION"] == "Consumption"
    ]
    assert len(got) == len(original) == 96
    for i, (g, o) in enumerate(zip(got, original, strict=True)):
        if i == 10:
            assert (g["REVISION_DATE"], g["USAGE_KWH"]) == ("12/01/2025 09:30:00", "9.876")
        else:
            assert (g["REVISION_DATE"], g["USAGE_KWH"]) == (o["REVISION_DATE"], o["USAGE_KWH"])
