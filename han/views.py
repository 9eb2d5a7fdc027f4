"""The customer's Devices page per premise: list with live status, add, retry, remove, test message, history.

Thin: access is ``thirdparty.access.han_decide``, the rules ``han.services``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from han.code_messages import device_failure_text
from han.forms import DeviceAddForm
from han.messages import message_spec
from han.models import Device
from han.selectors import device_in_premise, devices_visible, messages_visible, sender_for
from han.services import (
    HanConflict,
    HanInvalid,
    device_add,
    device_remove,
    device_retry,
    devices_expire_stale,
    message_send,
)
from thirdparty.access import Decision, actor_for_customer, han_decide
from thirdparty.scopes import HAN_MANAGE, HAN_READ

TEST_MESSAGE = "Test message from Open Smart Meter Texas: your device is connected."


def _decide(request: HttpRequest, esiid: str, scope: str = HAN_READ) -> Decision:
    d = han_decide(actor=actor_for_customer(request.user), scope=scope, esiid=esiid)
    if not d.allowed:
        raise Http404("No current premise with this ESI ID is on your account.")
    return d


def _device(
    request: HttpRequest, esiid: str, device_id: int, scope: str = HAN_MANAGE
) -> tuple[Decision, Device]:
    d = _decide(request, esiid, scope)
    device = device_in_premise(d.premise, device_id) if d.premise is not None else None
    if device is None:
        raise Http404("No such device at this premise.")
    return d, device


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.pk,
        "status": device.status,
        "status_text": device.get_status_display(),
        "failure_message": (
            device_failure_text(device.failure_code, device.failure_message)
            if device.status == Device.Status.FAILED
            else ""
        ),
        "passing": device.is_passing,
        "can_retry": device.status == Device.Status.FAILED and device.install_code_encrypted is not None,
    }


@login_required
def devices(request: HttpRequest, esiid: str) -> HttpResponse:
    """GET: the list and the add form. POST: add a device."""
    d = _decide(request, esiid)
    assert d.premise is not None
    form = DeviceAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device_add(
                    premise=d.premise,
                    sender=sender_for(actor_for_customer(request.user)),
                    **form.cleaned_data,
                )
            except HanInvalid as exc:
                form.add_error(exc.field, str(exc))
            except HanConflict as exc:
                form.add_error(None, str(exc))
            else:
                messages.info(
                    request, _("Your meter is looking for the device: keep it powered and close by.")
                )
                return redirect("han:devices", esiid=d.premise.esiid)
        status = 400
    devices_expire_stale(premise=d.premise)
    listed = list(devices_visible(d.premise).exclude(status=Device.Status.REMOVED))
    return render(
        request,
        "han/devices.html",
        {
            "premise": d.premise,
            "devices": listed,
            "removed": devices_visible(d.premise).filter(status=Device.Status.REMOVED)[:20],
            "form": form,
            "status_url": reverse("han:devices_status", args=[d.premise.esiid]),
            "limit": settings.HAN_DEVICES_PER_METER,
        },
        status=status,
    )


@login_required
def devices_status(request: HttpRequest, esiid: str) -> JsonResponse:
    """The statuses the page polls every few seconds while a device is in a passing status."""
    try:
        d = _decide(request, esiid)
    except Http404:
        return JsonResponse({"error": "not_found"}, status=404)
    assert d.premise is not None
    devices_expire_stale(premise=d.premise)
    listed = [device_json(x) for x in devices_visible(d.premise)]
    return JsonResponse({"devices": listed, "passing": any(x["passing"] for x in listed)})


@login_required
@require_POST
def device_retry_view(request: HttpRequest, esiid: str, device_id: int) -> HttpResponse:
    _decision, device = _device(request, esiid, device_id)
    try:
        device_retry(device=device)
    except HanConflict as exc:
        messages.error(request, str(exc))
    return redirect("han:devices", esiid=esiid)


@login_required
def device_remove_view(request: HttpRequest, esiid: str, device_id: int) -> HttpResponse:
    """GET: are you sure? POST: remove."""
    d, device = _device(request, esiid, device_id)
    if request.method == "POST":
        device_remove(device=device)
        messages.info(request, _("%(name)s is being removed from your meter.") % {"name": device.name})
        return redirect("han:devices", esiid=esiid)
    return render(request, "han/device_remove.html", {"premise": d.premise, "device": device})


@login_required
@require_POST
def device_test_message(request: HttpRequest, esiid: str, device_id: int) -> HttpResponse:
    d, device = _device(request, esiid, device_id)
    assert d.premise is not None
    spec = message_spec(
        {"text": TEST_MESSAGE[: settings.HAN_MESSAGE_MAX_CHARS], "duration_minutes": 5},
        max_chars=settings.HAN_MESSAGE_MAX_CHARS,
        now=timezone.now(),
    )
    try:
        message_send(
            premise=d.premise, spec=spec, sender=sender_for(actor_for_customer(request.user)), device=device
        )
    except HanConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("A test message is on its way to %(name)s.") % {"name": device.name})
    return redirect("han:device_history", esiid=esiid, device_id=device.pk)


@login_required
def device_history(request: HttpRequest, esiid: str, device_id: int) -> HttpResponse:
    d, device = _device(request, esiid, device_id, HAN_READ)
    return render(
        request,
        "han/device_history.html",
        {
            "premise": d.premise,
            "device": device,
            "history": device.history.order_by("-at", "-id"),
            "messages_received": messages_visible(device)[:100],
        },
    )
