"""A failed or refused read's reason in the reader's language, from its ``failure_code``: the resident's on the
meter reads page, the caller's ``Accept-Language`` on the API; the stored English stays as it came (and the
Smart Meter Texas compatibility API's ``statusReason`` with it), and a code we do not know shows the stored
text."""

from __future__ import annotations

import pytest

from portal.models import MeterReadRequest
from portal.reads.failures import READ_FAILURES
from portal.reads.services import read_request_create
from tests.helpers.portal_usage import ESI_HOME
from usage.headend import simulated_meter

pytestmark = pytest.mark.django_db

READS = f"/premises/{ESI_HOME}/reads/"
BUSY_EN = "The meter was busy sending its scheduled data"
BUSY_ES = "El medidor estaba ocupado enviando sus datos programados"


def failed_read(customer, home, code="meter_busy") -> MeterReadRequest:
    read = read_request_create(user=customer, premise=home)
    message = dict(simulated_meter.FAILURES).get(code, "Vendor error E42.")
    MeterReadRequest.objects.filter(pk=read.pk).update(
        status="failed", failure_code=code, failure_message=message
    )
    read.refresh_from_db()
    return read


def spanish(user):
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_every_code_the_head_end_and_our_services_give_has_its_words():
    codes = {code for code, _message in simulated_meter.FAILURES}
    assert codes | {"no_meter", "timeout", "limit_hour", "limit_day"} <= set(READ_FAILURES)


def test_a_spanish_resident_reads_a_failed_read_in_spanish(client, customer, home, settings):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    read = failed_read(customer, home)
    client.force_login(spanish(customer))
    page = client.get(READS).content.decode()
    assert BUSY_ES in page and BUSY_EN not in page
    status = client.get(f"{READS}{read.pk}/", HTTP_ACCEPT="application/json").json()
    assert status["failure_code"] == "meter_busy" and status["failure_message"].startswith(BUSY_ES)
    read.refresh_from_db()
    assert read.failure_message.startswith(BUSY_EN)  # the stored text stays as the head-end said it


def test_a_refused_read_is_stored_in_english_with_a_stable_code(client, customer, home, settings):
    settings.ON_DEMAND_READS_PER_HOUR = 1
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    client.force_login(spanish(customer))
    client.post(READS, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="es")
    refused = client.post(READS, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="es")
    assert refused.status_code == 429
    read = MeterReadRequest.objects.get(status="refused")
    assert read.failure_code == "limit_hour" and "You can ask again at" in read.failure_message
    page = client.get(READS).content.decode()
    assert "Este medidor ya había tenido sus 1 lecturas de esa hora" in page


def test_the_api_gives_the_reason_in_the_callers_language_with_the_same_code(client, customer, home):
    read = failed_read(customer, home)
    client.force_login(customer)
    en = client.get(f"/api/v1/reads/{read.pk}/").json()["failure"]
    es = client.get(f"/api/v1/reads/{read.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()["failure"]
    assert en["code"] == es["code"] == "meter_busy"
    assert en["message"].startswith(BUSY_EN) and es["message"].startswith(BUSY_ES)


def test_an_unknown_code_shows_the_head_ends_own_words(client, customer, home):
    read = failed_read(customer, home, code="vendor_e42")
    client.force_login(spanish(customer))
    assert "Vendor error E42." in client.get(READS).content.decode()
    body = client.get(f"/api/v1/reads/{read.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
    assert body["failure"] == {"code": "vendor_e42", "message": "Vendor error E42."}
