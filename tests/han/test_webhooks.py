"""device.status_changed and device.message_status go to apps whose agreement grants a HAN scope, only."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone

from han.messages import message_spec
from han.services import Sender, device_add, message_send
from tests.han.conftest import CODE, mac
from tests.helpers.market import make_agreement
from thirdparty.models import Application, Organization, WebhookDelivery

pytestmark = pytest.mark.django_db


def test_han_webhooks_reach_only_apps_granted_a_han_scope(han, django_capture_on_commit_callbacks):
    m = han.m
    m.app.webhook_url = "https://sunny.example/hooks"
    m.app.save()
    other_org = Organization.objects.create(
        legal_name="Plain Data Co", contact_email="d@plain.example", status=Organization.Status.APPROVED
    )
    other_app = Application.objects.create(
        name="Plain",
        organization=other_org,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://plain.example/cb",
        allowed_scopes=["usage:read"],
        webhook_url="https://plain.example/hooks",
    )
    make_agreement(
        market_org=other_org,
        app=other_app,
        customer=m.owner,
        period=m.period,
        scopes=["usage:read"],
        history_start=m.period.starts_on,
    )
    with (
        mock.patch("thirdparty.webhooks.delivery._enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        device = device_add(
            premise=m.premise,
            mac=mac(1),
            install_code=CODE,
            type="smart_plug",
            name="Plug",
            sender=Sender(user=m.owner),
        )
    with (
        mock.patch("thirdparty.webhooks.delivery._enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        spec = message_spec({"text": "Hi", "duration_minutes": 1}, max_chars=80, now=timezone.now())
        message_send(premise=m.premise, spec=spec, sender=Sender(label="x"), device=device)
    sunny = WebhookDelivery.objects.filter(application=m.app).order_by("sequence")
    statuses = [d.body for d in sunny if d.event == "device.status_changed"]
    assert [s.split('"status":"')[1].split('"')[0] for s in statuses] == [
        "pending",
        "join_window_open",
        "joined",
    ]
    assert [d.event for d in sunny].count("device.message_status") == 1  # delivered
    assert not WebhookDelivery.objects.filter(application=other_app).exists()
