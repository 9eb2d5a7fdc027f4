"""Parse and validate a TDU billing-period file (docs/ingest.md, "Billing-period file"). Pure: no Django.

Layout: ``ESIID,START_DATE,END_DATE,KWH,ESTIMATED_ACTUAL,REVISION_DATE`` (any column order, BOM, CRLF,
whitespace and a leading apostrophe on the ESI ID allowed). ``KWH`` may be ``NA``: the read is missing,
stored as unknown (never as zero). Files are small (one row per premise and month), so rows are handled one
by one with the csv module; a hostile file is still bounded like an interval file: expanded bytes and gzip
ratio (``SizeLimits``), rows (``max_rows``), and sample rows kept per reject reason (``samples``; the counts
per reason stay exact).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from usage.ingest.fields import CODES, NO_DAY, Lookup, norm_esiid, parse_date, parse_kwh, parse_revision
from usage.ingest.reasons import ROW_REASONS, FileRejected
from usage.ingest.source import SizeLimits, line_chunks
from usage.timegrid import day_num

BILLING_COLUMNS = ("ESIID", "START_DATE", "END_DATE", "KWH", "ESTIMATED_ACTUAL", "REVISION_DATE")
BILLING_HEADER = ",".join(BILLING_COLUMNS)


@dataclass(slots=True)
class BillingRow:
    line: int
    premise_id: int
    start: int  # day number
    end: int  # day number, inclusive
    wh: int | None  # None = NA
    estimated: bool
    revision: int  # Unix seconds


@dataclass
class BillingParse:
    rows: list[BillingRow] = field(default_factory=list)
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # samples, per reason capped
    reject_counts: Counter = field(default_factory=Counter)  # exact
    read: int = 0
    blank: int = 0
    header: str = ""
    samples: int = 1000

    def reject(self, line: int, code: str, message: str, text: str) -> None:
        self.reject_counts[code] += 1
        if self.reject_counts[code] <= self.samples:
            self.rejects.append((line, code, message, text))


def header_names(line: bytes) -> list[str]:
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    try:
        fields = next(csv.reader([line.rstrip(b"\r\n").decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error):
        return []
    return [f.strip().strip("'").strip().upper() for f in fields]


def is_billing_header(line: bytes) -> bool:
    names = header_names(line)
    return "KWH" in names and "START_DATE" in names and "USAGE_KWH" not in names


def parse_billing_file(
    stream: BinaryIO,
    *,
    lookup: Lookup,
    today: date,
    limits: SizeLimits | None = None,
    max_rows: int | None = None,
    samples: int = 1000,
) -> BillingParse:
    out = BillingParse(samples=samples)
    positions: list[int] | None = None
    ncols = 0
    line_no = 0
    cache: dict[str, tuple[int, str | None, str | None, int]] = {}
    pending: list[tuple[int, list[str], str]] = []
    for chunk in line_chunks(stream, 1 << 20, limits):
        for raw in chunk.split(b"\n"):
            line_no += 1
            if positions is None:
                if not raw.strip(b"\r\n\xef\xbb\xbf \t"):
                    raise FileRejected("empty", "no header line")
                names = header_names(raw)
                if len(names) < 2:
                    raise FileRejected("not_csv", f"expected {BILLING_HEADER}")
                missing = [c for c in BILLING_COLUMNS if c not in names]
                if missing:
                    raise FileRejected(
                        "bad_header", f"missing column(s) {', '.join(missing)}; expected {BILLING_HEADER}"
                    )
                positions = [names.index(c) for c in BILLING_COLUMNS]
                ncols = len(names)
                out.header = raw.rstrip(b"\r\n").decode("utf-8", "replace").lstrip("\ufeff")
                continue
            text = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not text.strip(" ,"):
                out.blank += 1
                continue
            out.read += 1
            if max_rows is not None and out.read > max_rows:
                raise FileRejected("too_many_rows", f"more than {max_rows:,} rows")
            try:
                fields = next(csv.reader([text]), [])
            except csv.Error:
                fields = []
            if len(fields) != ncols or "\ufffd" in text:
                out.reject(line_no, "malformed", f"Expected {ncols} comma-separated fields", text)
                continue
            pending.append((line_no, [fields[i] for i in positions], text))
            if len(pending) >= VALIDATE_BATCH:
                _validate(pending, out, lookup=lookup, cache=cache, today_num=day_num(today))
                pending = []
    if positions is None:
        raise FileRejected("empty")
    _validate(pending, out, lookup=lookup, cache=cache, today_num=day_num(today))
    return out


# rows are held as text only this many at a time (then validated into compact BillingRows), so a file at the
# row limit stays well under the loader's memory bound
VALIDATE_BATCH = 50_000


def _validate(
    pending: list[tuple[int, list[str], str]],
    out: BillingParse,
    *,
    lookup: Lookup,
    cache: dict[str, tuple[int, str | None, str | None, int]],
    today_num: int,
) -> None:
    """Check a batch of split rows: valid ones become ``out.rows``, the others rejects."""
    norms = sorted({n for _, f, _ in pending if (n := norm_esiid(f[0].encode())) is not None} - cache.keys())
    for norm, answer in zip(norms, lookup(norms) if norms else [], strict=True):
        cache[norm] = answer
    for line, (esi, start_s, end_s, kwh_s, flag_s, rev_s), text in pending:

        def reject(code: str, detail: str, line=line, text=text) -> None:
            out.reject(line, code, f"{ROW_REASONS[code]}: {detail}", text)

        norm = norm_esiid(esi.encode())
        if norm is None:
            reject("bad_esiid", repr(esi.strip()))
            continue
        pid, reason, msg, install = cache[norm]
        if reason:
            out.reject(line, reason, msg or ROW_REASONS[reason], text)
            continue
        start = parse_date(start_s.encode())
        end = parse_date(end_s.encode())
        if start == NO_DAY or end == NO_DAY or end < start:
            reject("bad_date", f"{start_s.strip()}..{end_s.strip()}")
            continue
        if end > today_num:
            reject("future_date", end_s.strip())
            continue
        if install is not None and start < install:
            reject("before_install", start_s.strip())
            continue
        kwh = kwh_s.strip()
        if kwh.upper() == "NA":
            wh = None
        else:
            wh, code = parse_kwh(kwh.encode())
            if code:
                reject(CODES[code - 1], repr(kwh))
                continue
        flag = flag_s.strip().upper()
        if flag not in ("A", "E"):
            reject("bad_flag", repr(flag_s.strip()))
            continue
        rev, ok = parse_revision(rev_s.encode())
        if not ok:
            reject("bad_revision", repr(rev_s.strip()))
            continue
        out.rows.append(BillingRow(line, pid, start, end, wh, flag == "E", rev))
