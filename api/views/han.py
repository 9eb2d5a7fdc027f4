"""In-home devices (HAN): ``/api/v1/premises/{esiid}/devices/``, ``/api/v1/devices/{id}/`` and their messages.

Access is ``thirdparty.access.han_decide``; the rules are ``han.services``."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response

from api.base import ApiView, absolute_url
from api.problems import ApiProblem, invalid_parameter
from api.schema import ESIID_PARAM, problem_responses
from han.code_messages import device_failure_text, message_failure_text, message_invalid_text
from han.messages import MessageInvalid, message_spec
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
from thirdparty.access import han_decide
from thirdparty.accesslog import access_log_record
from thirdparty.scopes import HAN_MANAGE, HAN_MESSAGE, HAN_READ

NOT_FOUND_DEVICE = gettext_lazy("No device with this id is available to you.")


def device_body(request, device: Device) -> dict:
    return {
        "id": device.pk,
        "esiid": device.premise.esiid,
        "url": absolute_url(request, reverse("api:device-detail", args=[device.pk])),
        "mac": device.mac_display,
        "type": device.type,
        "name": device.name,
        "status": device.status,
        "status_changed_at": device.status_changed_at.isoformat(),
        "attempt": device.attempt,
        "failure": (
            {
                "code": device.failure_code,
                "message": device_failure_text(device.failure_code, device.failure_message),
            }
            if device.status == Device.Status.FAILED
            else None
        ),
        "can_retry": device.status == Device.Status.FAILED and device.install_code_encrypted is not None,
        "created_at": device.created_at.isoformat(),
    }


def message_body(msg) -> dict:
    return {
        "id": msg.pk,
        "device": msg.device_id,
        "batch": str(msg.batch),
        "kind": msg.kind,
        "text": msg.text or None,
        "duration_minutes": msg.duration_minutes,
        "confirm": msg.confirm,
        "price_tier": msg.price_tier,
        "price_per_kwh": str(msg.price_per_kwh) if msg.price_per_kwh is not None else None,
        "starts_at": msg.starts_at.isoformat() if msg.starts_at else None,
        "rate_label": msg.rate_label or None,
        "from": msg.sender_label,
        "status": msg.status,
        "failure_code": msg.failure_code or None,
        "failure_message": message_failure_text(msg.failure_code, msg.failure_message) or None,
        "created_at": msg.created_at.isoformat(),
    }


def _body(request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ApiProblem(
            400, gettext("Send a JSON object."), slug="malformed-body", title="Malformed request body"
        )
    return data


def _conflict(exc: HanConflict) -> ApiProblem:
    return ApiProblem(409, str(exc), slug=exc.slug, title="Conflict")


class HanView(ApiView):
    needs_broker = True

    def han(self, *, scope: str, esiid: str | None = None, premise=None):
        """``han_decide`` for this caller; the problem it calls for otherwise."""
        d = han_decide(
            actor=self.actor,
            scope=scope,
            esiid=esiid,
            premise=premise,
            generation=getattr(self.request, "_access_generation", None),
        )
        if d.allowed:
            return d
        if d.status == 403 and d.scope:
            raise ApiProblem(403, d.detail, slug="scope-missing", title="Scope not granted", scope=d.scope)
        if d.status == 403:
            raise ApiProblem(403, d.detail, slug="organization-inactive", title="Organization not active")
        raise ApiProblem(404, d.detail)

    def device(self, device_id: int, scope: str):
        device = Device.objects.select_related("premise", "meter").filter(pk=device_id).first()
        if device is None:
            raise ApiProblem(404, str(NOT_FOUND_DEVICE))
        try:
            d = self.han(scope=scope, premise=device.premise)
        except ApiProblem as exc:
            if exc.status_code == 403:
                raise
            raise ApiProblem(404, str(NOT_FOUND_DEVICE)) from None
        if device_in_premise(d.premise, device.pk) is None:  # a previous occupancy's device
            raise ApiProblem(404, str(NOT_FOUND_DEVICE))
        return d, device

    def log(self, d, resource: str) -> None:
        access_log_record(
            actor=self.actor, premise_id=d.premise.pk, resource=resource, agreement_id=d.agreement_id
        )

    def send(self, d, device: Device | None):
        try:
            spec = message_spec(
                _body(self.request), max_chars=settings.HAN_MESSAGE_MAX_CHARS, now=timezone.now()
            )
        except MessageInvalid as exc:
            raise invalid_parameter(exc.field, message_invalid_text(exc)) from None
        try:
            with self.quota():  # only accepted messages count against the message quota
                msgs = message_send(
                    premise=d.premise, spec=spec, sender=sender_for(self.actor), device=device
                )
        except HanConflict as exc:
            raise _conflict(exc) from None
        self.log(d, "han-message-send")
        return Response({"results": [message_body(m) for m in msgs]}, status=202)


DEVICE_EXAMPLE = OpenApiExample(
    "An in-home display",
    value={
        "mac": "00:0D:6F:00:0A:1B:2C:3D",
        "install_code": "83FED3407A939723A5C639B26916D505C3B5",
        "type": "in_home_display",
        "name": "Kitchen display",
    },
    request_only=True,
)
MESSAGE_EXAMPLES = [
    OpenApiExample(
        "A text message",
        value={"text": "Peak prices 4-7 pm today", "duration_minutes": 60, "confirm": True},
        request_only=True,
    ),
    OpenApiExample(
        "A price signal",
        value={
            "price_tier": 3,
            "price_per_kwh": "0.245",
            "starts_at": "2026-07-01T16:00:00-05:00",
            "duration_minutes": 180,
            "rate_label": "PEAK",
        },
        request_only=True,
    ),
]


class PremiseDevicesView(HanView):
    write_buckets = ("han-devices",)

    @extend_schema(
        summary="In-home devices of a premise",
        description="The devices joined (or joining) the premise's meter in the current occupancy. Needs "
        "`han:read`.",
        parameters=[ESIID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, esiid: str):
        d = self.han(scope=HAN_READ, esiid=esiid)
        devices_expire_stale(premise=d.premise)
        devices = devices_visible(d.premise).select_related("premise")
        self.log(d, "han-devices")
        return Response({"results": [device_body(request, x) for x in devices]})

    @extend_schema(
        summary="Add an in-home device",
        description=(
            "Registers a device (MAC: EUI-64, 16 hex digits with or without separators; install code: 6, 8, "
            "12 or 16 bytes plus its CRC-16/X-25, low byte first; type one of "
            f"{', '.join(Device.Type.values)}) and asks the meter to let it join: `201` with the device, "
            "whose `status` then goes `pending` → `join_window_open` → `joined` or `failed`. Needs "
            "`han:manage` (customers, household members and apps granted it; never a REP)."
        ),
        parameters=[ESIID_PARAM],
        request=OpenApiTypes.OBJECT,
        examples=[DEVICE_EXAMPLE],
        responses={201: OpenApiTypes.OBJECT, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request, esiid: str):
        d = self.han(scope=HAN_MANAGE, esiid=esiid)
        body = _body(request)
        fields = {}
        for name in ("mac", "install_code", "type", "name"):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                raise invalid_parameter(name, gettext("%(name)s is required.") % {"name": name})
            fields[name] = value
        try:
            with self.quota():  # only an accepted device counts against the provisioning quota
                device = device_add(premise=d.premise, sender=sender_for(self.actor), **fields)
        except HanInvalid as exc:
            problem = invalid_parameter(exc.field, str(exc))
            if exc.code:  # a MAC or install code: the stable code, whatever the detail's language
                problem.extra["code"] = exc.code
            raise problem from None
        except HanConflict as exc:
            raise _conflict(exc) from None
        self.log(d, "han-device-add")
        device.refresh_from_db()
        out = device_body(request, device)
        return Response(out, status=201, headers={"Location": out["url"]})


class DeviceDetailView(HanView):
    write_buckets = ("han-devices",)

    @extend_schema(
        summary="One in-home device and its status",
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, device_id: int):
        d, device = self.device(device_id, HAN_READ)
        if devices_expire_stale(premise=d.premise):
            device.refresh_from_db()
        self.log(d, "han-device")
        return Response(device_body(request, device))

    @extend_schema(
        summary="Remove an in-home device",
        description="`202`: the device goes `removing`, then `removed` when the meter confirms. Needs `han:manage`.",
        responses={202: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404, 429)},
    )
    def delete(self, request, device_id: int):
        d, device = self.device(device_id, HAN_MANAGE)
        with self.quota():
            device = device_remove(device=device)
        self.log(d, "han-device-remove")
        return Response(device_body(request, device), status=202)


class DeviceRetryView(HanView):
    write_buckets = ("han-devices",)

    @extend_schema(
        summary="Try joining a failed device again",
        request=None,
        responses={202: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request, device_id: int):
        d, device = self.device(device_id, HAN_MANAGE)
        try:
            with self.quota():
                device = device_retry(device=device)
        except HanConflict as exc:
            raise _conflict(exc) from None
        self.log(d, "han-device-retry")
        return Response(device_body(request, device), status=202)


class DeviceMessagesView(HanView):
    write_buckets = ("han-messages",)

    @extend_schema(
        summary="Messages a device received",
        description="Every message and price signal sent to the device, newest first, with who sent it.",
        responses={200: OpenApiTypes.OBJECT, **problem_responses(401, 403, 404)},
    )
    def get(self, request, device_id: int):
        d, device = self.device(device_id, HAN_READ)
        self.log(d, "han-messages")
        return Response({"results": [message_body(m) for m in messages_visible(device)[:200]]})

    @extend_schema(
        summary="Send a message or price signal to a device",
        description=(
            "A text message (`text` of at most HAN_MESSAGE_MAX_CHARS characters, `duration_minutes`, optional "
            "`confirm`) or a price signal modelled on ZigBee SE PublishPrice (`price_tier` 1-6, "
            "`price_per_kwh` in dollars, `starts_at` with its offset, `duration_minutes`, `rate_label` up to "
            "12 characters). `202`; each message's `status` goes `sent` → `delivered` (→ `confirmed`) or "
            "`failed`. Needs `han:message`."
        ),
        request=OpenApiTypes.OBJECT,
        examples=MESSAGE_EXAMPLES,
        responses={202: OpenApiTypes.OBJECT, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request, device_id: int):
        d, device = self.device(device_id, HAN_MESSAGE)
        return self.send(d, device)


class PremiseMessagesView(HanView):
    write_buckets = ("han-messages",)

    @extend_schema(
        summary="Send a message or price signal to every joined device of a premise",
        description="The same body as for one device; one message per joined device. Needs `han:message`.",
        parameters=[ESIID_PARAM],
        request=OpenApiTypes.OBJECT,
        examples=MESSAGE_EXAMPLES,
        responses={202: OpenApiTypes.OBJECT, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request, esiid: str):
        d = self.han(scope=HAN_MESSAGE, esiid=esiid)
        return self.send(d, None)
