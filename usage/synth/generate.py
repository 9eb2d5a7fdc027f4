"""Write synthetic TDU interval files (one per TDU per day) and billing-period files (one per TDU per run).

Pure: no Django. Same arguments, same bytes.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from usage.synth import csvfmt
from usage.synth.model import ProfileArrays, day_values
from usage.synth.premises import SynthPremise, esiid_for, unknown_esiid
from usage.synth.tdus import TDUS, TduInfo

_STREAM_ERRORS = 401
_STREAM_BILLING = 402
BILLING_NA_SHARE = 0.02  # share of billing periods written with KWH "NA" (missing read)
BILLING_HEADER = b"ESIID,START_DATE,END_DATE,KWH,ESTIMATED_ACTUAL,REVISION_DATE\r\n"
ERROR_SLACK = 16  # corrupted rows may be this much longer than the longest good row of a file

# The kinds of corrupted rows, in the order their codes are drawn.
ERROR_KINDS = (
    "malformed_line",  # a field missing, a truncated line, or garbage
    "bad_time",  # 25:00, 24:15, 12:60, 1O:00
    "negative_kwh",
    "non_numeric_kwh",  # 1.2.3, abc, empty, 0.5kWh
    "bad_flag",  # X, Q, empty
    "unknown_channel",  # Net Generation, Received, Demand
    "unknown_esiid",  # right prefix and length, never registered
    "other_tdu_esiid",  # a registered premise of another TDU
    "bad_esiid",  # wrong length or letters
)


@dataclass
class GenerationSummary:
    out_dir: Path
    meters: int
    solar_meters: int
    days: int
    interval_files: list[Path] = field(default_factory=list)
    billing_files: list[Path] = field(default_factory=list)
    rows: int = 0  # interval rows written (good and corrupted)
    consumption_rows: int = 0  # good rows per channel
    generation_rows: int = 0
    estimated_rows: int = 0  # good rows flagged E
    corrupted_rows: int = 0
    corrupted_by_kind: Counter = field(default_factory=Counter)
    billing_periods: int = 0
    billing_na: int = 0
    bytes_written: int = 0
    seconds: float = 0.0

    @property
    def files(self) -> int:
        return len(self.interval_files) + len(self.billing_files)

    def line(self) -> str:
        return (
            f"{self.files} files ({len(self.interval_files)} interval, {len(self.billing_files)} billing), "
            f"{self.rows:,} interval rows ({self.corrupted_rows:,} corrupted), {self.billing_periods:,} billing "
            f"periods, {self.meters:,} meters ({self.solar_meters:,} solar) x {self.days} days, "
            f"{self.bytes_written / 1e6:,.1f} MB in {self.seconds:.1f} s"
        )


def interval_file_name(tdu: TduInfo, day: date) -> str:
    return f"{tdu.duns}_{day:%Y%m%d}_INTERVAL.csv"


def billing_file_name(tdu: TduInfo, last_day: date) -> str:
    return f"{tdu.duns}_{last_day:%Y%m%d}_BILLING.csv"


class _TduGroup:
    """The premises of one TDU: their row positions in the day matrices and their fixed ESI ID columns."""

    def __init__(self, tdu: TduInfo, idx: np.ndarray, premises: Sequence[SynthPremise], solar: np.ndarray):
        self.tdu = tdu
        self.idx = idx  # indices into the premise list, ascending
        self.esiids = [premises[i].esiid for i in idx]
        self.esiid_cols = csvfmt.as_table([f"'{e}," for e in self.esiids], 2 + tdu.esiid_length)
        # Blocks in file order: each meter's consumption, then its surplus generation if it has solar.
        meters, channels = [], []
        for j, i in enumerate(idx):
            meters.append(j)
            channels.append(0)
            if solar[i]:
                meters.append(j)
                channels.append(1)
        self.block_meter = np.array(meters, dtype=np.int64)
        self.block_channel = np.array(channels, dtype=np.int64)


class _Run:
    """Everything needed to write any one day of a run (in this process or in a worker process)."""

    def __init__(self, out_dir, premises, start, seed, solar_share, error_rate):
        self.out_dir, self.premises, self.start = out_dir, premises, start
        self.seed, self.error_rate = seed, error_rate
        self.pa = ProfileArrays(premises, solar_share)
        duns = np.array([p.tdu_duns for p in premises])
        self.groups = [
            _TduGroup(t, np.flatnonzero(duns == t.duns), premises, self.pa.solar)
            for t in TDUS
            if np.any(duns == t.duns)
        ]
        self.clock = csvfmt.clock_table()
        self.workspace = {}  # TDU key -> reusable row buffer

    def day(self, k: int) -> _DayResult:
        """Write the files of day ``start + k``; return what the summary and the billing files need."""
        day = self.start + timedelta(days=k)
        values = day_values(day, self.seed, self.pa)
        result = _DayResult(
            k,
            values.consumption_wh.sum(axis=1, dtype=np.int64),
            values.estimated.any(axis=1),
        )
        usage = csvfmt.as_table([csvfmt.mdy(day) + "," + csvfmt.mdy(day + timedelta(days=1)) + " "], 22)[0]
        for tpos, g in enumerate(self.groups):
            m = len(g.idx)
            prefix = np.concatenate(
                [
                    g.esiid_cols,
                    np.broadcast_to(usage, (m, usage.size)),
                    self.clock[values.revision_seconds[g.idx]],
                    np.full((m, 1), ord(","), dtype=np.uint8),
                ],
                axis=1,
            )
            rows_idx = g.idx[g.block_meter]
            wh = np.where(
                g.block_channel[:, None] == 0, values.consumption_wh[rows_idx], values.generation_wh[rows_idx]
            )
            est = values.estimated[rows_idx]
            slack = ERROR_SLACK if self.error_rate > 0 else 0
            width = prefix.shape[1] + csvfmt.TIME_WIDTH + csvfmt.KWH_WIDTH + csvfmt.TAIL_WIDTH + slack
            need = wh.shape[0] * 100 * width  # enough for the longest (fall-back) day
            if g.tdu.key not in self.workspace or self.workspace[g.tdu.key].size < need:
                self.workspace[g.tdu.key] = np.zeros(need, dtype=np.uint8)
            buf = csvfmt.format_blocks(
                prefix[g.block_meter], day, wh, est, g.block_channel, slack, self.workspace[g.tdu.key]
            )
            n_rows = buf.shape[0]
            bad = np.zeros(n_rows, dtype=bool)
            if self.error_rate > 0:
                bad, kinds = _corrupt(
                    buf,
                    g,
                    self.groups,
                    day,
                    wh,
                    est,
                    values.revision_seconds,
                    self.seed,
                    tpos,
                    self.error_rate,
                )
                result.corrupted_rows += int(bad.sum())
                result.corrupted_by_kind.update(kinds)
            good_channel = np.repeat(g.block_channel, wh.shape[1])[~bad]
            result.rows += n_rows
            result.consumption_rows += int(np.count_nonzero(good_channel == 0))
            result.generation_rows += int(np.count_nonzero(good_channel == 1))
            result.estimated_rows += int(np.count_nonzero(est.reshape(-1)[~bad]))
            path = self.out_dir / interval_file_name(g.tdu, day)
            body = csvfmt.strip(buf)
            with open(path, "wb") as fh:
                fh.write(csvfmt.HEADER)
                fh.write(body)  # numpy arrays write through the buffer protocol, without a copy
            result.bytes_written += len(csvfmt.HEADER) + body.size
            result.files.append(path)
        return result


@dataclass
class _DayResult:
    k: int
    daily_wh: np.ndarray  # (P,) consumption Wh of the day
    daily_est: np.ndarray  # (P,) any interval estimated
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    consumption_rows: int = 0
    generation_rows: int = 0
    estimated_rows: int = 0
    corrupted_rows: int = 0
    corrupted_by_kind: Counter = field(default_factory=Counter)
    bytes_written: int = 0


_WORKER_RUN: _Run | None = None


def _worker_init(*args) -> None:
    global _WORKER_RUN
    _WORKER_RUN = _Run(*args)


def _worker_day(k: int) -> _DayResult:
    assert _WORKER_RUN is not None
    return _WORKER_RUN.day(k)


def generate(
    out_dir: Path,
    premises: Sequence[SynthPremise],
    start: date,
    days: int,
    seed: int,
    solar_share: float = 0.1,
    error_rate: float = 0.0,
    *,
    billing: bool = True,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationSummary:
    """Write ``days`` days of interval files from ``start`` for ``premises`` into ``out_dir``, then billing files.

    ``solar_share``: the share of premises with rooftop solar (those whose profile.solar_rank is below it).
    ``error_rate``: the share of interval rows replaced by corrupted rows of the kinds in ERROR_KINDS.
    ``workers``: processes writing days in parallel (each day depends only on its own draws, so the bytes are
    the same for any number of workers).
    ``progress(done_days, days)`` is called after each day.
    """
    _check_arguments(days, solar_share, error_rate, workers)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = (out_dir, list(premises), start, seed, solar_share, error_rate)
    run = _Run(*args)
    summary = GenerationSummary(out_dir, len(premises), int(run.pa.solar.sum()), days)
    daily_wh = np.zeros((len(premises), days), dtype=np.int64)  # consumption per premise-day, for billing
    daily_est = np.zeros((len(premises), days), dtype=bool)

    def collect(results: Iterable[_DayResult]) -> None:
        for r in results:
            daily_wh[:, r.k] = r.daily_wh
            daily_est[:, r.k] = r.daily_est
            summary.interval_files += r.files
            summary.rows += r.rows
            summary.consumption_rows += r.consumption_rows
            summary.generation_rows += r.generation_rows
            summary.estimated_rows += r.estimated_rows
            summary.corrupted_rows += r.corrupted_rows
            summary.corrupted_by_kind.update(r.corrupted_by_kind)
            summary.bytes_written += r.bytes_written
            if progress is not None:
                progress(r.k + 1, days)

    workers = min(workers, days) if days else 1
    if multiprocessing.current_process().daemon:
        workers = 1  # a daemonic process (a Celery prefork worker, say) may not start processes
    if workers == 1:
        collect(run.day(k) for k in range(days))
    else:
        # spawn, not fork: the caller may hold database connections and threads
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init, initargs=args) as pool:
            collect(pool.map(_worker_day, range(days), chunksize=2))

    groups = run.groups
    if billing and days > 0:
        for g in groups:
            path, periods, na = _write_billing(out_dir, g, premises, start, days, daily_wh, daily_est, seed)
            summary.billing_files.append(path)
            summary.billing_periods += periods
            summary.billing_na += na
            summary.bytes_written += path.stat().st_size
    summary.seconds = time.perf_counter() - t0
    return summary


def _check_arguments(days: int, solar_share: float, error_rate: float, workers: int) -> None:
    if days < 0:
        raise ValueError("days must not be negative")
    if not 0.0 <= solar_share <= 1.0:
        raise ValueError("solar_share must be between 0 and 1")
    if not 0.0 <= error_rate <= 1.0:
        raise ValueError("error_rate must be between 0 and 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")


# --- corrupted rows ---------------------------------------------------------------------------------------------

_BAD_TIMES = ("25:00", "24:15", "12:60", "1O:00")
_BAD_KWH = ("1.2.3", "abc", "", "0.5kWh")
_BAD_FLAGS = ("X", "Q", "")
_BAD_CHANNELS = ("Net Generation", "Received", "Demand")


def _corrupt(
    buf: np.ndarray,
    g: _TduGroup,
    groups: list[_TduGroup],
    day: date,
    wh: np.ndarray,
    est: np.ndarray,
    revision_seconds: np.ndarray,
    seed: int,
    tpos: int,
    error_rate: float,
) -> tuple[np.ndarray, Counter]:
    """Replace about ``error_rate`` of the rows of ``buf`` in place with corrupted rows.

    Returns the mask of corrupted rows and how many of each kind.
    """
    n_rows, width = buf.shape
    slots = wh.shape[1]
    rng = np.random.default_rng([seed, _STREAM_ERRORS, day.toordinal(), tpos])
    bad = rng.random(n_rows) < error_rate
    rows = np.flatnonzero(bad)
    kinds = rng.integers(0, len(ERROR_KINDS), rows.size)
    variant = rng.integers(0, 1 << 30, rows.size)
    others = [o for o in groups if o is not g]
    usage = csvfmt.mdy(day)
    revision_day = csvfmt.mdy(day + timedelta(days=1))
    times = csvfmt.time_table(day)
    counts: Counter = Counter()
    for row, kind, v in zip(rows.tolist(), kinds.tolist(), variant.tolist(), strict=True):
        block, slot = divmod(row, slots)
        j = int(g.block_meter[block])
        channel = csvfmt.CHANNELS[int(g.block_channel[block])]
        t = int(revision_seconds[g.idx[j]])
        fields = [
            "'" + g.esiids[j],
            usage,
            f"{revision_day} {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}",
            *bytes(times[slot]).decode().rstrip(",").split(","),
            f"{wh[block, slot] // 1000}.{wh[block, slot] % 1000:03d}",
            "E" if est[block, slot] else "A",
            channel,
        ]
        name = ERROR_KINDS[kind]
        if name == "malformed_line":
            text = _malformed_line(fields, v)
        else:
            _corrupt_field(name, fields, v, g, j, others)
            text = ",".join(fields)
        data = np.frombuffer((text + "\r\n").encode("ascii"), dtype=np.uint8)
        assert data.size <= width
        buf[row, :] = 0
        buf[row, : data.size] = data
        counts[name] += 1
    return bad, counts


def _malformed_line(fields: list[str], v: int) -> str:
    """A good row's fields as a line with a field missing, truncated, or replaced by garbage."""
    line = ",".join(fields)
    if v % 3 == 0:
        del fields[5]
        return ",".join(fields)
    if v % 3 == 1:
        return line[: 5 + v % (line.rindex(",") - 5)]
    return "#### TRANSMISSION ERROR ####"


