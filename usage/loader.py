# ruff: noqa: S608 - the table name in SQL comes from model _meta, never from input
"""Load TDU files into interval storage: the one service that the CLI, the Celery task and the admin use.

A file is applied in one transaction (all or nothing). Every data row ends up stored, superseded (an
older or equal revision, or an identical duplicate) or rejected with a reason; the report says how many of
each, and ``rows == stored + superseded + rejected`` always holds.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from usage import codec, storage, timegrid
from usage.ingest.billing import BillingRow, is_billing_header, parse_billing_file
from usage.ingest.intervals import HEADER, Batch, parse_interval_file
from usage.ingest.reasons import ROW_REASONS, FileRejected
from usage.ingest.source import line_chunks
from usage.models import BillingPeriod, IngestFile, Meter, Premise, RejectedRow, Tdu

FILE_NAME = re.compile(r"^(?P<duns>\d{9,13})_(?P<ymd>\d{8})_.*\.csv(\.gz)?$", re.IGNORECASE)
MIN_REV = np.iinfo(np.int64).min


@dataclass
class _Accumulated:
    premise: np.ndarray
    channel: np.ndarray
    day: np.ndarray
    slot: np.ndarray
    wh: np.ndarray
    estimated: np.ndarray
    revision: np.ndarray
    line: np.ndarray


def local_today() -> date:
    return datetime.now(tz=timegrid.MARKET_TZ).date()


def tdu_for_file_name(name: str) -> Tdu:
    m = FILE_NAME.match(name)
    if not m:
        raise FileRejected("bad_file_name", name)
    tdu = Tdu.objects.filter(duns=m["duns"]).first()
    if tdu is None:
        raise FileRejected("unknown_tdu", m["duns"])
    return tdu


class _EsiidLookup:
    """Resolve ESI IDs to premises of the file's TDU, in bulk."""

    def __init__(self, tdu: Tdu):
        self.tdu = tdu

    def __call__(self, esiids: list[str]) -> list[tuple[int, str | None, str | None, int]]:
        found: dict[str, tuple[int, int]] = {}
        installs: dict[int, date] = {}
        premise_t, meter_t = Premise._meta.db_table, Meter._meta.db_table
        with connection.cursor() as cur:
            for i in range(0, len(esiids), 5000):
                part = esiids[i : i + 5000]
                if storage.is_postgres():  # one array literal: no per-value adaptation or query splitting
                    where, params = "p.esiid = ANY(%s::varchar[])", ["{" + ",".join(part) + "}"]
                else:
                    where, params = f"p.esiid IN ({','.join(['%s'] * len(part))})", part
                cur.execute(
                    f"SELECT p.id, p.esiid, p.tdu_id, MIN(m.installed_on) FROM {premise_t} p "
                    f"LEFT JOIN {meter_t} m ON m.premise_id = p.id WHERE {where} "
                    "GROUP BY p.id, p.esiid, p.tdu_id",
                    params,
                )
                for pid, esiid, tdu_id, install in cur.fetchall():
                    found[esiid] = (pid, tdu_id)
                    if install is not None:
                        installs[pid] = (
                            install if isinstance(install, date) else date.fromisoformat(str(install))
                        )
        tdu_names: dict[int, str] = {}
        out = []
        for esiid in esiids:
            hit = found.get(esiid)
            if hit is None:
                out.append(
                    (-1, "unknown_esiid", f"ESI ID {esiid} is not registered", storage.day_num(date.min))
                )
                continue
            pid, tdu_id = hit
            if tdu_id != self.tdu.id:
                if tdu_id not in tdu_names:
                    tdu_names[tdu_id] = str(Tdu.objects.filter(id=tdu_id).first())
                out.append(
                    (
                        -1,
                        "other_tdu",
                        f"ESI ID {esiid} belongs to {tdu_names[tdu_id]}, not to {self.tdu.name}",
                        storage.day_num(date.min),
                    )
                )
                continue
            install = installs.get(pid)
            out.append((pid, None, None, storage.day_num(install) if install else storage.day_num(date.min)))
        return out


