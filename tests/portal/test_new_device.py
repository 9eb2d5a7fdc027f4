"""A sign-in from a new device e-mails the customer. The attack: a stolen password was used from the attacker's
browser and the customer never knew. Now the first sign-in from a browser the account has not used before
sends "New sign-in to your account from …" with what to do."""

from django.core import mail
from django.test import Client

from portal.accounts.devices import COOKIE
from tests.helpers.portal_usage import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _sign_in(send, browser):
    return send(
        "post",
        "/accounts/login/",
        {"login": "maria", "password": PASSWORD},
        client_=browser,
        HTTP_USER_AGENT=FIREFOX,
        REMOTE_ADDR="203.0.113.5",
    )


def test_a_sign_in_from_a_new_browser_is_announced_once(send, signed_up):
    # signed_up signed in once (the browser that registered): that first device is not announced
    mail.outbox.clear()
    attacker = Client()
    response = _sign_in(send, attacker)
    assert response.status_code == 302
    notices = [m for m in mail.outbox if "New sign-in" in m.subject]
    assert len(notices) == 1  # before: no e-mail at all
    assert notices[0].to == ["maria@example.com"]
    assert "Firefox on Windows" in notices[0].body and "203.0.113.5" in notices[0].body
    assert attacker.cookies[COOKIE]["httponly"]
    # the same browser again: known, nothing sent
    mail.outbox.clear()
    attacker.post("/accounts/logout/")
    _sign_in(send, attacker)
    assert not [m for m in mail.outbox if "New sign-in" in m.subject]


def test_the_first_sign_in_of_a_new_account_is_not_announced(send, period):
    from tests.portal.accounts_fixtures import mail_code, signup_data

    send("post", "/accounts/signup/", signup_data(period))
    send("post", "/accounts/confirm-email/", {"code": mail_code(mail.outbox[-1])})
    assert not [m for m in mail.outbox if "New sign-in" in m.subject]
