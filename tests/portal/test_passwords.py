"""Passwords per NIST SP 800-63B-4. The attack: an audit signed up with passwords attackers try first
(`Password1234567!`, `qwertyuiopasdfgh`, `aaaaaaaaaaaaaaaa`, `1234567890123456`) and all were accepted (each is 16
characters, over the old 12-character minimum, and not on Django's list). Now each is refused, the length depends
on the account's factors, an operator's breach list is checked offline, and an existing user whose password is
now refused must change it at their next sign-in."""

from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from tests.portal.accounts_fixtures import signup_data

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
User = get_user_model()


def _errors(response) -> str:
    return " ".join(response.context["form"].errors.get("password1", []))


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Password1234567!", "lists of common or breached passwords"),
        ("qwertyuiopasdfgh", "sequence"),
        ("aaaaaaaaaaaaaaaa", "repeated character"),
        ("1234567890123456", "sequence"),
        ("a fine passphras", None),  # 16 characters: accepted (the control)
        ("fine passphrase", None),  # exactly 15
        ("short passphras", None),
        ("my passphrase!", "at least 15 characters"),  # 14
    ],
)
def test_refused_passwords_at_sign_up(client, period, password, why):
    response = client.post("/accounts/signup/", signup_data(period, password1=password))
    if why is None:
        assert response.status_code == 302, _errors(response)
    else:
        assert response.status_code == 400  # before: 302, an account with this password
        assert why in _errors(response)


def test_eight_characters_are_enough_with_a_second_factor(db):
    user = User.objects.create_user(username="ops", email="ops@example.com", password="x")
    with pytest.raises(ValidationError, match="at least 15"):
        validate_password("kj8#mQ2!vb", user)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    validate_password("kj8#mQ2!", user)  # 8, random: fine with TOTP
    with pytest.raises(ValidationError, match="at least 8"):
        validate_password("kj8#mQ2", user)
    with pytest.raises(ValidationError):
        validate_password("aaaaaaaa", user)  # the blocklist and patterns apply whatever the length


def test_the_operators_breach_list_is_checked_offline(db, settings, tmp_path):
    plain, hashed = tmp_path / "plain.bloom", tmp_path / "sha1.bloom"
    call_command("password_breach_filter", str(FIXTURES / "breached-passwords.txt"), str(plain), "--plain")
    call_command("password_breach_filter", str(FIXTURES / "breached-sha1.txt"), str(hashed))
    validate_password("my grandmother makes the best tamales")  # not refused without the filter
    settings.PASSWORD_BREACH_FILTER = str(plain)
    with pytest.raises(ValidationError, match="breached"):
        validate_password("my grandmother makes the best tamales")
    validate_password("my grandfather grills the best brisket")
    settings.PASSWORD_BREACH_FILTER = str(hashed)  # a Pwned Passwords download: SHA1HEX:COUNT lines
    with pytest.raises(ValidationError, match="breached"):
        validate_password("purple elephants dance at noon")
    validate_password("my grandmother makes the best tamales")


def test_an_existing_weak_password_must_be_changed_at_the_next_sign_in(db):
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(username="olduser", email="old@example.com")
    user.set_password("1234567890123456")  # accepted under the old rules
    user.save()
    EmailAddress.objects.create(user=user, email="old@example.com", verified=True, primary=True)
    browser = Client()
    response = browser.post("/accounts/login/", {"login": "olduser", "password": "1234567890123456"})
    assert response.status_code == 302
    page = browser.get("/accounts/")
    assert page.status_code == 302 and page["Location"].endswith("/accounts/password/change/")
    assert browser.get("/dashboard/")["Location"].endswith("/accounts/password/change/")
    change = browser.post(
        "/accounts/password/change/",
        {
            "oldpassword": "1234567890123456",
            "password1": "a much better passphrase now",
            "password2": "a much better passphrase now",
        },
    )
    assert change.status_code == 302
    assert browser.get("/accounts/").status_code == 200


def test_a_good_password_signs_in_without_being_asked(db):
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(
        username="gooduser", email="good@example.com", password="pecan pie and kilowatts"
    )
    EmailAddress.objects.create(user=user, email="good@example.com", verified=True, primary=True)
    browser = Client()
    browser.post("/accounts/login/", {"login": "gooduser", "password": "pecan pie and kilowatts"})
    assert browser.get("/accounts/").status_code == 200