class _HashingReader:
    """A read-only stream that computes the SHA-256 of the underlying file as it is read, once: bytes
    read again after a seek back are not hashed twice."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._hash = hashlib.sha256()
        self._pos = 0
        self._hashed = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        end = self._pos + len(data)
        if end > self._hashed:
            self._hash.update(memoryview(data)[self._hashed - self._pos :])
            self._hashed = end
        self._pos = end
        return data

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._stream.seek(offset, whence)
        return self._pos

    def hexdigest(self) -> str:
        """The digest of the whole stream (reads what was not read yet)."""
        self._stream.seek(self._hashed)
        self._pos = self._hashed
        while self.read(1 << 20):
            pass
        return self._hash.hexdigest()


class _Duplicate(Exception):  # noqa: N818 - control flow: roll the load back
    def __init__(self, earlier: IngestFile):
        self.earlier = earlier


def _earlier_load(sha256: str, *, tdu: Tdu, exclude: int | None = None) -> IngestFile | None:
    """The earlier successful load of the same bytes from the same TDU (another TDU's identical file, say
    an empty one, is another delivery)."""
    qs = IngestFile.objects.filter(
        sha256=sha256, tdu=tdu, status__in=[IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS]
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("received_at").first()


def _duplicate_report(*, name, sha256, size, received, started, earlier: IngestFile) -> IngestFile:
    return IngestFile.objects.create(
        name=name,
        sha256=sha256,
        size_bytes=size,
        tdu=earlier.tdu,
        kind=earlier.kind,
        received_at=received,
        finished_at=timezone.now(),
        status=IngestFile.Status.DUPLICATE,
        duplicate_of=earlier,
        message=f"Same content as {earlier.name}, loaded {earlier.received_at:%Y-%m-%d %H:%M} UTC "
        f"(report #{earlier.pk}); nothing changed.",
        seconds=time.perf_counter() - started,
    )


def ingest_file(*, path: str | Path, force: bool = False, today: date | None = None) -> IngestFile:
    """Load one TDU file (plain or gzip) and return its ingest report.

    The same content loaded before (by SHA-256, computed while the file is read) changes nothing and gives
    a report with status ``duplicate``, unless ``force``. A file-level problem gives a report with status
    ``failed`` and the reason in ``message``; the database is then as before."""
    path = Path(path)
    try:
        fh = path.open("rb")
        size = path.stat().st_size
    except OSError as exc:
        return _failed(
            name=path.name,
            sha="",
            size=0,
            received=timezone.now(),
            tdu=None,
            exc=FileRejected("io_error", str(exc)),
        )
    with fh:
        return ingest_stream(stream=fh, name=path.name, sha256=None, size=size, force=force, today=today)


def ingest_stream(
    *,
    stream: BinaryIO,
    name: str,
    sha256: str | None,
    size: int = 0,
    force: bool = False,
    today: date | None = None,
    tdu: Tdu | None = None,
) -> IngestFile:
    """Load a TDU file from an open binary stream (see ``ingest_file``). With ``sha256=None`` the digest
    is computed while the stream is read (it must then be seekable) and a duplicate is recognised after
    reading, inside the file's transaction, which it rolls back."""
    received = timezone.now()
    started = time.perf_counter()
    reader = None
    if sha256 is None:
        reader = _HashingReader(stream)
        stream = reader  # type: ignore[assignment]
    try:
        if tdu is None:
            tdu = tdu_for_file_name(name)
        if sha256 is not None and not force:
            earlier = _earlier_load(sha256, tdu=tdu)
            if earlier is not None:
                return _duplicate_report(
                    name=name, sha256=sha256, size=size, received=received, started=started, earlier=earlier
                )
        with transaction.atomic():
            report = IngestFile.objects.create(
                name=name, sha256=sha256 or "", size_bytes=size, tdu=tdu, received_at=received
            )
            if _is_billing(stream):
                report.kind = IngestFile.Kind.BILLING
                _load_billing(report, stream, tdu=tdu, today=today or local_today())
            else:
                _load_intervals(report, stream, tdu=tdu, today=today or local_today())
            if reader is not None:
                report.sha256 = reader.hexdigest()
                if not force:
                    earlier = _earlier_load(report.sha256, tdu=tdu, exclude=report.pk)
                    if earlier is not None:
                        raise _Duplicate(earlier)
            report.seconds = time.perf_counter() - started
            report.finished_at = timezone.now()
            report.status = (
                IngestFile.Status.LOADED_WITH_REJECTS if report.rejected else IngestFile.Status.LOADED
            )
            report.save()
        return report
    except _Duplicate as dup:
        return _duplicate_report(
            name=name,
            sha256=dup.earlier.sha256,
            size=size,
            received=received,
            started=started,
            earlier=dup.earlier,
        )
    except FileRejected as exc:
        sha = sha256 or ""
        if reader is not None:
            try:
                sha = reader.hexdigest()
            except (OSError, ValueError):
                sha = ""
        return _failed(name=name, sha=sha, size=size, received=received, tdu=tdu, exc=exc, started=started)


