"""On-demand reads a person asks for: ask, record the head-end's answer, expire, and the per-premise limits
(settings ON_DEMAND_READS_PER_HOUR/DAY). The meter-facing side is ``usage.headend``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import timefmt
from portal.models import MeterReadRequest
from usage.headend import HeadEndUnavailable, ReadOrder, ReadOutcome, get_adapter
from usage.headend.register import estimated_register
from usage.models import Meter, Premise
from usage.timegrid import MARKET_TZ

log = logging.getLogger(__name__)

Status = MeterReadRequest.Status


@dataclass(frozen=True)
class ReadLimits:
    per_hour: int
    per_day: int
    used_hour: int
    used_day: int
    next_allowed_at: datetime | None  # None when a read may be requested now

    @property
    def left_hour(self) -> int:
        return max(0, self.per_hour - self.used_hour)

    @property
    def left_day(self) -> int:
        return max(0, self.per_day - self.used_day)

    @property
    def allowed(self) -> bool:
        return self.next_allowed_at is None

    def explain(self) -> str:
        if self.next_allowed_at is None:
            return _(
                "You can ask for %(per_hour)d reads an hour and %(per_day)d a day for this meter; "
                "%(left_hour)d left this hour, %(left_day)d today. Failed reads do not count."
            ) % {
                "per_hour": self.per_hour,
                "per_day": self.per_day,
                "left_hour": self.left_hour,
                "left_day": self.left_day,
            }
        if self.left_hour == 0:
            message = _(
                "This meter has had its %(count)d reads an hour, the most a meter's network allows us to ask for. "
                "You can ask again at %(when)s."
            )
        else:
            message = _(
                "This meter has had its %(count)d reads in 24 hours, the most a meter's network allows us to ask "
                "for. You can ask again at %(when)s."
            )
        return message % {
            "count": self.per_hour if self.left_hour == 0 else self.per_day,
            "when": timefmt.when(self.next_allowed_at, year=False),
        }

    @property
    def failure_code(self) -> str:
        """The refused read's stable code (``portal.reads.failures`` words it in the reader's language)."""
        return "limit_hour" if self.left_hour == 0 else "limit_day"

    def explain_stored(self) -> str:
        """``explain()`` in English, as a refused read keeps it, whoever asked: failure messages are stored in
        English (the audit trail; the code gives the reader's language)."""
        with translation.override("en"):
            return self.explain()


class ReadLimitReached(Exception):
    def __init__(self, limits: ReadLimits, read: MeterReadRequest | None = None):
        super().__init__(limits.explain())
        self.limits = limits
        self.read = read  # the refused request, recorded like any other


class NoMeter(Exception):
    pass


def _counted(premise: Premise, since: datetime):
    # Failed reads do not count against the limit (the customer did nothing wrong), nor do refused ones.
    return MeterReadRequest.objects.filter(premise=premise, requested_at__gt=since).exclude(
        status__in=(Status.FAILED, Status.REFUSED)
    )


def read_limits(*, premise: Premise, now: datetime | None = None) -> ReadLimits:
    """How many reads this premise may still ask for, and when the next is allowed (rolling windows)."""
    now = now or timezone.now()
    per_hour, per_day = settings.ON_DEMAND_READS_PER_HOUR, settings.ON_DEMAND_READS_PER_DAY
    day_times = sorted(_counted(premise, now - timedelta(days=1)).values_list("requested_at", flat=True))
    hour_times = [t for t in day_times if t > now - timedelta(hours=1)]
    waits = []
    if len(hour_times) >= per_hour:
        waits.append(hour_times[len(hour_times) - per_hour] + timedelta(hours=1))
    if len(day_times) >= per_day:
        waits.append(day_times[len(day_times) - per_day] + timedelta(days=1))
    return ReadLimits(
        per_hour=per_hour,
        per_day=per_day,
        used_hour=len(hour_times),
        used_day=len(day_times),
        next_allowed_at=max(waits) if waits else None,
    )


def current_meter(premise: Premise) -> Meter | None:
    return premise.meters.filter(removed_on__isnull=True).order_by("-installed_on").first()


def read_request_create(*, user, premise: Premise, now: datetime | None = None) -> MeterReadRequest:
    """Record a read request and hand it to the head-end adapter (which answers later).

    Every request is one record: pending, then completed or failed; or refused at once over the limit (then
    ReadLimitReached is raised, carrying it). NoMeter when no meter is installed."""
    meter = current_meter(premise)
    if meter is None:
        raise NoMeter(_("This premise has no smart meter installed, so it cannot be read remotely."))
    adapter = get_adapter()
    adapter_name = getattr(adapter, "name", type(adapter).__name__)
    with transaction.atomic():
        # Lock the premise row so two clicks at once cannot both slip under the limit.
        Premise.objects.select_for_update().filter(pk=premise.pk).first()
        limits = read_limits(premise=premise, now=now)
        if not limits.allowed:
            refused = MeterReadRequest.objects.create(
                premise=premise,
                meter=meter,
                requested_by=user,
                requested_at=now or timezone.now(),
                status=Status.REFUSED,
                failure_code=limits.failure_code,
                failure_message=limits.explain_stored()[:300],
                answered_at=now or timezone.now(),
                adapter=adapter_name,
            )
        else:
            refused = None
            read = MeterReadRequest.objects.create(
                premise=premise,
                meter=meter,
                requested_by=user,
                requested_at=now or timezone.now(),
                adapter=adapter_name,
            )
            last = last_completed_read(meter)
            order = ReadOrder(
                request_id=read.pk,
                meter_id=meter.pk,
                premise_id=premise.pk,
                requested_at=read.requested_at,
                last_register_kwh=last.register_kwh if last else None,
                last_read_at=last.read_at if last else None,
            )
            try:
                adapter.request_read(order)
            except HeadEndUnavailable as exc:
                read_fail(read_id=read.pk, code="headend_unavailable", message=str(exc))
                read.refresh_from_db()
    if refused is not None:
        raise ReadLimitReached(limits, refused)  # outside the transaction: the refusal is kept
    return read


def last_completed_read(meter: Meter, *, before: datetime | None = None) -> MeterReadRequest | None:
    qs = MeterReadRequest.objects.filter(meter=meter, status=Status.COMPLETED, read_at__isnull=False)
    if before is not None:
        qs = qs.filter(read_at__lt=before)
    return qs.order_by("-read_at", "-id").first()


def _since_midnight(read: MeterReadRequest, register: Decimal, read_at: datetime) -> Decimal | None:
    """Register now minus the register at local midnight as the stored data puts it (so: approximate)."""
    if read.meter is None:
        return None
    midnight = datetime.combine(timezone.localdate(read_at), datetime.min.time(), tzinfo=MARKET_TZ)
    at_midnight = estimated_register(meter=read.meter, premise_id=read.premise_id, at=midnight).kwh
    return max(Decimal(0), register - at_midnight) if at_midnight > read.meter.starting_register_kwh else None


def read_complete(*, read_id: int, register_kwh: Decimal, read_at: datetime) -> bool:
    """Store the meter's answer with what it means (kWh since the meter's previous read, and about how much
    since midnight). Idempotent: only a pending request changes. True when it changed."""
    read = MeterReadRequest.objects.select_related("meter").filter(pk=read_id, status=Status.PENDING).first()
    if read is None:
        return False
    register = Decimal(register_kwh).quantize(Decimal("0.001"))
    previous = last_completed_read(read.meter, before=read_at) if read.meter else None
    changed = MeterReadRequest.objects.filter(pk=read_id, status=Status.PENDING).update(
        status=Status.COMPLETED,
        register_kwh=register,
        read_at=read_at,
        answered_at=timezone.now(),
        since_last_kwh=max(Decimal(0), register - previous.register_kwh)
        if previous and previous.register_kwh is not None
        else None,
        since_midnight_kwh=_since_midnight(read, register, read_at),
    )
    return bool(changed)


def read_answer_record(*, outcome: ReadOutcome) -> bool:
    """Record what the head-end answered for one of our requests (connected to ``usage.headend`` in ready)."""
    if outcome.register_kwh is not None and outcome.read_at is not None:
        return read_complete(
            read_id=outcome.request_id, register_kwh=outcome.register_kwh, read_at=outcome.read_at
        )
    return read_fail(read_id=outcome.request_id, code=outcome.failure_code, message=outcome.failure_message)


def read_fail(*, read_id: int, code: str, message: str) -> bool:
    changed = MeterReadRequest.objects.filter(pk=read_id, status=Status.PENDING).update(
        status=Status.FAILED,
        failure_code=code[:32],
        failure_message=message[:300],
        answered_at=timezone.now(),
    )
    return bool(changed)


def read_expire_stale(*, premise: Premise | None = None, now: datetime | None = None) -> int:
    """Pending requests the head-end never answered become failed after ON_DEMAND_READ_TIMEOUT_SECONDS."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.ON_DEMAND_READ_TIMEOUT_SECONDS)
    qs = MeterReadRequest.objects.filter(status=Status.PENDING, requested_at__lt=limit)
    if premise is not None:
        qs = qs.filter(premise=premise)
    return qs.update(
        status=Status.FAILED,
        failure_code="timeout",
        failure_message=(
            f"The meter did not answer within {settings.ON_DEMAND_READ_TIMEOUT_SECONDS // 60} minutes. "
            "This happens when the meter's radio network is busy; please try again later."
        ),
        answered_at=now,
    )
