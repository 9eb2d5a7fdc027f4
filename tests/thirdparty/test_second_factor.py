"""Second factors where the damage is largest. The attack: with only a member's password, an attacker created
an API key (or an OAuth client, or a new webhook secret) and read every customer the organization serves; with
only a staff password, the Django admin. Now those need a second factor first, and every new credential e-mails
the organization."""

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from thirdparty.models import ApiKey, Application

pytestmark = pytest.mark.django_db


def _without_second_factor(org):
    member = org.members.get()
    Authenticator.objects.filter(user=member).delete()
    return member


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/developers/keys/", {"name": "billing", "scopes": ["usage:read"]}),
        ("get", "/developers/apps/new/", None),
        ("post", "/developers/apps/new/", {"name": "x", "redirect_uris": "https://x.example/cb"}),
    ],
)
def test_a_member_without_a_second_factor_cannot_create_credentials(client, org, method, path, data):
    client.force_login(_without_second_factor(org))
    response = getattr(client, method)(path, data or {})
    assert response.status_code == 403  # before: 200, a key or an app
    assert "Turn on two-factor sign-in" in response.content.decode()
    assert not ApiKey.objects.exists() and not Application.objects.exists()


def test_secrets_cannot_be_rotated_without_a_second_factor(client, app):
    client.force_login(_without_second_factor(app.organization))
    assert client.post(f"/developers/apps/{app.pk}/secret/").status_code == 403
    assert client.post(f"/developers/apps/{app.pk}/webhook-secret/").status_code == 403


def test_the_key_list_stays_readable_without_a_second_factor(client, org):
    client.force_login(_without_second_factor(org))
    assert client.get("/developers/keys/").status_code == 200


def test_a_new_key_e_mails_the_organization(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.members.get())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/developers/keys/", {"name": "billing server", "scopes": ["usage:read"]})
    assert response.status_code == 200
    notices = [m for m in mail.outbox if "New credential" in m.subject]
    assert len(notices) == 1
    assert set(notices[0].to) == {"dev@watt.example"}
    assert "billing server" in notices[0].body and "by dev" in notices[0].body


def test_a_new_app_and_a_rotated_secret_e_mail_the_organization(
    client, org, django_capture_on_commit_callbacks
):
    from thirdparty.services.applications import application_register, application_secret_rotate

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        app, _ = application_register(
            organization=org,
            name="Meter Pal",
            redirect_uris=["https://pal.example/cb"],
            allowed_scopes=["usage:read"],
        )
        application_secret_rotate(application=app)
    subjects = [m.subject for m in mail.outbox if "New credential" in m.subject]
    assert len(subjects) == 2


def test_staff_without_a_second_factor_are_kept_out_of_the_admin(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 20)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302  # before: 200, the admin
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={})
    assert client.get("/admin/").status_code == 200


def test_the_admin_signs_in_through_allauth_not_djangos_form(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
