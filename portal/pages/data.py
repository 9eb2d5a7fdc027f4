"""What the usage page shows: reads, summaries (this range and the previous equal one), chart, table.

One storage query reads both channels over the previous period and the range together; billing periods
are one more query when that granularity is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal.bills import compute
from portal.bills.models import BillPlan, TduTariff
from portal.bills.services import BillCosts, bill_costs
from portal.charts import add_bill_costs, add_last_year, interval_labels, points_from_series, usage_figure
from portal.pages.last_year import last_year_overlay, last_year_period
from portal.pages.state import UsageState
from usage import storage
from usage.models import BillingPeriod, Channel, Premise
from usage.reads.aggregate import BilledPeriod, ChannelGrid, DayRange, build_reads, day_range, lay_on_grid
from usage.reads.summary import summarize

TABLE_MAX_ROWS = 3200  # 31 days of 15-minute data (with a fall-back day) fit; more goes to the downloads


@dataclass
class Comparison:
    start: date
    end: date
    clipped: bool  # the previous equal period reaches before the window: compared over a shorter span
    summary: dict | None


@dataclass
class RangeBill:
    """Cost (tenths of a cent) of the range, the previous period and the same days last year, and of each
    bucket the chart and table show."""

    now: int | None
    previous: int | None
    last_year: int | None
    buckets: BillCosts
    uncovered_days: int


@dataclass
class UsageData:
    reads: object
    summary: dict
    previous: Comparison | None
    last_year: Comparison | None  # None: the window reaches no day a year back; summary None: no data there
    has_overlay: bool
    bill: RangeBill | None
    chart_json: SafeString
    table_html: SafeString | None
    rows: int
    has_generation: bool
    has_estimated: bool
    has_data: bool
    billed: list[BilledPeriod]


def billed_periods(*, premise: Premise, start: date, end: date, window) -> list[BilledPeriod]:
    """Billing periods that meet ``start``..``end`` and lie wholly inside the customer's window."""
    rows = (
        BillingPeriod.objects.filter(
            premise=premise,
            start_date__lte=end,
            end_date__gte=start,
            start_date__gte=window.start,
            end_date__lte=window.end,
        )
        .order_by("start_date")
        .values_list("start_date", "end_date", "wh", "estimated")
    )
    return [BilledPeriod(start_date=a, end_date=b, wh=wh, estimated=est) for a, b, wh, est in rows]


def previous_period(state: UsageState) -> tuple[date, date, bool] | None:
    """The equal period just before the range, clipped to the window (None when nothing of it is inside)."""
    n = state.days
    prev_end = state.start - timedelta(days=1)
    prev_start = state.start - timedelta(days=n)
    lo = max(prev_start, state.window.start)
    if lo > prev_end:
        return None
    return lo, prev_end, lo != prev_start


