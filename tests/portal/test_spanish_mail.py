"""Every kind of e-mail of the accounts side goes out in the recipient's saved language (Spanish here), subject
included, whatever the language of the page that caused it; someone with no account yet reads it in the language
of the page they were on; the alerts too, sent by the ingest or a meter read with no page at all. The third-party
e-mails to residents: tests/thirdparty/test_spanish_mail.py."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import dateformat, translation

from portal.accounts.services import household_reset, membership_approve, membership_remove
from portal.accounts.tokens import credential_create
from portal.models import MembershipRequest, PremiseRegistration, User
from tests.helpers.alert_loads import subscribe
from tests.helpers.portal_usage import ESI_HOME, PASSWORD
from tests.portal.accounts_fixtures import mail_code, signup_data

ENGLISH = re.compile(r"\b(Hello|your|the|was|If you|account page|registration code)\b")


def spanish(message):
    """The message, once its subject and body are checked to read in Spanish (no English sentence left)."""
    text = message.subject + "\n" + message.body
    without_links = re.sub(r"https?://\S+", "", text)
    assert not ENGLISH.search(without_links), text
    assert "Hola" in message.body or "Un saludo" in message.body, message.body
    return message


def mail_to(address, subject_part):
    found = [m for m in mail.outbox if m.to == [address] and subject_part in m.subject]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return spanish(found[0])


def _signup(send, period, username, *, language="en", code=None):
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    data = signup_data(period, username=username, email=f"{username}@example.com")
    if code is not None:
        data["registration_code"] = code
    assert send("post", "/accounts/signup/", data, client_=browser).status_code == 302
    confirm = next(m for m in reversed(mail.outbox) if m.to == [f"{username}@example.com"])
    send("post", "/accounts/confirm-email/", {"code": mail_code(confirm)}, client_=browser)
    return browser


@pytest.fixture
def maria_es(signed_up):
    signed_up.language = "es"
    signed_up.save(update_fields=["language"])
    return signed_up


def test_sign_up_confirmation_in_the_language_of_the_sign_up_page(send, period):
    send("post", "/accounts/signup/", signup_data(period), HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9")
    message = mail_to("maria@example.com", "Confirme su dirección de correo")
    assert re.search(r"^\[Open SMT\] Confirme su dirección de correo: código \S+$", message.subject)
    assert "Su código de confirmación es:" in message.body and mail_code(message)


def test_password_reset_in_the_saved_language_even_from_an_english_page(send, maria_es):
    mail.outbox.clear()
    english_browser = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    send("post", "/accounts/password/reset/", {"email": "maria@example.com"}, client_=english_browser)
    message = mail_to("maria@example.com", "Restablecer la contraseña de maria")
    assert "Para elegir una contraseña nueva para maria" in message.body


@pytest.mark.django_db
def test_unknown_address_in_the_language_of_the_page(send):
    send("post", "/accounts/password/reset/", {"email": "nobody@example.com"}, HTTP_ACCEPT_LANGUAGE="es")
    message = mail_to("nobody@example.com", "Ninguna cuenta usa esta dirección")
    assert "regístrese con el ESI ID y el código de registro" in message.body


def test_new_device_sign_in(send, maria_es):
    mail.outbox.clear()
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    send(
        "post",
        "/accounts/login/",
        {"login": "maria", "password": PASSWORD},
        client_=stranger,
        HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    )
    message = mail_to("maria@example.com", "Nuevo inicio de sesión en su cuenta desde")
    assert "Si no fue usted, cambie su contraseña ahora" in message.body


def test_credential_created(maria_es, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        credential_create(user=maria_es, kind="app_password", name="Home Assistant")
    message = mail_to("maria@example.com", "Nueva credencial en su cuenta: contraseña de aplicación")
    assert "“Home Assistant”" in message.body


def test_every_household_mail(send, maria_es, period, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    _signup(send, period, "luis", language="en")  # the old code on the bill: a request maria must answer
    mail_to("maria@example.com", "luis pide unirse a su hogar del ESI ID")
    luis = User.objects.get(username="luis")
    luis.language = "es"
    luis.save(update_fields=["language"])
    request = MembershipRequest.objects.get(user=luis)
    with django_capture_on_commit_callbacks(execute=True):
        membership_approve(member=maria_es, request_id=request.pk)
    answered = mail_to("luis@example.com", "Se unió al hogar del ESI ID")
    assert "aprobó su solicitud" in answered.body
    mail_to("maria@example.com", "luis también registró el ESI ID")  # the household is told of its new member
    registration = PremiseRegistration.objects.get(user=luis, period=period)
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(member=maria_es, registration_id=registration.pk)
    removed = mail_to("luis@example.com", "Se quitó a luis del hogar del ESI ID")
    assert "maria quitó la cuenta luis del hogar de:" in removed.body
    with django_capture_on_commit_callbacks(execute=True):
        household_reset(period=period, by="Su proveedor")
    reset = mail_to("maria@example.com", "Se reinició el registro del ESI ID")
    assert "terminó el registro de todas las cuentas de:" in reset.body


# ------------------------------------------------------------------------------------- alert e-mails


@pytest.fixture
def maria_reads_spanish(customer):
    """The usage fixtures' resident (a current home with data), her account set to Spanish."""
    customer.language = "es"
    customer.save(update_fields=["language"])
    return customer


