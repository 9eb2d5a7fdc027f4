"""allauth's pages and messages we do not override speak our Spanish ("usted", docs/glossary-es.md) through the
override catalogue ``locale_allauth``, not allauth's own catalogue (which says "tú" and leaves some English)."""

import sys
from html.parser import HTMLParser
from pathlib import Path

import allauth
import polib
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

from tests.helpers.portal_usage import PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import i18n_check

ALLAUTH_SPANISH = polib.pofile(
    str(Path(allauth.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po")
)
NEW_PASSWORD = "the garzas wait by the río grande at dawn"


def allauth_own(msgid: str) -> str:
    return ALLAUTH_SPANISH.find(msgid).msgstr


@pytest.mark.parametrize(
    ("msgid", "ours"),
    [
        ("Change Password", "Cambiar contraseña"),  # the password change page's button
        ("Two-Factor Authentication", "Verificación en dos pasos"),  # the MFA pages' heading
        ("Password successfully changed.", "Su contraseña se cambió correctamente."),  # a flash message
        ("Please select only one.", "Elija solo uno."),  # allauth's adapter: "selecciona" there
        ("You must type the same password each time.", "Debe escribir la misma contraseña las dos veces."),
        (
            "Your email verification code is listed below. Please enter it in your open browser window.",
            "Abajo está su código de verificación del correo. Escríbalo en la ventana del navegador que tiene abierta.",
        ),
        ("Passwordless", "Sin contraseña"),  # left in English by allauth
    ],
)
def test_allauth_messages_answer_in_our_spanish(msgid, ours):
    with translation.override("es"):
        assert gettext(msgid) == ours
    assert allauth_own(msgid) != ours


def test_contexts_and_plurals_are_ours_too():
    with translation.override("es"):
        assert pgettext("action", "Change Phone") == "Cambiar teléfono"
        assert pgettext("field label", "Login") == "Nombre de usuario"
        one, many = ("You have added %(count)s security key.", "You have added %(count)s security keys.")
        assert ngettext(one, many, 1) == "Agregó %(count)s llave de seguridad."
        assert ngettext(one, many, 3) == "Agregó %(count)s llaves de seguridad."


def test_our_main_catalogue_comes_first():
    """Where both catalogues have an entry, the main one words it (the override only fills allauth's gaps)."""
    assert settings.LOCALE_PATHS == [settings.BASE_DIR / "locale", settings.BASE_DIR / "locale_allauth"]
    with translation.override("es"):
        assert gettext("Remove") == "Quitar"  # ours; allauth says "Eliminar"


class _VisibleText(HTMLParser):
    """The text a reader sees or hears: text outside script/style, and the attributes read aloud or shown."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        for name in ("placeholder", "aria-label", "title", "alt"):
            if values.get(name):
                self.parts.append(values[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(response) -> str:
    parser = _VisibleText()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


@pytest.fixture
def spanish_resident(client, signed_up):
    signed_up.language = "es"
    signed_up.save(update_fields=["language"])
    client.get("/accounts/")  # shows (and clears) the English messages of signing up
    return signed_up


def test_the_password_change_page_speaks_usted(client, spanish_resident):
    page = visible_text(client.get("/accounts/password/change/"))
    for words in (
        "Cambiar contraseña",
        "Contraseña actual",
        "Contraseña nueva (otra vez)",
        "¿Olvidó su contraseña?",
    ):
        assert words in page, words
    assert "Al menos 15 caracteres" in page  # our password rules, in the same Spanish
    assert "Change Password" not in page and "Current Password" not in page
    assert i18n_check.informal_words(page) == []

    mismatch = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + " again"},
    )
    assert "Debe escribir la misma contraseña las dos veces." in visible_text(mismatch)
    done = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    shown = visible_text(done)
    assert "Su contraseña se cambió correctamente." in shown
    assert i18n_check.informal_words(shown) == []


def test_the_two_factor_page_speaks_usted(client, spanish_resident):
    page = visible_text(client.get("/accounts/2fa/"))
    assert "Verificación en dos pasos" in page
    assert "No hay ninguna aplicación de autenticación activada." in page
    assert "Two-Factor Authentication" not in page and "Autenticación de doble factor" not in page
    assert i18n_check.informal_words(page) == []

    TOTP.activate(spanish_resident, generate_totp_secret())
    RecoveryCodes.activate(spanish_resident)
    page = visible_text(client.get("/accounts/2fa/"))
    assert "La verificación con una aplicación de autenticación está activada." in page
    assert "Le quedan 10 de 10 códigos de recuperación." in page
    assert i18n_check.informal_words(page) == []
