"""The customer's own window: [max(period start, today − N months), min(move-out − 1 day, today)]."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from portal.access_window import (
    DateRange,
    customer_premises,
    customer_windows,
    months_before,
    period_window,
)
from portal.accounts.services import premise_registration_create
from portal.services import service_period_move_in, service_period_move_out

User = get_user_model()
# Every date in this module is fixed: each call passes ``today=`` explicitly, and the occupancy is its own.
TODAY = date(2026, 11, 27)


@pytest.fixture
def period(premise, rep):
    """Alice's occupancy: moved in on 2024-03-01, still there."""
    return service_period_move_in(premise=premise, rep=rep, starts_on=date(2024, 3, 1))


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", "alice@example.com", "x" * 12)


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", "bob@example.com", "x" * 12)


def register(user, period):
    return premise_registration_create(user=user, period=period, notify=False)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 27), 24, date(2024, 11, 27)),
        (date(2026, 3, 31), 13, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 1, 31), 13, date(2024, 12, 31)),
    ],
)
def test_months_before_clamps_to_the_month_end(day, months, expected):
    assert months_before(day, months) == expected


def test_window_is_the_occupancy_cut_by_the_access_window(alice, period, settings):
    settings.ACCESS_WINDOW_MONTHS = 24
    register(alice, period)  # moved in 2024-03-01, still there
    assert customer_windows(user=alice, premise=period.premise, today=TODAY) == [
        DateRange(date(2024, 11, 27), TODAY)
    ]
    # Recent move-in: the window starts at the move-in, not before.
    assert customer_windows(user=alice, premise=period.premise, today=date(2025, 1, 10)) == [
        DateRange(date(2024, 3, 1), date(2025, 1, 10))
    ]
    # On the move-in day itself: one day.
    assert customer_windows(user=alice, premise=period.premise, today=date(2024, 3, 1)) == [
        DateRange(date(2024, 3, 1), date(2024, 3, 1))
    ]
    # The setting applies to everyone.
    settings.ACCESS_WINDOW_MONTHS = 13
    assert customer_windows(user=alice, premise=period.premise, today=TODAY)[0].start == date(2025, 10, 27)


def test_move_out_ends_the_window_the_day_before_and_the_new_occupant_sees_nothing_earlier(
    alice, bob, period, rep
):
    register(alice, period)
    new = service_period_move_in(premise=period.premise, rep=rep, starts_on=date(2025, 6, 1))
    register(bob, new)
    today = date(2025, 9, 1)
    assert customer_windows(user=alice, premise=period.premise, today=today) == [
        DateRange(date(2024, 3, 1), date(2025, 5, 31))
    ]
    assert customer_windows(user=bob, premise=period.premise, today=today) == [
        DateRange(date(2025, 6, 1), date(2025, 9, 1))
    ]
    alice_w = customer_windows(user=alice, premise=period.premise, today=today)[0]
    bob_w = customer_windows(user=bob, premise=period.premise, today=today)[0]
    assert date(2025, 5, 31) in alice_w and date(2025, 5, 31) not in bob_w
    assert date(2025, 6, 1) in bob_w and date(2025, 6, 1) not in alice_w


def test_former_occupant_loses_the_period_once_it_leaves_the_access_window(alice, period, settings):
    settings.ACCESS_WINDOW_MONTHS = 13
    register(alice, period)
    service_period_move_out(premise=period.premise, ends_on=date(2024, 9, 1))
    # The window floor (13 months back) passes the move-out date: nothing left.
    assert customer_windows(user=alice, premise=period.premise, today=date(2025, 10, 1)) == []
    # The last day left: floor == move-out − 1.
    assert customer_windows(user=alice, premise=period.premise, today=date(2025, 9, 30)) == [
        DateRange(date(2024, 8, 30), date(2024, 8, 31))
    ]


def test_move_out_today_excludes_today(alice, period):
    register(alice, period)
    service_period_move_out(premise=period.premise, ends_on=TODAY)
    assert customer_windows(user=alice, premise=period.premise, today=TODAY)[0].end == date(2026, 11, 26)


def test_future_move_in_and_unregistered_accounts_see_nothing(alice, bob, period, rep):
    later = service_period_move_in(premise=period.premise, rep=rep, starts_on=date(2027, 1, 1))
    register(alice, later)
    assert customer_windows(user=alice, premise=period.premise, today=TODAY) == []
    assert customer_windows(user=bob, premise=period.premise, today=TODAY) == []
    assert customer_windows(user=None, premise=period.premise, today=TODAY) == []


def test_an_account_registered_in_two_occupancies_gets_two_windows(alice, bob, period, rep):
    register(alice, period)
    middle = service_period_move_in(premise=period.premise, rep=rep, starts_on=date(2025, 3, 1))
    register(bob, middle)
    back = service_period_move_in(premise=period.premise, rep=rep, starts_on=date(2025, 9, 1))
    register(alice, back)
    windows = customer_windows(user=alice, premise=period.premise, today=date(2025, 10, 1))
    assert windows == [
        DateRange(date(2024, 3, 1), date(2025, 2, 28)),
        DateRange(date(2025, 9, 1), date(2025, 10, 1)),
    ]
    assert not any(date(2025, 5, 1) in w for w in windows)  # bob's months stay bob's


def test_household_members_share_the_period_window(alice, bob, period):
    register(alice, period)
    register(bob, period)
    assert customer_windows(user=alice, premise=period.premise, today=TODAY) == customer_windows(
        user=bob, premise=period.premise, today=TODAY
    )


def test_customer_premises_lists_current_then_past(alice, period, another_premise, rep):
    register(alice, period)
    other = service_period_move_in(premise=another_premise, rep=rep, starts_on=date(2023, 1, 1))
    register(alice, other)
    service_period_move_out(premise=another_premise, ends_on=date(2024, 3, 1))
    items = customer_premises(user=alice, today=date(2025, 1, 1))
    assert [(cp.premise.esiid, cp.is_current) for cp in items] == [
        (period.premise.esiid, True),
        (another_premise.esiid, False),
    ]
    assert items[1].moved_out_on == date(2024, 3, 1)
    assert items[1].windows == [DateRange(date(2023, 1, 1), date(2024, 2, 29))]
    assert items[0].moved_out_on is None
    assert customer_premises(user=None) == []


def test_period_window_and_date_range_helpers(period):
    assert period_window(period, date(2024, 2, 1)) is None  # before the move-in
    rng = DateRange(date(2025, 1, 1), date(2025, 1, 31))
    assert rng.days == 31
    with pytest.raises(ValueError, match="empty range"):
        DateRange(date(2025, 1, 2), date(2025, 1, 1))
