"""A failed device's or message's reason in the reader's language, from its ``failure_code``: the resident's on
the Devices page, the caller's ``Accept-Language`` on the API; the stored English stays as it came, and a code we
do not know shows the stored text."""

from __future__ import annotations

import pytest

from han.code_messages import DEVICE_FAILURES, MESSAGE_FAILURES
from han.models import Device
from tests.han.conftest import CODE, mac
from usage.headend import han as he
from usage.headend.simulated_han import MESSAGES, NEVER_ANSWERS_PREFIX

pytestmark = pytest.mark.django_db

UNREACHABLE_ES = "El medidor no respondió a la red de la compañía de distribución"
UNREACHABLE_EN = "The meter did not answer the utility's network"


def failed_device(client, han, settings, django_capture_on_commit_callbacks) -> Device:
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 1.0
    body = {"name": "Kitchen display", "type": "in_home_display", "mac": mac(1), "install_code": CODE}
    client.force_login(han.m.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/premises/{han.m.premise.esiid}/devices/", body)
    device = Device.objects.get()
    assert device.status == "failed" and device.failure_code == he.METER_UNREACHABLE
    assert device.failure_message.startswith(UNREACHABLE_EN)  # stored as the head-end said it
    return device


def test_every_code_the_head_end_and_our_services_give_has_its_words():
    assert set(MESSAGES) <= set(DEVICE_FAILURES)
    assert {he.METER_UNREACHABLE, he.NO_ANSWER, he.INSTALL_CODE_MISMATCH} <= set(DEVICE_FAILURES)
    assert {he.METER_UNREACHABLE, he.MESSAGE_NOT_ACKNOWLEDGED} <= set(MESSAGE_FAILURES)


def test_a_spanish_resident_reads_a_failed_device_in_spanish(
    client, han, settings, django_capture_on_commit_callbacks
):
    device = failed_device(client, han, settings, django_capture_on_commit_callbacks)
    han.m.owner.language = "es"
    han.m.owner.save(update_fields=["language"])
    page = client.get(f"/premises/{han.m.premise.esiid}/devices/").content.decode()
    assert UNREACHABLE_ES in page and UNREACHABLE_EN not in page
    status = client.get(f"/premises/{han.m.premise.esiid}/devices/status.json").json()
    assert status["devices"][0]["failure_message"].startswith(UNREACHABLE_ES)
    history = client.get(f"/premises/{han.m.premise.esiid}/devices/{device.pk}/").content.decode()
    assert UNREACHABLE_ES in history and UNREACHABLE_EN not in history
    device.refresh_from_db()
    assert device.failure_message.startswith(UNREACHABLE_EN)


def test_the_api_gives_the_reason_in_the_callers_language_with_the_same_code(
    client, han, settings, django_capture_on_commit_callbacks
):
    device = failed_device(client, han, settings, django_capture_on_commit_callbacks)
    headers = han.m.bearer(han.tokens["read"])
    en = client.get(f"/api/v1/devices/{device.pk}/", **headers).json()["failure"]
    es = client.get(f"/api/v1/devices/{device.pk}/", HTTP_ACCEPT_LANGUAGE="es", **headers).json()["failure"]
    assert en["code"] == es["code"] == he.METER_UNREACHABLE
    assert en["message"].startswith(UNREACHABLE_EN) and es["message"].startswith(UNREACHABLE_ES)


def test_an_unknown_code_shows_the_head_ends_own_words(
    client, han, settings, django_capture_on_commit_callbacks
):
    device = failed_device(client, han, settings, django_capture_on_commit_callbacks)
    Device.objects.filter(pk=device.pk).update(failure_code="vendor_e42", failure_message="Vendor error E42.")
    body = client.get(
        f"/api/v1/devices/{device.pk}/", HTTP_ACCEPT_LANGUAGE="es", **han.m.bearer(han.tokens["read"])
    ).json()
    assert body["failure"] == {"code": "vendor_e42", "message": "Vendor error E42."}
    han.m.owner.language = "es"
    han.m.owner.save(update_fields=["language"])
    assert "Vendor error E42." in client.get(f"/premises/{han.m.premise.esiid}/devices/").content.decode()


def test_a_message_the_device_never_acknowledged_is_explained_in_spanish(
    client, han, django_capture_on_commit_callbacks
):
    client.force_login(han.m.owner)
    body = {
        "name": "Dead",
        "type": "in_home_display",
        "mac": mac(2, NEVER_ANSWERS_PREFIX + "0000"),
        "install_code": CODE,
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/premises/{han.m.premise.esiid}/devices/", body)
    device = Device.objects.get()
    Device.objects.filter(pk=device.pk).update(status="joined")
    headers = {**han.m.bearer(han.tokens["message"]), "HTTP_ACCEPT_LANGUAGE": "es"}
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/api/v1/devices/{device.pk}/messages/",
            {"text": "Hola", "duration_minutes": 10},
            content_type="application/json",
            **headers,
        )
    assert r.status_code == 202, r.content
    listed = client.get(f"/api/v1/devices/{device.pk}/messages/", **headers).json()
    (msg,) = listed["results"] if isinstance(listed, dict) else listed
    assert msg["status"] == "failed" and msg["failure_code"] == he.MESSAGE_NOT_ACKNOWLEDGED
    assert msg["failure_message"] == "El dispositivo no confirmó que recibió el mensaje."
