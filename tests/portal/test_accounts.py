"""Account life: e-mails and their links, shared addresses, password rules, premises, household, pages."""

import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from portal.access_window import market_today
from portal.accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from portal.accounts.services import premise_registration_create
from portal.accounts.useragent import device_name
from portal.models import PremiseRegistration
from portal.services import service_period_move_in
from tests.helpers.clock import short_date
from tests.portal.accounts_fixtures import PASSWORD, links_in, mail_code, signup_data

User = get_user_model()


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + ("?" + parts.query if parts.query else "")


def confirmed_user(username, email, period=None, source="admin"):
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(username, email, PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if period is not None:
        premise_registration_create(user=user, period=period, source=source, notify=False)
    return user


# --- e-mails: every link in every e-mail answers 200 -------------------------------------------------------


def test_every_link_in_every_email_answers_200(client, send, period, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    checked = []

    def follow_links(message, *clients):
        links = links_in(message)
        assert links, message.subject
        for link in links:
            assert link.startswith(settings.SITE_URL), link
            for c in clients:
                response = c.get(path_of(link), follow=True)
                assert response.status_code == 200, (message.subject, link, response.status_code)
                checked.append(link)

    # 1. sign-up confirmation (code + link), links followed before the code is used
    send("post", "/accounts/signup/", {**signup_data(period), "next": "/accounts/"})
    follow_links(mail.outbox[-1], client, Client())
    send("post", "/accounts/confirm-email/", {"code": mail_code(mail.outbox[-1])})
    # 2. household: a request to join (the bill's code, older than maria), its answer, then a member who
    # joins with a fresh code, and a removal
    mail.outbox.clear()
    send(
        "post",
        "/accounts/signup/",
        signup_data(period, username="ana2", email="ana2@example.com"),
        client_=Client(),
    )
    asks = [m for m in mail.outbox if "asks to join" in m.subject]
    assert len(asks) == 1
    follow_links(asks[0], client, Client())
    from portal.models import MembershipRequest

    mail.outbox.clear()
    send("post", f"/accounts/household/requests/{MembershipRequest.objects.get().pk}/decline/")
    follow_links(mail.outbox[-1], client, Client())
    send("post", f"/accounts/household/{period.pk}/new-code/")
    period.refresh_from_db()
    mail.outbox.clear()
    send(
        "post",
        "/accounts/signup/",
        signup_data(period, username="luis", email="luis@example.com"),
        client_=Client(),
    )
    notices = [m for m in mail.outbox if "registered ESI ID" in m.subject]
    assert len(notices) == 1
    follow_links(notices[0], client, Client())
    mail.outbox.clear()
    send(
        "post",
        f"/accounts/household/members/{PremiseRegistration.objects.get(user__username='luis').pk}/remove/",
    )
    removed = [m for m in mail.outbox if "removed" in m.subject]
    assert len(removed) == 2
    follow_links(removed[0], client, Client())
    # 3. password reset (to an address two accounts share)
    confirmed_user("ana", "maria@example.com")
    mail.outbox.clear()
    send("post", "/accounts/password/reset/", {"email": "maria@example.com"}, client_=Client())
    resets = [m for m in mail.outbox if "Reset the password" in m.subject]
    assert len(resets) == 2
    for message in resets:
        follow_links(message, Client())
    # 4. e-mail change confirmation
    mail.outbox.clear()
    response = send("post", "/accounts/email/", {"action_add": "", "email": "maria.new@example.com"})
    assert response.status_code == 302
    follow_links(mail.outbox[-1], client, Client())
    # 5. password reset asked for an address no account uses
    mail.outbox.clear()
    send("post", "/accounts/password/reset/", {"email": "nobody@example.com"}, client_=Client())
    assert len(mail.outbox) == 1 and "No account uses" in mail.outbox[0].subject
    follow_links(mail.outbox[0], Client())
    # 6. the "your password was changed" notice
    mail.outbox.clear()
    response = send(
        "post",
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another fine passphrase",
            "password2": "another fine passphrase",
        },
    )
    assert response.status_code == 302
    assert mail.outbox, "a notice of the password change"
    follow_links(mail.outbox[-1], client)
    assert len(checked) >= 12


def test_emails_go_through_the_celery_task_after_commit(send, period, monkeypatch):
    from portal import tasks

    calls = []
    real = tasks.email_send.delay
    monkeypatch.setattr(tasks.email_send, "delay", lambda data: calls.append(data) or real(data))
    send("post", "/accounts/signup/", signup_data(period))
    assert len(calls) == 1 and calls[0]["to"] == ["maria@example.com"]
    assert len(mail.outbox) == 1


def test_email_task_retries_on_smtp_errors(monkeypatch):
    import smtplib

    from portal.tasks import email_send

    assert smtplib.SMTPException in email_send.autoretry_for
    assert email_send.max_retries >= 5


def test_signup_that_fails_sends_nothing(client, send, period):
    send("post", "/accounts/signup/", signup_data(period, registration_code="WRONGWRONG"))
    assert mail.outbox == []


# --- shared e-mail addresses and password reset ------------------------------------------------------------


def test_two_accounts_may_share_an_email_and_reset_reaches_both_saying_which(client, send, period):
    confirmed_user("ana", "family@example.com")
    confirmed_user("ben", "family@example.com")
    response = send("post", "/accounts/password/reset/", {"email": "family@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    by_user = {}
    for message in mail.outbox:
        assert message.to == ["family@example.com"]
        name = "ana" if "ana" in message.subject else "ben"
        assert f"username:\n\n    {name}" in message.body
        by_user[name] = next(link for link in links_in(message) if "/password/reset/key/" in link)
    assert set(by_user) == {"ana", "ben"} and by_user["ana"] != by_user["ben"]

    # Ben's link sets Ben's password, not Ana's.
    response = client.get(path_of(by_user["ben"]), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "a brand new passphrase", "password2": "a brand new passphrase"}
    )
    assert response.status_code == 302
    assert User.objects.get(username="ben").check_password("a brand new passphrase")
    assert User.objects.get(username="ana").check_password(PASSWORD)


def test_signup_with_an_address_another_account_uses(client, send, period):
    confirmed_user("ana", "maria@example.com")
    response = send("post", "/accounts/signup/", signup_data(period))
    assert response.status_code == 302
    assert User.objects.filter(email="maria@example.com").count() == 2


# --- passwords (NIST SP 800-63B) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        (
            "ñandú über straße 電気 ⚡ el río grande baja hacia el golfo mientras las garzas blancas esperan "
            "la tarde; 風が吹く丘の上で、子供たちは凧を揚げる — und über allen Gipfeln ist Ruh, spürest du kaum "
            "einen Hauch; the wind keeps singing in the pines"
        )[:200],  # 200 characters, Unicode and spaces
        "x" * 3 + " 12 chars ok",
        "!@#$%^&*()_+{}|:<>?~`-=[]\\;',./",
    ],
)
def test_any_characters_and_long_passphrases_are_accepted(client, send, period, password):
    response = send("post", "/accounts/signup/", signup_data(period, password1=password))
    assert response.status_code == 302, response.context["form"].errors
    assert User.objects.get(username="maria").check_password(password)


