"""Service periods: who occupies a premise when, move-in, move-out, the REP of record, and the admin form."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.codes import code_encrypt, code_generate
from portal.models import Rep, ServicePeriod
from portal.selectors import service_period_current, service_period_for_code
from portal.services import (
    rep_create,
    service_period_move_in,
    service_period_move_out,
    service_period_switch_rep,
)
from portal.signals import service_period_ended
from usage.services import premise_create, tdus_ensure


@pytest.fixture
def premise(db):
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    return premise_create(
        tdu=oncor, esiid="10443720000000001", address_line1="1 Oak St", city="Dallas", zip_code="75201"
    )


@pytest.fixture
def reliant(db):
    return rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")


@pytest.fixture
def txu(db):
    return rep_create(legal_name="TXU Energy Retail Company LLC", puct_certificate="10004")


def _messages(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def _snapshot():
    return list(
        ServicePeriod.objects.order_by("pk").values_list("pk", "ends_on", "registration_code_encrypted")
    )


def test_move_in_starts_an_open_period_with_a_code(premise, reliant):
    period = service_period_move_in(
        premise=premise, rep=reliant, starts_on=date(2024, 3, 1), occupant_name="Ana"
    )
    assert period.is_open
    assert period.rep == reliant
    assert service_period_current(premise) == period
    assert len(period.registration_code) >= 8
    assert service_period_for_code(premise=premise, code=period.registration_code) == period


def test_move_in_ends_the_previous_period_and_its_code_stops_working(
    premise, reliant, txu, django_capture_on_commit_callbacks
):
    first = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    old_code = first.registration_code
    ended = []
    service_period_ended.connect(
        lambda sender, period, **kw: ended.append(period.pk), weak=False, dispatch_uid="t1"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            second = service_period_move_in(premise=premise, rep=txu, starts_on=date(2025, 7, 15))
    finally:
        service_period_ended.disconnect(dispatch_uid="t1")
    first.refresh_from_db()
    assert first.ends_on == date(2025, 7, 15)
    assert first.ended_at is not None
    assert not first.is_open
    assert ended == [first.pk]
    assert service_period_current(premise) == second
    assert service_period_for_code(premise=premise, code=old_code) is None
    assert service_period_for_code(premise=premise, code=second.registration_code) == second
    assert second.registration_code != old_code


def test_move_out_ends_the_open_period(premise, reliant):
    period = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    code = period.registration_code
    ended = service_period_move_out(premise=premise, ends_on=date(2024, 9, 30))
    assert ended.pk == period.pk
    period.refresh_from_db()
    assert period.ends_on == date(2024, 9, 30)
    assert service_period_current(premise) is None
    assert service_period_for_code(premise=premise, code=code) is None


def test_move_in_after_a_move_out_on_the_same_day_is_fine(premise, reliant, txu):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    service_period_move_out(premise=premise, ends_on=date(2024, 9, 30))
    new = service_period_move_in(premise=premise, rep=txu, starts_on=date(2024, 9, 30))
    assert service_period_current(premise) == new
    assert premise.service_periods.count() == 2


@pytest.mark.parametrize("starts_on", [date(2024, 3, 1), date(2023, 12, 31)])
def test_move_in_dated_on_or_before_the_current_start_is_refused_and_changes_nothing(
    premise, reliant, txu, starts_on
):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        service_period_move_in(premise=premise, rep=txu, starts_on=starts_on)
    assert "must be after the current occupant's move-in (03/01/2024)" in _messages(exc)
    assert _snapshot() == before


def test_move_in_overlapping_an_ended_period_is_refused(premise, reliant, txu):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    service_period_move_out(premise=premise, ends_on=date(2024, 9, 30))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        service_period_move_in(premise=premise, rep=txu, starts_on=date(2024, 9, 1))
    assert "overlaps an earlier occupancy" in _messages(exc)
    assert _snapshot() == before


def test_move_in_with_a_rep_that_is_not_active_is_refused(premise, reliant):
    reliant.status = Rep.Status.INACTIVE
    reliant.save()
    with pytest.raises(ValidationError) as exc:
        service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    assert "not an active REP" in _messages(exc)
    assert ServicePeriod.objects.count() == 0


def test_move_out_without_an_occupant_is_refused(premise):
    with pytest.raises(ValidationError) as exc:
        service_period_move_out(premise=premise, ends_on=date(2024, 3, 1))
    assert "has no current occupant" in _messages(exc)


def test_move_out_on_or_before_the_move_in_is_refused_and_changes_nothing(premise, reliant):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        service_period_move_out(premise=premise, ends_on=date(2024, 3, 1))
    assert "must be after the move-in date (03/01/2024)" in _messages(exc)
    assert _snapshot() == before


def test_a_second_open_period_is_refused_by_the_database(premise, reliant):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    raw = ServicePeriod(
        premise=premise,
        rep=reliant,
        starts_on=date(2025, 1, 1),
        registration_code_encrypted=code_encrypt(code_generate()),
        code_rotated_at="2025-01-01T00:00:00Z",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        raw.save()
    assert premise.service_periods.filter(ends_on__isnull=True).count() == 1


def test_a_period_that_ends_before_it_starts_is_refused_by_the_database(premise, reliant):
    raw = ServicePeriod(
        premise=premise,
        rep=reliant,
        starts_on=date(2025, 1, 1),
        ends_on=date(2024, 1, 1),
        registration_code_encrypted=code_encrypt(code_generate()),
        code_rotated_at="2025-01-01T00:00:00Z",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        raw.save()
    assert ServicePeriod.objects.count() == 0


def test_switch_rep_keeps_the_occupancy_and_only_for_the_open_period(premise, reliant, txu):
    period = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    code = period.registration_code
    service_period_switch_rep(period=period, rep=txu, on=date(2024, 4, 1))
    period.refresh_from_db()
    assert period.rep == txu
    assert period.rep_since == date(2024, 4, 1)
    assert period.registration_code == code
    service_period_move_out(premise=premise, ends_on=date(2024, 6, 1))
    period.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        service_period_switch_rep(period=period, rep=reliant)
    assert "Only the current occupancy" in _messages(exc)
    period.refresh_from_db()
    assert period.rep == txu


# --- Admin: adding a period is a move-in through the service; bad input shows on the form ---------------------------


# The inline of registered accounts (portal.admin.registrations) posts its management form with the period.
INLINE = {
    "registrations-TOTAL_FORMS": "0",
    "registrations-INITIAL_FORMS": "0",
    "registrations-MIN_NUM_FORMS": "0",
    "registrations-MAX_NUM_FORMS": "1000",
}


def _add(admin_client, premise, rep, /, **extra):
    data = {"premise": premise.pk, "rep": rep.pk, "occupant_name": "New Occupant", "starts_on": "2025-07-15"}
    data.update(INLINE)
    data.update(extra)
    return admin_client.post("/admin/portal/serviceperiod/add/", data)


def test_admin_add_is_a_move_in(admin_client, premise, reliant, txu):
    first = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    old_code = first.registration_code
    response = _add(admin_client, premise, txu)
    assert response.status_code == 302, response.content.decode()[:2000]
    first.refresh_from_db()
    assert first.ends_on == date(2025, 7, 15)
    new = service_period_current(premise)
    assert new.rep == txu and new.occupant_name == "New Occupant"
    assert service_period_for_code(premise=premise, code=old_code) is None
    assert service_period_for_code(premise=premise, code=new.registration_code) == new


def test_admin_add_shows_the_code_on_the_change_page(admin_client, premise, reliant):
    period = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    page = admin_client.get(f"/admin/portal/serviceperiod/{period.pk}/change/").content.decode()
    code = period.registration_code
    assert f"{code[:5]}-{code[5:10]}" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"starts_on": "2024-02-01"}, "must be after the current occupant&#x27;s move-in (03/01/2024)"),
        ({"starts_on": "2024-03-01"}, "must be after the current occupant&#x27;s move-in (03/01/2024)"),
        ({"ends_on": "2025-12-01"}, "Record the move-in first"),
        ({"starts_on": "not a date"}, "Enter a valid date"),
        ({"premise": 999999}, "Select a valid choice"),
    ],
)
def test_admin_add_with_bad_input_shows_the_message_and_changes_nothing(
    admin_client, premise, reliant, txu, extra, message
):
    service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    before = _snapshot()
    response = _add(admin_client, premise, txu, **extra)
    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page
    assert message in page
    assert _snapshot() == before


def test_admin_add_with_an_inactive_rep_shows_the_message(admin_client, premise, reliant):
    reliant.status = Rep.Status.INACTIVE
    reliant.save()
    response = _add(admin_client, premise, reliant)
    assert response.status_code == 200
    assert "not an active REP" in response.content.decode()
    assert ServicePeriod.objects.count() == 0


def _change(admin_client, period, **extra):
    data = {
        "premise": period.premise_id,
        "rep": period.rep_id,
        "occupant_name": period.occupant_name,
        "starts_on": period.starts_on.isoformat(),
        "ends_on": period.ends_on.isoformat() if period.ends_on else "",
    }
    data.update(INLINE)
    data.update(extra)
    return admin_client.post(f"/admin/portal/serviceperiod/{period.pk}/change/", data)


def test_admin_setting_a_move_out_date_is_a_move_out(admin_client, premise, reliant):
    period = service_period_move_in(
        premise=premise, rep=reliant, starts_on=date(2024, 3, 1), occupant_name="Ana"
    )
    code = period.registration_code
    response = _change(admin_client, period, ends_on="2024-10-01", occupant_name="Ana B.")
    assert response.status_code == 302, response.content.decode()[:2000]
    period.refresh_from_db()
    assert period.ends_on == date(2024, 10, 1)
    assert period.ended_at is not None
    assert period.occupant_name == "Ana B."
    assert service_period_for_code(premise=premise, code=code) is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ends_on": "2024-02-01"}, "must be after the move-in date (03/01/2024)"),
        ({"starts_on": "2024-01-01"}, "move-in date of an existing occupancy cannot change"),
    ],
)
def test_admin_bad_move_out_shows_the_message_and_changes_nothing(
    admin_client, premise, reliant, extra, message
):
    period = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    before = _snapshot()
    response = _change(admin_client, period, **extra)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _snapshot() == before


def test_admin_cannot_change_the_move_out_date_of_an_ended_period(admin_client, premise, reliant):
    period = service_period_move_in(premise=premise, rep=reliant, starts_on=date(2024, 3, 1))
    service_period_move_out(premise=premise, ends_on=date(2024, 6, 1))
    period.refresh_from_db()
    before = _snapshot()
    response = _change(admin_client, period, ends_on="2025-06-01")
    assert response.status_code == 200
    assert "has ended; its move-out date cannot change" in response.content.decode()
    assert _snapshot() == before


def test_admin_add_with_a_registered_account_inline_links_it_to_the_new_period(
    admin_client, premise, reliant, django_user_model
):
    from portal.models import PremiseRegistration

    user = django_user_model.objects.create_user(username="ana", password="x" * 16)
    response = _add(
        admin_client,
        premise,
        reliant,
        **{"registrations-TOTAL_FORMS": "1", "registrations-0-user": user.pk, "registrations-0-id": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    period = service_period_current(premise)
    assert PremiseRegistration.objects.get(user=user).period == period