def _failed(*, name, sha, size, received, tdu, exc: FileRejected, started: float | None = None) -> IngestFile:
    return IngestFile.objects.create(
        name=name,
        sha256=sha,
        size_bytes=size,
        tdu=tdu,
        received_at=received,
        finished_at=timezone.now(),
        status=IngestFile.Status.FAILED,
        message=exc.message,
        rejected_by_reason={exc.code: 0},
        seconds=(time.perf_counter() - started) if started else 0.0,
    )


def _is_billing(stream: BinaryIO) -> bool:
    """Tell the billing-period layout from the interval layout by the header line."""
    if not stream.seekable():
        return False
    try:
        first = next(line_chunks(stream, 1 << 16), b"")
    except FileRejected:
        first = b""
    stream.seek(0)
    return is_billing_header(first.split(b"\n", 1)[0])


def _load_billing(report: IngestFile, stream: BinaryIO, *, tdu: Tdu, today: date) -> None:
    """Billing periods: per (premise, start date) a later revision replaces the stored period; an equal
    or older one changes nothing; NA is stored as unknown (wh = None)."""
    parsed = parse_billing_file(stream, lookup=_EsiidLookup(tdu), today=today)
    storage.lock_tdu_days(tdu_id=tdu.pk, days=[storage.BILLING_LOCK])  # read-compare-write of stored periods
    report.header = parsed.header
    rejects = list(parsed.rejects)
    best: dict[tuple[int, int], BillingRow] = {}
    superseded = 0
    conflicts: set[tuple[int, int]] = set()
    for row in parsed.rows:
        key = (row.premise_id, row.start)
        have = best.get(key)
        if have is None or row.revision > have.revision:
            if have is not None:
                superseded += 1
            best[key] = row
        elif row.revision == have.revision and (row.end, row.wh, row.estimated) != (
            have.end,
            have.wh,
            have.estimated,
        ):
            conflicts.add(key)
            rejects.append((row.line, "duplicate_conflict", ROW_REASONS["duplicate_conflict"], ""))
        else:
            superseded += 1
    for key in conflicts:
        row = best.pop(key)
        rejects.append((row.line, "duplicate_conflict", ROW_REASONS["duplicate_conflict"], ""))
    if any(r[1] == "duplicate_conflict" for r in rejects):
        conflict_rejects = [r for r in rejects if r[1] == "duplicate_conflict"]
        rejects = [r for r in rejects if r[1] != "duplicate_conflict"] + _with_raw_lines(
            stream, conflict_rejects
        )
    existing = {}
    pids = sorted({k[0] for k in best})
    for i in range(0, len(pids), 500):
        for bp in BillingPeriod.objects.filter(premise_id__in=pids[i : i + 500]):
            existing[(bp.premise_id, storage.day_num(bp.start_date))] = bp
    create, update = [], []
    stored = 0
    for key, row in best.items():
        revised_at = datetime.fromtimestamp(row.revision, tz=UTC)
        bp = existing.get(key)
        if bp is not None and bp.revised_at >= revised_at:
            superseded += 1
            continue
        stored += 1
        fields = {
            "end_date": storage.num_day(row.end),
            "wh": row.wh,
            "estimated": row.estimated,
            "revised_at": revised_at,
            "source_file_id": report.pk,
        }
        if bp is None:
            create.append(
                BillingPeriod(premise_id=row.premise_id, start_date=storage.num_day(row.start), **fields)
            )
        else:
            for k, v in fields.items():
                setattr(bp, k, v)
            update.append(bp)
    BillingPeriod.objects.bulk_create(create, batch_size=500)
    BillingPeriod.objects.bulk_update(
        update, ["end_date", "wh", "estimated", "revised_at", "source_file"], batch_size=500
    )
    report.rows = parsed.read
    report.stored = stored
    report.superseded = superseded
    report.rejected = len(rejects)
    report.rejected_by_reason = dict(Counter(r[1] for r in rejects).most_common())
    _save_rejects(report, rejects)
    if report.rows != report.stored + report.superseded + report.rejected:  # pragma: no cover - invariant
        raise RuntimeError(f"ingest totals do not add up for {report.name}")


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=dtype)
    out = np.concatenate(parts).astype(dtype, copy=False)
    parts.clear()
    return out