def test_two_hundred_character_password_signs_in(client, send, signed_up):
    long_password = ("a long walk by the río grande ✓ " * 7)[:200]
    assert len(long_password) == 200
    signed_up.set_password(long_password)
    signed_up.save()
    client.logout()
    assert Client().post("/accounts/login/", {"login": "maria", "password": long_password}).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 15 characters"),
        ("password12345678", "common or breached"),
        ("i am maria and I like tea", "contains your username"),
        ("MARIA2024-summer-garden", "contains your username"),
        ("mail me at maria@home", "contains your username"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule(client, period, password, message):
    response = client.post("/accounts/signup/", signup_data(period, password1=password))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["password1"])
    assert message in errors


def test_password_containing_the_email_name_is_refused(client, period):
    data = signup_data(
        period, username="mg", email="gonzalez.family@example.com", password1="the gonzalez.family home"
    )
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 400
    assert "contains your e-mail address" in " ".join(response.context["form"].errors["password1"])


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from django.conf import settings as django_settings

    from smt import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.PASSWORD_MIN_LENGTH == 15


# --- premises: add, household, windows on the account page ---------------------------------------------------


def test_add_premise_for_a_signed_in_account(client, send, signed_up, another_premise, rep):
    other_period = service_period_move_in(
        premise=another_premise, rep=rep, starts_on=market_today() - timedelta(days=300)
    )
    page = client.get("/accounts/premises/add/")
    assert page.status_code == 200
    response = send(
        "post",
        "/accounts/premises/add/",
        {"esiid": another_premise.esiid, "registration_code": other_period.registration_code},
    )
    assert response.status_code == 302
    assert PremiseRegistration.objects.filter(
        user=signed_up, period=other_period, source="add_premise"
    ).exists()
    overview = client.get("/accounts/").content.decode()
    assert another_premise.esiid in overview and "2 Elm St" in overview


