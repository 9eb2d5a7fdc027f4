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


def test_without_accept_language_the_detail_stays_english(client, market):
    r = client.get(URL, {"start": "2025-13-01", "end": "2025-01-02"}, **market.bearer())
    assert r["Content-Language"] == "en"
    assert r.json()["detail"] == "start='2025-13-01' is not a date; use YYYY-MM-DD, e.g. 2025-07-01."
