"""The Devices page: list, add with inline validation, live status JSON, retry, remove, test message, history."""

from __future__ import annotations

import re

import pytest

from han.models import Device, DeviceMessage
from tests.han.conftest import CODE, mac

pytestmark = pytest.mark.django_db


def url(han, suffix=""):
    return f"/premises/{han.m.premise.esiid}/devices/{suffix}"


def add(client, han, n=1, prefix="000D6F00", **over):
    body = {"name": "Kitchen display", "type": "in_home_display", "mac": mac(n, prefix), "install_code": CODE}
    return client.post(url(han), body | over)


def test_customer_adds_a_device_and_it_joins(client, han, django_capture_on_commit_callbacks):
    client.force_login(han.m.owner)
    with django_capture_on_commit_callbacks(execute=True):
        resp = add(client, han)
    assert resp.status_code == 302
    page = client.get(url(han)).content.decode()
    assert "Kitchen display" in page and "Joined" in page and "00:0D:6F:00" in page
    assert CODE not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # strict CSP: no inline script


def test_a_typo_in_the_install_code_is_caught_in_the_form(client, han):
    client.force_login(han.m.owner)
    resp = add(client, han, install_code=CODE[:-1] + "0")
    assert resp.status_code == 400
    assert "check digits do not match" in resp.content.decode()
    resp = add(client, han, mac="00:0D:6F")
    assert "MAC address has 16 characters; you typed 6" in resp.content.decode()
    assert not Device.objects.exists()


def spanish(user):
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_a_spanish_resident_is_told_in_spanish_what_to_fix_in_the_mac_and_install_code(client, han):
    client.force_login(spanish(han.m.owner))
    page = add(client, han, install_code=CODE[:-1] + ("0" if CODE[-1] != "0" else "1")).content.decode()
    assert "Los dígitos de verificación del código de instalación no coinciden" in page
    assert "check digits" not in page
    page = add(client, han, mac="00:0D:6F").content.decode()
    assert "La dirección MAC de un dispositivo tiene 16 caracteres; usted escribió 6." in page
    page = add(client, han, mac="FF:FF:FF:FF:FF:FF:FF:FF", install_code="12-34-XY").content.decode()
    assert "Una dirección MAC de solo ceros o solo F no es la de un dispositivo real" in page
    assert "El código de instalación solo puede tener los caracteres del 0 al 9 y de la A a la F" in page
    assert not Device.objects.exists()


def test_the_devices_page_gives_devices_js_its_words_in_the_residents_language(client, han):
    client.force_login(spanish(han.m.owner))
    page = client.get(url(han)).content.decode()
    words = re.search(r'<div hidden id="devices-words"(.*?)></div>', page, re.S)
    assert words, "devices.js reads its words from #devices-words"
    assert 'data-updated="Se actualizó el estado de los dispositivos."' in words.group(1)
    assert 'data-mac-length="Una dirección MAC tiene 16 caracteres; esta tiene {length}."' in words.group(1)
    assert 'data-code-check="Los dígitos de verificación no coinciden' in words.group(1)
    assert "data-only-hex=" in words.group(1) and "data-mac-reserved=" in words.group(1)
    assert "data-code-length=" in words.group(1)
    assert "Device status updated" not in page


def test_status_json_reports_passing_devices(client, han, settings, django_capture_on_commit_callbacks):
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 1.0
    client.force_login(han.member)  # a household member manages devices too
    with django_capture_on_commit_callbacks(execute=True):
        add(client, han)
    body = client.get(url(han, "status.json")).json()
    (device,) = body["devices"]
    assert device["status"] == "failed" and device["can_retry"] and not body["passing"]
    assert "meter did not answer" in device["failure_message"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(han, f"{device['id']}/retry/"))
    assert resp.status_code == 302
    assert client.get(url(han, "status.json")).json()["devices"][0]["status"] == "joined"


def test_remove_asks_first_then_removes(client, han, django_capture_on_commit_callbacks):
    client.force_login(han.m.owner)
    with django_capture_on_commit_callbacks(execute=True):
        add(client, han)
    device = Device.objects.get()
    confirm = client.get(url(han, f"{device.pk}/remove/"))
    assert confirm.status_code == 200 and "Remove Kitchen display?" in confirm.content.decode()
    assert Device.objects.get().status == "joined"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(han, f"{device.pk}/remove/"))
    assert Device.objects.get().status == "removed"


def test_test_message_and_history_show_who_sent_it(client, han, django_capture_on_commit_callbacks):
    client.force_login(han.m.owner)
    with django_capture_on_commit_callbacks(execute=True):
        add(client, han)
    device = Device.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url(han, f"{device.pk}/test-message/"))
    assert resp.status_code == 302
    assert DeviceMessage.objects.get().status == "delivered"
    page = client.get(url(han, f"{device.pk}/")).content.decode()
    assert "Test message" in page and "Olive Owner" in page and "Delivered" in page


@pytest.mark.parametrize("who", ["former", "stranger"])
def test_others_get_404(client, han, who, django_capture_on_commit_callbacks):
    client.force_login(han.m.owner)
    with django_capture_on_commit_callbacks(execute=True):
        add(client, han)
    device = Device.objects.get()
    client.force_login(getattr(han.m, who))
    assert client.get(url(han)).status_code == 404
    assert client.get(url(han, "status.json")).status_code == 404
    assert client.get(url(han, f"{device.pk}/")).status_code == 404
    assert client.post(url(han, f"{device.pk}/remove/")).status_code == 404
    assert Device.objects.get().status == "joined"


def test_the_dashboard_links_to_devices(client, han):
    client.force_login(han.m.owner)
    assert url(han) in client.get("/dashboard/").content.decode()
