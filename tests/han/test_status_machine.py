"""The whole device status machine through the Celery path (tasks run eagerly) with the simulator."""

from __future__ import annotations

from unittest import mock

import pytest

from han.messages import message_spec
from han.models import Device, DeviceMessage
from han.services import (
    HanConflict,
    HanInvalid,
    Sender,
    device_add,
    device_remove,
    device_retry,
    message_send,
)
from portal.services import service_period_move_out
from tests.han.conftest import CODE, mac
from usage.headend.han import DeviceOutcome, report_device

pytestmark = pytest.mark.django_db


def add(han, n=1, *, prefix="000D6F00", capture=None, premise=None):
    return device_add(
        premise=premise or han.m.premise,
        mac=mac(n, prefix),
        install_code=CODE,
        type="in_home_display",
        name=f"Display {n}",
        sender=Sender(user=han.m.owner, label="Olive Owner"),
    )


def steps(device):
    return [h.status for h in device.history.order_by("at", "id")]


def test_a_device_joins_pending_window_open_joined(han, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        device = add(han)
    device.refresh_from_db()
    assert device.status == "joined"
    assert steps(device) == ["pending", "join_window_open", "joined"]
    assert device.install_code_encrypted is None  # the secret is gone once joined
    assert device.adapter == "simulator" and device.added_by == han.m.owner


def test_the_simulator_answers_with_countdowns_never_a_sleep(
    han, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_DELAY_SECONDS = 7
    with (
        mock.patch("usage.headend.tasks.simulated_han_join.apply_async") as join,
        mock.patch("time.sleep") as sleep,
        django_capture_on_commit_callbacks(execute=True),
    ):
        device = add(han)
    join.assert_called_once_with(args=[device.pk, 1, device.meter_id, device.mac, 300], countdown=7)
    assert CODE not in str(join.call_args)  # the install code never goes through the broker
    sleep.assert_not_called()
    assert Device.objects.get().status == "pending"


def test_wrong_install_code_fails_with_a_reason_and_retries_until_exhausted(
    han, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        device = add(han, prefix="BADC0000")
    device.refresh_from_db()
    assert device.status == "failed" and device.failure_code == "install_code_mismatch"
    assert "install code does not match" in device.failure_message
    assert device.install_code_encrypted is not None  # kept for a retry
    for attempt in (2, 3):
        with django_capture_on_commit_callbacks(execute=True):
            device_retry(device=device)
        device.refresh_from_db()
        assert device.status == "failed" and device.attempt == attempt
    assert device.install_code_encrypted is None  # retries exhausted: deleted
    with pytest.raises(HanConflict, match="all its attempts"):
        device_retry(device=device)


def test_a_device_that_never_answers_fails_when_the_window_closes(
    han, settings, django_capture_on_commit_callbacks
):
    settings.HAN_JOIN_WINDOW_SECONDS = 120
    with (
        mock.patch("usage.headend.tasks.simulated_han_join_end.apply_async") as end,
        django_capture_on_commit_callbacks(execute=True),
    ):
        device = add(han, prefix="DEAD0000")
    assert end.call_args.kwargs["countdown"] == 120  # the answer is the window closing
    device.refresh_from_db()
    assert device.status == "join_window_open"
    from usage.headend.tasks import simulated_han_join_end

    simulated_han_join_end(*end.call_args.kwargs["args"])
    device.refresh_from_db()
    assert device.status == "failed" and device.failure_code == "no_answer"
    assert "did not answer before the meter stopped listening" in device.failure_message


def test_meter_unreachable_on_the_first_attempt_then_retry_joins(
    han, settings, django_capture_on_commit_callbacks
):
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 1.0  # every first attempt fails
    with django_capture_on_commit_callbacks(execute=True):
        device = add(han)
    device.refresh_from_db()
    assert device.status == "failed" and device.failure_code == "meter_unreachable"
    with django_capture_on_commit_callbacks(execute=True):
        device_retry(device=device)
    device.refresh_from_db()
    assert device.status == "joined" and device.attempt == 2
    assert steps(device) == ["pending", "failed", "pending", "join_window_open", "joined"]


def test_removal_goes_removing_then_removed_and_frees_the_mac(han, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        device = add(han)
    with (
        mock.patch("usage.headend.tasks.simulated_han_remove.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        device_remove(device=device)
    device.refresh_from_db()
    assert device.status == "removing"
    with pytest.raises(HanConflict, match="already connected"):
        add(han, premise=han.m.other_premise)  # held until removed
    report_device(DeviceOutcome(device.pk, 0, "removed"))
    device.refresh_from_db()
    assert device.status == "removed"
    with django_capture_on_commit_callbacks(execute=True):
        again = add(han, premise=han.m.other_premise)
    again.refresh_from_db()
    assert again.status == "joined"


def test_an_answer_to_an_earlier_attempt_is_ignored(han, settings, django_capture_on_commit_callbacks):
    settings.HEADEND_SIMULATOR_HAN_FAILURE_RATE = 1.0
    with django_capture_on_commit_callbacks(execute=True):
        device = add(han)
    with (
        mock.patch("usage.headend.tasks.simulated_han_join.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        device_retry(device=device)
    report_device(DeviceOutcome(device.pk, 1, "joined"))  # late, for attempt 1
    device.refresh_from_db()
    assert device.status == "pending"


def test_a_mac_joined_elsewhere_and_the_per_meter_limit_are_conflicts(
    han, settings, django_capture_on_commit_callbacks
):
    settings.HAN_DEVICES_PER_METER = 2
    with django_capture_on_commit_callbacks(execute=True):
        add(han, 1)
        add(han, 2)
    with pytest.raises(HanConflict, match="already connected"):
        add(han, 1, premise=han.m.other_premise)
    with pytest.raises(HanConflict, match="already has 2 devices"):
        add(han, 3)


def test_bad_inputs_name_the_field(han):
    for field, kwargs in {
        "mac": {"mac": "0000000000000000"},
        "install_code": {"install_code": CODE[:-1] + "0"},
        "type": {"type": "toaster"},
        "name": {"name": "  "},
    }.items():
        args = {"mac": mac(9), "install_code": CODE, "type": "smart_plug", "name": "Plug"} | kwargs
        with pytest.raises(HanInvalid) as exc:
            device_add(premise=han.m.premise, sender=Sender(user=han.m.owner), **args)
        assert exc.value.field == field
    assert not Device.objects.exists()


def test_messages_are_delivered_confirmed_or_failed(han, django_capture_on_commit_callbacks):
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        device = add(han)
    dead = Device.objects.create(
        premise=han.m.premise,
        meter=device.meter,
        period=device.period,
        mac="DEAD000000000001",
        type="smart_plug",
        name="Old plug",
        status="joined",
    )
    spec = message_spec(
        {"text": "Hello", "duration_minutes": 5, "confirm": True}, max_chars=80, now=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        msgs = message_send(premise=han.m.premise, spec=spec, sender=Sender(label="Reliant"))
    assert len({m.batch for m in msgs}) == 1 and len(msgs) == 2
    by_device = {m.device_id: m for m in DeviceMessage.objects.all()}
    assert by_device[device.pk].status == "confirmed"
    assert [r["status"] for r in by_device[device.pk].raw] == ["delivered", "confirmed"]
    assert by_device[dead.pk].status == "failed"
    price = message_spec(
        {"price_tier": 2, "price_per_kwh": "0.125", "duration_minutes": 60, "rate_label": "PEAK"},
        max_chars=80,
        now=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        (msg,) = message_send(
            premise=han.m.premise, spec=price, sender=Sender(label="Reliant"), device=device
        )
    msg.refresh_from_db()
    assert msg.kind == "price" and msg.status == "delivered" and msg.sender_label == "Reliant"


def test_a_message_to_a_device_that_has_not_joined_is_a_conflict(han, settings):
    from django.utils import timezone

    with mock.patch("usage.headend.tasks.simulated_han_join.apply_async"):
        device = add(han)
    spec = message_spec({"text": "Hi", "duration_minutes": 1}, max_chars=80, now=timezone.now())
    with pytest.raises(HanConflict, match="has not joined"):
        message_send(premise=han.m.premise, spec=spec, sender=Sender(label="x"), device=device)


def test_move_out_removes_the_occupants_devices(han, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        joined = add(han, 1)
        failed = add(han, 2, prefix="BADC0000")
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_out(premise=han.m.premise, ends_on=han.m.today)
    joined.refresh_from_db()
    failed.refresh_from_db()
    assert joined.status == "removed" and failed.status == "removed"
    assert joined.install_code_encrypted is None and failed.install_code_encrypted is None


def test_a_join_the_head_end_never_answers_fails_after_the_window(han, settings):
    from datetime import timedelta

    from django.utils import timezone

    from han.services import devices_expire_stale

    with mock.patch("usage.headend.tasks.simulated_han_join.apply_async"):
        device = add(han)
    assert devices_expire_stale(premise=han.m.premise) == 0
    later = timezone.now() + timedelta(seconds=settings.HAN_JOIN_WINDOW_SECONDS + 61)
    assert devices_expire_stale(premise=han.m.premise, now=later) == 1
    device.refresh_from_db()
    assert device.status == "failed" and device.failure_code == "no_answer"
