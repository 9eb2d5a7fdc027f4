"""Registration codes: unguessable, unambiguous, encrypted at rest, rotated by an admin, dead when an occupancy ends."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portal.codes import CODE_ALPHABET, code_decrypt, code_display, code_encrypt, code_generate, code_matches
from portal.models import ServicePeriod
from portal.selectors import service_period_for_code
from portal.services import (
    registration_code_rotate,
    rep_create,
    service_period_move_in,
    service_period_move_out,
)
from usage.services import premise_create, tdus_ensure


@pytest.fixture
def premise(db):
    oncor = next(t for t in tdus_ensure() if t.short_name == "Oncor")
    return premise_create(
        tdu=oncor, esiid="10443720000000001", address_line1="1 Oak St", city="Dallas", zip_code="75201"
    )


@pytest.fixture
def period(premise):
    rep = rep_create(legal_name="Reliant Energy Retail Services LLC", puct_certificate="10007")
    return service_period_move_in(premise=premise, rep=rep, starts_on=date(2024, 3, 1))


def test_codes_are_long_and_use_no_look_alike_characters(settings):
    settings.REGISTRATION_CODE_LENGTH = 4  # never shorter than 8, whatever the setting says
    codes = {code_generate() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) >= 8
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert len(code_generate(12)) == 12


def test_typed_codes_ignore_case_spaces_and_dashes(period):
    code = period.registration_code
    typed = code_display(code).lower().replace("-", " - ")
    assert code_matches(period.registration_code_encrypted, typed)
    assert not code_matches(period.registration_code_encrypted, code[:-1])
    assert not code_matches(period.registration_code_encrypted, "")


def test_the_database_column_does_not_contain_the_code(period):
    code = period.registration_code
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registration_code_encrypted FROM portal_serviceperiod WHERE id = %s", [period.pk]
        )
        stored = bytes(cursor.fetchone()[0])
        cursor.execute("SELECT * FROM portal_serviceperiod WHERE id = %s", [period.pk])
        row = cursor.fetchone()
    assert code.encode() not in stored
    assert code.encode() not in stored.upper()
    for value in row:
        assert code not in (
            bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
        )


def test_a_different_key_cannot_read_the_code(period, settings):
    code = period.registration_code
    settings.REGISTRATION_CODE_KEY = "a-completely-different-key"
    fresh = ServicePeriod.objects.get(pk=period.pk)
    assert fresh.registration_code is None
    assert not code_matches(fresh.registration_code_encrypted, code)
    assert service_period_for_code(premise=period.premise, code=code) is None


def test_key_rotation_new_comma_old_still_decrypts(settings):
    settings.REGISTRATION_CODE_KEY = "old-key-material"
    token = code_encrypt("ABCDEFGH23")
    settings.REGISTRATION_CODE_KEY = "new-key-material,old-key-material"
    assert code_decrypt(token) == "ABCDEFGH23"
    new_token = code_encrypt("ZYXWVUTS98")
    settings.REGISTRATION_CODE_KEY = "new-key-material"
    assert code_decrypt(new_token) == "ZYXWVUTS98"  # new codes use the first key
    assert code_decrypt(token) is None  # once the old key is dropped, its codes are unreadable


def test_rotation_changes_the_code_and_the_old_one_stops_working(period):
    old = period.registration_code
    old_rotated_at = period.code_rotated_at
    registration_code_rotate(period=period)
    period.refresh_from_db()
    assert period.registration_code != old
    assert period.code_rotated_at > old_rotated_at
    assert service_period_for_code(premise=period.premise, code=old) is None
    assert service_period_for_code(premise=period.premise, code=period.registration_code) == period


def test_an_ended_period_cannot_rotate_and_its_code_never_works_again(period):
    code = period.registration_code
    service_period_move_out(premise=period.premise, ends_on=date(2024, 8, 1))
    period.refresh_from_db()
    stored = bytes(period.registration_code_encrypted)
    with pytest.raises(ValidationError) as exc:
        registration_code_rotate(period=period)
    assert "has ended" in " ".join(exc.value.messages)
    period.refresh_from_db()
    assert bytes(period.registration_code_encrypted) == stored
    assert service_period_for_code(premise=period.premise, code=code) is None


def test_admin_rotate_codes_action(admin_client, period):
    old = period.registration_code
    response = admin_client.post(
        "/admin/portal/serviceperiod/",
        {"action": "rotate_codes", "_selected_action": [period.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Rotated 1 registration code" in response.content.decode()
    period.refresh_from_db()
    assert period.registration_code != old
    assert service_period_for_code(premise=period.premise, code=old) is None


def test_admin_rotate_codes_action_skips_ended_periods_with_a_warning(admin_client, period):
    service_period_move_out(premise=period.premise, ends_on=date(2024, 8, 1))
    response = admin_client.post(
        "/admin/portal/serviceperiod/",
        {"action": "rotate_codes", "_selected_action": [period.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "has ended" in page
    assert "Rotated 0 registration code" in page
