"""The HAN API for every actor on every endpoint, problem documents, the access log and move-out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from han.models import Device
from han.services import Sender, device_add
from portal.models import PremiseRegistration
from portal.services import service_period_move_in, service_period_move_out
from tests.han.conftest import CODE, mac
from tests.helpers.market import assert_problem
from thirdparty.models import AccessLogEntry

pytestmark = pytest.mark.django_db

ENDPOINTS = ("list", "add", "detail", "remove", "messages", "send", "send_all")
ALLOWED = {
    "list": 200,
    "add": 201,
    "detail": 200,
    "remove": 202,
    "messages": 200,
    "send": 202,
    "send_all": 202,
}
READ_ONLY = {"list": 200, "detail": 200, "messages": 200}

# actor -> the endpoints it may use (others: 403 when it holds a grant on the premise, 404 otherwise)
MATRIX = {
    "owner": set(ENDPOINTS),
    "member": set(ENDPOINTS),
    "rep": {"list", "detail", "messages", "send", "send_all"},
    "tp-none": set(),
    "tp-read": {"list", "detail", "messages"},
    "tp-manage": {"list", "detail", "messages", "add", "remove"},
    "tp-message": {"list", "detail", "messages", "send", "send_all"},
    "former-rep": None,  # 404 everywhere
    "former-occupant": None,
    "stranger": None,
}


def joined(han, n, django_capture_on_commit_callbacks) -> Device:
    with django_capture_on_commit_callbacks(execute=True):
        device = device_add(
            premise=han.m.premise,
            mac=mac(n),
            install_code=CODE,
            type="thermostat",
            name=f"Thermostat {n}",
            sender=Sender(user=han.m.owner),
        )
    device.refresh_from_db()
    assert device.status == "joined"
    return device


def credentials(client, han, actor: str) -> dict:
    m = han.m
    users = {"owner": m.owner, "member": han.member, "former-occupant": m.former, "stranger": m.stranger}
    if actor in users:
        client.force_login(users[actor])
        return {}
    if actor == "rep":
        return m.apikey(han.rep_key)
    if actor == "former-rep":
        return m.apikey(han.former_rep_key)
    return m.bearer(han.tokens[actor.removeprefix("tp-")])


def call(client, han, endpoint: str, device: Device, headers: dict, n: int):
    esiid = han.m.premise.esiid
    json = {"content_type": "application/json"}
    text = {"text": "Peak 4-7 pm", "duration_minutes": 30}
    if endpoint == "list":
        return client.get(f"/api/v1/premises/{esiid}/devices/", **headers)
    if endpoint == "add":
        body = {"mac": mac(100 + n), "install_code": CODE, "type": "smart_plug", "name": "Plug"}
        return client.post(f"/api/v1/premises/{esiid}/devices/", body, **json, **headers)
    if endpoint == "detail":
        return client.get(f"/api/v1/devices/{device.pk}/", **headers)
    if endpoint == "remove":
        return client.delete(f"/api/v1/devices/{device.pk}/", **headers)
    if endpoint == "messages":
        return client.get(f"/api/v1/devices/{device.pk}/messages/", **headers)
    if endpoint == "send":
        return client.post(f"/api/v1/devices/{device.pk}/messages/", text, **json, **headers)
    return client.post(f"/api/v1/premises/{esiid}/devices/messages/", text, **json, **headers)


@pytest.mark.parametrize("actor", list(MATRIX))
def test_every_actor_on_every_endpoint(client, han, actor, settings, django_capture_on_commit_callbacks):
    settings.HAN_DEVICES_PER_METER = 20
    allowed = MATRIX[actor]
    for n, endpoint in enumerate(ENDPOINTS):
        device = joined(han, n + 1, django_capture_on_commit_callbacks)
        headers = credentials(client, han, actor)
        with django_capture_on_commit_callbacks(execute=True):
            resp = call(client, han, endpoint, device, headers, n)
        if allowed is None:
            assert_problem(resp, 404)
        elif endpoint in allowed:
            assert resp.status_code == ALLOWED[endpoint], (actor, endpoint, resp.content[:300])
        else:
            assert_problem(resp, 403)
            assert resp.json()["scope"].startswith("han:"), (actor, endpoint)
        client.logout()


def test_the_rep_may_never_manage_even_with_the_scope_on_its_key(
    client, han, django_capture_on_commit_callbacks
):
    device = joined(han, 1, django_capture_on_commit_callbacks)
    resp = client.delete(f"/api/v1/devices/{device.pk}/", **han.m.apikey(han.rep_key))
    assert_problem(resp, 403)
    assert "retail provider" in resp.json()["detail"]


def test_customer_adds_and_watches_the_device_join(client, han, django_capture_on_commit_callbacks):
    client.force_login(han.m.owner)
    body = {
        "mac": "00:0d:6f:00:0a:1b:2c:3d",
        "install_code": CODE,
        "type": "in_home_display",
        "name": "Kitchen",
    }
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            f"/api/v1/premises/{han.m.premise.esiid}/devices/", body, content_type="application/json"
        )
    assert resp.status_code == 201
    out = resp.json()
    assert out["mac"] == "00:0D:6F:00:0A:1B:2C:3D" and out["status"] in ("pending", "joined")
    assert "install_code" not in out and CODE not in resp.content.decode()
    assert client.get(resp["Location"]).json()["status"] == "joined"


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"mac": "12345"}, "mac"),
        ({"mac": "0000000000000000"}, "mac"),
        ({"install_code": CODE[:-1] + "0"}, "install_code"),
        ({"install_code": CODE[:20]}, "install_code"),
        ({"type": "toaster"}, "type"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_device_input_is_a_400_naming_the_field(client, han, body, parameter):
    client.force_login(han.m.owner)
    full = {"mac": mac(7), "install_code": CODE, "type": "smart_plug", "name": "Plug"} | body
    resp = client.post(
        f"/api/v1/premises/{han.m.premise.esiid}/devices/", full, content_type="application/json"
    )
    assert_problem(resp, 400)
    assert resp.json()["parameter"] == parameter


@pytest.mark.parametrize(
    ("body", "parameter", "code", "spanish"),
    [
        (
            {"mac": "00:0D:6F:00:0A:1B:2C"},
            "mac",
            "mac_length",
            "La dirección MAC de un dispositivo tiene 16 caracteres; usted escribió 14. Cópiela otra vez de la "
            "etiqueta.",
        ),
        (
            {"mac": "00:0D:6F:00:0A:1B:2C:3G"},
            "mac",
            "mac_not_hex",
            "La dirección MAC solo puede tener los caracteres del 0 al 9 y de la A a la F; quite o corrija: G.",
        ),
        (
            {"install_code": CODE[:-1] + "0"},
            "install_code",
            "install_code_check",
            "Los dígitos de verificación del código de instalación no coinciden: compárelo, carácter por "
            "carácter, con la etiqueta del dispositivo.",
        ),
    ],
    ids=["mac-length", "mac-not-hex", "install-code-check"],
)
def test_a_bad_mac_or_install_code_is_explained_in_the_callers_language(
    client, han, body, parameter, code, spanish
):
    """The detail follows Accept-Language like every API detail; the stable ``code`` and every other member
    stay the same."""
    full = {"mac": mac(7), "install_code": CODE, "type": "smart_plug", "name": "Plug"} | body
    url = f"/api/v1/premises/{han.m.premise.esiid}/devices/"
    headers = han.m.bearer(han.tokens["manage"])
    english = client.post(url, full, content_type="application/json", **headers)
    r = client.post(
        url, full, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9", **headers
    )
    assert_problem(r, 400)
    assert r["Content-Language"] == "es" and english["Content-Language"] == "en"
    es_body, en_body = r.json(), english.json()
    assert es_body["detail"] == spanish and es_body["code"] == code and es_body["parameter"] == parameter
    assert {k: v for k, v in es_body.items() if k != "detail"} == {
        k: v for k, v in en_body.items() if k != "detail"
    }
    assert en_body["detail"] != spanish and not Device.objects.exists()


def test_han_conflicts_and_unknown_devices_are_explained_in_spanish(
    client, han, django_capture_on_commit_callbacks
):
    headers = {**han.m.bearer(han.tokens["manage"]), "HTTP_ACCEPT_LANGUAGE": "es"}
    r = client.get("/api/v1/devices/999999/", **headers)
    assert_problem(r, 404)
    assert r.json()["detail"] == "No tiene acceso a ningún dispositivo con este id."
    joined(han, 1, django_capture_on_commit_callbacks)
    body = {"mac": mac(1), "install_code": CODE, "type": "smart_plug", "name": "Plug"}
    client.force_login(han.m.stranger)
    r = client.post(
        f"/api/v1/premises/{han.m.other_premise.esiid}/devices/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert_problem(r, 409)
    assert r["Content-Language"] == "es" and r.json()["detail"].startswith(
        "Ya hay un dispositivo con esta MAC"
    )


def test_a_mac_joined_elsewhere_is_a_409(client, han, django_capture_on_commit_callbacks):
    joined(han, 1, django_capture_on_commit_callbacks)
    client.force_login(han.m.stranger)  # the other premise's customer
    body = {"mac": mac(1), "install_code": CODE, "type": "smart_plug", "name": "Plug"}
    resp = client.post(
        f"/api/v1/premises/{han.m.other_premise.esiid}/devices/", body, content_type="application/json"
    )
    assert_problem(resp, 409)


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"text": "x" * 81, "duration_minutes": 5}, "text"),
        ({"text": "hi", "duration_minutes": 0}, "duration_minutes"),
        ({"text": "hi", "duration_minutes": 5, "confirm": "maybe"}, "confirm"),
        ({"price_tier": 9, "price_per_kwh": "0.1", "duration_minutes": 5}, "price_tier"),
        ({"price_tier": 1, "price_per_kwh": "-1", "duration_minutes": 5}, "price_per_kwh"),
        ({"price_tier": 1, "price_per_kwh": "abc", "duration_minutes": 5}, "price_per_kwh"),
        (
            {
                "price_tier": 1,
                "price_per_kwh": "0.1",
                "duration_minutes": 5,
                "starts_at": "2020-01-01T00:00:00",
            },
            "starts_at",
        ),
        (
            {
                "price_tier": 1,
                "price_per_kwh": "0.1",
                "duration_minutes": 5,
                "starts_at": "2020-01-01T00:00:00Z",
            },
            "starts_at",
        ),
        (
            {"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 5, "rate_label": "x" * 13},
            "rate_label",
        ),
        ({"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 99999}, "duration_minutes"),
    ],
)
def test_bad_messages_are_a_400_naming_the_field(
    client, han, body, parameter, django_capture_on_commit_callbacks
):
    device = joined(han, 1, django_capture_on_commit_callbacks)
    client.force_login(han.m.owner)
    resp = client.post(f"/api/v1/devices/{device.pk}/messages/", body, content_type="application/json")
    assert_problem(resp, 400)
    assert resp.json()["parameter"] == parameter
    spanish = client.post(
        f"/api/v1/devices/{device.pk}/messages/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert spanish["Content-Language"] == "es" and spanish.json()["parameter"] == parameter
    assert spanish.json()["detail"] != resp.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "hi", "price_tier": 1, "duration_minutes": 5},
        {"duration_minutes": "soon"},
        {"duration_minutes": 5},
        {"text": "x" * 81, "duration_minutes": 5},
        {"text": "hi", "duration_minutes": 0},
        {"text": "hi", "duration_minutes": 5, "confirm": "maybe"},
        {"price_tier": 1, "price_per_kwh": "-1", "duration_minutes": 5},
        {"price_tier": 1, "price_per_kwh": "abc", "duration_minutes": 5},
        {"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 5, "starts_at": "soon"},
        {"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 5, "starts_at": "2020-01-01T00:00:00"},
        {"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 5, "starts_at": "2020-01-01T00:00:00Z"},
        {"price_tier": 1, "price_per_kwh": "0.1", "duration_minutes": 5, "rate_label": "x" * 13},
    ],
)
def test_every_message_refusal_has_its_words_in_both_languages(body):
    """``han.messages`` (no Django) says it in English with a code; ``han.code_messages`` says the same in the
    reader's language: in English word for word."""
    from django.utils import timezone, translation

    from han.code_messages import MESSAGE_TEXTS, message_invalid_text
    from han.messages import MessageInvalid, message_spec

    with pytest.raises(MessageInvalid) as refused:
        message_spec(body, max_chars=80, now=timezone.now())
    assert refused.value.code in MESSAGE_TEXTS
    with translation.override("en"):
        assert message_invalid_text(refused.value) == str(refused.value)
    with translation.override("es"):
        assert message_invalid_text(refused.value) != str(refused.value)


