"""The resident's journeys in Spanish, in Chromium at 1440 and 375 px: sign-up with the bill's ESI ID and code,
the usage page and a download; then consent to an app and its revocation; then setting a plan and the cost on the
usage page. Each page says ``lang="es"`` and axe
(WCAG 2.2 AA, the ``html-has-lang``/``valid-lang`` rules included) finds nothing. With SAVE_DOCS_SCREENSHOT=1
the Spanish usage and consent pages are saved to docs/img/ (docs/portal.md shows them)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail

from tests.browser.test_oauth_e2e import PASSWORD as ALICE_PASSWORD
from tests.browser.test_oauth_e2e import world  # noqa: F401 - the fixture, registered by being here
from tests.browser.test_portal_journeys import sign_in, wait_chart
from tests.browser.test_rough_edges import axe_violations
from tests.helpers.bills import tariff_for
from tests.helpers.portal_usage import ESI_HOME, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORTS = pytest.mark.parametrize("viewport", [(1440, 900), (375, 812)], ids=["desktop", "phone"])


def spanish_page(page) -> None:
    """The page is marked Spanish and axe finds no violation on it."""
    assert page.locator("html").get_attribute("lang") == "es"
    assert not axe_violations(page)


def docs_screenshot(page, name: str, viewport) -> None:
    if os.environ.get("SAVE_DOCS_SCREENSHOT") == "1" and viewport[0] == 1440:
        page.screenshot(path=str(DOCS_IMG / name), full_page=True)


@VIEWPORTS
def test_sign_up_usage_and_a_download_in_spanish(browser, live_server, home, viewport):
    ctx = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, locale="es-US", accept_downloads=True
    )
    page = ctx.new_page()
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    assert page.locator("h1").text_content().strip() == "Regístrese con su factura de electricidad"
    spanish_page(page)
    page.fill("input[name=esiid]", ESI_HOME)
    page.fill("input[name=registration_code]", home.period.registration_code)
    page.fill("input[name=username]", "carmen")
    page.fill("input[name=email]", "carmen@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.get_by_role("button", name="Registrarse").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert page.locator("h1").text_content().strip() == "Revise su correo"
    spanish_page(page)
    message = mail.outbox[-1]
    assert message.subject.startswith("[Open SMT] Confirme su dirección de correo")
    code = re.search(r"^\s{4}(\S+)\s*$", message.body, re.M).group(1)
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(f"{base}/dashboard/")
    assert page.locator("h1").text_content().strip() == "Su energía de un vistazo"
    spanish_page(page)

    page.get_by_role("link", name=re.compile("^Ver consumo")).click()
    page.wait_for_url(re.compile(r"/premises/\d+/usage/"))
    wait_chart(page)
    assert page.locator("h1").text_content().strip() == "Consumo en 1 Oak St"
    assert page.locator(".segmented a.current").all_text_contents() == ["Por hora", "Últimos 7 días"]
    assert page.get_by_role("heading", name="Resumen").is_visible()
    assert "Consumo total" in page.locator(".summary").text_content()
    legend = page.locator("#usage-chart .legend").text_content()
    assert "Consumo" in legend and "Consumption" not in legend
    spanish_page(page)
    docs_screenshot(page, "usage-es.png", viewport)

    with page.expect_download() as info:
        page.locator(".download-list a", has_text="CSV").click()
    assert Path(info.value.path()).read_bytes().decode().startswith("start,end,consumption_kwh")  # a contract
    ctx.close()


@VIEWPORTS
def test_consent_and_revocation_in_spanish(live_server, browser, world, viewport):  # noqa: F811 - the fixture
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    alice, app, receiver = world["alice"], world["app"], world["receiver"]
    alice.language = "es"  # saved on her account: it wins over the browser's English
    alice.save(update_fields=["language"])
    session = OAuth2Session(
        client_id=app.client_id,
        client_secret=world["secret"],
        scope="usage:read",
        redirect_uri=receiver.base + "/callback",
        code_challenge_method="S256",
    )
    authorize_url, _state = session.create_authorization_url(
        f"{live_server.url}/o/authorize/", code_verifier=generate_token(48), duration_months="12"
    )
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
    page = ctx.new_page()
    page.goto(authorize_url)
    page.fill('input[name="login"]', "alice")
    page.fill('input[name="password"]', ALICE_PASSWORD)
    page.locator('main form button[type="submit"]').first.click()
    page.wait_for_url(f"{live_server.url}/o/authorize/**")
    assert page.get_by_role("heading", name="WattWise quiere leer sus datos de electricidad").is_visible()
    assert page.get_by_text("WattWise Inc.", exact=True).is_visible()  # the company's own name, as written
    assert "Su consumo de electricidad" in page.locator(".scope-list").text_content()
    spanish_page(page)
    docs_screenshot(page, "consent-es.png", viewport)
    page.get_by_role("button", name="Aprobar").click()
    page.wait_for_url(f"{receiver.base}/callback**")

    page.goto(f"{live_server.url}/accounts/apps/")
    assert page.locator("h1").text_content().strip() == "Aplicaciones con acceso"
    spanish_page(page)
    page.get_by_role("link", name="Revocar…").first.click()
    assert page.locator("h1").text_content().strip() == "¿Revocar el acceso de WattWise?"
    spanish_page(page)
    page.get_by_role("button", name="Revocar el acceso").click()
    page.wait_for_url(f"{live_server.url}/accounts/apps/*/revoked/")
    assert page.get_by_role("heading", name="Revocado.").is_visible()
    assert page.get_by_text("WattWise ya no puede leer sus datos desde el").is_visible()
    spanish_page(page)
    ctx.close()


@VIEWPORTS
def test_plan_and_cost_in_spanish(browser, live_server, maria, home, today, viewport):
    maria.language = "es"  # saved on her account: it wins over the browser's English
    maria.save(update_fields=["language"])
    tariff_for(home.tdu)
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
    page = ctx.new_page()
    base = live_server.url
    sign_in(page, base)
    page.goto(f"{base}/premises/{ESI_HOME}/usage/?granularity=day&preset=7d")
    assert page.get_by_role("heading", name="Cuánto le cuesta su energía").is_visible()
    page.get_by_role("link", name="Anotar su plan").click()
    page.wait_for_url(re.compile(r".*/plan/$"))
    assert page.locator("h1").text_content().strip() == "Su plan de electricidad en 1 Oak St"
    assert page.get_by_label("Cargo por energía (¢ por kWh)").is_visible()
    assert page.get_by_label("Cargo base ($ al mes)").is_visible()
    assert page.get_by_role("group", name="Cargos de entrega (TDU)").is_visible()
    assert page.get_by_label(
        "Los cargos que publica la compañía de distribución, con sus cambios"
    ).is_checked()
    assert page.get_by_label("El ciclo de facturación empieza el día").is_visible()
    source = page.locator("#tariff-source").text_content()
    assert "Fuente de los cargos publicados: Test tariff sheet (1 sep 2025)." in source  # the Spanish date
    spanish_page(page)

    page.fill("#id_energy_cents_per_kwh", "0.115")  # dollars where cents are asked
    page.fill("#id_base_dollars_per_month", "9.95")
    page.get_by_role("button", name="Guardar el plan").click()
    assert page.locator(".form-errors").text_content().strip() == "Corrija los campos marcados abajo."
    assert page.locator("#id_energy_cents_per_kwh_error").text_content().strip() == (
        "Menos de 1 ¢ por kWh parece una cantidad en dólares: escriba centavos (para $0.115 por kWh, escriba 11.5)."
    )
    spanish_page(page)  # the form with its errors

    page.fill("#id_energy_cents_per_kwh", "12.5")
    page.fill("#id_cycle_day", str((today - timedelta(days=6)).day))  # a cycle that has readings
    page.get_by_role("button", name="Guardar el plan").click()
    page.wait_for_url(re.compile(r".*/usage/$"))
    assert "Se guardó su plan" in page.locator(".messages").text_content()
    page.goto(f"{base}/premises/{ESI_HOME}/usage/?granularity=day&preset=7d")
    wait_chart(page)
    ticks = page.locator("#usage-chart .xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d{1,2} [a-z]{3}", t) for t in ticks), ticks  # "5 dic", never "dic 5"
    panel = page.locator("#bill")
    assert panel.locator("dt").first.text_content().strip() == "Su factura hasta hoy en este ciclo"
    assert re.fullmatch(
        r"Estimado del ciclo hasta el \d{1,2} [a-z]{3}", panel.locator("dt").nth(1).text_content()
    )
    assert re.fullmatch(
        r"\d{1,2} [a-z]{3} – \d{1,2} [a-z]{3} \d{4} \(\d+ días?\)",
        panel.locator(".row-note").first.text_content(),
    )
    assert "Su plan: 12.5 ¢ por kWh y $9.95 al mes" in panel.text_content()
    assert "No incluye impuestos ni otros cargos." in panel.text_content()
    assert page.locator("#data-table thead th").last.text_content() == "Costo"  # the cost of each day
    spanish_page(page)
    ctx.close()


def test_the_language_switch_works_from_the_keyboard(browser, live_server, db):
    page = browser.new_page(viewport={"width": 375, "height": 812}, locale="en-US")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    switch = page.get_by_role("button", name="Español")
    assert switch.get_attribute("lang") == "es"
    switch.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/accounts/login/"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").text_content().strip() == "Iniciar sesión"
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "false"
    page.close()
