"""Problem details in the caller's language: with ``Accept-Language: es`` the ``detail`` reads in Spanish and
``Content-Language`` says so; ``type``, ``title``, ``status``, ``parameter`` and every key stay as they are
(they are the contract)."""

import pytest

from tests.api.test_errors_and_limits import URL

pytestmark = pytest.mark.django_db


def test_an_invalid_parameter_is_explained_in_spanish(client, market):
    english = client.get(URL, {"start": "2025-13-01", "end": "2025-01-02"}, **market.bearer()).json()
    r = client.get(
        URL,
        {"start": "2025-13-01", "end": "2025-01-02"},
        HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9",
        **market.bearer(),
    )
    body = r.json()
    assert r.status_code == 400 and r["Content-Language"] == "es"
    assert r["Content-Type"].startswith("application/problem+json")
    assert body["detail"] == "start='2025-13-01' no es una fecha; use AAAA-MM-DD, por ejemplo 2025-07-01."
    assert {k: v for k, v in body.items() if k != "detail"} == {
        k: v for k, v in english.items() if k != "detail"
    }
    assert body["title"] == "Invalid parameter" and body["parameter"] == "start"


def test_a_missing_credential_is_explained_in_spanish(client, market):
    r = client.get(URL, {"start": "2025-01-01", "end": "2025-01-02"}, HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == 401 and r["Content-Language"] == "es"
    assert r.json()["detail"].startswith("Envíe un token OAuth 2.0 (Authorization: Bearer ...)")
    assert "WWW-Authenticate" in r


@pytest.mark.parametrize(
    ("authorization", "spanish"),
    [
        ("Bearer not-a-token-we-issued", "Este token de acceso no es válido: se revocó o nunca se emitió."),
        (
            "Api-Key smt_0000000000000000000000000000",
            "Esta clave de API no es válida: se revocó o se copió mal.",
        ),
        ("Bearer ", "El encabezado Authorization no trae ningún token después de 'Bearer'."),
    ],
)
def test_a_refused_credential_is_explained_in_spanish_and_the_header_stays_ascii(
    client, market, authorization, spanish
):
    q = {"start": "2025-01-01", "end": "2025-01-02"}
    english = client.get(URL, q, HTTP_AUTHORIZATION=authorization)
    r = client.get(URL, q, HTTP_AUTHORIZATION=authorization, HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == english.status_code == 401 and r["Content-Language"] == "es"
    assert r.json()["detail"].startswith(spanish)
    assert english.json()["detail"] != r.json()["detail"]
    # the challenge carries the English description (RFC 6750), the same whatever the caller's language
    assert r.get("WWW-Authenticate") == english.get("WWW-Authenticate")
    r["WWW-Authenticate"].encode("ascii")


def test_without_accept_language_the_detail_stays_english(client, market):
    r = client.get(URL, {"start": "2025-13-01", "end": "2025-01-02"}, **market.bearer())
    assert r["Content-Language"] == "en"
    assert r.json()["detail"] == "start='2025-13-01' is not a date; use YYYY-MM-DD, e.g. 2025-07-01."


LIMITS_ONE_PER_IP = {"credential": {"limit": 100, "period": 86400}, "ip": {"limit": 1, "period": 86400}}


@pytest.mark.parametrize(
    ("asks", "language", "detail"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}, "es", "Demasiadas solicitudes; inténtelo de nuevo en"),
        ({"cookie": "es"}, "es", "Demasiadas solicitudes; inténtelo de nuevo en"),
        ({}, "en", "Too many requests; try again in"),
    ],
    ids=["accept-language", "cookie", "nothing"],
)
def test_an_options_rate_limit_answers_in_the_language_asked_for(
    client, market, settings, asks, language, detail
):
    """OPTIONS is answered before the locale middleware runs: its 429 reads the cookie and Accept-Language
    itself."""
    settings.API_RATE_LIMITS = LIMITS_ONE_PER_IP
    headers = dict(asks)
    if "cookie" in headers:
        client.cookies["django_language"] = headers.pop("cookie")
    assert client.options(URL, **headers).status_code == 200
    r = client.options(URL, **headers)
    body = r.json()
    assert r.status_code == 429 and r["Content-Language"] == language
    assert body["detail"].startswith(detail) and "Retry-After" in r
    assert body["title"] == "Too many requests" and body["type"].endswith("rate-limited")


def test_a_nul_in_the_address_is_explained_in_spanish(client, market):
    r = client.get(URL + "?start=2025%00", HTTP_ACCEPT_LANGUAGE="es")
    assert r.status_code == 400 and r["Content-Language"] == "es"
    body = r.json()
    assert body["parameter"] == "start" and body["title"] == "Invalid parameter"
    assert body["detail"] == "start contiene un carácter NUL (%00), que no puede tener ningún valor aquí."
    english = client.get(URL + "?start=2025%00")
    assert english["Content-Language"] == "en"
    assert english.json()["detail"] == "start contains a NUL character (%00), which no value here may hold."