def load_usage(
    *,
    premise: Premise,
    state: UsageState,
    plan: BillPlan | None = None,
    tariffs: list[TduTariff] | None = None,
) -> UsageData:
    """Everything the usage page shows; with ``plan``, costs too (``tariffs``: the premise's TDU rows)."""
    start, end = state.start, state.end
    billed: list[BilledPeriod] = []
    if state.granularity == "billing":
        billed = billed_periods(premise=premise, start=start, end=end, window=state.window)
    prev = previous_period(state)
    year = last_year_period(start, end, state.window.start)
    fetch_start = min([start] + [p[0] for p in (prev, year) if p])
    read_start, read_end = start, end
    if billed:  # the chart covers whole billing periods (all inside the window)
        read_start, read_end = min(start, billed[0].start_date), max(end, billed[-1].end_date)
        fetch_start = min(fetch_start, read_start)
    channels = storage.read_channels(premise_id=premise.pk, start=fetch_start, end=read_end)
    cons = channels.get(int(Channel.CONSUMPTION))
    gen = channels.get(int(Channel.GENERATION))
    reads = build_reads(
        esiid=premise.esiid,
        start=read_start,
        end=read_end,
        granularity=state.granularity,
        consumption=cons,
        generation=gen,
        billed=billed,
    )
    if (read_start, read_end) == (start, end):
        summary = summarize(reads.range, reads.consumption, reads.generation)
    else:
        rng = day_range(start, end)
        summary = summarize(rng, lay_on_grid(rng, cons), lay_on_grid(rng, gen))
    previous = None
    if prev is not None:
        rng = day_range(prev[0], prev[1])
        previous = Comparison(
            start=prev[0],
            end=prev[1],
            clipped=prev[2],
            summary=summarize(rng, lay_on_grid(rng, cons), lay_on_grid(rng, gen)),
        )

    last_year = None
    if year is not None:
        rng = day_range(year[0], year[1])
        ly_summary = summarize(rng, *on_grid(rng, cons, gen))
        last_year = Comparison(
            start=year[0],
            end=year[1],
            clipped=year[2],
            summary=ly_summary if ly_summary.get("days_with_data") else None,
        )

    sc, sg = reads.series_consumption, reads.series_generation
    points = points_from_series(sc, sg)
    fig = usage_figure(
        points,
        granularity=state.granularity,
        range_start=_axis_bound(reads.range.start),
        range_end=_axis_bound(reads.range.end + timedelta(days=1)),
        days=[reads.range.day(i) for i in range(reads.range.n_days)],
    )
    overlay = None
    if last_year is not None and last_year.summary is not None:
        overlay = last_year_overlay(
            start=start,
            end=end,
            granularity=state.granularity,
            consumption=cons,
            window_start=state.window.start,
            buckets=len(sc),
        )
        if overlay is not None:
            name = _("Same days last year") if state.granularity == "day" else _("Same months last year")
            add_last_year(fig, overlay.kwh, overlay.labels, name)
    bill = None
    if plan is not None:
        bill = range_bill(
            premise=premise,
            plan=plan,
            tariffs=tariffs,
            cons=cons,
            state=state,
            read_range=(read_start, read_end),
            billed=billed,
            prev=prev,
            year=year,
        )
        texts = [compute.dollars_text(t) for t in bill.buckets.tenths]
        add_bill_costs(fig, _values_or_none(sc), texts, _("Cost"))
    has_gen = bool(reads.generation.has_data)
    has_est = bool((sc.estimated & ~sc.null).any() or (sg.estimated & ~sg.null).any())
    rows = len(sc)
    table = None
    if rows <= TABLE_MAX_ROWS:
        table = table_html(
            labels=fig["labels"],
            sc=sc,
            sg=sg,
            has_gen=has_gen,
            billed=billed if billed else None,
            costs=bill.buckets.tenths if bill else None,
        )
    return UsageData(
        reads=reads,
        summary=summary,
        previous=previous,
        last_year=last_year,
        has_overlay=overlay is not None,
        bill=bill,
        chart_json=json_script_fast(fig, "usage-chart-data"),
        table_html=table,
        rows=rows,
        has_generation=has_gen,
        has_estimated=has_est,
        has_data=bool(reads.consumption.has_data or reads.generation.has_data)
        and (state.granularity != "billing" or bool(billed)),
        billed=billed,
    )


def range_bill(*, premise, plan, tariffs, cons, state, read_range, billed, prev, year) -> RangeBill:
    """Costs from one pass over the days read: daily costs give the three totals (each day rounded to a
    tenth of a cent, then added), and the chart's buckets are costed at its granularity."""
    lo = min([read_range[0]] + [p[0] for p in (prev, year) if p])
    hi = read_range[1]
    days = bill_costs(
        premise=premise, plan=plan, start=lo, end=hi, granularity="day", consumption=cons, tariffs=tariffs
    )

    def total(a: date, b: date) -> int | None:
        i, j = (a - lo).days, (b - lo).days + 1
        has = ~days.series.null[i:j]
        return int(days.series.wh[i:j][has].sum()) if has.any() else None

    periods = [(b.start_date, b.end_date) for b in billed] if billed else None
    if state.granularity == "day" and read_range == (lo, hi):
        buckets = days
    else:
        buckets = bill_costs(
            premise=premise,
            plan=plan,
            start=read_range[0],
            end=read_range[1],
            granularity=state.granularity,
            consumption=cons,
            tariffs=tariffs,
            periods=periods,
        )
    return RangeBill(
        now=total(state.start, state.end),
        previous=total(prev[0], prev[1]) if prev else None,
        last_year=total(year[0], year[1]) if year else None,
        buckets=buckets,
        uncovered_days=int(days.uncovered_days),
    )


def on_grid(rng: DayRange, *channels: Any) -> list[ChannelGrid]:
    """Stored days (``ChannelDays`` or None) laid on ``rng``'s grid, one per channel."""
    return [lay_on_grid(rng, c) for c in channels]


def _values_or_none(series) -> list:
    kwh = np.round(series.wh / 1000.0, 3).tolist()
    return [None if n else v for v, n in zip(kwh, series.null.tolist(), strict=True)]


def _axis_bound(day: date) -> str:
    return f"{day.isoformat()} 00:00"


def json_script_fast(data, element_id: str) -> SafeString:
    """Like Django's ``json_script`` (same escaping), serialised with orjson: chart data can be large."""
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(f'<script id="{escape(element_id)}" type="application/json">{text}</script>')  # noqa: S308