def test_add_premise_errors_are_400_and_limits_429(client, signed_up, another_premise, rep, settings):
    settings.REGISTRATION_ATTEMPTS_PER_IP_ESIID_PER_HOUR = 2
    service_period_move_in(premise=another_premise, rep=rep, starts_on=market_today() - timedelta(days=300))
    response = client.post("/accounts/premises/add/", {"esiid": "123", "registration_code": "X"})
    assert response.status_code == 400
    assert "17 or 22 digits; this one has 3" in response.content.decode()
    for _ in range(2):
        response = client.post(
            "/accounts/premises/add/", {"esiid": another_premise.esiid, "registration_code": "NOPE"}
        )
        assert response.status_code == 400
    response = client.post(
        "/accounts/premises/add/", {"esiid": another_premise.esiid, "registration_code": "NOPE"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 3000


def test_adding_a_premise_twice_says_it_is_already_there(client, signed_up, period):
    response = client.post(
        "/accounts/premises/add/",
        {"esiid": period.premise.esiid, "registration_code": period.registration_code},
    )
    assert response.status_code == 400
    assert "already on your account" in response.content.decode()


def test_household_members_are_told_and_listed(client, send, signed_up, period):
    from portal.services import registration_code_rotate

    registration_code_rotate(period=period)  # maria hands luis a fresh code
    period.refresh_from_db()
    luis = Client()
    response = send(
        "post",
        "/accounts/signup/",
        signup_data(period, username="luis", email="luis@example.com"),
        client_=luis,
    )
    assert response.status_code == 302
    notices = [m for m in mail.outbox if m.to == ["maria@example.com"]]
    assert len(notices) == 1
    assert "luis registered ESI ID" in notices[0].subject
    assert "maria, luis" in notices[0].body or "luis, maria" in notices[0].body
    send(
        "post",
        "/accounts/confirm-email/",
        {"code": mail_code(next(m for m in mail.outbox if m.to == ["luis@example.com"]))},
        client_=luis,
    )
    # Each sees the other on their account page.
    assert "luis" in client.get("/accounts/").content.decode()
    assert "maria" in luis.get("/accounts/").content.decode()


def test_former_occupant_keeps_the_premise_as_past(client, signed_up, period, rep):
    move = market_today() - timedelta(days=60)
    service_period_move_in(premise=period.premise, rep=rep, starts_on=move)
    page = client.get("/accounts/").content.decode()
    assert "Past premises" in page
    assert short_date(move - timedelta(days=1)) in page  # the last day of their own occupancy


# --- account pages, MFA, sessions, sign-out, export, delete ---------------------------------------------------


def test_account_pages_answer_200(client, signed_up):
    for url in [
        "/accounts/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/accounts/premises/add/",
        "/accounts/delete/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    overview = client.get("/accounts/").content.decode()
    for url in [
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/accounts/export/",
        "/accounts/delete/",
        "/accounts/premises/add/",
    ]:
        assert f'href="{url}"' in overview, url


def test_pages_need_a_signed_in_account(client, db):
    for url in ["/accounts/", "/accounts/premises/add/", "/accounts/export/", "/accounts/delete/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_totp_can_be_activated_from_the_account_page(client, signed_up, settings):
    from allauth.mfa.totp.internal.auth import hotp_value, yield_hotp_counters_from_time

    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302  # allauth asks for the password again first
    response = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": "/accounts/2fa/totp/activate/"}
    )
    assert response.status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = f"{hotp_value(secret, next(yield_hotp_counters_from_time()))}".zfill(6)
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    assert signed_up.authenticator_set.filter(type="totp").exists()
    assert signed_up.authenticator_set.filter(type="recovery_codes").exists()
    assert "on" in client.get("/accounts/").content.decode()
    # With two-factor on, the e-mail can still be changed (MFA_ALLOW_UNVERIFIED_EMAIL).
    response = client.post("/accounts/email/", {"action_add": "", "email": "maria.totp@example.com"})
    assert response.status_code == 302
    # And the next sign-in asks for the authenticator code.
    client.logout()
    response = client.post("/accounts/login/", {"login": "maria", "password": PASSWORD})
    assert response.status_code == 302 and "/2fa/authenticate/" in response["Location"]


def test_logout_is_a_post_and_get_does_not_sign_out(client, signed_up):
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    assert client.get("/accounts/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 302


def test_back_and_forth_keeps_the_session(client, signed_up):
    for url in ["/accounts/", "/", "/accounts/premises/add/", "/accounts/", "/"]:
        assert client.get(url, follow=True).status_code == 200
    assert client.get("/accounts/").context["user"].username == "maria"


def test_sessions_page_names_devices_and_signs_out_the_others(client, signed_up):
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    assert phone.post("/accounts/login/", {"login": "maria", "password": PASSWORD}).status_code == 302
    page = client.get("/accounts/sessions/")
    assert page.status_code == 200
    assert "Safari on iPhone" in page.content.decode()
    response = client.post("/accounts/sessions/")
    assert response.status_code == 302
    assert phone.get("/accounts/").status_code == 302  # signed out
    assert client.get("/accounts/").status_code == 200  # this one stays


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("", "Unknown device"),
    ],
)
def test_device_names(ua, name):
    assert device_name(ua) == name


def test_idle_and_absolute_session_timeouts(client, signed_up, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    settings.SESSION_ABSOLUTE_TIMEOUT = 86400
    assert client.get("/accounts/").status_code == 200
    session = client.session
    session[SESSION_SEEN_AT] = int(time.time()) - 601
    session.save()
    response = client.get("/accounts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "without activity" in client.get(response["Location"]).content.decode()

    client.force_login(signed_up)
    session = client.session
    session[SESSION_AUTH_AT] = int(time.time()) - 86401
    session.save()
    assert client.get("/accounts/").status_code == 302


def test_download_my_account_data(client, signed_up, period):
    response = client.get("/accounts/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["username"] == "maria"
    assert data["email_addresses"] == [{"email": "maria@example.com", "verified": True, "primary": True}]
    assert data["premises"][0]["esiid"] == period.premise.esiid
    assert data["premises"][0]["occupancies"] == [{"move_in": period.starts_on.isoformat(), "move_out": None}]


def test_delete_account_needs_the_password_and_ends_access(client, signed_up, period):
    from portal.accounts.signals import account_deleting

    heard = []
    account_deleting.connect(
        lambda sender, user, **kw: heard.append(user.username), weak=False, dispatch_uid="t"
    )
    try:
        response = client.post("/accounts/delete/", {"password": "not my password", "confirm": "on"})
        assert response.status_code == 400
        assert "not your password" in response.content.decode()
        response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
        assert response.status_code == 302
    finally:
        account_deleting.disconnect(dispatch_uid="t")
    assert heard == ["maria"]
    assert not User.objects.filter(username="maria").exists()
    assert not PremiseRegistration.objects.exists()
    assert client.get("/accounts/").status_code == 302
    assert "was deleted" in client.get("/").content.decode()


def test_no_page_shows_a_traceback(client, db):
    for url, data in [
        (
            "/accounts/signup/",
            {"esiid": "\x00" * 3, "registration_code": "'; DROP TABLE x; --", "username": "a" * 500},
        ),
        ("/accounts/login/", {"login": "\u202e" * 200, "password": ""}),
        ("/accounts/confirm-email/not-a-key/", {}),
        ("/accounts/password/reset/", {"email": "not an address"}),
    ]:
        response = client.post(url, data)
        assert response.status_code < 500, url
        text = response.content.decode(errors="replace")
        assert "Traceback" not in text and "ORA-" not in text and "IntegrityError" not in text


def test_admin_shows_registrations_on_the_service_period(client, signed_up, period, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    Authenticator.objects.create(user=admin_user, type=Authenticator.Type.TOTP, data={})  # the admin needs it
    client.force_login(admin_user)
    page = client.get(f"/admin/portal/serviceperiod/{period.pk}/change/")
    assert page.status_code == 200
    assert "Registered accounts (household)" in page.content.decode()
    assert "maria" in client.get("/admin/portal/premiseregistration/").content.decode()


def test_email_change_takes_effect_only_once_confirmed(client, send, signed_up):
    response = send("post", "/accounts/email/", {"action_add": "", "email": "maria.new@example.com"})
    assert response.status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.email == "maria@example.com"  # not yet
    message = mail.outbox[-1]
    assert message.to == ["maria.new@example.com"]
    response = send("post", "/accounts/confirm-email/", {"code": mail_code(message)})
    assert response.status_code == 302
    signed_up.refresh_from_db()
    assert signed_up.email == "maria.new@example.com"


def test_confirmation_code_can_be_resent_and_the_old_one_stops_working(client, send, period, settings):
    send("post", "/accounts/signup/", signup_data(period))
    first = mail_code(mail.outbox[-1])
    settings.CACHES = {n: {**c, "KEY_PREFIX": c["KEY_PREFIX"] + "-later"} for n, c in settings.CACHES.items()}
    response = send("post", "/accounts/confirm-email/", {"action": "resend"})
    assert response.status_code == 302
    second = mail_code(mail.outbox[-1])
    assert len(mail.outbox) == 2 and second != first
    assert client.post("/accounts/confirm-email/", {"code": first}).status_code == 400
    assert send("post", "/accounts/confirm-email/", {"code": second}).status_code == 302
    assert client.get("/accounts/").status_code == 200


def test_email_change_errors_are_tied_to_the_field(client, signed_up):
    response = client.post("/accounts/email/", {"action_add": "", "email": "not an address"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html and 'aria-invalid="true"' in html


def test_admin_added_registration_tells_the_household(client, send, signed_up, period, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    Authenticator.objects.create(user=admin_user, type=Authenticator.Type.TOTP, data={})  # the admin needs it
    luis = confirmed_user("luis", "luis@example.com")
    client.force_login(admin_user)
    response = send(
        "post",
        "/admin/portal/premiseregistration/add/",
        {"user": luis.pk, "period": period.pk, "source": "admin"},
    )
    assert response.status_code == 302
    assert PremiseRegistration.objects.filter(user=luis, period=period, source="admin").exists()
    assert [m.to for m in mail.outbox] == [["maria@example.com"]]


def test_the_account_page_says_when_each_session_was_last_used_and_marks_this_one(client, signed_up):
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
    )
    assert phone.post("/accounts/login/", {"login": "maria", "password": PASSWORD}).status_code == 302
    html = client.get("/accounts/").content.decode()
    section = html.split('id="sessions-h"', 1)[1].split("</section>", 1)[0]
    assert section.count("<li>") == 2
    assert section.count("this device</span> in use now") == 1
    assert "Chrome on Android" in section and "last used" in section
    sessions = client.get("/accounts/sessions/").content.decode()
    assert "Last used" in sessions and "this device" in sessions


def test_password_reset_names_a_contact_for_e_mail_that_does_not_arrive(client, db, settings):
    settings.SUPPORT_CONTACT = "help@smt.example"
    page = client.get("/accounts/password/reset/").content.decode()
    assert 'href="mailto:help@smt.example"' in page and "E-mail not arriving?" in page
    done = client.get("/accounts/password/reset/done/").content.decode()
    assert 'href="mailto:help@smt.example"' in done