def test_price_signal_and_history_with_sender(client, han, django_capture_on_commit_callbacks):
    device = joined(han, 1, django_capture_on_commit_callbacks)
    body = {"price_tier": 3, "price_per_kwh": "0.245", "duration_minutes": 180, "rate_label": "PEAK"}
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            f"/api/v1/devices/{device.pk}/messages/",
            body,
            content_type="application/json",
            **han.m.apikey(han.rep_key),
        )
    assert resp.status_code == 202
    client.force_login(han.m.owner)
    (msg,) = client.get(f"/api/v1/devices/{device.pk}/messages/").json()["results"]
    assert (
        msg["from"] == "Reliant (REP)" and msg["status"] == "delivered" and msg["price_per_kwh"] == "0.24500"
    )


def test_actions_by_others_are_in_the_access_log_the_customers_are_not(
    client, han, django_capture_on_commit_callbacks
):
    device = joined(han, 1, django_capture_on_commit_callbacks)
    client.get(f"/api/v1/premises/{han.m.premise.esiid}/devices/", **han.m.apikey(han.rep_key))
    client.get(f"/api/v1/devices/{device.pk}/", **han.m.bearer(han.tokens["read"]))
    client.force_login(han.m.owner)
    client.get(f"/api/v1/premises/{han.m.premise.esiid}/devices/")
    assert sorted(AccessLogEntry.objects.values_list("resource", flat=True)) == ["han-device", "han-devices"]


