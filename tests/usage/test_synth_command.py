"""The generate_tdu_files command: arguments, files, and idempotent registration of premises and meters."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from usage.models import Meter, Premise, Tdu
from usage.synth import TDUS, synth_premises


def run(*args: str) -> str:
    out = StringIO()
    call_command("generate_tdu_files", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_writes_files_and_registers_premises_once(tmp_path):
    args = ("--meters", "12", "--start", "2025-11-01", "--days", "2", "--out", str(tmp_path), "--seed", "4")
    line = run(*args, "--solar-share", "0.25", "--error-rate", "0.01")
    assert "12 premises newly registered" in line and " s, into " in line
    assert len(line.strip().splitlines()) == 1
    assert len(list(tmp_path.glob("*_INTERVAL.csv"))) == 5 * 2
    assert len(list(tmp_path.glob("*_BILLING.csv"))) == 5
    assert Premise.objects.count() == 12 and Meter.objects.count() == 12
    assert set(Tdu.objects.values_list("duns", flat=True)) == {t.duns for t in TDUS}
    expected = {p.esiid: p for p in synth_premises(12, 4)}
    for premise in Premise.objects.select_related("tdu"):
        p = expected[premise.esiid]
        assert premise.tdu.duns == p.tdu_duns
        assert (premise.address_line1, premise.city, premise.zip_code, premise.kind) == (
            p.address_line1,
            p.city,
            p.zip_code,
            p.kind,
        )
        meter = premise.meters.get()
        assert meter.meter_number == p.meter_number
        assert meter.installed_on < date(2025, 11, 1)
        assert meter.han_capable == p.han_capable

    before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    line = run(*args, "--solar-share", "0.25", "--error-rate", "0.01")
    assert "0 premises newly registered" in line
    assert Premise.objects.count() == 12 and Meter.objects.count() == 12
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == before  # same seed, same bytes


@pytest.mark.django_db
def test_no_register(tmp_path):
    line = run(
        "--meters", "3", "--start", "2025-01-01", "--days", "1", "--out", str(tmp_path), "--no-register"
    )
    assert "not registered" in line
    assert Premise.objects.count() == 0
    assert len(list(tmp_path.glob("*.csv"))) == 3 + 3  # three premises cover three TDUs: interval + billing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--meters", "-5"), "--meters must be at least 1"),
        (("--days", "-1"), "--days must be at least 1"),
        (("--start", "2025-02-30"), "not a real date"),
        (("--start", "01/02/2025"), "YYYY-MM-DD"),
        (("--solar-share", "1.5"), "--solar-share is a share between 0 and 1"),
        (("--error-rate", "-0.1"), "--error-rate is a share between 0 and 1"),
        (("--error-rate", "nan"), "--error-rate is a share between 0 and 1"),
        (("--start", "9999-12-30"), "past the year 9999"),
        (("--workers", "0"), "--workers must be at least 1"),
    ],
)
def test_bad_arguments_get_clear_errors(tmp_path, change, message):
    args = {
        "--meters": "2",
        "--start": "2025-01-01",
        "--days": "2",
        "--out": str(tmp_path),
        "--no-register": None,
    }
    args[change[0]] = change[1]
    flat = [x for k, v in args.items() for x in ((k,) if v is None else (k, v))]
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(*flat)
    assert not list(tmp_path.glob("*.csv"))


def test_out_must_be_a_directory(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(CommandError, match="not a directory"):
        run("--meters", "1", "--start", "2025-01-01", "--days", "1", "--out", str(target), "--no-register")


@pytest.mark.django_db
def test_generated_files_load(tmp_path):
    """The ingest path stores every good row and rejects exactly the corrupted ones (on days without DST)."""
    from usage.ingest.loader import ingest_file

    line = run(
        "--meters", "15", "--start", "2025-06-01", "--days", "2", "--out", str(tmp_path),
        "--seed", "9", "--solar-share", "0.3", "--error-rate", "0.03",
    )  # fmt: skip
    rows = corrupted = stored = rejected = 0
    for path in sorted(tmp_path.glob("*_INTERVAL.csv")):
        report = ingest_file(path=path, today=date(2025, 7, 1))
        stored += report.stored
        rejected += report.rejected
        text = path.read_bytes().decode()
        rows += text.count("\r\n") - 1
    corrupted = int(line.split(" interval rows (")[1].split(" corrupted")[0].replace(",", ""))
    assert corrupted > 0
    assert rejected == corrupted
    assert stored == rows - corrupted
