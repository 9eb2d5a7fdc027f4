"""The usage page's URL state (portal/pages/state.py): presets, custom dates and window edges, without a DB."""

from __future__ import annotations

from datetime import date

import pytest

from portal.pages.data import summary_rows
from portal.pages.state import explain_window, parse_state, preset_range, preset_unavailable_reason

TODAY = date(2026, 3, 10)


def window(start, end=TODAY, period_start=None, period_end=None):
    return explain_window(start, end, period_start=period_start, period_end=period_end, today=TODAY)


@pytest.fixture
def full():
    return window(date(2024, 3, 10))


def test_presets_end_yesterday_and_this_month_today(full):
    assert preset_range("yesterday", full, TODAY) == (date(2026, 3, 9), date(2026, 3, 9))
    assert preset_range("7d", full, TODAY) == (date(2026, 3, 3), date(2026, 3, 9))
    assert preset_range("month", full, TODAY) == (date(2026, 3, 1), TODAY)
    assert preset_range("12m", full, TODAY) == (date(2025, 3, 10), date(2026, 3, 9))  # 365 days: a whole year
    assert preset_range("window", full, TODAY) == (full.start, TODAY)


def test_a_new_occupant_has_no_yesterday_and_is_told_why():
    w = window(TODAY, period_start=TODAY)
    assert preset_range("yesterday", w, TODAY) is None
    reason = preset_unavailable_reason("yesterday", w, TODAY)
    assert "before your access begins" in reason and "move-in" in reason
    state = parse_state({}, [w], TODAY)
    assert (state.start, state.end) == (TODAY, TODAY)


def test_a_former_occupant_presets_end_at_the_move_out():
    w = window(
        date(2025, 1, 1), date(2026, 2, 27), period_start=date(2025, 1, 1), period_end=date(2026, 2, 28)
    )
    assert "move-out" in w.end_reason and "Feb 28, 2026" in w.end_reason
    assert preset_range("7d", w, TODAY) == (date(2026, 2, 21), date(2026, 2, 27))
    assert preset_range("yesterday", w, TODAY) is None
    state = parse_state({"start": "2026-02-20", "end": "2026-03-05", "granularity": "day"}, [w], TODAY)
    assert state.end == date(2026, 2, 27)
    assert any("out of reach" in e and "move-out" in e for e in state.errors)


def test_the_window_floor_explains_itself(full, settings):
    assert "24 months" in full.start_reason
    state = parse_state({"start": "2024-01-01", "end": "2024-04-01"}, [full], TODAY)
    assert state.start == full.start
    assert any("24 months" in e for e in state.errors)


def test_several_occupancies_pick_the_one_asked_for():
    first = window(
        date(2024, 6, 1), date(2024, 12, 31), period_start=date(2024, 6, 1), period_end=date(2025, 1, 1)
    )
    second = window(date(2025, 6, 1), period_start=date(2025, 6, 1))
    state = parse_state({"start": "2024-07-01", "end": "2024-07-31"}, [first, second], TODAY)
    assert state.window is first and state.multi_window
    assert "period=0" in state.query()
    assert parse_state({}, [first, second], TODAY).window is second
    assert parse_state({"period": "0", "preset": "window"}, [first, second], TODAY).end == date(2024, 12, 31)


def test_granularity_defaults_follow_the_range(full):
    assert parse_state({"preset": "yesterday"}, [full], TODAY).granularity == "15min"
    assert parse_state({"preset": "12m"}, [full], TODAY).granularity == "month"
    assert parse_state({"start": "2026-02-01", "end": "2026-02-28"}, [full], TODAY).granularity == "day"
    long = parse_state({"preset": "12m", "granularity": "15min"}, [full], TODAY)
    assert long.granularity == "day" and long.requested_granularity == "15min" and long.notices


def test_changes_are_shown_only_for_comparable_periods():
    now = {"days": 7, "days_with_data": 7, "total_kwh": 110.0, "average_per_day_kwh": 15.714}
    before = {"days": 7, "days_with_data": 7, "total_kwh": 100.0, "average_per_day_kwh": 14.286}
    rows = {r["label"]: r for r in summary_rows(now, before, has_generation=False)}
    assert rows["Total used"]["change"] == "+10.0%"
    sparse = {**before, "days_with_data": 1, "total_kwh": 14.0, "average_per_day_kwh": 14.0}
    rows = {r["label"]: r for r in summary_rows(now, sparse, has_generation=False)}
    assert rows["Total used"]["change"] is None and rows["Average per day"]["change"] is None
    rows = {r["label"]: r for r in summary_rows(now, None, has_generation=False)}
    assert rows["Total used"]["before"] is None


def test_plotly_finder_lists_the_bundled_file_for_collectstatic():
    from portal.staticfinders import PUBLIC_PATH, PlotlyFinder

    finder = PlotlyFinder()
    assert finder.check() == []
    [(path, storage)] = list(finder.list([]))
    assert path == PUBLIC_PATH == "js/plotly.min.js"
    with storage.open(path) as fh:
        head = fh.read(200)
    assert b"plotly.js v" in head
    assert finder.find("js/other.js") is None


def test_collectstatic_with_the_production_storage_includes_plotly(tmp_path, settings):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    names = {p.name for p in (tmp_path / "js").iterdir()}
    assert "plotly.min.js" in names
    assert any(n.startswith("plotly.min.") and n.endswith(".js") and n != "plotly.min.js" for n in names)


def test_a_range_wholly_before_the_window_moves_to_the_nearest_dates_in_reach_and_says_so(full):
    state = parse_state({"start": "2023-01-01", "end": "2023-01-10"}, [full], TODAY)
    assert (state.start, state.end) == (
        full.start,
        date(2024, 3, 19),
    )  # the same 10 days, at the window's start
    (message,) = [e for e in state.errors if "wholly out of reach" in e]
    assert "Jan 1, 2023 – Jan 10, 2023" in message and "Mar 10, 2024 – Mar 19, 2024" in message
    assert "24 months" in message


def test_a_range_wholly_after_a_move_out_moves_to_its_last_days_and_says_so():
    w = window(
        date(2025, 1, 1), date(2026, 2, 27), period_start=date(2025, 1, 1), period_end=date(2026, 2, 28)
    )
    state = parse_state({"start": "2026-03-01", "end": "2026-03-07"}, [w], TODAY)
    assert (state.start, state.end) == (date(2026, 2, 21), date(2026, 2, 27))
    assert any("wholly out of reach" in e and "move-out" in e for e in state.errors)
    assert w.moved_out_on == date(2026, 2, 28)  # one move-out date: the one the page says everywhere
