"""Plotly figures of a usage series, built in Python as plain JSON-ready dicts (no plotly import at runtime).

What the seed's graph got wrong and this one does instead:
- hover anywhere over the plot (``hovermode="x"``, ``hoverdistance=-1``) shows the interval's local start and
  end with its time zone and the kWh to 3 decimals; a spike line marks the interval under the pointer;
- consumption and surplus generation are separate series; estimated values are separate traces, hatched in
  another colour and named in the legend; a day, month or billing period draws its estimated part stacked on
  its measured part, in proportion, with the percentage in the hover (1% estimated is a sliver, not a
  wholly hatched bar);
- bars span their period, and the x axis is set to exactly the range shown, so a 13-month chart fills the
  plot instead of huddling in the middle; a range slider appears on long ranges.

The data is compact: ``x`` as short local date strings, ``y`` as numbers (or null), one array per trace, and
the hover labels once in ``labels`` (``static/js/usage.js`` copies them into each trace's ``customdata``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import numpy as np
from django.utils import dateformat
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from usage.reads.aggregate import utc_offsets
from usage.timegrid import MARKET_TZ, day_bounds_utc

TZ_NAMES = {-18000: "CDT", -21600: "CST"}
COLORS = {
    "consumption": "#0b5cad",
    "consumption_est": "#b25e00",
    "generation": "#1f7a3f",
    "generation_est": "#7a6a00",
}
BAR_GRANULARITIES = ("day", "month", "billing")
RANGE_SLIDER_MIN_POINTS = {"15min": 8 * 96, "hour": 15 * 24, "day": 93, "month": 1000, "billing": 1000}
GRANULARITY_NAMES = {
    "15min": "15-minute",
    "hour": "hourly",
    "day": "daily",
    "month": "monthly",
    "billing": "billing-period",
}


@dataclass(frozen=True)
class Points:
    """Intervals of one chart: local labels and positions, plus both channels' kWh (NaN = no value)."""

    starts: np.ndarray  # int64 Unix seconds
    ends: np.ndarray  # int64 Unix seconds
    consumption: np.ndarray  # float64 kWh, NaN where null
    consumption_est: np.ndarray  # bool
    generation: np.ndarray  # float64 kWh, NaN where null
    generation_est: np.ndarray  # bool
    consumption_est_kwh: np.ndarray | None = (
        None  # float64: the estimated part of each value (None: all of it)
    )
    generation_est_kwh: np.ndarray | None = None


def _est_kwh(series) -> np.ndarray | None:
    est_wh = getattr(series, "estimated_wh", None)
    return None if est_wh is None else np.asarray(est_wh, dtype=np.float64) / 1000.0


def points_from_series(consumption, generation) -> Points:
    """From two ``usage.reads.aggregate.Series`` of the same intervals."""
    return Points(
        starts=np.asarray(consumption.starts, dtype=np.int64),
        ends=np.asarray(consumption.ends, dtype=np.int64),
        consumption=consumption.kwh(),
        consumption_est=np.asarray(consumption.estimated, dtype=bool),
        generation=generation.kwh(),
        generation_est=np.asarray(generation.estimated, dtype=bool),
        consumption_est_kwh=_est_kwh(consumption),
        generation_est_kwh=_est_kwh(generation),
    )


# ------------------------------------------------------------------------------------------- local time


