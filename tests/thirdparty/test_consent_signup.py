"""A customer who has no account yet signs up right from the consent request (ESI ID + code), confirms the
e-mail by a code in the same tab, and lands straight back on the consent page of that very request."""

import re
from urllib.parse import urlencode

import pytest
from django.core import mail

from portal.services import service_period_move_in
from thirdparty.models import Agreement

from .consent_fixtures import _premise, authorize_params, code_from, consent_approve, pkce

pytestmark = pytest.mark.django_db


def test_sign_up_confirm_by_code_and_return_to_the_consent_request(
    client, django_capture_on_commit_callbacks, rep, app
):
    from datetime import date, timedelta

    from portal.access_window import market_today
    from usage.models import Meter

    premise = _premise("10443720000000009", "9 Pine St")
    Meter.objects.create(premise=premise, meter_number="M000009", installed_on=date(2020, 1, 1))
    period = service_period_move_in(premise=premise, rep=rep, starts_on=market_today() - timedelta(days=700))
    _, challenge = pkce()
    authorize = "/o/authorize/?" + urlencode(authorize_params(app, challenge, esiid=premise.esiid))

    login = client.get(authorize)
    assert login.status_code == 302
    login_page = client.get(login["Location"])
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', login_page.content.decode())
    assert signup_link, "the sign-in page offers registration and keeps the request"
    signup_url = signup_link.group(1).replace("&amp;", "&")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup_url,
            {
                "esiid": premise.esiid,
                "registration_code": period.registration_code,
                "username": "newbie",
                "email": "newbie@example.com",
                "password1": "a long passphrase for the app",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    code = re.search(r"^\s{4}(\S+)\s*$", mail.outbox[-1].body, re.M).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(response["Location"], {"code": code})
    assert confirmed.status_code == 302
    assert confirmed["Location"].startswith("/o/authorize/?"), confirmed["Location"]
    consent = client.get(confirmed["Location"])
    assert (
        consent.status_code == 200
        and "WattWise wants to read your electricity data" in consent.content.decode()
    )
    code_from(consent_approve(client, consent))
    assert Agreement.objects.get().customer.username == "newbie"
