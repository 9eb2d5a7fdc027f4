"""Account pages: overview (premises, household, security), add a premise, export, delete; the e-mail link."""

from __future__ import annotations

import json
from http import HTTPStatus

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.views import ConfirmEmailView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.access_window import customer_premises
from portal.accounts.forms import AccountDeleteForm, PremiseAddForm
from portal.accounts.ratelimit import response_429
from portal.accounts.selectors import (
    account_data_export,
    household_members,
    household_members_by_period,
    household_rows,
)
from portal.accounts.services import (
    HouseholdRefused,
    account_delete,
    household_code_renew,
    membership_approve,
    membership_decline,
    membership_remove,
)
from portal.accounts.useragent import device_name
from portal.codes import code_display
from portal.models import MembershipRequest


@login_required
def overview(request):
    premises = customer_premises(user=request.user)
    household = household_members_by_period(user=request.user)
    rows = household_rows(user=request.user)
    for cp in premises:
        cp.household = household.get(cp.latest_period.pk, [])
        cp.members = rows["members"].get(cp.latest_period.pk, [])
        cp.requests = rows["requests"].get(cp.latest_period.pk, [])
    emails = EmailAddress.objects.filter(user=request.user).order_by("-primary", "email")
    sessions = []
    try:
        from allauth.usersessions.models import UserSession

        for s in UserSession.objects.purge_and_list(request.user):
            sessions.append({"device": device_name(s.user_agent), "ip": s.ip, "session": s})
    except (ImportError, LookupError, RuntimeError):
        pass
    has_totp = request.user.authenticator_set.filter(type="totp").exists()
    return render(
        request,
        "portal/accounts/overview.html",
        {
            "premises": premises,
            "current": [cp for cp in premises if cp.is_current],
            "past": [cp for cp in premises if not cp.is_current],
            "emails": emails,
            "sessions": sessions,
            "has_totp": has_totp,
            "my_requests": rows["mine"],
        },
    )


def _household_action(request, action) -> HttpResponse:
    try:
        message = action()
    except HouseholdRefused as exc:
        messages.error(request, str(exc))
        return redirect("account_overview")
    messages.success(request, message)
    return redirect("account_overview")


@login_required
@require_POST
def household_approve(request, pk: int):
    def act():
        registration = membership_approve(member=request.user, request_id=pk)
        return _("%(username)s joined your household; everyone was told by e-mail.") % {
            "username": registration.user.username
        }

    return _household_action(request, act)


@login_required
@require_POST
def household_decline(request, pk: int):
    def act():
        membership_decline(member=request.user, request_id=pk)
        return _("Declined. They were told by e-mail; they can still ask you for a fresh code.")

    return _household_action(request, act)


@login_required
@require_POST
def household_remove(request, pk: int):
    def act():
        membership_remove(member=request.user, registration_id=pk)
        return _(
            "Removed. The registration code changed (the one on your bill no longer works), and every member "
            "was told by e-mail. Your retail electric provider prints the new code on the next bill."
        )

    return _household_action(request, act)


@login_required
@require_POST
def household_new_code(request, pk: int):
    def act():
        code = household_code_renew(member=request.user, period_id=pk)
        return _(
            "New registration code: %(code)s. Give it to the person joining your household: it "
            "lets them in without approval. The code on your bill no longer works."
        ) % {"code": code_display(code)}

    return _household_action(request, act)


@login_required
@require_http_methods(["GET", "POST"])
def premise_add(request):
    form = PremiseAddForm(request.POST or None, request=request)
    if request.method == "POST":
        registration = form.register() if form.is_valid() else None
        if isinstance(registration, MembershipRequest):
            premise = registration.period.premise
            messages.info(
                request,
                _(
                    "ESI ID %(esiid)s already has a household on this site, and the code you typed is older "
                    "than its newest member. We asked its members to approve you; you will get an e-mail. (A member "
                    "can also give you a fresh code from their account page, which lets you in at once.)"
                )
                % {"esiid": premise.esiid},
            )
            return redirect("account_overview")
        if registration is not None:
            premise = registration.period.premise
            others = household_members(period=registration.period, exclude_user=request.user)
            note = (
                " "
                + _("We told the other accounts of your household (%(accounts)s).")
                % {"accounts": ", ".join(others)}
                if others
                else ""
            )
            added = _("Added ESI ID %(esiid)s, %(address)s.") % {
                "esiid": premise.esiid,
                "address": premise.address,
            }
            messages.success(request, added + note)
            return redirect("account_overview")
        if form.throttle is not None:
            return response_429(
                request, form.throttle, template="portal/accounts/premise_add.html", context={"form": form}
            )
        return render(
            request, "portal/accounts/premise_add.html", {"form": form}, status=HTTPStatus.BAD_REQUEST
        )
    return render(request, "portal/accounts/premise_add.html", {"form": form})


@login_required
def export(request):
    data = account_data_export(user=request.user)
    data["exported_at"] = timezone.now().isoformat()
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="smt-account-{request.user.username}-{stamp}.json"'
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            username = request.user.username
            user = request.user
            logout(request)
            account_delete(user=user)
            messages.success(
                request,
                _("The account %(username)s was deleted, with its premises and data sharing.")
                % {"username": username},
            )
            return redirect("portal:home")
        return render(request, "portal/accounts/delete.html", {"form": form}, status=HTTPStatus.BAD_REQUEST)
    return render(request, "portal/accounts/delete.html", {"form": form})


class EmailLinkConfirmView(ConfirmEmailView):
    """The link in the confirmation e-mail (next to the code): works in any browser, once, for 3 days.

    allauth registers no link view when verification is by code; this one uses its signed (HMAC) keys and
    continues to ``next`` (a consent request, say) after confirming."""

    template_name = "account/email_confirm.html"

    def get_object(self, queryset=None):
        confirmation = EmailConfirmationHMAC.from_key(self.kwargs["key"])
        if not confirmation:
            raise Http404("This confirmation link has expired or was already used.")
        return confirmation

    def get(self, *args, **kwargs):
        response = super().get(*args, **kwargs)
        if self.object is None:
            response.status_code = HTTPStatus.GONE
        return response

    def post(self, *args, **kwargs):
        try:
            return super().post(*args, **kwargs)
        except Http404:
            self.object = None
            response = self.render_to_response(self.get_context_data())
            response.status_code = HTTPStatus.GONE
            return response


email_link_confirm = EmailLinkConfirmView.as_view()