def local_minutes(epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """("YYYY-MM-DD HH:MM" local wall-clock strings, UTC offsets in seconds) of Unix seconds."""
    epochs = np.asarray(epochs, dtype=np.int64)
    if epochs.size == 0:
        return np.zeros(0, dtype="U16"), np.zeros(0, dtype=np.int64)
    offs = utc_offsets(epochs)
    # "YYYY-MM-DDTHH:MM": plotly reads the "T" form as a date too, and slicing below does not care.
    return np.datetime_as_string((epochs + offs).astype("datetime64[s]"), unit="m"), offs


def _day_text(ymd: str) -> str:
    """ "Tue Jul 1, 2025" (Spanish "mar 1 jul 2025"), in the active language."""
    return _day_text_in(ymd, get_language())


@lru_cache(maxsize=4096)
def _day_text_in(ymd: str, language: str) -> str:
    d = datetime(int(ymd[:4]), int(ymd[5:7]), int(ymd[8:10]), tzinfo=UTC)
    return dateformat.format(d, pgettext("date format", "D M j, Y"))


def _short_day(ymd: str) -> str:
    return _short_day_in(ymd, get_language())


@lru_cache(maxsize=4096)
def _short_day_in(ymd: str, language: str) -> str:
    d = datetime(int(ymd[:4]), int(ymd[5:7]), int(ymd[8:10]), tzinfo=UTC)
    return dateformat.format(d, pgettext("date format", "M j, Y"))


def interval_labels(starts: np.ndarray, ends: np.ndarray, granularity: str) -> list[str]:
    """Human labels "Tue Jul 1, 2025, 00:15–00:30 CDT" of every interval, in local time with its zone."""
    if len(starts) == 0:
        return []
    s_text, s_off = local_minutes(starts)
    e_text, e_off = local_minutes(ends)
    s_list, e_list = s_text.tolist(), e_text.tolist()
    s_tz = [TZ_NAMES.get(o) or _offset(o) for o in s_off.tolist()]
    e_tz = [TZ_NAMES.get(o) or _offset(o) for o in e_off.tolist()]
    days: dict[str, str] = {}
    out = []
    if granularity in ("15min", "hour"):
        for s, e, stz, etz in zip(s_list, e_list, s_tz, e_tz, strict=True):
            day = days.get(s[:10]) or days.setdefault(s[:10], _day_text(s[:10]))
            if stz == etz:
                out.append(f"{day}, {s[11:]}–{e[11:]} {stz}")
            else:
                out.append(f"{day}, {s[11:]} {stz}–{e[11:]} {etz}")
        return out
    hours = ((np.asarray(ends) - np.asarray(starts)) // 3600).tolist()
    span = _("{start} {start_time} {start_zone} to {end} {end_time} {end_zone}")
    dst = _(" ({hours} hours: daylight saving time)")
    month_format = pgettext("date format", "F Y")
    billing = _("Billing period {span}")
    for s, e, stz, etz, h in zip(s_list, e_list, s_tz, e_tz, hours, strict=True):
        start_day = _day_text(s[:10]) + "," if granularity == "day" else _short_day(s[:10])
        text = span.format(
            start=start_day,
            start_time=s[11:],
            start_zone=stz,
            end=_short_day(e[:10]),
            end_time=e[11:],
            end_zone=etz,
        )
        if granularity == "day":
            out.append(text + ("" if h == 24 else dst.format(hours=h)))
        elif granularity == "month":
            month = datetime(int(s[:4]), int(s[5:7]), 1, tzinfo=UTC)
            out.append(f"{dateformat.format(month, month_format)}: {text}")
        else:
            out.append(billing.format(span=text))
    return out


def day_intervals(day: date, step: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(labels, bar centres) of one local day's 15-minute or hourly intervals, computed once per process and
    language.

    A day has 92, 96 or 100 quarter-hours in absolute time; the labels tell the repeated hour apart by zone."""
    return _day_intervals_in(day, step, get_language())


@lru_cache(maxsize=4096)
def _day_intervals_in(day: date, step: int, language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    start, end = day_bounds_utc(day)
    s0, n = int(start.timestamp()), int((end - start).total_seconds()) // step
    labels, centres = [], []
    prefix = _day_text(day.isoformat())
    for i in range(n):
        a = datetime.fromtimestamp(s0 + i * step, tz=MARKET_TZ)
        b = datetime.fromtimestamp(s0 + (i + 1) * step, tz=MARKET_TZ)
        m = datetime.fromtimestamp(s0 + i * step + step // 2, tz=MARKET_TZ)
        ta, tb = a.tzname(), b.tzname()
        if ta == tb:
            labels.append(f"{prefix}, {a:%H:%M}–{b:%H:%M} {tb}")
        else:
            labels.append(f"{prefix}, {a:%H:%M} {ta}–{b:%H:%M} {tb}")
        centres.append(f"{m:%Y-%m-%d %H:%M:%S}")
    return tuple(labels), tuple(centres)


def range_intervals(days, granularity: str) -> tuple[list[str], list[str]]:
    """Labels and bar centres of every 15-minute or hourly interval of consecutive local days."""
    step = 900 if granularity == "15min" else 3600
    labels: list[str] = []
    centres: list[str] = []
    for d in days:
        lab, cen = day_intervals(d, step)
        labels.extend(lab)
        centres.extend(cen)
    return labels, centres


def _offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"UTC{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"


# --------------------------------------------------------------------------------------------- figure


def _values(kwh: np.ndarray, mask: np.ndarray) -> list:
    """kWh rounded to 3 decimals where ``mask``, else None (a gap)."""
    vals = np.round(kwh, 3)
    keep = mask & ~np.isnan(vals)
    return [v if k else None for v, k in zip(vals.tolist(), keep.tolist(), strict=True)]


def _trace(name, x, y, color, *, hatched, width, offset, legendgroup, kind_text) -> dict:
    trace = {
        "type": "bar",
        "name": name,
        "x": x,
        "y": y,
        "width": width,
        "offset": offset,
        "marker": {"color": color, "line": {"width": 0}},
        "hovertemplate": f"<b>%{{customdata}}</b><br>{kind_text}: %{{y:.3f}} kWh<extra></extra>",
        "meta": "labels",
    }
    if hatched:
        trace["marker"]["pattern"] = {
            "shape": "/",
            "fillmode": "overlay",
            "fgcolor": "#ffffff",
            "size": 6,
            "solidity": 0.35,
        }
    return trace


def _stacked(name, kind, key, x, values, shown_est, est_kwh, *, width, offset) -> list[dict]:
    """A partly estimated aggregate: its measured part, with the estimated part stacked on it (``base``).

    The hover of the measured bar gives the whole value and the estimated share ("31.234 kWh, 1.1%
    estimated"); the estimated bar's hover gives its own kWh."""
    total = np.round(values, 3)
    part = np.where(shown_est, np.round(est_kwh, 3), 0.0)
    measured = np.round(total - part, 3)
    pct = np.divide(part * 100.0, total, out=np.zeros_like(part), where=total > 0)
    has = ~np.isnan(total)
    estimated_share = _("{kwh} kWh, {percent} estimated")
    texts = [
        (estimated_share.format(kwh=f"{t:.3f}", percent=_percent(p)) if e else f"{t:.3f} kWh") if h else ""
        for t, p, e, h in zip(total.tolist(), pct.tolist(), shown_est.tolist(), has.tolist(), strict=True)
    ]
    base = _trace(
        name,
        x,
        _values(measured, has),
        COLORS[key],
        hatched=False,
        width=width,
        offset=offset,
        legendgroup=key,
        kind_text=kind,
    )
    base["text"] = texts
    base["textposition"] = "none"
    base["hovertemplate"] = f"<b>%{{customdata}}</b><br>{kind}: %{{text}}<extra></extra>"
    est = _trace(
        _("{name}, estimated part").format(name=name),
        x,
        _values(part, shown_est & (part > 0)),
        COLORS[f"{key}_est"],
        hatched=True,
        width=width,
        offset=offset,
        legendgroup=key,
        kind_text=_("{name}, estimated part").format(name=kind),
    )
    est["base"] = _values(measured, shown_est & (part > 0))
    return [base, est]


def _percent(p: float) -> str:
    """1.1%, 0.3%, 100%: one decimal under 10%, whole numbers above; never "0%" for a part that exists."""
    if p >= 10:
        return f"{p:.0f}%"
    return f"{max(p, 0.1):.1f}%"


def _scaled(widths, factor: float):
    if isinstance(widths, list):
        return [round(w * factor) for w in widths]
    return round(widths * factor)


def usage_figure(points: Points, *, granularity: str, range_start: str, range_end: str, days=None) -> dict:
    """The chart of one range: ``{"data": [...], "layout": {...}, "config": {...}, "labels": [...]}``.

    ``range_start``/``range_end`` are local "YYYY-MM-DD HH:MM" bounds of the x axis (the whole range).
    Every bar is placed explicitly: centred on its interval, as wide as the interval allows (a 25-hour day,
    a 31-day month); with generation, consumption takes the left half of the slot and generation the right.
    """
    n = len(points.starts)
    durations_ms = (points.ends - points.starts) * 1000
    labels = None
    if days is not None and granularity in ("15min", "hour"):
        labels, x = range_intervals(days, granularity)  # cached per day
        assert len(x) == n, "the series must cover whole days"
    else:
        mid = points.starts + (points.ends - points.starts) // 2
        x = local_minutes_seconds(mid)[0].tolist()
    fill = {"15min": 0.92, "hour": 0.9, "day": 0.8, "month": 0.86, "billing": 0.9}[granularity]
    if granularity in ("15min", "hour", "day"):
        nominal = {"15min": 900_000, "hour": 3_600_000, "day": 86_400_000}[granularity]
        slot = nominal * fill
    else:
        slot = [round(float(d) * fill) for d in durations_ms.tolist()]

    has_gen = bool(np.any(~np.isnan(points.generation)))
    # An aggregate is estimated when any of its readings is: say "includes estimates" for days and months.
    partly = granularity not in ("15min", "hour")
    est_name = _("includes estimated reads") if partly else _("estimated")
    est_c = points.consumption_est & ~np.isnan(points.consumption)
    est_g = points.generation_est & ~np.isnan(points.generation)
    if has_gen:
        c_width, g_width = _scaled(slot, 0.5), _scaled(slot, 0.5)
        c_offset, g_offset = _scaled(slot, -0.5), 0
    else:
        c_width, c_offset = _scaled(slot, 1.0), _scaled(slot, -0.5)
        g_width = g_offset = None
    channels = [
        (
            _("Consumption"),
            _("Consumption"),
            "consumption",
            points.consumption,
            points.consumption_est,
            est_c,
            points.consumption_est_kwh,
        )
    ]
    widths = [(c_width, c_offset)]
    if has_gen:
        channels.append(
            (
                _(
                    "Sent to the grid"
                ),  # one name for exported energy on every page (legend, hover, table, cards)
                _("Sent to the grid"),
                "generation",
                points.generation,
                points.generation_est,
                est_g,
                points.generation_est_kwh,
            )
        )
        widths.append((g_width, g_offset))
    traces = []
    for (name, kind, key, values, est, shown_est, est_kwh), (width, offset) in zip(
        channels, widths, strict=True
    ):
        if partly and est_kwh is not None and shown_est.any():
            traces.extend(
                _stacked(name, kind, key, x, values, shown_est, est_kwh, width=width, offset=offset)
            )
            continue
        traces.append(
            _trace(
                name,
                x,
                _values(values, ~est),
                COLORS[key],
                hatched=False,
                width=width,
                offset=offset,
                legendgroup=key,
                kind_text=kind,
            )
        )
        if shown_est.any():
            traces.append(
                _trace(
                    f"{name}, {est_name}",
                    x,
                    _values(values, est),
                    COLORS[f"{key}_est"],
                    hatched=True,
                    width=width,
                    offset=offset,
                    legendgroup=key,
                    kind_text=f"{kind} ({est_name})",
                )
            )

    xaxis = {
        "type": "date",
        "range": [range_start, range_end],
        "showspikes": True,
        "spikemode": "across",
        "spikesnap": "hovered data",
        "spikethickness": 1,
        "spikedash": "solid",
        "spikecolor": "#4d5766",
        **date_formats(granularity),
        "showgrid": False,
        "linecolor": "#8a94a3",
        "ticks": "outside",
        "automargin": True,
        "nticks": 8,
    }
    if granularity == "month" and n:
        xaxis["dtick"] = "M1" if n <= 7 else ("M2" if n <= 14 else "M3")
    if n >= RANGE_SLIDER_MIN_POINTS[granularity]:
        xaxis["rangeslider"] = {"visible": True, "thickness": 0.08, "bgcolor": "#eef2f7"}
    layout = {
        "barmode": "overlay",
        "hovermode": "x",
        "hoverdistance": -1,
        "spikedistance": -1,
        "hoverlabel": {
            "bgcolor": "#ffffff",
            "bordercolor": "#1b2330",
            "font": {"color": "#1b2330", "size": 13},
        },
        "margin": {"l": 52, "r": 12, "t": 8, "b": 36},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {
            "family": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
            "size": 13,
            "color": "#1b2330",
        },
        "legend": {"orientation": "h", "x": 0, "y": 1.03, "yanchor": "bottom", "xanchor": "left"},
        "xaxis": xaxis,
        "yaxis": {
            "title": {"text": "kWh"},
            "rangemode": "tozero",
            "gridcolor": "#e3e8ef",
            "zerolinecolor": "#8a94a3",
            "fixedrange": True,
            "automargin": True,
        },
        "showlegend": True,
    }
    config = chart_config()
    return {
        "data": traces,
        "layout": layout,
        "config": config,
        "labels": labels if labels is not None else interval_labels(points.starts, points.ends, granularity),
    }


# d3 time formats of the x axis' ticks and hover, per granularity ("portfolio-*": the portfolio chart). English
# puts the month first ("Dec 5") and leaves the hover to plotly; Spanish reads day first ("5 dic", "5 dic 2026").
DATE_FORMATS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "15min": {"tickformat": "%H:%M<br>%b %-d"},
        "hour": {"tickformat": "%H:%M<br>%b %-d"},
        "day": {"tickformat": "%b %-d"},
        "month": {"tickformat": "%b<br>%Y"},
        "billing": {"tickformat": "%b %-d<br>%Y"},
        "portfolio-day": {"tickformat": "%b %-d"},
        "portfolio-month": {"tickformat": "%b %Y"},
    },
    "es": {
        "15min": {"tickformat": "%H:%M<br>%-d %b", "hoverformat": "%-d %b %Y, %H:%M"},
        "hour": {"tickformat": "%H:%M<br>%-d %b", "hoverformat": "%-d %b %Y, %H:%M"},
        "day": {"tickformat": "%-d %b", "hoverformat": "%-d %b %Y"},
        "month": {"tickformat": "%b<br>%Y", "hoverformat": "%b %Y"},
        "billing": {"tickformat": "%-d %b<br>%Y", "hoverformat": "%-d %b %Y"},
        "portfolio-day": {"tickformat": "%-d %b", "hoverformat": "%-d %b %Y"},
        "portfolio-month": {"tickformat": "%b %Y", "hoverformat": "%b %Y"},
    },
}


def date_formats(granularity: str) -> dict[str, str]:
    """The x axis' ``tickformat`` (and ``hoverformat``) for ``granularity`` in the active language's word order;
    plotly's own defaults put the month first whatever the locale."""
    language = (get_language() or "en").split("-")[0]
    return dict(DATE_FORMATS.get(language, DATE_FORMATS["en"])[granularity])


def chart_config() -> dict:
    """Plotly's config for every portal chart: responsive, no logo or zoom by wheel, in the page's locale."""
    return {
        "responsive": True,
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"],
        **plotly_locale(),
    }


def plotly_locale() -> dict:
    """Plotly's ``locale`` and ``locales`` config for the active language: month and day names of the axis
    ticks and the modebar's words, from Django's own translations (no plotly locale file, no CDN)."""
    language = get_language() or "en"
    if language.startswith("en"):
        return {}
    months = [str(MONTHS[m]) for m in range(1, 13)]
    days = [str(WEEKDAYS[d]) for d in (6, 0, 1, 2, 3, 4, 5)]  # d3 weeks start on Sunday
    return {
        "locale": language,
        "locales": {
            language: {
                "dictionary": {
                    "Zoom in": _("Zoom in"),
                    "Zoom out": _("Zoom out"),
                    "Reset axes": _("Reset axes"),
                    "Pan": _("Pan"),
                    "Zoom": _("Zoom"),
                    "Double-click to zoom back out": _("Double-click to zoom back out"),
                },
                "format": {
                    "days": days,
                    "shortDays": [str(WEEKDAYS_ABBR[d]) for d in (6, 0, 1, 2, 3, 4, 5)],
                    "months": months,
                    "shortMonths": [str(MONTHS_3[m]) for m in range(1, 13)],
                    "decimal": get_format("DECIMAL_SEPARATOR"),
                    "thousands": get_format("THOUSAND_SEPARATOR"),
                    "date": "%d/%m/%Y",
                },
            }
        },
    }


def local_minutes_seconds(epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`local_minutes` with seconds ("YYYY-MM-DD HH:MM:SS"), for bar centres."""
    epochs = np.asarray(epochs, dtype=np.int64)
    if epochs.size == 0:
        return np.zeros(0, dtype="U19"), np.zeros(0, dtype=np.int64)
    offs = utc_offsets(epochs)
    return np.datetime_as_string((epochs + offs).astype("datetime64[s]"), unit="s"), offs


OVERLAY_COLOR = "#1b2330"


def add_last_year(fig: dict, kwh: list, labels: list[str], name: str) -> None:
    """Overlay last year's kWh as a dashed line with markers over this range's bars (same x positions);
    its hover names the year-earlier interval."""
    x = fig["data"][0]["x"] if fig["data"] else []
    fig["data"].append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": x,
            "y": kwh,
            "customdata": labels,
            "connectgaps": False,
            "line": {"color": OVERLAY_COLOR, "width": 2, "dash": "dash"},
            "marker": {"color": OVERLAY_COLOR, "size": 5},
            "hovertemplate": "%{customdata}: %{y:.3f} kWh<extra>" + name + "</extra>",
            "meta": "last_year",
        }
    )


def add_bill_costs(fig: dict, y: list, texts: list[str], name: str) -> None:
    """The cost of each interval in the hover: an invisible trace at the consumption bar's top (no legend
    entry; the data table holds the same figures)."""
    x = fig["data"][0]["x"] if fig["data"] else []
    fig["data"].append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "x": x,
            "y": y,
            "text": texts,
            "marker": {"opacity": 0, "size": 1},
            "showlegend": False,
            "hovertemplate": name + ": %{text}<extra></extra>",
            "meta": "bill",
        }
    )
