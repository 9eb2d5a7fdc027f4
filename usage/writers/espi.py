"""Green Button (NAESB REQ.21 ESPI 4.0) Atom XML of interval reads. Pure: no Django.

One feed: the UsagePoint, the shared LocalTimeParameters (US Central with its DST rules), then per channel
with data a MeterReading, its ReadingType and its IntervalBlocks, and a UsageSummary per billing period
touching the range. Mapping and conventions in docs/formats.md. Deterministic: ids are uuid5 of the ESI ID
and the resource, ``published``/``updated`` come from the data's revision times (never from the clock),
links are absolute from the ``site_url`` given, so the same request always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from xml.sax.saxutils import escape

import numpy as np

from usage.reads.aggregate import BilledPeriod, Reads, Series, day_range, month_spans
from usage.writers import text

ATOM_NS = "http://www.w3.org/2005/Atom"
ESPI_NS = "http://naesb.org/espi"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/smt-open/usage/espi")

QUALITY_ESTIMATED = 8
CHANNELS = ((1, "consumption", "Consumption", 1), (2, "generation", "Surplus Generation", 19))

# ReadingType per granularity: intervalLength, timeAttribute (TimePeriodOfInterest), measuringPeriod
# (TimeAttributeKind); None = element left out.
READING_TYPES = {
    "15min": (900, 0, 2),
    "hour": (3600, 0, 7),
    "day": (86400, 11, 4),
    "month": (None, 13, None),
    "billing": (None, 8, None),
}
GRANULARITY_TITLES = {
    "15min": "15-minute",
    "hour": "Hourly",
    "day": "Daily",
    "month": "Monthly",
    "billing": "Billing-period",
}

# US Central: standard time UTC-6, DST +1 h from the second Sunday of March to the first Sunday of
# November at 02:00 (the same rule bytes as the GBA samples: 360E2000 / B40E2000).
TZ_OFFSET = -21600
DST_OFFSET = 3600
DST_START_RULE = "360E2000"
DST_END_RULE = "B40E2000"


_NS_BYTES = NAMESPACE.bytes


def resource_uuid(*parts: object) -> str:
    """uuid5(NAMESPACE, "part/part/...") in upper case (as ``uuid.uuid5``, without its object overhead)."""
    name = "/".join(str(p) for p in parts).encode("utf-8")
    digest = bytearray(hashlib.sha1(_NS_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=4096)
def atom_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_link(rel: str, href: str, kind: str) -> str:
    """An Atom link; ``href`` must already be XML-safe (the site URL is escaped once, the rest is ours)."""
    return f'<link rel="{rel}" href="{href}" type="{kind}"/>'


def _block_revisions(grid, slot_a: np.ndarray, slot_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(earliest, latest) revision time of the delivered slots of each block (0 where none is known): an
    IntervalBlock is published when its first data arrived and updated at its last correction."""
    lo = np.zeros(len(slot_a), dtype=np.int64)
    hi = np.zeros(len(slot_a), dtype=np.int64)
    if grid.revisions is None or not len(slot_a):
        return lo, hi
    known = ~grid.missing & (grid.revisions > 0)
    revs_hi = np.where(known, grid.revisions, 0)
    revs_lo = np.where(known, grid.revisions, np.iinfo(np.int64).max)
    if (
        slot_a[0] == 0
        and slot_b[-1] == len(revs_hi)
        and (slot_a[1:] == slot_b[:-1]).all()
        and (slot_b > slot_a).all()
    ):
        hi = np.maximum.reduceat(revs_hi, slot_a)
        lo = np.minimum.reduceat(revs_lo, slot_a)
    else:
        for i, (a, b) in enumerate(zip(slot_a.tolist(), slot_b.tolist(), strict=True)):
            if b > a:
                hi[i] = int(revs_hi[a:b].max())
                lo[i] = int(revs_lo[a:b].min())
    lo[hi == 0] = 0
    return lo, hi


def atom_entry(
    uid: str, title: str, links: list[str], content: str | bytes, published: int, updated: int
) -> bytes:
    if isinstance(content, str):
        content = content.encode("utf-8")
    head = f"<entry><id>urn:uuid:{uid}</id>{''.join(links)}<title>{escape(title)}</title><content>"
    tail = (
        f"</content><published>{atom_time(published)}</published>"
        f"<updated>{atom_time(updated)}</updated></entry>\n"
    )
    return b"".join((head.encode("utf-8"), content, tail.encode("utf-8")))