def _kwh_cells(series) -> list[str]:
    wh = series.wh.tolist()
    est = series.estimated.tolist()
    out = [f"<td>{w / 1000:,.3f}</td>" for w in wh]
    no_data = '<td class="muted">' + escape(_("no data")) + "</td>"
    estimated = escape(_("estimated"))
    mark = escape(_("E"))
    for i in np.flatnonzero(series.estimated | series.null).tolist():
        if series.null[i]:
            out[i] = no_data
        elif est[i]:
            out[i] = f'<td>{wh[i] / 1000:,.3f}<abbr title="{estimated}" class="est-mark">{mark}</abbr></td>'
    return out


def table_html(*, labels, sc, sg, has_gen: bool, billed, costs: list[int | None] | None = None) -> SafeString:
    """The rows of the data table (what the chart shows), built in one pass: thousands of rows stay fast.

    Labels are our own text (digits, day and month names, CDT/CST), so they need no escaping."""
    cols = [_kwh_cells(sc)]
    head = [_th(_("Interval (local time)")), _th(_("Consumption, kWh"))]
    if has_gen:
        cols.append(_kwh_cells(sg))
        head.append(_th(_("Sent to the grid, kWh")))
    if billed:
        head.append(_th(_("Reported to your REP, kWh")))
        not_available = "<td>" + escape(_("NA (not available)")) + "</td>"
        mark = " " + escape(_("E"))
        cols.append(
            [
                not_available if b.wh is None else f"<td>{b.wh / 1000:,.3f}{mark if b.estimated else ''}</td>"
                for b in billed
            ]
        )
    if costs is not None:
        head.append(f'<th scope="col">{escape(_("Cost"))}</th>')
        cols.append(
            [
                '<td class="muted">—</td>' if t is None else f"<td>{compute.dollars_text(t)}</td>"
                for t in costs
            ]
        )
    rows = ["".join(cells) for cells in zip(*cols, strict=True)]
    body = "".join(
        f"<tr><th scope=row>{label}</th>{row}</tr>" for label, row in zip(labels, rows, strict=True)
    )
    return mark_safe(f"<thead><tr>{''.join(head)}</tr></thead><tbody>{body}</tbody>")  # noqa: S308


def _th(text: str) -> str:
    return f'<th scope="col">{escape(text)}</th>'


__all__ = ["UsageData", "interval_labels", "load_usage"]


# ------------------------------------------------------------------------------------------- summary


def _when(iso_start: str, iso_end: str) -> str:
    """ "Jul 3, 2025, 18:15–18:30 CDT" from two ISO instants with offsets."""
    from datetime import datetime

    from portal.charts import TZ_NAMES, _day_text

    a, b = datetime.fromisoformat(iso_start), datetime.fromisoformat(iso_end)
    ta = TZ_NAMES.get(int(a.utcoffset().total_seconds()), a.strftime("%z"))
    tb = TZ_NAMES.get(int(b.utcoffset().total_seconds()), b.strftime("%z"))
    span = f"{a:%H:%M}–{b:%H:%M} {tb}" if ta == tb else f"{a:%H:%M} {ta}–{b:%H:%M} {tb}"
    return f"{_day_text(a.date().isoformat())}, {span}"


def _fmt(value, unit: str, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f} {unit}".strip()


def _change(now, before) -> str | None:
    if now is None or before in (None, 0):
        return None
    pct = (now - before) / before * 100
    if abs(pct) < 0.05:
        return _("no change")
    return f"{'+' if pct > 0 else '−'}{abs(pct):.1f}%"


def summary_rows(
    summary: dict,
    previous: dict | None,
    *,
    has_generation: bool,
    last_year: dict | None = None,
    bill: RangeBill | None = None,
) -> list[dict]:
    """The figures beside the chart: this range, the previous equal one and the same days a year earlier
    (each row's ``year``; ``change``/``year_change`` only where like compares with like), with the cost."""
    rows = _summary_rows(summary, previous, has_generation=has_generation)
    if bill is not None:
        rows.insert(
            1,
            {
                "key": "cost",
                "label": _("Cost"),
                "now": compute.dollars_text(bill.now),
                "before": compute.dollars_text(bill.previous) if previous else None,
                "change": _change(bill.now, bill.previous) if _same_coverage(summary, previous) else None,
                "help": _(
                    "Cost: your plan’s energy charge and the TDU’s delivery charge on each kWh, plus the monthly "
                    "charges shared out by day. Taxes and fees are not included; energy sent to the grid is "
                    "not credited."
                ),
                "mark": "‡",
            },
        )
    if last_year is None:
        return rows
    year_rows = {
        r.get("key", r["label"]): r for r in _summary_rows(last_year, None, has_generation=has_generation)
    }
    same = _same_coverage(summary, last_year)
    mostly = _covered(summary) and _covered(last_year)
    for row in rows:
        key = row.get("key", row["label"])
        if key == "cost":
            row["year"] = compute.dollars_text(bill.last_year) if bill else None
            row["year_change"] = _change(bill.now, bill.last_year) if bill and same else None
            continue
        other = year_rows.get(key)
        if other is None:
            continue
        row["year"] = other["now"]
        row["year_note"] = other.get("now_note")
        if key in ("total", "generation"):
            row["year_change"] = _change(summary.get(_RAW[key]), last_year.get(_RAW[key])) if same else None
        elif key == "average":
            row["year_change"] = _change(summary.get(_RAW[key]), last_year.get(_RAW[key])) if mostly else None
    return rows


