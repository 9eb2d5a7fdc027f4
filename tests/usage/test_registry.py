"""The market registry's physical side: TDUs, ESI IDs, premises and meters, including the bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from usage.esiid import InvalidEsiid, esiid_normalize, esiid_validate
from usage.models import Meter, Premise, Tdu
from usage.selectors import premise_by_esiid, tdu_for_esiid
from usage.services import (
    TEXAS_TDUS,
    PremiseSpec,
    meter_install,
    premise_create,
    premises_register_bulk,
    tdus_ensure,
)

ONCOR_ESIID = "10443720000000001"
CENTERPOINT_ESIID = "1008901000000000000001"  # CenterPoint issues 22-digit ESI IDs


@pytest.fixture
def tdus(db):
    return {t.short_name: t for t in tdus_ensure()}


def _create(tdu, esiid, **extra):
    return premise_create(
        tdu=tdu, esiid=esiid, address_line1="100 Main St", city="Dallas", zip_code="75201", **extra
    )


def _assert_message(exc_info, *fragments):
    text = " ".join(exc_info.value.messages)
    for fragment in fragments:
        assert fragment in text, text


# --- TDUs ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tdus_ensure_creates_the_five_texas_tdus_with_their_prefixes_once():
    tdus_ensure()
    tdus_ensure()
    assert Tdu.objects.count() == 5
    prefixes = {t.short_name: t.esiid_prefixes for t in Tdu.objects.all()}
    assert prefixes == {
        "Oncor": ["1044372", "1017699"],
        "CenterPoint": ["1008901"],
        "AEP Central": ["1003278"],
        "AEP North": ["1020404"],
        "TNMP": ["1040051"],
    }
    assert len(TEXAS_TDUS) == 5


@pytest.mark.django_db
def test_tdu_prefixes_must_be_digit_strings(tdus):
    tdu = tdus["Oncor"]
    tdu.esiid_prefixes = ["10443A2"]
    with pytest.raises(ValidationError) as exc:
        tdu.full_clean()
    assert "esiid_prefixes" in exc.value.message_dict


@pytest.mark.django_db
def test_tdu_for_esiid_finds_the_issuing_utility(tdus):
    assert tdu_for_esiid(ONCOR_ESIID) == tdus["Oncor"]
    assert tdu_for_esiid("10176990000000001") == tdus["Oncor"]
    assert tdu_for_esiid(CENTERPOINT_ESIID) == tdus["CenterPoint"]
    assert tdu_for_esiid("99999990000000001") is None


# --- ESI ID rules (pure) ------------------------------------------------------------------------------------------


def test_esiid_normalize_drops_spreadsheet_guards_spaces_and_dashes():
    assert esiid_normalize("'1044372 0000-000001") == ONCOR_ESIID


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "Enter the ESI ID"),
        ("1044372000000001", "17 or 22 digits; this one has 16"),
        ("104437200000000012", "17 or 22 digits; this one has 18"),
        ("10443720000000001234567", "this one has 23"),
        ("1044372000000000A", "digits only"),
        ("１０４４３７２００００００００１", "digits only"),  # full-width digits are not ASCII digits
    ],
)
def test_esiid_validate_explains_what_is_wrong(raw, fragment):
    with pytest.raises(InvalidEsiid) as exc:
        esiid_validate(raw)
    assert fragment in str(exc.value)


def test_esiid_validate_checks_the_prefix_of_the_utility():
    assert esiid_validate(ONCOR_ESIID, ["1044372", "1017699"]) == ONCOR_ESIID
    with pytest.raises(InvalidEsiid) as exc:
        esiid_validate(CENTERPOINT_ESIID, ["1044372", "1017699"])
    assert "does not belong to this utility" in str(exc.value)
    assert "1044372, 1017699" in str(exc.value)


# --- Premises -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_premise_create_accepts_a_17_digit_oncor_esiid(tdus):
    premise = _create(tdus["Oncor"], "'1044372-0000000001")
    assert premise.esiid == ONCOR_ESIID
    assert premise_by_esiid(" 1044372 0000000001") == premise
    assert premise.address == "100 Main St, Dallas, TX 75201"


@pytest.mark.django_db
def test_premise_create_accepts_a_22_digit_centerpoint_esiid(tdus):
    premise = _create(tdus["CenterPoint"], CENTERPOINT_ESIID)
    assert len(premise.esiid) == 22
    assert Premise.objects.get(esiid=CENTERPOINT_ESIID).tdu == tdus["CenterPoint"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tdu", "esiid", "fragment"),
    [
        ("Oncor", "104437200000001", "this one has 15"),
        ("CenterPoint", "100890100000000000000011", "this one has 24"),
        ("Oncor", "1044372000000O001", "digits only"),
        ("Oncor", CENTERPOINT_ESIID, "does not belong to this utility"),
        ("CenterPoint", ONCOR_ESIID, "does not belong to this utility (its ESI IDs start with 1008901)"),
        ("TNMP", "10032780000000001", "does not belong to this utility"),
        ("Oncor", "", "Enter the ESI ID"),
    ],
)
def test_premise_create_refuses_bad_esiids_and_changes_nothing(tdus, tdu, esiid, fragment):
    with pytest.raises(ValidationError) as exc:
        _create(tdus[tdu], esiid)
    assert fragment in " ".join(exc.value.message_dict["esiid"])
    assert Premise.objects.count() == 0


@pytest.mark.django_db
def test_premise_create_refuses_an_esiid_already_registered(tdus):
    _create(tdus["Oncor"], ONCOR_ESIID)
    with pytest.raises(ValidationError) as exc:
        _create(tdus["Oncor"], ONCOR_ESIID)
    _assert_message(exc, "already registered")
    assert Premise.objects.count() == 1


@pytest.mark.django_db
def test_premise_model_clean_applies_the_same_rules(tdus):
    premise = Premise(
        tdu=tdus["Oncor"], esiid=CENTERPOINT_ESIID, address_line1="1 A St", city="X", zip_code="1"
    )
    with pytest.raises(ValidationError) as exc:
        premise.full_clean()
    assert "does not belong to this utility" in exc.value.message_dict["esiid"][0]


@pytest.mark.django_db
def test_premise_create_refuses_an_unknown_kind(tdus):
    with pytest.raises(ValidationError) as exc:
        _create(tdus["Oncor"], ONCOR_ESIID, kind="industrial")
    assert "kind" in exc.value.message_dict
    assert Premise.objects.count() == 0


# --- Meters -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_meter_install_and_its_rules(tdus):
    premise = _create(tdus["Oncor"], ONCOR_ESIID)
    meter = meter_install(
        premise=premise,
        meter_number="123456789LG",
        installed_on=date(2012, 3, 4),
        starting_register_kwh=Decimal("12.5"),
    )
    assert list(premise.meters.all()) == [meter]
    assert meter.han_capable is True

    with pytest.raises(ValidationError) as exc:
        meter_install(premise=premise, meter_number="123456789LG", installed_on=date(2013, 1, 1))
    assert "meter_number" in exc.value.message_dict
    bad = Meter(
        premise=premise, meter_number="X1", installed_on=date(2013, 1, 1), removed_on=date(2012, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "cannot be removed before it was installed" in exc.value.message_dict["removed_on"][0]
    assert Meter.objects.count() == 1


# --- Bulk registration (the generator and seed_demo use it) --------------------------------------------------------


def _spec(esiid, duns="1039940674000", meter="M1"):
    return PremiseSpec(
        esiid=esiid,
        tdu_duns=duns,
        address_line1="1 Elm St",
        city="Dallas",
        zip_code="75201",
        meter_number=meter,
        installed_on=date(2014, 5, 6),
    )


@pytest.mark.django_db
def test_premises_register_bulk_is_idempotent(tdus):
    specs = [_spec(ONCOR_ESIID, meter="M1"), _spec(CENTERPOINT_ESIID, duns="957877905", meter="M2")]
    assert premises_register_bulk(specs=specs) == 2
    assert premises_register_bulk(specs=specs) == 0
    assert Premise.objects.count() == 2
    assert Meter.objects.count() == 2
    assert Premise.objects.get(esiid=CENTERPOINT_ESIID).meters.get().meter_number == "M2"


@pytest.mark.django_db
def test_premises_register_bulk_refuses_a_bad_esiid_and_registers_none(tdus):
    specs = [
        _spec(ONCOR_ESIID, meter="M1"),
        _spec(CENTERPOINT_ESIID, meter="M2"),
    ]  # CenterPoint ID under Oncor
    with pytest.raises(ValidationError) as exc:
        premises_register_bulk(specs=specs)
    _assert_message(exc, "does not belong to this utility")
    assert Premise.objects.count() == 0


@pytest.mark.django_db
def test_premises_register_bulk_refuses_an_unknown_tdu(tdus):
    with pytest.raises(ValidationError) as exc:
        premises_register_bulk(specs=[_spec(ONCOR_ESIID, duns="123")])
    _assert_message(exc, "Unknown TDU DUNS 123")
    assert Premise.objects.count() == 0


# --- Admin: the same rules and messages on the form -----------------------------------------------------------------


def _premise_form(tdu, esiid):
    return {
        "esiid": esiid,
        "tdu": tdu.pk,
        "address_line1": "1 Elm St",
        "address_line2": "",
        "city": "Dallas",
        "state": "TX",
        "zip_code": "75201",
        "kind": "residential",
        "status": "active",
        "meters-TOTAL_FORMS": "0",
        "meters-INITIAL_FORMS": "0",
        "meters-MIN_NUM_FORMS": "0",
        "meters-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(
    ("tdu", "esiid", "fragment"),
    [
        ("Oncor", CENTERPOINT_ESIID, "does not belong to this utility"),
        ("Oncor", "1044372000000", "17 or 22 digits; this one has 13"),
        ("Oncor", "1044372000000000X", "digits only"),
    ],
)
def test_admin_premise_add_shows_the_esiid_message_and_changes_nothing(
    admin_client, tdus, tdu, esiid, fragment
):
    response = admin_client.post("/admin/usage/premise/add/", _premise_form(tdus[tdu], esiid))
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert Premise.objects.count() == 0


def test_admin_premise_add_accepts_a_22_digit_centerpoint_esiid(admin_client, tdus):
    response = admin_client.post(
        "/admin/usage/premise/add/", _premise_form(tdus["CenterPoint"], CENTERPOINT_ESIID)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Premise.objects.get().esiid == CENTERPOINT_ESIID
