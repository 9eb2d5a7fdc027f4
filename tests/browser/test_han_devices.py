"""A customer adds an in-home device on a phone (375 px) and watches it join without reloading the page."""

from __future__ import annotations

import pytest

from han.models import Device
from tests.browser.test_portal_journeys import shot, sign_in
from tests.helpers import headend
from usage.headend import simulated_han
from usage.headend.hancodes import install_code_with_crc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = install_code_with_crc("83FED3407A939723A5C639B26916D505")


def test_add_a_device_on_a_phone_and_watch_it_join(browser, live_server, maria, home, settings):
    from playwright.sync_api import expect

    settings.HEADEND_ADAPTER = "tests.helpers.headend.HeldHeadEnd"
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 0.0  # the simulated meter always opens its window here
    headend.HELD.clear()
    base = live_server.url
    page = browser.new_page(viewport={"width": 375, "height": 812})
    sign_in(page, base)
    page.locator(f"a[href='/premises/{home.esiid}/devices/']").first.click()
    page.wait_for_url(f"{base}/premises/{home.esiid}/devices/")

    # a typo is caught as typed, and again by the server; nothing is sent
    page.fill("input[name=name]", "Kitchen display")
    page.select_option("select[name=type]", "in_home_display")
    page.fill("input[name=mac]", "00:0d:6f:00:0a:1b:2c:3d")
    page.fill("input[name=install_code]", CODE[:-1] + "0")
    page.locator("input[name=name]").focus()
    assert "check digits do not match" in page.locator("#id_install_code_live").text_content()
    page.locator("[data-device-form] button[type=submit]").click()
    page.wait_for_selector("#id_install_code_error")
    assert not Device.objects.exists()

    page.fill("input[name=install_code]", CODE)
    page.locator("[data-device-form] button[type=submit]").click()
    page.wait_for_selector("[data-device-id] [data-status-text]")
    assert page.locator("[data-status-text]").text_content() == "Sent to the meter"
    page.evaluate("window.__sameDocument = true")

    (order,) = headend.HELD
    simulated_han.join_start(device_id=order.device_id, attempt=order.attempt, meter_id=order.meter_id)
    expect(page.locator("[data-status-text]")).to_have_text("Meter listening for the device", timeout=15000)
    simulated_han.join_end(device_id=order.device_id, attempt=order.attempt, mac=order.mac)
    expect(page.locator("[data-status-text]")).to_have_text("Joined", timeout=15000)
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.locator("[data-when=joined]").is_visible()  # "Send a test message" appears
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"
    shot(page, "han_devices")


def test_the_inline_checks_speak_spanish_to_a_spanish_resident(browser, live_server, maria, home):
    maria.language = "es"
    maria.save(update_fields=["language"])
    base = live_server.url
    page = browser.new_page(viewport={"width": 375, "height": 812})
    sign_in(page, base)
    page.goto(f"{base}/premises/{home.esiid}/devices/")
    page.fill("input[name=mac]", "00:0d:6f")
    page.fill("input[name=install_code]", CODE[:-1] + ("0" if CODE[-1] != "0" else "1"))
    page.locator("input[name=name]").focus()
    assert (
        page.locator("#id_mac_live").text_content() == "Una dirección MAC tiene 16 caracteres; esta tiene 6."
    )
    assert page.locator("#id_install_code_live").text_content() == (
        "Los dígitos de verificación no coinciden: compare el código con la etiqueta del dispositivo."
    )
    page.fill("input[name=install_code]", "12XY")
    page.locator("input[name=name]").focus()
    assert page.locator("#id_install_code_live").text_content() == (
        "Use solo los caracteres del 0 al 9 y de la A a la F."
    )
    page.close()