_FIELDS = ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line")
_DTYPES = {
    "premise": np.int32,
    "channel": np.int8,
    "day": np.int32,
    "slot": np.int16,
    "wh": np.int32,
    "estimated": np.bool_,
    "revision": np.int64,
    "line": np.uint32,
}


def _load_intervals(report: IngestFile, stream: BinaryIO, *, tdu: Tdu, today: date) -> None:
    # accepted readings are kept per local day in compact arrays (28 bytes a reading): a meter-day's rows
    # may be anywhere in the file, but days are independent, so the merge then runs a few days at a time
    buckets: dict[int, dict[str, list[np.ndarray]]] = {}
    rows = 0
    reasons: Counter = Counter()
    header_holder: list[bytes] = []
    batch: Batch
    for batch in parse_interval_file(stream, lookup=_EsiidLookup(tdu), today=today, header_out=header_holder):
        rows += batch.rows
        if batch.rejects:  # written as they come (same transaction): memory stays bounded for bad files
            reasons.update(r[1] for r in batch.rejects)
            _save_rejects(report, batch.rejects)
        if not batch.wh.size:
            continue
        if int(batch.premise_id.max()) >= 2**31 or int(batch.line.max()) >= 2**32:  # pragma: no cover
            raise RuntimeError("premise id or line number too large for the ingest arrays")
        cols = {name: getattr(batch, "premise_id" if name == "premise" else name) for name in _FIELDS}
        days = batch.day
        if days[0] == days[-1] and np.all(days == days[0]):
            groups = [(int(days[0]), None)]
        else:
            groups = [(int(d), np.flatnonzero(days == d)) for d in np.unique(days).tolist()]
        for d, sel in groups:
            bucket = buckets.setdefault(d, {name: [] for name in _FIELDS})
            for name in _FIELDS:
                arr = cols[name] if sel is None else cols[name][sel]
                bucket[name].append(arr.astype(_DTYPES[name], copy=False))
    report.header = header_holder[0].decode("utf-8", "replace") if header_holder else ""
    stored = superseded = 0
    conflict_rejects: list[tuple[int, str, str, str]] = []
    storage.lock_tdu_days(tdu_id=tdu.pk, days=buckets)  # concurrent loads of the same days take turns
    for part in _day_parts(buckets):
        s, p, c = _apply(part, report.pk)
        stored += s
        superseded += p
        conflict_rejects += c
    if conflict_rejects:
        reasons.update(r[1] for r in conflict_rejects)
        _save_rejects(report, _with_raw_lines(stream, conflict_rejects))
    report.rows = rows
    report.stored = stored
    report.superseded = superseded
    report.rejected = sum(reasons.values())
    report.rejected_by_reason = dict(reasons.most_common())
    if report.rows != report.stored + report.superseded + report.rejected:  # pragma: no cover - invariant
        raise RuntimeError(f"ingest totals do not add up for {report.name}")


PART_READINGS = 1_000_000


def _day_parts(buckets: dict[int, dict[str, list[np.ndarray]]]):
    """Whole days, a few at a time (about PART_READINGS readings), as arrays; each day's buffers are
    released once handed over, so memory stays near the compact size of the file's readings."""
    days = sorted(buckets)
    group: list[int] = []
    size = 0
    for i, d in enumerate(days):
        group.append(d)
        size += sum(len(a) for a in buckets[d]["wh"])
        if size >= PART_READINGS or i == len(days) - 1:
            part = {}
            for name in _FIELDS:
                part[name] = _concat([a for g in group for a in buckets[g][name]], _DTYPES[name])
                for g in group:
                    buckets[g][name].clear()
            for g in group:
                del buckets[g]
            yield _Accumulated(**part)
            group, size = [], 0


