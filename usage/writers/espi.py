"""Green Button (NAESB REQ.21 ESPI 4.0) Atom XML of interval reads. Pure: no Django.

One feed: the UsagePoint, the shared LocalTimeParameters (US Central with its DST rules), then per channel
with data a MeterReading, its ReadingType and its IntervalBlocks, and a UsageSummary per billing period
touching the range. Mapping and conventions in docs/formats.md. Deterministic: ids are uuid5 of the ESI ID
and the resource, ``published``/``updated`` come from the data's revision times (never from the clock),
links are absolute from the ``site_url`` given, so the same request always gives the same bytes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from usage.reads.aggregate import BilledPeriod, Reads, Series, day_range, month_spans, revision_epoch

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


def resource_uuid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))).upper()


def atom_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(rel: str, href: str, kind: str) -> str:
    return f"<link rel={quoteattr(rel)} href={quoteattr(href)} type={quoteattr(kind)}/>"


def _entry(uid: str, title: str, links: list[str], content: str, published: int, updated: int) -> str:
    return (
        f"<entry><id>urn:uuid:{uid}</id>{''.join(links)}<title>{escape(title)}</title>"
        f"<content>{content}</content>"
        f"<published>{atom_time(published)}</published><updated>{atom_time(updated)}</updated></entry>\n"
    )


def _reading_type(flow: int, granularity: str) -> str:
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


def _readings(starts: list[int], ends: list[int], wh: list[int], est: list[bool]) -> str:
    return "".join(
        f"<IntervalReading>{_RQ if e else ''}<timePeriod><duration>{b - a}</duration><start>{a}</start>"
        f"</timePeriod><value>{v}</value></IntervalReading>"
        for a, b, v, e in zip(starts, ends, wh, est, strict=True)
    )


def _blocks(reads: Reads, series: Series) -> list[tuple[str, int, int, int, int]]:
    """(key, start, end, interval indices) of the IntervalBlocks: a day for 15min/hour, a calendar month
    (clipped to the range) for day, the whole range for month and billing."""
    rng = reads.range
    g = reads.granularity
    out = []
    if g in ("15min", "hour"):
        per = 1 if g == "15min" else 4
        for i in range(rng.n_days):
            a, b = int(rng.offsets[i]) // per, int(rng.offsets[i + 1]) // per
            out.append(
                (rng.day(i).strftime("%Y%m%d"), int(rng.day_starts[i]), int(rng.day_starts[i + 1]), a, b)
            )
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


def _block_slot_span(reads: Reads, start: int, end: int) -> tuple[int, int]:
    rng = reads.range
    return (start - rng.first_epoch) // 900, (end - rng.first_epoch) // 900


def render_espi(reads: Reads, *, site_url: str, title: str | None = None) -> bytes:
    """The Green Button feed of ``reads``; ``site_url`` is the public base URL (settings.SITE_URL)."""
    esiid = reads.esiid
    g = reads.granularity
    base = f"{site_url.rstrip('/')}/espi/1_1/resource"
    up_href = f"{base}/UsagePoint/{esiid}"
    ltp_href = f"{base}/LocalTimeParameters/US-Central"
    rng = reads.range
    fallback = rng.last_epoch
    body: list[str] = []
    latest = 0

    channel_parts = []
    for ch, key, name, flow in CHANNELS:
        grid = reads.consumption if ch == 1 else reads.generation
        series = reads.series_consumption if ch == 1 else reads.series_generation
        values_series = series
        if not grid.has_data and not (ch == 1 and g == "billing" and reads.billed):
            continue
        mr_href = f"{up_href}/MeterReading/{key}-{g}"
        rt_href = f"{base}/ReadingType/{key}-{g}"
        blocks = []
        mr_updated = 0
        for bkey, bstart, bend, a, b in _blocks(reads, values_series):
            if g == "billing" and ch == 1:
                starts = values_series.starts[a:b].tolist()
                ends = values_series.ends[a:b].tolist()
                billed: list[BilledPeriod] = list(reads.billed[a:b])
                keep = [i for i, p in enumerate(billed) if p.wh is not None]
                text = _readings(
                    [starts[i] for i in keep],
                    [ends[i] for i in keep],
                    [billed[i].wh for i in keep],
                    [billed[i].estimated for i in keep],
                )
                revs = [p.revised_at for p in billed if p.revised_at]
                updated = max(revs) if revs else bend
            else:
                null = values_series.null[a:b]
                if null.all():
                    continue
                keep = np.flatnonzero(~null) + a
                text = _readings(
                    values_series.starts[keep].tolist(),
                    values_series.ends[keep].tolist(),
                    values_series.wh[keep].tolist(),
                    values_series.estimated[keep].tolist(),
                )
                sa, sb = _block_slot_span(reads, bstart, bend)
                updated = revision_epoch(grid, sa, sb) or min(bend, fallback)
            mr_updated = max(mr_updated, updated)
            content = (
                f'<IntervalBlock xmlns="{ESPI_NS}"><interval><duration>{bend - bstart}</duration>'
                f"<start>{bstart}</start></interval>{text}</IntervalBlock>"
            )
            blocks.append(
                _entry(
                    resource_uuid(esiid, "IntervalBlock", key, g, bkey),
                    f"{GRANULARITY_TITLES[g]} {name.lower()} {bkey}",
                    [
                        _link("self", f"{mr_href}/IntervalBlock/{bkey}", "espi-entry/IntervalBlock"),
                        _link("up", f"{mr_href}/IntervalBlock", "espi-feed/IntervalBlock"),
                    ],
                    content,
                    updated,
                    updated,
                )
            )
        if not blocks:
            continue
        latest = max(latest, mr_updated)
        channel_parts.append((key, name, flow, mr_href, rt_href, blocks, mr_updated))

    summaries = []
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
            _entry(
                resource_uuid(esiid, "UsageSummary", skey),
                f"Billing period {p.start_date.isoformat()} to {p.end_date.isoformat()}"
                + ("" if p.wh is not None else " (not available)"),
                [
                    _link("self", f"{up_href}/UsageSummary/{skey}", "espi-entry/UsageSummary"),
                    _link("up", f"{up_href}/UsageSummary", "espi-feed/UsageSummary"),
                ],
                content,
                updated,
                updated,
            )
        )

    feed_updated = latest or fallback
    up_links = [
        _link("self", up_href, "espi-entry/UsagePoint"),
        _link("up", f"{base}/UsagePoint", "espi-feed/UsagePoint"),
        _link("related", f"{up_href}/MeterReading", "espi-feed/MeterReading"),
    ]
    if summaries:
        up_links.append(_link("related", f"{up_href}/UsageSummary", "espi-feed/UsageSummary"))
    up_links.append(_link("related", ltp_href, "espi-entry/LocalTimeParameters"))
    body.append(
        _entry(
            resource_uuid(esiid, "UsagePoint"),
            title or f"ESI ID {esiid}",
            up_links,
            f'<UsagePoint xmlns="{ESPI_NS}"><ServiceCategory><kind>0</kind></ServiceCategory>'
            "<status>1</status></UsagePoint>",
            feed_updated,
            feed_updated,
        )
    )
    body.append(
        _entry(
            resource_uuid("LocalTimeParameters", "US-Central"),
            "US Central Time (America/Chicago)",
            [
                _link("self", ltp_href, "espi-entry/LocalTimeParameters"),
                _link("up", f"{base}/LocalTimeParameters", "espi-feed/LocalTimeParameters"),
            ],
            f'<LocalTimeParameters xmlns="{ESPI_NS}"><dstEndRule>{DST_END_RULE}</dstEndRule>'
            f"<dstOffset>{DST_OFFSET}</dstOffset><dstStartRule>{DST_START_RULE}</dstStartRule>"
            f"<tzOffset>{TZ_OFFSET}</tzOffset></LocalTimeParameters>",
            feed_updated,
            feed_updated,
        )
    )
    for key, name, flow, mr_href, rt_href, blocks, mr_updated in channel_parts:
        body.append(
            _entry(
                resource_uuid(esiid, "MeterReading", key, g),
                f"{GRANULARITY_TITLES[g]} {name.lower()}",
                [
                    _link("self", mr_href, "espi-entry/MeterReading"),
                    _link("up", f"{up_href}/MeterReading", "espi-feed/MeterReading"),
                    _link("related", f"{mr_href}/IntervalBlock", "espi-feed/IntervalBlock"),
                    _link("related", rt_href, "espi-entry/ReadingType"),
                ],
                f'<MeterReading xmlns="{ESPI_NS}"/>',
                mr_updated,
                mr_updated,
            )
        )
        body.append(
            _entry(
                resource_uuid("ReadingType", key, g),
                f"{GRANULARITY_TITLES[g]} {name.lower()}, Wh",
                [
                    _link("self", rt_href, "espi-entry/ReadingType"),
                    _link("up", f"{base}/ReadingType", "espi-feed/ReadingType"),
                ],
                _reading_type(flow, g),
                mr_updated,
                mr_updated,
            )
        )
        body.extend(blocks)
    body.extend(summaries)

    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<feed xmlns="{ATOM_NS}">\n'
        f"<id>urn:uuid:{resource_uuid(esiid, 'Feed', g, rng.start, rng.end)}</id>"
        f"<title>Green Button data for ESI ID {escape(esiid)}, {rng.start.isoformat()} to "
        f"{rng.end.isoformat()}</title><updated>{atom_time(feed_updated)}</updated>"
        + _link(
            "self",
            f"{up_href}?start={rng.start.isoformat()}&end={rng.end.isoformat()}&granularity={g}",
            "espi-feed/UsagePoint",
        )
        + "\n"
    )
    return (head + "".join(body) + "</feed>\n").encode("utf-8")