_RAW = {"total": "total_kwh", "average": "average_per_day_kwh", "generation": "generation_total_kwh"}


def _covered(x) -> bool:
    return bool(x) and x.get("days", 0) > 0 and x.get("days_with_data", 0) >= 0.9 * x["days"]


def _same_coverage(a: dict | None, b: dict | None) -> bool:
    """Totals compare only like with like: the same number of days, each with data on both sides."""
    if not a or not b:
        return False
    return a.get("days") == b.get("days") and a.get("days_with_data") == b.get("days_with_data")


def _summary_rows(summary: dict, previous: dict | None, *, has_generation: bool) -> list[dict]:
    def peak(s):
        if not s or not s.get("peak"):
            return "—", None
        p = s["peak"]
        return f"{p['kwh']:,.3f} kWh", _when(p["start"], p["end"])

    def share(s):
        v = s.get("estimated_share") if s else None
        if v is None:
            return "—"
        return _("under 0.1%") if 0 < v < 0.0005 else f"{v * 100:.1f}%"

    prev = previous or {}

    def covered(x) -> bool:
        return bool(x) and x.get("days", 0) > 0 and x.get("days_with_data", 0) >= 0.9 * x["days"]

    mostly_covered = covered(summary) and covered(previous)
    # Totals compare only like with like: the same number of days, each with data on both sides.
    same_coverage = bool(previous) and (
        prev.get("days") == summary.get("days")
        and prev.get("days_with_data") == summary.get("days_with_data")
    )
    rows = [
        {
            "key": "total",
            "label": _("Total used"),
            "now": _fmt(summary.get("total_kwh"), "kWh"),
            "before": _fmt(prev.get("total_kwh"), "kWh") if previous else None,
            "change": _change(summary.get("total_kwh"), prev.get("total_kwh")) if same_coverage else None,
        },
        {
            "key": "average",
            "label": _("Average per day"),
            "now": _fmt(summary.get("average_per_day_kwh"), "kWh"),
            "before": _fmt(prev.get("average_per_day_kwh"), "kWh") if previous else None,
            "change": _change(summary.get("average_per_day_kwh"), prev.get("average_per_day_kwh"))
            if mostly_covered
            else None,
        },
    ]
    now_peak, now_when = peak(summary)
    before_peak, before_when = peak(previous)
    rows.append(
        {
            "label": _("Peak 15 minutes"),
            "now": now_peak,
            "now_note": now_when,
            "before": before_peak if previous else None,
            "before_note": before_when,
        }
    )
    rows.append(
        {
            "label": _("Base load"),
            "now": _fmt(summary.get("base_load_kw"), "kW"),
            "before": _fmt(prev.get("base_load_kw"), "kW") if previous else None,
            "help": _(
                "Base load: what the home draws when nearly everything is off (the 5th percentile of "
                "15-minute demand)."
            )
            + (
                " "
                + _(
                    "With solar, only the 15-minute intervals in which the panels sent nothing to the grid count: "
                    "while they produce, the meter sees the home's use net of them."
                )
                if summary.get("base_load_basis") == "intervals_without_generation"
                else ""
            ),
            "mark": "*",
        }
    )
    if has_generation or summary.get("generation_total_kwh") is not None:
        rows.append(
            {
                "key": "generation",
                "label": _("Sent to the grid"),
                "now": _fmt(summary.get("generation_total_kwh"), "kWh"),
                "before": _fmt(prev.get("generation_total_kwh"), "kWh") if previous else None,
                "change": _change(summary.get("generation_total_kwh"), prev.get("generation_total_kwh"))
                if same_coverage
                else None,
            }
        )
    rows.append(
        {
            "label": _("Estimated by the utility"),
            "now": share(summary),
            "before": share(previous) if previous else None,
            "help": _(
                "Estimated: the share of 15-minute readings the utility estimated instead of reading them "
                "from the meter."
            ),
            "mark": "†",
        }
    )
    rows.append(
        {
            "label": _("Days with data"),
            "now": _("{count} of {days}").format(
                count=summary.get("days_with_data", 0), days=summary.get("days", 0)
            ),
            "before": _("{count} of {days}").format(
                count=prev.get("days_with_data", 0), days=prev.get("days", 0)
            )
            if previous
            else None,
        }
    )
    return rows
