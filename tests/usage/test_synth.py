"""The synthetic TDU data generator: layout, DST days, determinism, noise, solar, billing, corrupted rows."""

import csv
import hashlib
import io
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from usage.synth import (
    ERROR_KINDS,
    TDU_BY_DUNS,
    TDUS,
    billing_periods,
    generate,
    synth_premises,
    tdu_for_esiid,
)
from usage.synth.model import ProfileArrays, day_values
from usage.synth.premises import _CITIES
from usage.synth.weather import temperature_year
from usage.timegrid import MARKET_TZ, slot_wallclock, slots_in_day, wallclock_slot_table

HEADER = [
    "ESIID",
    "USAGE_DATE",
    "REVISION_DATE",
    "USAGE_START_TIME",
    "USAGE_END_TIME",
    "USAGE_KWH",
    "ESTIMATED_ACTUAL",
    "CONSUMPTION_SURPLUSGENERATION",
]
BILLING_HEADER = ["ESIID", "START_DATE", "END_DATE", "KWH", "ESTIMATED_ACTUAL", "REVISION_DATE"]
NAME = re.compile(r"^(\d+)_(\d{8})_INTERVAL\.csv$")
REVISION = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")
KWH = re.compile(r"^\d+\.\d{3}$")
HHMM = re.compile(r"^\d{2}:\d{2}$")
SPRING = date(2025, 3, 9)
FALL = date(2025, 11, 2)


@lru_cache(maxsize=65536)
def _revision(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %H:%M:%S").replace(tzinfo=MARKET_TZ)


def row_problem(row: list[str], duns: str, day: date, known: set[str]) -> str | None:  # noqa: C901 - one check per layout rule
    """Why a row breaks the CONTRACTS layout for a file of TDU ``duns`` for ``day`` (None if it is good)."""
    if len(row) != 8:
        return "fields"
    esiid_raw, usage, revision, start, end, kwh, flag, channel = row
    if not esiid_raw.startswith("'") or not esiid_raw[1:].isdigit() or len(esiid_raw) - 1 not in (17, 22):
        return "esiid"
    esiid = esiid_raw[1:]
    if esiid not in known:
        return "unknown_esiid"
    if tdu_for_esiid(esiid) is not TDU_BY_DUNS[duns]:
        return "other_tdu"
    if usage != f"{day:%m/%d/%Y}":
        return "usage_date"
    if not REVISION.match(revision):
        return "revision"
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), MARKET_TZ)
    if not next_midnight < _revision(revision) < next_midnight + timedelta(hours=12):
        return "revision_time"  # a few hours after the day
    if not HHMM.match(start) or not HHMM.match(end):
        return "time"
    minute = int(start[:2]) * 60 + int(start[3:])
    table = wallclock_slot_table(day)
    slots = [table[(minute, n)] for n in (0, 1) if (minute, n) in table]
    if not any(slot_wallclock(day, slot)[1] == end for slot in slots):
        return "time"
    if not KWH.match(kwh):
        return "kwh"
    if flag not in ("A", "E"):
        return "flag"
    if channel not in ("Consumption", "Surplus Generation"):
        return "channel"
    return None


def read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert b"\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n"), f"{path.name}: every line ends with CRLF"
    assert data.endswith(b"\r\n")
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def interval_files(out: Path):
    for path in sorted(out.glob("*_INTERVAL.csv")):
        m = NAME.match(path.name)
        assert m, path.name
        yield path, m.group(1), datetime.strptime(m.group(2), "%Y%m%d").replace(tzinfo=MARKET_TZ).date()


