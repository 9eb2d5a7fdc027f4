"""Sign-up with ESI ID + registration code: confirmation by code and by link, errors with 4xx, limits."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from portal.access_window import market_today
from portal.models import PremiseRegistration
from portal.services import registration_code_rotate, service_period_move_in, service_period_move_out
from tests.helpers.clock import long_date
from tests.portal.accounts_fixtures import PASSWORD, links_in, mail_code, signup_data

User = get_user_model()
CONSENT_URL = (
    "/o/authorize/?client_id=abc&response_type=code&scope=usage&code_challenge=x&code_challenge_method=S256"
)


def errors_of(response, field):
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


def test_signup_page_asks_for_esiid_code_username_email_password_only(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == ["esiid", "registration_code", "username", "email", "password1"]
    html = response.content.decode()
    assert 'for="id_esiid"' in html and 'aria-describedby="id_esiid_helptext"' in html
    assert "id_meter" not in html and "REP" not in html  # no meter number, no provider list


def test_full_signup_by_code_in_the_same_tab_continues_to_next(client, send, period):
    response = send(
        "post", f"/accounts/signup/?next={CONSENT_URL}", {**signup_data(period), "next": CONSENT_URL}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(username="maria")
    assert PremiseRegistration.objects.filter(user=user, period=period, source="signup").exists()
    # Unconfirmed: the account can do nothing yet.
    assert client.get("/accounts/").status_code == 302

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@example.com"]
    code = mail_code(message)
    assert code in message.subject
    assert "maria" in message.body

    page = client.get("/accounts/confirm-email/")
    assert page.status_code == 200
    response = send("post", "/accounts/confirm-email/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == CONSENT_URL  # back to the consent request, no "log in again"
    overview = client.get("/accounts/")
    assert overview.status_code == 200
    assert period.premise.esiid in overview.content.decode()


def test_confirmation_link_works_in_another_browser_once_and_keeps_next(client, client_factory, send, period):
    send("post", "/accounts/signup/", {**signup_data(period), "next": "/accounts/"})
    link = next(link for link in links_in(mail.outbox[0]) if "/confirm-email/" in link)
    parts = urlsplit(link)
    path = parts.path + ("?" + parts.query if parts.query else "")
    assert "next=%2Faccounts%2F" in parts.query

    other = client_factory()
    page = other.get(path)
    assert page.status_code == 200
    assert "maria" in page.content.decode()
    response = send("post", path, {"next": "/accounts/"}, client_=other)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert User.objects.get(username="maria").emailaddress_set.get().verified

    again = other.get(path)
    assert again.status_code == 410
    assert "expired or" in again.content.decode()
    # The other browser is not signed in by a link alone: it signs in with the password.
    response = other.post("/accounts/login/", {"login": "maria", "password": PASSWORD})
    assert response.status_code == 302
    assert other.get("/accounts/").status_code == 200


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def test_confirmation_link_in_the_signup_browser_signs_in(client, send, period):
    send("post", "/accounts/signup/", {**signup_data(period), "next": "/providers/"})
    link = next(link for link in links_in(mail.outbox[0]) if "/confirm-email/" in link)
    parts = urlsplit(link)
    response = send("post", f"{parts.path}?{parts.query}", {"next": "/providers/"})
    assert response.status_code == 302
    assert response["Location"] == "/providers/"
    assert client.get("/accounts/").status_code == 200


def test_unconfirmed_account_cannot_sign_in(client, send, period, settings):
    send("post", "/accounts/signup/", signup_data(period))
    client.logout()
    mail.outbox.clear()
    # Within 10 seconds of the first code, no second one: 429, and it says when.
    response = send("post", "/accounts/login/", {"login": "maria", "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 10
    settings.CACHES = {n: {**c, "KEY_PREFIX": c["KEY_PREFIX"] + "-later"} for n, c in settings.CACHES.items()}
    response = send("post", "/accounts/login/", {"login": "maria", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/accounts/").status_code == 302
    assert len(mail.outbox) == 1  # a fresh code


def test_wrong_confirmation_code_is_a_400_with_a_message(client, send, period):
    send("post", "/accounts/signup/", signup_data(period))
    response = client.post("/accounts/confirm-email/", {"code": "XXXXXX"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]


@pytest.mark.parametrize(
    ("esiid", "message"),
    [
        ("1044372000000000", "An ESI ID has 17 or 22 digits; this one has 16."),
        ("10443720000000O01", "An ESI ID has digits only"),
        ("99999990000000001", "No Texas utility issues ESI IDs that start with 9999999"),
    ],
)
def test_malformed_esiid_says_what_is_wrong(client, period, esiid, message):
    response = client.post("/accounts/signup/", signup_data(period, esiid=esiid))
    assert response.status_code == 400
    assert any(message in e for e in errors_of(response, "esiid"))
    assert 'aria-describedby="id_esiid_helptext id_esiid_error"' in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.exists()


def test_unknown_esiid_and_wrong_code_get_the_same_answer(client, period):
    wrong_code = client.post("/accounts/signup/", signup_data(period, registration_code="ABCDEFGHJK"))
    unknown = client.post("/accounts/signup/", signup_data(period, esiid="10443729999999999"))
    assert wrong_code.status_code == unknown.status_code == 400
    assert errors_of(wrong_code, "registration_code") == errors_of(unknown, "registration_code")
    assert "do not match a current service" in errors_of(unknown, "registration_code")[0]
    assert "most recent bill" in errors_of(unknown, "registration_code")[0]
    assert not errors_of(unknown, "esiid")
    assert not User.objects.exists()


def test_premise_without_an_occupancy_answers_like_a_wrong_code(client, premise):
    response = client.post(
        "/accounts/signup/",
        {
            "esiid": premise.esiid,
            "registration_code": "ABCDEFGHJK",
            "username": "x1",
            "email": "x@example.com",
            "password1": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "do not match a current service" in errors_of(response, "registration_code")[0]


def test_code_of_an_ended_occupancy_says_so(client, period, rep):
    old_code = period.registration_code
    move = market_today() - timedelta(days=60)
    service_period_move_in(premise=period.premise, rep=rep, starts_on=move)
    response = client.post("/accounts/signup/", signup_data(period, registration_code=old_code))
    assert response.status_code == 400
    assert f"ended on {long_date(move)}" in errors_of(response, "registration_code")[0]
    assert not User.objects.exists()


def test_rotated_code_stops_working(client, period):
    old_code = period.registration_code
    registration_code_rotate(period=period)
    response = client.post("/accounts/signup/", signup_data(period, registration_code=old_code))
    assert response.status_code == 400
    period.refresh_from_db()
    response = client.post("/accounts/signup/", signup_data(period))
    assert response.status_code == 302


def test_moved_out_premise_cannot_be_registered(client, period):
    move_out = market_today() - timedelta(days=30)
    service_period_move_out(premise=period.premise, ends_on=move_out)
    response = client.post("/accounts/signup/", signup_data(period))
    assert response.status_code == 400
    assert f"ended on {long_date(move_out)}" in errors_of(response, "registration_code")[0]


def test_premise_without_a_smart_meter_is_explained(client, period):
    period.premise.meters.all().delete()
    response = client.post("/accounts/signup/", signup_data(period))
    assert response.status_code == 400
    assert "no smart meter yet" in errors_of(response, "esiid")[0]


def test_username_taken_and_weak_password_are_400_with_the_rule(client, send, period, django_user_model):
    django_user_model.objects.create_user("maria", "other@example.com", PASSWORD)
    response = client.post("/accounts/signup/", signup_data(period, password1="password12345678"))
    assert response.status_code == 400
    assert errors_of(response, "username")
    assert any("common or breached" in e for e in errors_of(response, "password1"))


def test_strangers_wrong_codes_do_not_block_the_owners_right_code(client, period, settings):
    """The attack: five strangers type wrong codes for a public ESI ID; before, registration for it was then
    paused for an hour (429), the owner's right code included. Now the owner registers (302)."""
    for attempt in range(5):
        response = client.post(
            "/accounts/signup/",
            signup_data(period, registration_code=f"WRONGCODE{attempt}", username=f"stranger{attempt}"),
            REMOTE_ADDR=f"10.0.0.{attempt}",
        )
        assert response.status_code == 400
    response = client.post("/accounts/signup/", signup_data(period), REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 302
    assert User.objects.filter(username="maria").exists()


def test_failed_codes_are_limited_per_ip_and_esiid_with_retry_after(client, period, settings):
    settings.REGISTRATION_ATTEMPTS_PER_IP_ESIID_PER_HOUR = 5
    for attempt in range(5):
        response = client.post(
            "/accounts/signup/",
            signup_data(period, registration_code=f"WRONGCODE{attempt}"),
            REMOTE_ADDR="10.0.0.9",
        )
        assert response.status_code == 400
    # that address now waits, even with the right code: it has used up its own tries on this ESI ID
    response = client.post("/accounts/signup/", signup_data(period), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 3500 < retry_after <= 3600
    text = response.content.decode()
    assert "for this ESI ID from your network" in text and "minutes" in text
    assert not User.objects.exists()
    # anyone else is not affected
    assert client.post("/accounts/signup/", signup_data(period), REMOTE_ADDR="10.0.1.1").status_code == 302


def test_failed_codes_are_limited_per_ip(client, period, settings):
    settings.REGISTRATION_ATTEMPTS_PER_IP_PER_HOUR = 20
    for n in range(20):
        response = client.post(
            "/accounts/signup/", signup_data(period, esiid=f"104437299999{n:05d}"), REMOTE_ADDR="192.0.2.7"
        )
        assert response.status_code == 400, n
    response = client.post("/accounts/signup/", signup_data(period), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "from your network" in response.content.decode()
    # Someone else, elsewhere, registers normally.
    response = client.post("/accounts/signup/", signup_data(period), REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 302


def test_signup_limit_counts_failures_not_posts_and_says_when(client, period, settings):
    settings.SIGNUP_FAILURES_PER_IP_PER_HOUR = 2
    for _ in range(2):
        assert client.post("/accounts/signup/", signup_data(period, username="")).status_code == 400
    response = client.post("/accounts/signup/", signup_data(period))
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    text = response.content.decode()
    assert "sign-ups failed from your network" in text and "try again at" in text


def test_successful_signups_do_not_use_up_the_signup_limit(client, period, another_premise, rep, settings):
    settings.SIGNUP_FAILURES_PER_IP_PER_HOUR = 1
    # a family signs up from one address: every success passes (the first member, then a fresh code)
    assert client.post("/accounts/signup/", signup_data(period)).status_code == 302
    client.logout()
    from portal.services import registration_code_rotate

    registration_code_rotate(period=period)
    period.refresh_from_db()
    r = client.post("/accounts/signup/", signup_data(period, username="ben", email="ben@example.com"))
    assert r.status_code == 302


def test_failed_logins_are_limited_with_429_and_retry_after(client, signed_up, settings):
    client.logout()
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,3/5m/key"}
    for _ in range(3):
        response = client.post("/accounts/login/", {"login": "maria", "password": "wrong password here"})
        assert response.status_code == 400
    response = client.post("/accounts/login/", {"login": "maria", "password": PASSWORD})
    assert response.status_code == 429
    assert 250 < int(response["Retry-After"]) <= 300


def test_expired_confirmation_link_is_410_with_what_to_do(client, send, period, settings):
    send("post", "/accounts/signup/", signup_data(period))
    link = next(link for link in links_in(mail.outbox[0]) if "/confirm-email/" in link)
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 0  # every link is now too old
    response = client.get(urlsplit(link).path)
    assert response.status_code == 410
    assert "expired or is invalid" in response.content.decode()
