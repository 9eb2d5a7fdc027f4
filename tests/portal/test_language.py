"""The language of the portal: the account's saved choice, then the language cookie (the header's switch), then
the browser's Accept-Language; the page says which in ``<html lang>``; URLs carry no language prefix."""

import pytest
from django.core import mail
from django.test import Client

from portal.models import User
from tests.helpers.portal_usage import PASSWORD
from tests.portal.accounts_fixtures import mail_code, signup_data


@pytest.mark.django_db
def test_accept_language_picks_spanish_and_the_page_says_so():
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html and "Sign in" not in html
    assert response["Content-Language"] == "es"
    english = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in english and "Sign in" in english


@pytest.mark.django_db
def test_the_switch_is_on_every_page_labelled_with_each_language_in_its_own_language():
    html = Client().get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'action="/language/"' in html
    assert '<form class="language-switch" method="post" action="/language/" aria-label="Idioma">' in html
    assert 'lang="en" aria-pressed="false">English</button>' in html
    assert 'lang="es" aria-pressed="true" disabled>Español</button>' in html


@pytest.mark.django_db
def test_the_switch_sets_the_cookie_and_returns_to_the_page():
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post("/language/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert browser.cookies["django_language"].value == "es"
    assert "Iniciar sesión" in browser.get("/accounts/login/").content.decode()
    assert browser.get("/language/").status_code == 405


def test_the_saved_language_beats_the_browser_and_is_saved_by_the_switch(send, signed_up, client):
    assert signed_up.language == "en"  # signed up with an English page: kept for e-mails
    client.post("/language/", {"language": "es", "next": "/accounts/"})
    signed_up.refresh_from_db()
    assert signed_up.language == "es"
    # another browser, English Accept-Language, no cookie: the account's choice wins once signed in
    other = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    other.force_login(signed_up)
    page = other.get("/accounts/")
    assert '<html lang="es">' in page.content.decode() and "Su cuenta" in page.content.decode()


def test_signing_up_in_spanish_saves_spanish_and_the_confirmation_mail_is_in_spanish(send, period):
    response = send("post", "/accounts/signup/", signup_data(period), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    assert User.objects.get(username="maria").language == "es"
    message = mail.outbox[-1]
    assert message.subject.startswith("[Open SMT] Confirme su dirección de correo: código ")
    assert "Su código de confirmación es:" in message.body and mail_code(message)


def test_signing_in_switches_to_the_saved_language_at_once(signed_up, send):
    signed_up.language = "es"
    signed_up.save(update_fields=["language"])
    browser = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    response = send(
        "post", "/accounts/login/", {"login": "maria", "password": PASSWORD}, client_=browser, follow=True
    )
    html = response.content.decode()
    assert '<html lang="es">' in html and "Su energía de un vistazo" in html
    assert "Successfully signed in" not in html  # allauth's own message follows the account's language too
