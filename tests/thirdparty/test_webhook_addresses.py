"""Webhook targets: only globally routable addresses, a name that resolves, and the connection goes to the
address that was checked (no DNS-rebinding window)."""

import socket
from urllib.parse import urlsplit

import pytest
import urllib3.util.connection

from tests.helpers.webhook_receiver import Receiver
from thirdparty.models import WebhookDelivery
from thirdparty.webhooks import webhook_send
from thirdparty.webhooks.transport import Refused, webhook_target

PUBLIC = "93.184.215.14"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _resolving(monkeypatch, *answers: list[str]):
    """``hooks.example`` resolves to each of ``answers`` in turn (the last one from then on)."""
    calls = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host != "hooks.example":
            return real(host, port, *args, **kwargs)
        calls.append(host)
        addresses = answers[min(len(calls), len(answers)) - 1]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


REFUSED = [
    "127.0.0.1",  # loopback
    "10.0.0.5",  # private
    "192.168.1.1",
    "172.16.0.1",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "169.254.169.254",  # cloud metadata (AWS, GCP, Azure)
    "169.254.1.1",  # link-local
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",  # multicast
    "233.252.0.1",  # global-scope multicast
    "198.18.0.1",  # benchmarking
    "192.0.0.8",  # IETF protocol assignments
    "240.0.0.1",  # reserved
    "::1",
    "::",
    "fe80::1",
    "fc00::1",  # unique local
    "fd00:ec2::254",  # AWS metadata over IPv6
    "ff02::1",
    "2001:db8::1",  # documentation
    "::ffff:8.8.8.8",  # IPv4-mapped (even of a public IPv4)
    "::ffff:127.0.0.1",
    "::8.8.8.8",  # IPv4-compatible
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:808:808::1",  # 6to4, even of a public IPv4
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
    "64:ff9b::7f00:1",  # NAT64 of loopback
    "64:ff9b:1::808:808",  # local-use NAT64
]


@pytest.mark.parametrize("address", REFUSED)
def test_each_address_that_is_not_globally_routable_is_refused(monkeypatch, address):
    _resolving(monkeypatch, [address])
    with pytest.raises(Refused):
        webhook_target("https://hooks.example/events")
    if ":" not in address or address.startswith("::ffff"):
        literal = f"[{address}]" if ":" in address else address
        with pytest.raises(Refused):
            webhook_target(f"http://{literal}/events")


def test_a_name_with_one_public_and_one_private_answer_is_refused(monkeypatch):
    _resolving(monkeypatch, [PUBLIC, "10.0.0.5"])
    with pytest.raises(Refused, match="10.0.0.5"):
        webhook_target("https://hooks.example/events")


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_are_accepted(monkeypatch, address):
    _resolving(monkeypatch, [address])
    assert str(webhook_target("https://hooks.example/events").address) == address


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_is_refused_and_nothing_is_sent(
    monkeypatch, django_capture_on_commit_callbacks, settings, app
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    _resolving(monkeypatch, [])
    app.webhook_url = "https://hooks.example/events"
    app.save()
    sent = []
    monkeypatch.setattr(urllib3.util.connection, "create_connection", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={})
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert "does not resolve" in delivery.last_error
    assert sent == []


@pytest.mark.django_db
def test_dns_rebinding_cannot_move_the_connection_to_a_private_address(
    monkeypatch, django_capture_on_commit_callbacks, settings, app, receiver
):
    """The name answers a public address when checked, then 127.0.0.1 (our receiver) to any later lookup:
    the connection goes to the public address that was checked, with the name in the Host header."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    port = urlsplit(receiver.url).port
    lookups = _resolving(monkeypatch, [PUBLIC], ["127.0.0.1"])
    connected = []
    real_connect = urllib3.util.connection.create_connection

    def connect(address, *args, **kwargs):
        connected.append(address)
        # stand in for the public host: route the checked address to the test receiver
        return real_connect(("127.0.0.1", port) if address[0] == PUBLIC else address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    app.webhook_url = f"http://hooks.example:{port}/events"
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_send(organization=app.organization, event="agreement.created", data={})
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED, delivery.last_error
    assert lookups == ["hooks.example"]  # resolved once
    assert connected == [(PUBLIC, port)]
    (request,) = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example:{port}"