def _apply(acc: _Accumulated, file_id: int) -> tuple[int, int, list[tuple[int, str, str, str]]]:
    """Deduplicate within the file, merge with stored data per interval, write. Returns (stored,
    superseded, conflict rejects)."""
    n = len(acc.wh)
    if not n:
        return 0, 0, []
    dmin = int(acc.day.min())
    # day-major packed key: whole daily files in premise order come already sorted
    day_rel = acc.day.astype(np.int64) - dmin
    key = ((day_rel << 31 | acc.premise.astype(np.int64)) << 2 | acc.channel.astype(np.int64)) << 7
    key |= acc.slot.astype(np.int64)
    if np.all(key[1:] > key[:-1]):
        order = None  # already sorted, no duplicates (the usual TDU file)
    else:
        order = np.argsort(key, kind="stable")
        key = key[order]
        for name in ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line"):
            setattr(acc, name, getattr(acc, name)[order])
    superseded = 0
    conflict_rejects: list[tuple[int, str, str, str]] = []
    if order is not None:
        dup = np.zeros(n, dtype=bool)
        same = key[1:] == key[:-1]
        dup[1:] |= same
        dup[:-1] |= same
        if dup.any():
            keep, superseded, conflict_rejects = _resolve_duplicates(acc, key, dup)
            for name in ("premise", "channel", "day", "slot", "wh", "estimated", "revision", "line"):
                setattr(acc, name, getattr(acc, name)[keep])
            key = key[keep]
    # group into (premise, channel, day)
    dkey = key >> 7
    starts = np.flatnonzero(np.concatenate(([True], dkey[1:] != dkey[:-1])))
    g_premise = acc.premise[starts]
    g_channel = acc.channel[starts].astype(np.int64)
    g_day = acc.day[starts].astype(np.int64)
    g_count = slots_for = storage.slots_for_days(g_day)
    g_off = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(slots_for, out=g_off[1:])
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(key))))
    pos = g_off[group_of] + acc.slot.astype(np.int64)
    total = int(g_off[-1])
    values = np.zeros(total, dtype=np.int64)
    est = np.zeros(total, dtype=bool)
    missing = np.ones(total, dtype=bool)
    rev = np.full(total, MIN_REV, dtype=np.int64)
    # stored data for these keys (reopen compacted months first)
    storage.uncompact_months(g_premise, g_channel, g_day)
    existing = storage.fetch_day_blocks(g_premise, g_channel, g_day)
    exists = np.zeros(len(starts), dtype=bool)
    if existing:
        index = {
            k: i
            for i, k in enumerate(zip(g_premise.tolist(), g_channel.tolist(), g_day.tolist(), strict=True))
        }
        keys = list(existing)
        for k, block in zip(keys, codec.decode_many([existing[k] for k in keys]), strict=True):
            i = index[k]
            a, b = int(g_off[i]), int(g_off[i + 1])
            if len(block) != b - a:
                raise codec.CodecError(f"stored day {k} has {len(block)} slots, expected {b - a}")
            values[a:b] = block.values
            est[a:b] = block.estimated
            missing[a:b] = block.missing
            rev[a:b] = np.where(block.missing, MIN_REV, block.revisions)
            exists[i] = True
    newer = acc.revision > rev[pos]
    stored = int(newer.sum())
    superseded += int((~newer).sum())
    if stored:
        p = pos[newer]
        values[p] = acc.wh[newer]
        est[p] = acc.estimated[newer]
        missing[p] = False
        rev[p] = acc.revision[newer]
    changed = np.zeros(len(starts), dtype=bool)
    changed[group_of[newer]] = True
    sel = np.flatnonzero(changed)
    if sel.size:
        idx = storage._gather(g_off[sel], g_count[sel])
        offs = np.zeros(sel.size + 1, dtype=np.int64)
        np.cumsum(g_count[sel], out=offs[1:])
        rev_sel = rev[idx]
        rev_sel[rev_sel == MIN_REV] = 0  # never-delivered slots: the value is marked missing
        blocks = codec.encode_many(
            values[idx], offs, estimated=est[idx], missing=missing[idx], revisions=rev_sel, compress=False
        )
        ex = exists[sel]
        if ex.any():
            storage.delete_day_keys(g_premise[sel][ex], g_channel[sel][ex], g_day[sel][ex])
        storage.write_day_blocks(
            g_premise[sel], g_channel[sel], g_day[sel], blocks, source_file_id=file_id, replace=False
        )
    return stored, superseded, conflict_rejects