def one_click_unsubscribe(message):
    """The List-Unsubscribe headers point at the link in the body, for RFC 8058 one-click."""
    link = re.search(r"http\S+/alerts/unsubscribe/\S+/", message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return link


def spanish_date(day, fmt):
    with translation.override("es"):
        return dateformat.format(day, fmt)


def test_threshold_alert_and_its_unsubscribe_pages(maria_reads_spanish, home, today, load):
    subscribe(maria_reads_spanish, home, threshold_kwh=Decimal("40"))
    yesterday = today - timedelta(days=1)
    mail.outbox.clear()
    load(yesterday, kwh=0.5)  # 96 x 0.5 = 48 kWh, loaded by the ingest: no page, no request language
    message = mail_to("maria@example.com", "más que su límite diario")
    assert message.subject == f"[Open SMT] {spanish_date(yesterday, 'j b')}: 48 kWh, más que su límite diario"
    assert "El " + spanish_date(yesterday, r"l j \d\e F \d\e Y") + ", " in message.body
    assert "usó 48 kWh, más que el límite de 40 kWh al día" in message.body
    assert "Deje de recibir alertas de límite de este domicilio:" in message.body
    link = one_click_unsubscribe(message)

    english_browser = Client(HTTP_ACCEPT_LANGUAGE="en-US")  # no session: the link is the credential
    asked = english_browser.get(link).content.decode()
    assert '<html lang="es"' in asked and "¿Dejar de recibir esta alerta?" in asked
    assert "Ya no le escribiremos cuando el consumo de un día pase de su límite en 1 Oak St" in asked
    done = english_browser.post(link)
    assert done["Content-Language"] == "es"
    assert (
        "Listo: ya no le escribiremos cuando el consumo de un día pase de su límite" in done.content.decode()
    )


def test_yesterdays_data_alert(maria_reads_spanish, home, today, load):
    subscribe(maria_reads_spanish, home, on_data_arrived=True)
    yesterday = today - timedelta(days=1)
    mail.outbox.clear()
    load(yesterday, kwh=0.5)
    message = mail_to("maria@example.com", "Ya llegaron los datos de ayer")
    assert message.subject == f"[Open SMT] Ya llegaron los datos de ayer: {spanish_date(yesterday, 'j b')}"
    assert "ese día se usaron 48 kWh" in message.body
    assert "Deje de recibir estos correos de este domicilio:" in message.body
    one_click_unsubscribe(message)


def test_meter_read_completed_alert_even_asked_from_an_english_page(
    maria_reads_spanish, home, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_FAILURE_RATE = 0.0
    subscribe(maria_reads_spanish, home, on_read_completed=True)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    browser.force_login(maria_reads_spanish)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resp = browser.post(f"/premises/{ESI_HOME}/reads/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 202
    message = mail_to("maria@example.com", "Se completó la lectura de su medidor")
    assert message.subject == "[Open SMT] Se completó la lectura de su medidor"
    assert re.search(
        r"El registro del medidor de .+ marcó [\d.,]+ kWh el \d+ [a-z]{3} \d{4}, \d\d:\d\d ", message.body
    )
    assert "Deje de recibir correos de lecturas del medidor de este domicilio:" in message.body
    one_click_unsubscribe(message)