def reading_type_xml(flow: int, granularity: str) -> str:
    length, time_attr, measuring = READING_TYPES[granularity]
    parts = [
        "<accumulationBehaviour>4</accumulationBehaviour>",
        "<commodity>1</commodity>",
        "<dataQualifier>12</dataQualifier>",
        f"<flowDirection>{flow}</flowDirection>",
    ]
    if length is not None:
        parts.append(f"<intervalLength>{length}</intervalLength>")
    parts += [
        "<kind>12</kind>",
        "<phase>769</phase>",
        "<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        f"<timeAttribute>{time_attr}</timeAttribute>",
        "<uom>72</uom>",
    ]
    if measuring is not None:
        parts.append(f"<measuringPeriod>{measuring}</measuringPeriod>")
    return f'<ReadingType xmlns="{ESPI_NS}">{"".join(parts)}</ReadingType>'


_RQ = f"<ReadingQuality><quality>{QUALITY_ESTIMATED}</quality></ReadingQuality>"


_RQ_BYTES = _RQ.encode("ascii")
_READING_OPEN = b"<IntervalReading>"


def _readings(
    starts: np.ndarray, ends: np.ndarray, wh: np.ndarray, est: np.ndarray
) -> tuple[bytes, np.ndarray]:
    """IntervalReading elements of every interval, built vectorised (writers.text), and each one's byte
    offset in the text (len n + 1)."""
    n = len(starts)
    if not n:
        return b"", np.zeros(1, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    durations = np.asarray(ends, dtype=np.int64) - starts
    fixed = (
        _READING_OPEN + b"<timePeriod><duration>",
        b"</duration><start>",
        b"</start></timePeriod><value>",
        b"</value></IntervalReading>",
    )
    wh = np.asarray(wh, dtype=np.int64)
    lengths = sum(len(f) for f in fixed) + text.ndigits(durations) + text.ndigits(starts) + text.ndigits(wh)
    body, offsets = text.join_columns(
        [
            text.constant(fixed[0], n),
            text.int_text(durations),
            text.constant(fixed[1], n),
            text.int_text(starts),
            text.constant(fixed[2], n),
            text.int_text(wh),
            text.constant(fixed[3], n),
        ],
        lengths=lengths,
    )
    est = np.asarray(est, dtype=bool)
    if est.any():  # estimated readings get their ReadingQuality after the opening tag
        rows = np.flatnonzero(est)
        k = len(_RQ_BYTES)
        at = np.repeat(offsets[rows] + len(_READING_OPEN), k)
        arr = np.insert(
            np.frombuffer(body, dtype=np.uint8),
            at,
            np.tile(np.frombuffer(_RQ_BYTES, dtype=np.uint8), len(rows)),
        )
        body = arr.tobytes()
        shift = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(est, out=shift[1:])
        offsets = offsets + k * shift
    return body, offsets


def _blocks(reads: Reads, series: Series) -> list[tuple[str, int, int, int, int]]:
    """(key, start, end, interval indices) of the IntervalBlocks: a day for 15min/hour, a calendar month
    (clipped to the range) for day, the whole range for month and billing."""
    rng = reads.range
    g = reads.granularity
    out = []
    if g in ("15min", "hour"):
        per = 1 if g == "15min" else 4
        keys = np.strings.replace(np.datetime_as_string(rng.dates), "-", "").tolist()
        bounds = (rng.offsets // per).tolist()
        starts = rng.day_starts.tolist()
        for i in range(rng.n_days):
            out.append((keys[i], starts[i], starts[i + 1], bounds[i], bounds[i + 1]))
    elif g == "day":
        first, last = month_spans(rng)
        for a, b in zip(first.tolist(), last.tolist(), strict=True):
            out.append(
                (rng.day(a).strftime("%Y%m%d"), int(rng.day_starts[a]), int(rng.day_starts[b + 1]), a, b + 1)
            )
    elif len(series):
        out.append(
            (rng.start.strftime("%Y%m%d"), int(series.starts.min()), int(series.ends.max()), 0, len(series))
        )
    return out


@dataclass(frozen=True)
class Entry:
    """One Atom entry of a Green Button document, with what a Connect My Data view needs to pick it.

    ``kind``: UsagePoint, LocalTimeParameters, MeterReading, ReadingType, IntervalBlock or UsageSummary;
    ``key``: its id in its REST path (the ESI ID, "US-Central", "consumption-15min", "20251102", ...);
    ``parent``: for an IntervalBlock the key of its MeterReading; ``xml``: the ``<entry>`` element."""

    kind: str
    key: str
    uid: str
    self_href: str
    up_href: str
    published: int
    updated: int
    xml: bytes
    parent: str | None = None


def _make_entry(
    kind, key, uid, entry_title, self_href, up, related, content, when, parent=None, published=None
) -> Entry:
    """An Entry with its self and up links (then ``related``), updated at ``when`` and published at
    ``published`` (default: ``when``)."""
    published = when if published is None else min(published, when)
    links = [
        atom_link("self", self_href, f"espi-entry/{kind}"),
        atom_link("up", up, f"espi-feed/{kind}"),
        *related,
    ]
    return Entry(
        kind,
        key,
        uid,
        self_href,
        up,
        published,
        when,
        atom_entry(uid, entry_title, links, content, published, when),
        parent,
    )


def espi_entries(
    reads: Reads, *, site_url: str, usage_point_href: str | None = None, title: str | None = None
) -> list[Entry]:
    """Every entry of the Green Button document of ``reads``, in document order.

    ``usage_point_href`` (XML-safe) replaces the default ``{SITE_URL}/espi/1_1/resource/UsagePoint/{esiid}``
    under which MeterReadings, IntervalBlocks and UsageSummaries are linked (Connect My Data serves them
    under ``Subscription/{id}/UsagePoint/{id}``); ids do not depend on it."""
    esiid = reads.esiid
    g = reads.granularity
    base = escape(f"{site_url.rstrip('/')}/espi/1_1/resource", {'"': "&quot;"})
    up_href = usage_point_href or f"{base}/UsagePoint/{esiid}"
    ltp_href = f"{base}/LocalTimeParameters/US-Central"
    fallback = reads.range.last_epoch
    latest = 0

    channel_parts = []
    for ch, key, name, flow in CHANNELS:
        mr_key = f"{key}-{g}"
        mr_href = f"{up_href}/MeterReading/{mr_key}"
        blocks, mr_updated = _interval_block_entries(reads, ch, key, name, mr_key, mr_href, fallback)
        if not blocks:
            continue
        latest = max(latest, mr_updated)
        rt_href = f"{base}/ReadingType/{mr_key}"
        mr_published = min(b.published for b in blocks)
        channel_parts.append((key, mr_key, name, flow, mr_href, rt_href, blocks, mr_updated, mr_published))

    summaries, summaries_updated = _usage_summary_entries(reads, up_href)
    latest = max(latest, summaries_updated)

    feed_updated = latest or fallback
    feed_published = min((e.published for part in channel_parts for e in part[6]), default=None)
    feed_published = min([feed_published or feed_updated, *(e.published for e in summaries)])
    up_related = [atom_link("related", f"{up_href}/MeterReading", "espi-feed/MeterReading")]
    if summaries:
        up_related.append(atom_link("related", f"{up_href}/UsageSummary", "espi-feed/UsageSummary"))
    up_related.append(atom_link("related", ltp_href, "espi-entry/LocalTimeParameters"))
    out = [
        _make_entry(
            "UsagePoint",
            esiid,
            resource_uuid(esiid, "UsagePoint"),
            title or f"ESI ID {esiid}",
            up_href,
            up_href.rsplit("/", 1)[0],
            up_related,
            f'<UsagePoint xmlns="{ESPI_NS}"><ServiceCategory><kind>0</kind></ServiceCategory>'
            "<status>1</status></UsagePoint>",
            feed_updated,
            published=feed_published,
        ),
        _make_entry(
            "LocalTimeParameters",
            "US-Central",
            resource_uuid("LocalTimeParameters", "US-Central"),
            "US Central Time (America/Chicago)",
            ltp_href,
            f"{base}/LocalTimeParameters",
            [],
            f'<LocalTimeParameters xmlns="{ESPI_NS}"><dstEndRule>{DST_END_RULE}</dstEndRule>'
            f"<dstOffset>{DST_OFFSET}</dstOffset><dstStartRule>{DST_START_RULE}</dstStartRule>"
            f"<tzOffset>{TZ_OFFSET}</tzOffset></LocalTimeParameters>",
            feed_updated,
            published=feed_published,
        ),
    ]
    for key, mr_key, name, flow, mr_href, rt_href, blocks, mr_updated, mr_published in channel_parts:
        out.append(
            _make_entry(
                "MeterReading",
                mr_key,
                resource_uuid(esiid, "MeterReading", key, g),
                f"{GRANULARITY_TITLES[g]} {name.lower()}",
                mr_href,
                f"{up_href}/MeterReading",
                [
                    atom_link("related", f"{mr_href}/IntervalBlock", "espi-feed/IntervalBlock"),
                    atom_link("related", rt_href, "espi-entry/ReadingType"),
                ],
                f'<MeterReading xmlns="{ESPI_NS}"/>',
                mr_updated,
                published=mr_published,
            )
        )
        out.append(
            _make_entry(
                "ReadingType",
                mr_key,
                resource_uuid("ReadingType", key, g),
                f"{GRANULARITY_TITLES[g]} {name.lower()}, Wh",
                rt_href,
                f"{base}/ReadingType",
                [],
                reading_type_xml(flow, g),
                mr_updated,
                published=mr_published,
            )
        )
        out.extend(blocks)
    out.extend(summaries)
    return out


def _interval_block_entries(
    reads: Reads, ch: int, key: str, name: str, mr_key: str, mr_href: str, fallback: int
) -> tuple[list[Entry], int]:
    """The IntervalBlock entries of one channel (none when it has no data) and the latest of their
    ``updated`` (0 when none)."""
    g = reads.granularity
    grid = reads.consumption if ch == 1 else reads.generation
    values_series = reads.series_consumption if ch == 1 else reads.series_generation
    if not grid.has_data and not (ch == 1 and g == "billing" and reads.billed):
        return [], 0
    billing_consumption = g == "billing" and ch == 1
    if not billing_consumption:
        # every delivered interval's text at once; row_offsets maps interval index -> reading row
        keep_all = ~values_series.null
        all_text, byte_offsets = _readings(
            values_series.starts[keep_all],
            values_series.ends[keep_all],
            values_series.wh[keep_all],
            values_series.estimated[keep_all],
        )
        row_offsets = np.zeros(len(values_series) + 1, dtype=np.int64)
        np.cumsum(keep_all, out=row_offsets[1:])
    block_list = _blocks(reads, values_series)
    first = reads.range.first_epoch
    first_revs, block_revs = (
        r.tolist()
        for r in _block_revisions(
            grid,
            np.array([(x[1] - first) // 900 for x in block_list], dtype=np.int64),
            np.array([(x[2] - first) // 900 for x in block_list], dtype=np.int64),
        )
    )
    title_prefix = f"{GRANULARITY_TITLES[g]} {name.lower()} "
    blocks: list[Entry] = []
    mr_updated = 0
    for (bkey, bstart, bend, a, b), brev, frev in zip(block_list, block_revs, first_revs, strict=True):
        published = None
        if billing_consumption:
            body_text, updated = _billed_readings(reads, values_series, a, b, bend)
        else:
            ra, rb = int(row_offsets[a]), int(row_offsets[b])
            if ra == rb:  # nothing delivered in this block
                continue
            body_text = all_text[int(byte_offsets[ra]) : int(byte_offsets[rb])]
            updated = brev or min(bend, fallback)
            published = frev or updated
        mr_updated = max(mr_updated, updated)
        content = b"".join(
            (
                f'<IntervalBlock xmlns="{ESPI_NS}"><interval><duration>{bend - bstart}</duration>'
                f"<start>{bstart}</start></interval>".encode("ascii"),
                body_text,
                b"</IntervalBlock>",
            )
        )
        blocks.append(
            _make_entry(
                "IntervalBlock",
                bkey,
                resource_uuid(reads.esiid, "IntervalBlock", key, g, bkey),
                title_prefix + bkey,
                f"{mr_href}/IntervalBlock/{bkey}",
                f"{mr_href}/IntervalBlock",
                [],
                content,
                updated,
                parent=mr_key,
                published=published,
            )
        )
    return blocks, mr_updated


def _billed_readings(reads: Reads, values_series: Series, a: int, b: int, bend: int) -> tuple[bytes, int]:
    """(IntervalReadings, updated) of billing periods ``a:b`` (those with a known kWh) of a block."""
    starts = values_series.starts[a:b].tolist()
    ends = values_series.ends[a:b].tolist()
    billed: list[BilledPeriod] = list(reads.billed[a:b])
    keep = [i for i, p in enumerate(billed) if p.wh is not None]
    body_text = _readings(
        np.array([starts[i] for i in keep], dtype=np.int64),
        np.array([ends[i] for i in keep], dtype=np.int64),
        np.array([billed[i].wh for i in keep], dtype=np.int64),
        np.array([billed[i].estimated for i in keep], dtype=bool),
    )[0]
    revs = [p.revised_at for p in billed if p.revised_at]
    updated = max(revs) if revs else bend
    return body_text, updated


def _usage_summary_entries(reads: Reads, up_href: str) -> tuple[list[Entry], int]:
    """A UsageSummary entry per billing period, and the latest of their ``updated`` (0 when none)."""
    esiid = reads.esiid
    latest = 0
    summaries: list[Entry] = []
    for p in reads.billed:
        s_epoch = int(day_range(p.start_date, p.start_date).first_epoch)
        e_epoch = int(day_range(p.end_date, p.end_date).last_epoch)
        updated = p.revised_at or e_epoch
        latest = max(latest, updated)
        consumption = ""
        if p.wh is not None:
            consumption = (
                "<currentBillingPeriodOverAllConsumption><powerOfTenMultiplier>0</powerOfTenMultiplier>"
                f"<timeStamp>{e_epoch}</timeStamp><uom>72</uom><value>{p.wh}</value>"
                "</currentBillingPeriodOverAllConsumption>"
            )
        quality = QUALITY_ESTIMATED if p.estimated else 0
        content = (
            f'<UsageSummary xmlns="{ESPI_NS}"><billingPeriod><duration>{e_epoch - s_epoch}</duration>'
            f"<start>{s_epoch}</start></billingPeriod>{consumption}"
            f"<qualityOfReading>{quality}</qualityOfReading><statusTimeStamp>{updated}</statusTimeStamp>"
            "<commodity>1</commodity></UsageSummary>"
        )
        skey = p.start_date.strftime("%Y%m%d")
        summaries.append(
            _make_entry(
                "UsageSummary",
                skey,
                resource_uuid(esiid, "UsageSummary", skey),
                f"Billing period {p.start_date.isoformat()} to {p.end_date.isoformat()}"
                + ("" if p.wh is not None else " (not available)"),
                f"{up_href}/UsageSummary/{skey}",
                f"{up_href}/UsageSummary",
                [],
                content,
                updated,
            )
        )
    return summaries, latest


def espi_feed(
    entries: list[Entry],
    *,
    feed_id: str,
    title: str,
    self_href: str,
    self_type: str,
    updated: int,
    next_href: str | None = None,
) -> bytes:
    """An Atom feed of entries (``self_href`` and ``next_href`` XML-safe); ``next_href``: the next page."""
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns="{ATOM_NS}">\n'
        f"<id>urn:uuid:{feed_id}</id><title>{escape(title)}</title><updated>{atom_time(updated)}</updated>"
        + atom_link("self", self_href, self_type)
        + (atom_link("next", next_href, self_type) if next_href else "")
        + "\n"
    )
    return b"".join((head.encode("utf-8"), *(e.xml for e in entries), b"</feed>\n"))


def espi_entry_document(entry: Entry) -> bytes:
    """One entry as a standalone document (a Connect My Data single-resource response)."""
    return b"".join(
        (
            b"<?xml version='1.0' encoding='UTF-8'?>\n",
            b'<entry xmlns="' + ATOM_NS.encode() + b'">',
            entry.xml[7:],
        )
    )


def render_espi(reads: Reads, *, site_url: str, title: str | None = None) -> bytes:
    """The Green Button (Download My Data) feed of ``reads``; ``site_url``: settings.SITE_URL."""
    entries = espi_entries(reads, site_url=site_url, title=title)
    rng = reads.range
    up = entries[0]
    return espi_feed(
        entries,
        feed_id=resource_uuid(reads.esiid, "Feed", reads.granularity, rng.start, rng.end),
        title=f"Green Button data for ESI ID {reads.esiid}, {rng.start.isoformat()} to {rng.end.isoformat()}",
        self_href=(
            f"{up.self_href}?start={rng.start.isoformat()}&amp;end={rng.end.isoformat()}"
            f"&amp;granularity={reads.granularity}"
        ),
        self_type="espi-feed/UsagePoint",
        updated=up.updated,
    )