def test_provisioning_and_messages_are_throttled(client, han, settings):
    settings.API_RATE_LIMITS = {
        "credential": {"limit": 1000, "period": 60},
        "ip": {"limit": 1000, "period": 60},
        "han-devices": {"limit": 1, "period": 3600},
        "han-messages": {"limit": 1, "period": 3600},
    }
    client.force_login(han.m.owner)
    url = f"/api/v1/premises/{han.m.premise.esiid}/devices/"
    body = {"mac": mac(1), "install_code": CODE, "type": "smart_plug", "name": "Plug"}
    assert client.post(url, body, content_type="application/json").status_code == 201
    body["mac"] = mac(2)
    assert_problem(client.post(url, body, content_type="application/json"), 429)
    device = Device.objects.get()
    Device.objects.filter(pk=device.pk).update(status="joined")
    send = f"/api/v1/devices/{device.pk}/messages/"
    text = {"text": "Hi", "duration_minutes": 5}
    assert client.post(send, text, content_type="application/json").status_code == 202
    assert_problem(client.post(send, text, content_type="application/json"), 429)


def test_after_move_out_the_new_occupant_sees_none_and_third_parties_lose_access(
    client, han, django_user_model, django_capture_on_commit_callbacks
):
    m = han.m
    device = joined(han, 1, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_out(premise=m.premise, ends_on=m.today)
        new_period = service_period_move_in(premise=m.premise, rep=m.rep, starts_on=m.today)
    device.refresh_from_db()
    assert device.status == "removed"
    newcomer = django_user_model.objects.create_user("newcomer", "n@example.com", "pw-newcomer-123456")
    PremiseRegistration.objects.create(user=newcomer, period=new_period)
    client.force_login(newcomer)
    assert client.get(f"/api/v1/premises/{m.premise.esiid}/devices/").json()["results"] == []
    assert_problem(client.get(f"/api/v1/devices/{device.pk}/"), 404)
    assert_problem(client.get(f"/api/v1/devices/{device.pk}/messages/"), 404)
    client.force_login(m.owner)  # the former occupant
    assert_problem(client.get(f"/api/v1/premises/{m.premise.esiid}/devices/"), 404)
    client.logout()
    # the agreement ended with the move-out: its token no longer works (401), and never shows devices
    resp = client.get(f"/api/v1/premises/{m.premise.esiid}/devices/", **m.bearer(han.tokens["manage"]))
    assert resp.status_code in (401, 404)


def test_a_move_out_recorded_ahead_of_its_date_ends_han_access_at_once(
    client, han, django_capture_on_commit_callbacks
):
    m = han.m
    device = joined(han, 1, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_out(premise=m.premise, ends_on=m.today + timedelta(days=10))
    device.refresh_from_db()
    assert device.status == "removed"
    for headers in (m.bearer(han.tokens["manage"]), m.apikey(han.rep_key)):
        resp = client.get(f"/api/v1/premises/{m.premise.esiid}/devices/", **headers)
        assert resp.status_code in (401, 404)
    client.force_login(m.owner)
    body = {"mac": mac(2), "install_code": CODE, "type": "smart_plug", "name": "Plug"}
    resp = client.post(f"/api/v1/premises/{m.premise.esiid}/devices/", body, content_type="application/json")
    assert_problem(resp, 404)


def test_a_rep_switch_hands_han_to_the_new_rep_from_its_tenure_start(
    client, han, django_capture_on_commit_callbacks
):
    from portal.services import service_period_switch_rep

    m = han.m
    device = joined(han, 1, django_capture_on_commit_callbacks)
    service_period_switch_rep(period=m.period, rep=m.other_rep, on=m.today)
    new_rep, old_rep = m.apikey(han.former_rep_key), m.apikey(han.rep_key)
    assert client.get(f"/api/v1/devices/{device.pk}/", **new_rep).status_code == 200
    assert_problem(client.get(f"/api/v1/devices/{device.pk}/", **old_rep), 404)
    assert_problem(client.get(f"/api/v1/premises/{m.premise.esiid}/devices/", **old_rep), 404)
