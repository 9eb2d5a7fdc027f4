"""Alert settings per premise, and the one-click unsubscribe link of every alert e-mail (RFC 8058).

The unsubscribe link is the one view here that needs neither a session nor a CSRF token: the signed token
in its URL is the credential. GET only shows a confirm page (mail scanners fetch links); POST unsubscribes. Both
answer in the subscriber's saved language, the language of the e-mail the link came in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.language import recipient_language
from portal.alerts.forms import AlertSettingsForm
from portal.alerts.selectors import PremiseAlerts, alert_premise, alert_premises
from portal.alerts.services import alert_settings_save, alert_unsubscribe, kind_label, kwh_text
from portal.alerts.tokens import BadToken, unsubscribe_read
from portal.models import AlertSubscription


def _form(item: PremiseAlerts, data: Mapping[str, Any] | None = None) -> AlertSettingsForm:
    sub = item.subscription
    initial = (
        {
            "threshold_kwh": kwh_text(sub.threshold_kwh) if sub.threshold_kwh is not None else None,
            "on_data_arrived": sub.on_data_arrived,
            "on_read_completed": sub.on_read_completed,
        }
        if sub
        else {}
    )
    return AlertSettingsForm(data=data, initial=initial, prefix=f"p{item.premise.esiid}")


def _page(request: HttpRequest, forms: dict[str, AlertSettingsForm], status: int = 200) -> HttpResponse:
    rows = [
        (item, forms.get(item.premise.esiid) or _form(item)) for item in alert_premises(user=request.user)
    ]
    return render(request, "portal/alerts/settings.html", {"rows": rows}, status=status)


@login_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    return _page(request, {})


@login_required
@require_POST
def alert_settings(request: HttpRequest, esiid: str) -> HttpResponse:
    item = alert_premise(user=request.user, esiid=esiid)
    if item is None:
        return render(
            request,
            "portal/alerts/not_found.html",
            {"esiid": esiid[:30]},
            status=404,
        )
    form = _form(item, request.POST)
    if not form.is_valid():
        return _page(request, {esiid: form}, status=400)
    alert_settings_save(user=request.user, premise=item.premise, **form.cleaned())
    messages.success(request, _("Alerts for %(address)s saved.") % {"address": item.premise.address})
    return redirect(reverse("portal:alerts") + f"#premise-{esiid}")


@csrf_exempt  # RFC 8058: mail clients POST without a session or CSRF token; the signed token authorizes
@require_http_methods(["GET", "POST"])
def alert_unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        wanted = unsubscribe_read(token)
        subscription = AlertSubscription.objects.select_related("premise").get(pk=wanted.subscription_id)
    except (BadToken, AlertSubscription.DoesNotExist) as exc:
        expired = isinstance(exc, BadToken) and exc.expired
        return render(request, "portal/alerts/unsubscribe_invalid.html", {"expired": expired}, status=400)
    # The link comes from an e-mail written in the subscriber's saved language and often opens in a browser
    # with no session: the page answers in that language too, whatever the browser's.
    language = recipient_language(subscription.user, fallback=translation.get_language())
    with translation.override(language):
        context = {"premise": subscription.premise, "kind_label": kind_label(wanted.kind), "token": token}
        if request.method == "GET":
            response = render(request, "portal/alerts/unsubscribe_confirm.html", context)
        else:
            alert_unsubscribe(token=token)
            response = render(request, "portal/alerts/unsubscribed.html", context)
    response.headers["Content-Language"] = language
    return response