def _corrupt_field(
    name: str, fields: list[str], v: int, g: _TduGroup, j: int, others: list[_TduGroup]
) -> None:
    """Spoil one field of a good row's ``fields`` (in place) the way error kind ``name`` says."""
    if name == "bad_time":
        fields[3] = _BAD_TIMES[v % len(_BAD_TIMES)]
    elif name == "negative_kwh":
        fields[5] = "-" + (fields[5] if fields[5] != "0.000" else "0.250")
    elif name == "non_numeric_kwh":
        fields[5] = _BAD_KWH[v % len(_BAD_KWH)]
    elif name == "bad_flag":
        fields[6] = _BAD_FLAGS[v % len(_BAD_FLAGS)]
    elif name == "unknown_channel":
        fields[7] = _BAD_CHANNELS[v % len(_BAD_CHANNELS)]
    elif name == "unknown_esiid":
        fields[0] = "'" + unknown_esiid(g.tdu, v)
    elif name == "other_tdu_esiid":
        fields[0] = "'" + _other_tdu_esiid(g, others, v)
    elif name == "bad_esiid":
        fields[0] = "'" + (g.esiids[j][:-2] if v % 2 else g.esiids[j][:-4] + "ABCD")


def _other_tdu_esiid(g: _TduGroup, others: list[_TduGroup], v: int) -> str:
    """A registered ESI ID of another TDU of this run, else one that another TDU would issue."""
    if others:
        o = others[v % len(others)]
        return o.esiids[v // len(others) % len(o.esiids)]
    o_tdu = next(t for t in TDUS if t is not g.tdu)
    return esiid_for(o_tdu, o_tdu.esiid_prefixes[0], v)


# --- billing ---------------------------------------------------------------------------------------------------


def _mix(*values: int) -> float:
    """A deterministic uniform in [0, 1) from integers (splitmix64), independent of process and platform."""
    x = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for v in values:
        x = (x ^ (v & mask)) & mask
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        x = z ^ (z >> 31)
    return x / 2**64


def read_dates(cycle_day: int, first: date, last: date) -> list[date]:
    """The meter-read dates of a premise (day ``cycle_day`` of every month) from ``first`` to ``last``."""
    out = []
    y, m = first.year, first.month
    while True:
        d = date(y, m, cycle_day)
        if d > last:
            return out
        if d >= first:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def billing_periods(premise: SynthPremise, start: date, days: int) -> list[tuple[date, date]]:
    """Complete billing periods inside the generated range: (first day, last day), both inclusive.

    A period starts on a read date and ends the day before the next read date.
    """
    last = start + timedelta(days=days - 1)
    reads = read_dates(premise.read_cycle_day, start, last + timedelta(days=1))
    return [(a, b - timedelta(days=1)) for a, b in zip(reads, reads[1:], strict=False)]


def _write_billing(
    out_dir: Path,
    g: _TduGroup,
    premises: Sequence[SynthPremise],
    start: date,
    days: int,
    daily_wh: np.ndarray,
    daily_est: np.ndarray,
    seed: int,
) -> tuple[Path, int, int]:
    lines = [BILLING_HEADER]
    periods = na = 0
    for i in g.idx.tolist():
        p = premises[i]
        for first, last in billing_periods(p, start, days):
            a, b = (first - start).days, (last - start).days + 1
            missing = _mix(seed, _STREAM_BILLING, i, first.toordinal()) < BILLING_NA_SHARE
            estimated = missing or bool(daily_est[i, a:b].any())
            total = int(daily_wh[i, a:b].sum())
            kwh = "NA" if missing else f"{total // 1000}.{total % 1000:03d}"
            t = int(_mix(seed, _STREAM_BILLING + 1, i, first.toordinal()) * 5 * 3600) + 6 * 3600
            revised = last + timedelta(days=2)
            revision = f"{csvfmt.mdy(revised)} {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
            row = f"'{p.esiid},{csvfmt.mdy(first)},{csvfmt.mdy(last)},{kwh},{'E' if estimated else 'A'},{revision}\r\n"
            lines.append(row.encode("ascii"))
            periods += 1
            na += missing
    path = out_dir / billing_file_name(g.tdu, start + timedelta(days=days - 1))
    path.write_bytes(b"".join(lines))
    return path, periods, na
