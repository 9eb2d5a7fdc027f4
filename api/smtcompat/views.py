"""The five POST endpoints of the Smart Meter Texas client (docs/smt-compatibility.md). Thin: parse SMT's
body, call the portal's and /api/v1/'s services and access checks, answer in SMT's JSON shape."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import orjson
from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate as password_authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api import data, throttling
from api.smtcompat.rd import rd_string
from portal.access_window import market_today
from portal.accounts.tokens import app_password_user, compat_session_create, compat_session_user
from portal.models import MeterReadRequest
from portal.pages.views import visible_reads
from portal.reads.services import NoMeter, ReadLimitReached, current_meter, read_request_create
from thirdparty.access import access_decide, access_premises_queryset, actor_for_customer
from usage.timegrid import MARKET_TZ

UNAUTHORIZED_PER_MINUTE = 3  # then 403: the client retries a 401 at once and without end
PROBLEM = "application/problem+json"
SMT_STATUS = {
    MeterReadRequest.Status.PENDING: "PENDING",
    MeterReadRequest.Status.COMPLETED: "COMPLETED",
    MeterReadRequest.Status.FAILED: "FAILED",
    MeterReadRequest.Status.REFUSED: "LIMIT_REACHED",
}


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> HttpResponse:
    doc = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return HttpResponse(orjson.dumps(doc), status=status, content_type=PROBLEM, headers=headers)


def _limit_headers(request: HttpRequest) -> dict[str, str]:
    states, _ = throttling.count([("ip", throttling.client_ip(request))])
    return dict(throttling.headers_for(states))


@csrf_exempt
@require_POST
def authenticate(request: HttpRequest) -> HttpResponse:
    """#1: username and password (an app password with two-factor sign-in) → a compatibility token. Every
    throttle is 403 (the client's rate-limit error), a wrong password 400; never 401."""
    headers = _limit_headers(request)
    body = _body(request)
    username, password = str(body.get("username") or ""), str(body.get("password") or "")
    if not username or not password:
        return JsonResponse(
            {"errormessage": "username and password are required"}, status=400, headers=headers
        )
    adapter = get_adapter(request)
    too_many = "Too many sign-in attempts for this account or from your network; try again later."
    if not ratelimit.consume(request, action="login"):
        return _problem(403, "Too many sign-ins", too_many, headers)
    try:
        adapter.pre_authenticate(request, username=username, password=password)  # the customer's own limits
    except ValidationError:
        return _problem(403, "Too many sign-ins", too_many, headers)
    user = password_authenticate(request, username=username, password=password)
    if user is not None and is_mfa_enabled(user):
        user = None  # the client cannot answer a second factor: such accounts use an app password
    if user is None:
        user = app_password_user(username=username, presented=password, ip=throttling.client_ip(request))
    if user is None or not user.is_active:
        return JsonResponse({"errormessage": "ERR-USR-INVALIDPASSWORDERROR"}, status=400, headers=headers)
    adapter._rollback_login_failed_rl_usage()  # a success does not count against the limit (allauth's way)
    return JsonResponse({"token": compat_session_create(user=user)}, headers=headers)


def _refused(request: HttpRequest) -> HttpResponse:
    """401 a few times a minute per presented token, then 403: stops the client's instant-retry loop."""
    presented = request.META.get("HTTP_AUTHORIZATION", "")
    key = "smtcompat:401:" + hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()[:32]
    cache.add(key, 0, timeout=60)
    try:
        n = cache.incr(key)
    except ValueError:
        n = 1
    if n <= UNAUTHORIZED_PER_MINUTE:
        return JsonResponse({"message": "Invalid Token"}, status=401)
    # the Smart Meter Texas clients' own answers, in English like the rest of this compatibility API
    return _problem(
        403,
        "Token not valid",
        "This token was revoked or has expired. Sign in again (restart the integration).",  # i18n: not user-facing
    )


def _user(request: HttpRequest) -> Any | None:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return compat_session_user(value.strip())


def compat_view(handler: Any) -> Any:
    """CSRF-exempt JSON POST with a compatibility token (only those) → handler(request, user, body)."""

    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        user = _user(request)
        if user is None:
            return _refused(request)
        return handler(request, user, _body(request))

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return view


def _current(user: Any, esiid: str, scope: str) -> Any | None:
    """The access decision when ``user`` holds ``esiid`` now (the current occupancy), else None."""
    d = access_decide(actor=actor_for_customer(user), esiid=esiid, scope=scope)
    if not d.allowed or not d.windows or d.windows[-1].end < market_today():
        return None
    return d


def _address(premise: Any) -> str:
    parts = [premise.address_line1, getattr(premise, "city", ""), getattr(premise, "zip_code", "")]
    return " ".join(p for p in parts if p)


@compat_view
def meters(request: HttpRequest, user: Any, body: dict[str, Any]) -> HttpResponse:
    """#2: one entry per premise where the account holds an open service period."""
    out = []
    for premise in access_premises_queryset(actor=actor_for_customer(user)):
        if _current(user, premise.esiid, "premises:read") is None:
            continue
        meter = current_meter(premise)
        if meter is not None:
            out.append(
                {"esiid": premise.esiid, "meterNumber": meter.meter_number, "address": _address(premise)}
            )
    return JsonResponse({"data": out})


def _not_yours() -> HttpResponse:
    return JsonResponse(
        {"data": {"errorMessage": "No meter with this ESI ID is available to you."}}, status=404
    )


@compat_view
def latest_read(request: HttpRequest, user: Any, body: dict[str, Any]) -> HttpResponse:
    """#3: the latest read request of that ESI ID inside the customer's own window."""
    d = _current(user, str(body.get("ESIID") or ""), "meter-read:request")
    if d is None:
        return _not_yours()
    read = visible_reads(d.premise, d.windows).order_by("-requested_at", "-id").first()
    if read is None:
        return JsonResponse(
            {"data": {"odrstatus": "NONE", "odrread": None, "odrdate": None, "odrusage": None}}
        )
    out: dict[str, Any] = {
        "odrstatus": SMT_STATUS.get(read.status, "FAILED"),
        "odrread": None,
        "odrdate": None,
    }
    if read.status == MeterReadRequest.Status.COMPLETED and read.read_at is not None:
        out["odrread"] = f"{read.register_kwh:.3f}"
        out["odrdate"] = read.read_at.astimezone(MARKET_TZ).strftime("%m/%d/%Y %H:%M:%S")
        out["odrusage"] = f"{read.since_last_kwh:.3f}" if read.since_last_kwh is not None else None
    elif read.status != MeterReadRequest.Status.PENDING:
        out["statusReason"] = read.failure_message
    return JsonResponse({"data": out})


@compat_view
def ondemand_read(request: HttpRequest, user: Any, body: dict[str, Any]) -> HttpResponse:
    """#4: ask for a read under the project's read limits; a refusal is recorded and shown by #3."""
    d = _current(user, str(body.get("ESIID") or ""), "meter-read:request")
    if d is None:
        return _not_yours()
    try:
        read_request_create(user=user, premise=d.premise)
    except ReadLimitReached as exc:
        return JsonResponse({"data": {"statusCode": "1", "statusReason": str(exc)}})
    except NoMeter as exc:
        return JsonResponse({"data": {"statusCode": "1", "statusReason": str(exc)}})
    return JsonResponse({"data": {"statusCode": "0", "statusReason": "Read requested."}})


def _mdy(text: Any) -> date | None:
    try:
        return datetime.strptime(str(text), "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None


@compat_view
def interval_synch(request: HttpRequest, user: Any, body: dict[str, Any]) -> HttpResponse:
    """#5: 15-minute data as SMT's 100-slot days, from the same export as /api/v1/ (same window)."""
    start, end = _mdy(body.get("startDate")), _mdy(body.get("endDate") or body.get("startDate"))
    if start is None or end is None or end < start or (end - start).days > 31:
        return JsonResponse(
            {"data": {"errorMessage": "startDate and endDate must be MM/DD/YYYY, at most 31 days apart"}},
            status=400,
        )
    esiids = body.get("ESIID")
    esiids = esiids if isinstance(esiids, list) else [esiids]
    energy = []
    for esiid in [str(e) for e in esiids if e][:10]:
        d = access_decide(
            actor=actor_for_customer(user), esiid=esiid, scope="usage:read", start=start, end=end
        )
        if not d.allowed or d.premise is None:
            continue  # outside the window or not theirs: no data, as SMT answers for a day it lacks
        raw, _, _ = data.intervals_export(
            premise=d.premise, start=start, end=end, granularity="15min", fmt="json"
        )
        doc = orjson.loads(raw if isinstance(raw, bytes) else b"".join(bytes(c) for c in raw))
        for day in doc.get("days", []):
            dt = date.fromisoformat(day["date"]).strftime("%m/%d/%Y")
            for rt, channel in (("C", "consumption"), ("G", "generation")):
                series = day.get(channel)
                if series and any(v is not None for v in series["kwh"]):
                    energy.append(
                        {"DT": dt, "RT": rt, "RD": rd_string(series["kwh"], series.get("estimated"))}
                    )
    return JsonResponse({"data": {"energyData": energy}})