def digest(out: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(out.iterdir()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def dst_runs(tmp_path_factory):
    """40 meters around both DST days, 30% solar, no errors."""
    premises = synth_premises(40, seed=7, install_before=date(2025, 3, 8))
    runs = []
    for start in (date(2025, 3, 8), date(2025, 11, 1)):
        out = tmp_path_factory.mktemp(f"synth{start:%m}")
        summary = generate(out, premises, start, 3, seed=7, solar_share=0.3, error_rate=0.0)
        runs.append((out, summary))
    return premises, runs


def test_every_row_follows_the_contract_layout(dst_runs):
    premises, runs = dst_runs
    known = {p.esiid for p in premises}
    for out, summary in runs:
        files = list(interval_files(out))
        assert len(files) == 5 * 3  # one file per TDU per day (the first five premises cover every TDU)
        rows = 0
        for path, duns, day in files:
            assert duns in TDU_BY_DUNS
            table = read_csv(path)
            assert table[0] == HEADER
            for row in table[1:]:
                assert row_problem(row, duns, day, known) is None, (path.name, row)
            rows += len(table) - 1
        assert rows == summary.rows == summary.consumption_rows + summary.generation_rows
        assert summary.corrupted_rows == 0


def _times(out: Path) -> dict[tuple[str, date, str], list[tuple[str, str]]]:
    """(ESI ID, day, channel) -> the (start, end) of its rows, in file order."""
    times = defaultdict(list)
    for path, _, day in interval_files(out):
        for row in read_csv(path)[1:]:
            times[(row[0][1:], day, row[7])].append((row[3], row[4]))
    return times


def test_intervals_per_meter_day_follow_dst(dst_runs):
    premises, runs = dst_runs
    solar = {p.esiid for p in premises if p.has_solar(0.3)}
    assert 3 <= len(solar) < 40
    counts = defaultdict(set)
    for out, _ in runs:
        times = _times(out)
        for day in {d for (_, d, _) in times}:
            expected = [slot_wallclock(day, s) for s in range(slots_in_day(day))]
            for p in premises:
                assert times[(p.esiid, day, "Consumption")] == expected
                if p.esiid in solar:  # generation rows for every interval, 0.000 at night
                    assert times[(p.esiid, day, "Surplus Generation")] == expected
                else:
                    assert (p.esiid, day, "Surplus Generation") not in times
            counts[day] |= {len(v) for (_, d, _), v in times.items() if d == day}
    assert counts[SPRING] == {92} and counts[FALL] == {100}
    assert all(n == {96} for d, n in counts.items() if d not in (SPRING, FALL))
    assert len(counts) == 6


def _starts(out: Path, day: date) -> list[str]:
    return [start for start, _ in next(v for (_, d, _), v in _times(out).items() if d == day)]


def test_dst_days_wall_clock(dst_runs):
    _, runs = dst_runs
    starts = _starts(runs[0][0], SPRING)
    assert "02:00" not in starts and "01:45" in starts and "03:00" in starts
    starts = _starts(runs[1][0], FALL)
    assert [s for s in starts if s.startswith("01:")] == ["01:00", "01:15", "01:30", "01:45"] * 2
    assert starts[0] == "00:00" and starts[-1] == "23:45"


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    premises = synth_premises(12, seed=3)
    for name in ("a", "b"):
        generate(tmp_path / name, premises, date(2025, 6, 1), 2, seed=3, solar_share=0.3, error_rate=0.02)
    other = synth_premises(12, seed=4)
    generate(tmp_path / "c", other, date(2025, 6, 1), 2, seed=4, solar_share=0.3, error_rate=0.02)
    generate(tmp_path / "d", premises, date(2025, 6, 1), 2, seed=4, solar_share=0.3, error_rate=0.02)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert digest(tmp_path / "a") != digest(tmp_path / "d")  # the seed changes values, not only ESI IDs


def test_worker_processes_write_the_same_bytes(tmp_path):
    premises = synth_premises(10, seed=2)
    one = generate(tmp_path / "1", premises, date(2025, 3, 8), 3, seed=2, solar_share=0.4, error_rate=0.02)
    two = generate(
        tmp_path / "2", premises, date(2025, 3, 8), 3, seed=2, solar_share=0.4, error_rate=0.02, workers=2
    )
    assert digest(tmp_path / "1") == digest(tmp_path / "2")
    assert (one.rows, one.corrupted_by_kind, one.billing_periods) == (
        two.rows,
        two.corrupted_by_kind,
        two.billing_periods,
    )


def test_output_does_not_depend_on_the_process(tmp_path):
    """No hash(), no set order: two interpreters with different hash seeds write the same bytes."""
    code = (
        "import sys; from datetime import date; from pathlib import Path; from usage.synth import *; "
        "generate(Path(sys.argv[1]), synth_premises(8, 11), date(2025, 11, 1), 2, 11, 0.5, 0.05)"
    )
    root = Path(__file__).resolve().parents[2]
    for n in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=n)
        subprocess.run([sys.executable, "-c", code, str(tmp_path / n)], check=True, env=env, cwd=root)
    assert digest(tmp_path / "1") == digest(tmp_path / "2")


def test_overlapping_runs_agree_on_shared_days(tmp_path):
    premises = synth_premises(6, seed=5)
    generate(tmp_path / "a", premises, date(2025, 7, 1), 3, seed=5, billing=False)
    generate(tmp_path / "b", premises, date(2025, 7, 2), 1, seed=5, billing=False)
    for path in (tmp_path / "b").iterdir():
        assert path.read_bytes() == (tmp_path / "a" / path.name).read_bytes()


def test_every_value_carries_at_least_ten_percent_noise():
    """Against the model's own expected values, and against a smoothed profile of the written values."""
    premises = synth_premises(60, seed=9)
    pa = ProfileArrays(premises, solar_share=0.0)
    ratios = []
    for day in (date(2025, 1, 15), date(2025, 7, 15)):
        v = day_values(day, 9, pa)
        actual = v.consumption_wh / 250.0
        rel = actual / v.expected_kw
        ratios.append(rel)
        # independent draws: neighbouring intervals' deviations are uncorrelated
        dev = rel - 1
        corr = np.corrcoef(dev[:, :-1].ravel(), dev[:, 1:].ravel())[0, 1]
        assert abs(corr) < 0.1
    rel = np.concatenate(ratios, axis=1)
    assert np.all(rel.std(axis=1) >= 0.12)
    # smoothed-profile view on the written Wh: residual from a 5-interval moving average
    v = day_values(date(2025, 4, 2), 9, pa)
    x = v.consumption_wh.astype(float)
    kernel = np.ones(5) / 5
    smooth = np.array([np.convolve(r, kernel, mode="same") for r in x])[:, 2:-2]
    resid = (x[:, 2:-2] - smooth) / smooth
    assert np.median(resid.std(axis=1)) >= 0.10


def test_solar_meters_export_in_sunny_hours(dst_runs):
    premises, runs = dst_runs
    gen = defaultdict(lambda: np.zeros(24))
    for out, _ in runs:
        for path, _, _day in interval_files(out):
            for row in read_csv(path)[1:]:
                if row[7] == "Surplus Generation":
                    gen[row[0][1:]][int(row[3][:2])] += float(row[5])
    solar = [p for p in premises if p.has_solar(0.3)]
    assert set(gen) == {p.esiid for p in solar}
    total = sum(gen.values())
    assert total[11:15].sum() > 0
    assert total[:5].sum() == 0 and total[21:].sum() == 0  # nothing at night
    assert sum(1 for p in solar if gen[p.esiid].sum() > 0) >= 0.8 * len(solar)


def test_solar_lowers_daytime_consumption():
    premises = synth_premises(80, seed=2)
    day = date(2025, 5, 20)
    without = day_values(day, 2, ProfileArrays(premises, 0.0))
    with_solar = day_values(day, 2, ProfileArrays(premises, 1.0))
    noon = slice(11 * 4, 15 * 4)
    assert with_solar.consumption_wh[:, noon].sum() < 0.6 * without.consumption_wh[:, noon].sum()
    assert np.array_equal(
        with_solar.consumption_wh[:, :16], without.consumption_wh[:, :16]
    )  # night unchanged
    assert without.generation_wh.sum() == 0


def test_estimated_runs_exist_and_are_flagged():
    premises = synth_premises(300, seed=1)
    pa = ProfileArrays(premises, 0.1)
    runs = []
    for k in range(20):
        est = day_values(date(2025, 8, 1) + timedelta(days=k), 1, pa).estimated
        runs += [int(r.sum()) for r in est if r.any()]
    assert len(runs) >= 5
    assert np.median(runs) >= 8  # runs of 2 to 8 hours (shorter only when cut by the end of the day)


def test_billing_totals_equal_interval_sums(tmp_path):
    premises = synth_premises(25, seed=4)
    start, days = date(2025, 1, 1), 70
    summary = generate(tmp_path, premises, start, days, seed=4, solar_share=0.2)
    daily = defaultdict(int)
    est_days = set()
    for path, _, day in interval_files(tmp_path):
        for row in read_csv(path)[1:]:
            if row[7] == "Consumption":
                daily[(row[0][1:], day)] += int(row[5].replace(".", ""))
                if row[6] == "E":
                    est_days.add((row[0][1:], day))
    rows = []
    for path in sorted(tmp_path.glob("*_BILLING.csv")):
        duns, last, kind = path.name.split("_")
        assert kind == "BILLING.csv" and last == f"{start + timedelta(days=days - 1):%Y%m%d}"
        table = read_csv(path)
        assert table[0] == BILLING_HEADER
        for row in table[1:]:
            assert row[0].startswith("'") and tdu_for_esiid(row[0][1:]) is TDU_BY_DUNS[duns]
            rows.append(row)
    assert len(rows) == summary.billing_periods >= 25
    by_esiid = defaultdict(list)
    for esiid_raw, first_s, last_s, kwh, flag, revision in rows:
        esiid = esiid_raw[1:]
        first = datetime.strptime(first_s, "%m/%d/%Y").replace(tzinfo=MARKET_TZ).date()
        last = datetime.strptime(last_s, "%m/%d/%Y").replace(tzinfo=MARKET_TZ).date()
        assert start <= first <= last < start + timedelta(days=days)
        assert REVISION.match(revision)
        by_esiid[esiid].append((first, last))
        span = [first + timedelta(days=k) for k in range((last - first).days + 1)]
        total = sum(daily[(esiid, d)] for d in span)
        any_est = any((esiid, d) in est_days for d in span)
        if kwh == "NA":
            assert flag == "E"
        else:
            assert kwh == f"{total // 1000}.{total % 1000:03d}"
            assert flag == ("E" if any_est else "A")
    for p in premises:
        periods = by_esiid[p.esiid]
        assert periods == billing_periods(p, start, days)
        assert all(f.day == p.read_cycle_day for f, _ in periods)
        assert all(b + timedelta(days=1) == a for (_, b), (a, _) in zip(periods, periods[1:]))


def test_some_billing_periods_are_missing(tmp_path):
    premises = synth_premises(200, seed=6)
    summary = generate(tmp_path, premises, date(2025, 2, 1), 62, seed=6)
    text = b"".join(p.read_bytes() for p in tmp_path.glob("*_BILLING.csv")).decode()
    na = [line for line in text.splitlines() if ",NA," in line]
    assert len(na) == summary.billing_na >= 1
    assert summary.billing_na < 0.1 * summary.billing_periods
    assert all(line.split(",")[4] == "E" for line in na)


def test_error_rows_are_really_bad(tmp_path):
    premises = synth_premises(40, seed=8)
    known = {p.esiid for p in premises}
    summary = generate(tmp_path, premises, date(2025, 11, 1), 3, seed=8, solar_share=0.2, error_rate=0.05)
    problems = Counter()
    good = 0
    for path, duns, day in interval_files(tmp_path):
        data = path.read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n")
        lines = data.decode("ascii").split("\r\n")[1:-1]
        for line in lines:
            row = next(csv.reader([line]))
            problem = row_problem(row, duns, day, known)
            if problem is None:
                good += 1
            else:
                problems[problem] += 1
    bad = sum(problems.values())
    assert bad == summary.corrupted_rows
    assert good + bad == summary.rows
    assert 0.04 * summary.rows < bad < 0.06 * summary.rows
    assert set(summary.corrupted_by_kind) == set(ERROR_KINDS)
    assert {"fields", "time", "kwh", "flag", "channel", "unknown_esiid", "other_tdu", "esiid"} <= set(
        problems
    )


def test_no_errors_without_error_rate(dst_runs):
    _, runs = dst_runs
    assert all(s.corrupted_rows == 0 and not s.corrupted_by_kind for _, s in runs)


def test_premises_are_plausible_and_deterministic():
    premises = synth_premises(400, seed=12, install_before=date(2024, 1, 1))
    assert synth_premises(10, seed=12, install_before=date(2024, 1, 1)) == premises[:10]
    assert synth_premises(10, seed=13)[0].esiid != premises[0].esiid
    assert len({p.esiid for p in premises}) == 400
    assert len({p.meter_number for p in premises}) == 400
    per_tdu = Counter(p.tdu_duns for p in premises)
    assert set(per_tdu) == {t.duns for t in TDUS}
    assert per_tdu[TDUS[0].duns] > per_tdu[TDUS[3].duns]  # Oncor is the biggest, AEP North the smallest
    for p in premises:
        tdu = TDU_BY_DUNS[p.tdu_duns]
        assert p.esiid.isdigit() and len(p.esiid) == tdu.esiid_length
        assert p.esiid[:7] in tdu.esiid_prefixes
        assert len(p.esiid) == (22 if tdu.key == "centerpoint" else 17)
        assert p.esiid[7] == "0"
        assert p.meter_installed_on < date(2024, 1, 1)
        assert any(p.city == c and p.zip_code in zips for c, zips in _CITIES[tdu.key])
        assert re.match(r"^\d+ [A-Za-z ]+ [A-Za-z]+( Ste \d+)?$", p.address_line1)
        assert p.kind in ("residential", "business")
        assert 1 <= p.read_cycle_day <= 28
        assert p.profile.noise_cv >= 0.15
    assert 0.03 < sum(p.kind == "business" for p in premises) / 400 < 0.2
    assert {p.esiid[:7] for p in premises if p.tdu_duns == "1039940674000"} == {"1044372", "1017699"}


def test_tdu_table_is_exact():
    assert {t.short_name: t.duns for t in TDUS} == {
        "Oncor": "1039940674000",
        "CenterPoint": "957877905",
        "AEP Central": "007924772",
        "AEP North": "007923311",
        "TNMP": "007929441",
    }


def test_weather_year_is_texan():
    temps = temperature_year(date(2025, 1, 1), 365, seed=1)
    jan, jul = temps[:31].mean(axis=0), temps[181:212].mean(axis=0)
    assert np.all(jul > 80) and np.all(jul < 92)
    assert np.all(jan > 38) and np.all(jan < 62)
    day_to_day = np.diff(temps, axis=0).std(axis=0)
    assert np.all(day_to_day > 1.0)  # weather, not just a season curve


def test_summer_afternoons_and_evenings_peak():
    premises = [p for p in synth_premises(200, seed=3) if p.kind == "residential"]
    pa = ProfileArrays(premises, 0.0)
    summer = sum(
        day_values(date(2025, 7, 14) + timedelta(days=k), 3, pa).consumption_wh.sum(axis=0) for k in range(5)
    )
    winter = sum(
        day_values(date(2025, 4, 14) + timedelta(days=k), 3, pa).consumption_wh.sum(axis=0) for k in range(5)
    )
    assert summer.sum() > 1.3 * winter.sum()  # air conditioning
    hour = summer.reshape(24, 4).sum(axis=1)
    assert hour[15:20].mean() > 1.5 * hour[2:5].mean()
    spring_hour = winter.reshape(24, 4).sum(axis=1)
    assert spring_hour[6:8].mean() > spring_hour[2:5].mean()  # morning peak
    assert spring_hour[18:21].mean() > spring_hour[2:5].mean()  # evening peak


def test_weekends_differ_from_weekdays():
    premises = [p for p in synth_premises(300, seed=5) if p.kind == "business"]
    pa = ProfileArrays(premises, 0.0)
    weekday = day_values(date(2025, 4, 16), 5, pa).consumption_wh.sum()  # a Wednesday
    sunday = day_values(date(2025, 4, 20), 5, pa).consumption_wh.sum()
    assert sunday < 0.8 * weekday


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": -1}, "days"),
        ({"solar_share": 1.5}, "solar_share"),
        ({"error_rate": -0.1}, "error_rate"),
    ],
)
def test_generate_rejects_bad_arguments(tmp_path, kwargs, message):
    args = {"days": 1, "solar_share": 0.1, "error_rate": 0.0} | kwargs
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, synth_premises(2, 1), date(2025, 1, 1), seed=1, **args)