def _resolve_duplicates(acc: _Accumulated, key: np.ndarray, dup: np.ndarray):
    """Among rows of the same interval keep the latest revision; identical copies are superseded; copies
    at the latest revision with different values are all rejected (the interval gets nothing from this
    file)."""
    keep = ~dup
    idx = np.flatnonzero(dup)
    # order the duplicated rows by key, then newest revision first, then by line
    o = idx[np.lexsort((acc.line[idx], -acc.revision[idx], key[idx]))]
    k = key[o]
    first = np.concatenate(([True], k[1:] != k[:-1]))
    gid = np.cumsum(first) - 1
    head = o[first]
    top_rev = acc.revision[head][gid]
    at_top = acc.revision[o] == top_rev
    differs = at_top & ((acc.wh[o] != acc.wh[head][gid]) | (acc.estimated[o] != acc.estimated[head][gid]))
    conflict_group = np.zeros(int(gid[-1]) + 1, dtype=bool)
    conflict_group[gid[differs]] = True
    in_conflict = conflict_group[gid]
    winners = first & ~in_conflict
    keep[o[winners]] = True
    rejected_rows = o[in_conflict & at_top]
    superseded = int(len(o) - winners.sum() - len(rejected_rows))
    msg = ROW_REASONS["duplicate_conflict"]
    rejects = [(int(acc.line[r]), "duplicate_conflict", msg, "") for r in rejected_rows.tolist()]
    return keep, superseded, rejects


def _with_raw_lines(stream: BinaryIO, rejects: list[tuple[int, str, str, str]]):
    """Fill in the raw text of rejects found after parsing (conflicting duplicates) by reading the
    file's lines again."""
    wanted = {r[0] for r in rejects}
    raw: dict[int, str] = {}
    try:
        stream.seek(0)
        line_no = 0
        for chunk in line_chunks(stream, 8 << 20):
            if chunk.startswith(b"\xef\xbb\xbf") and line_no == 0:
                chunk = chunk[3:]
            for text in chunk.split(b"\n"):
                line_no += 1
                if line_no in wanted:
                    raw[line_no] = text.rstrip(b"\r").decode("utf-8", "replace")
    except (OSError, FileRejected, io.UnsupportedOperation):
        pass
    return [(line, code, msg, raw.get(line, "")) for line, code, msg, _ in rejects]


def _save_rejects(report: IngestFile, rejects: list[tuple[int, str, str, str]]) -> None:
    if not rejects:
        return
    rejects.sort(key=lambda r: r[0])
    if storage.is_postgres():
        with (
            connection.cursor() as cur,
            cur.connection.cursor() as pcur,
            pcur.copy(
                f"COPY {RejectedRow._meta.db_table} (file_id, line_number, raw, reason, message) FROM STDIN"
            ) as cp,
        ):
            for line, code, message, raw in rejects:
                cp.write_row((report.pk, line, _clean(raw), code, _clean(message)))
    else:
        RejectedRow.objects.bulk_create(
            [
                RejectedRow(
                    file=report, line_number=line, raw=_clean(raw), reason=code, message=_clean(message)
                )
                for line, code, message, raw in rejects
            ],
            batch_size=500,
        )


def _clean(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def ingest_reapply_rejects(*, file_id: int, today: date | None = None) -> IngestFile:
    """Re-apply a file's rejected rows (after their cause was fixed, say the missing premise was added).

    The rows go through the same ingest path as a new file named after the original; rows that now load
    are marked re-applied on the original; rows still wrong appear as rejects of the new report."""
    original = IngestFile.objects.get(pk=file_id)
    pending = list(original.rejected_rows.filter(reapplied_at__isnull=True).order_by("line_number"))
    lines = [r.raw for r in pending if r.raw]
    data = ("\n".join([original.header or HEADER] + lines) + "\n").encode("utf-8")
    name = f"{original.name} (re-applied {timezone.now():%Y-%m-%d %H:%M:%S})"
    report = ingest_stream(
        stream=io.BytesIO(data),
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        force=True,
        today=today,
        tdu=original.tdu,
    )
    if report.status != IngestFile.Status.FAILED:
        still = set(report.rejected_rows.values_list("raw", flat=True))
        now = timezone.now()
        RejectedRow.objects.filter(pk__in=[r.pk for r in pending if r.raw not in still]).update(
            reapplied_at=now
        )
    return report
