"""Self-serve onboarding: sign up, confirm the e-mail, wait for approval, register apps, keys; suspension."""

import re

import pytest
from django.core import mail

from thirdparty.models import AccessToken, Agreement, ApiKey, Application, Organization
from thirdparty.services.onboarding import organization_suspend

from .consent_fixtures import refresh, token_for

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "sunny",
    "email": "dev@sunny.example",
    "password": "a long passphrase for solar",
    "legal_name": "Sunny Solar LLC",
    "puct_registration": "",
    "contact_name": "Dana Sun",
    "contact_email": "dev@sunny.example",
    "website": "https://sunny.example",
    "privacy_policy_url": "https://sunny.example/privacy",
}


def _code(message) -> str:
    match = re.search(r"^\s{4}(\S+)\s*$", message.body, re.M)
    assert match, message.body
    return match.group(1)


def test_a_developer_signs_up_confirms_by_code_and_waits_for_approval(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/developers/signup/", SIGNUP)
    assert response.status_code == 302
    org = Organization.objects.get()
    assert org.status == Organization.Status.PENDING and org.members.get().username == "sunny"
    confirmation = next(
        m for m in mail.outbox if m.to == ["dev@sunny.example"] and re.search(r"^\s{4}\S+\s*$", m.body, re.M)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/confirm-email/", {"code": _code(confirmation)}, follow=True)
    assert response.redirect_chain[-1][0] == "/developers/"
    assert "Waiting for approval" in response.content.decode()
    # Nothing but the overview and the guide until approved.
    blocked = client.get("/developers/apps/new/")
    assert blocked.status_code == 403 and "waiting for approval" in blocked.content.decode()


def test_signup_errors_are_shown_with_a_400(client):
    response = client.post("/developers/signup/", {**SIGNUP, "password": "short", "privacy_policy_url": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Use at least 15 characters" in html
    assert not Organization.objects.exists()


def test_admin_approves_and_suspends_with_a_reason_emailed(
    client, admin_client, django_capture_on_commit_callbacks, alice, premise_a, app
):
    org = app.organization
    Organization.objects.filter(pk=org.pk).update(status=Organization.Status.PENDING, approved_at=None)
    mail.outbox.clear()
    url = "/admin/thirdparty/organization/"
    page = admin_client.post(url, {"action": "approve", "_selected_action": [org.pk]})
    assert page.status_code == 200 and "Approve organizations" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url, {"action": "approve", "_selected_action": [org.pk], "apply": "1", "reason": "Welcome!"}
        )
    org.refresh_from_db()
    assert org.status == Organization.Status.APPROVED and org.approved_at is not None
    assert any("is approved" in m.subject and "Welcome!" in m.body for m in mail.outbox)

    tokens = token_for(client, app, alice)
    from thirdparty.apikeys import apikey_create

    key, _ = apikey_create(organization=org, name="server", scopes=["usage:read"])
    # A suspension without a reason is refused; with one it stops everything at once.
    admin_client.post(url, {"action": "suspend", "_selected_action": [org.pk], "apply": "1", "reason": ""})
    org.refresh_from_db()
    assert org.status == Organization.Status.APPROVED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url,
            {
                "action": "suspend",
                "_selected_action": [org.pk],
                "apply": "1",
                "reason": "Data misuse reported.",
            },
        )
    org.refresh_from_db()
    assert org.status == Organization.Status.SUSPENDED and org.status_reason == "Data misuse reported."
    assert not AccessToken.objects.exists()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert Agreement.objects.get().status == Agreement.Status.SUSPENDED
    assert refresh(client, app, tokens["refresh_token"]).status_code in (400, 401)
    assert any("is suspended" in m.subject and "Data misuse reported." in m.body for m in mail.outbox)
    assert any("can no longer read your data" in m.subject for m in mail.outbox)  # the customer is told


def test_a_suspended_organization_loses_access_at_once(client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/premises/", **headers).status_code == 200
    organization_suspend(organization=app.organization, reason="Testing.")
    assert client.get("/api/v1/premises/", **headers).status_code == 401
    # No new consent either: the app is refused before anyone is asked.
    client.force_login(alice)
    from .consent_fixtures import consent_get, pkce

    response = consent_get(client, app, pkce()[1])
    assert response.status_code == 400 and "Location" not in response


def test_an_approved_organization_registers_an_app_and_sees_the_secret_once(client, org):
    client.force_login(org.members.get())
    data = {
        "name": "Sunny App",
        "description": "",
        "redirect_uris": "https://sunny.example/cb\nhttp://localhost:3000/cb",
        "allowed_scopes": ["usage:read", "premises:read"],
        "webhook_url": "https://sunny.example/hooks",
    }
    response = client.post("/developers/apps/new/", data)
    assert response.status_code == 200
    secret = response.context["secret"]
    app = Application.objects.get(name="Sunny App")
    assert secret in response.content.decode() and app.client_secret != secret  # stored hashed
    assert app.redirect_uris.split() == ["https://sunny.example/cb", "http://localhost:3000/cb"]
    assert secret not in client.get(f"/developers/apps/{app.pk}/").content.decode()


@pytest.mark.parametrize(
    "uri",
    [
        "http://sunny.example/cb",
        "https://sunny.example/cb#frag",
        "ftp://sunny.example/cb",
        "sunny.example/cb",
    ],
)
def test_redirect_uris_must_be_https_except_loopback(client, org, uri):
    client.force_login(org.members.get())
    response = client.post(
        "/developers/apps/new/",
        {"name": "X", "redirect_uris": uri, "allowed_scopes": ["usage:read"]},
    )
    assert response.status_code == 400
    assert "not allowed" in response.content.decode() and not Application.objects.filter(name="X").exists()


def test_rotating_the_client_secret_stops_the_old_one(client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    client.force_login(app.organization.members.get())
    response = client.post(f"/developers/apps/{app.pk}/secret/")
    new_secret = response.context["secret"]
    client.logout()
    old = refresh(client, app, tokens["refresh_token"])
    assert old.status_code == 401
    app.raw_secret = new_secret
    assert refresh(client, app, tokens["refresh_token"]).status_code == 200


def test_api_keys_are_created_shown_once_and_revoked(client, org):
    client.force_login(org.members.get())
    response = client.post("/developers/keys/", {"name": "billing server", "scopes": ["usage:read"]})
    assert response.status_code == 200
    key = response.context["created"]["key"]
    assert key in response.content.decode()
    row = ApiKey.objects.get()
    assert key not in client.get("/developers/keys/").content.decode()
    done = client.post(f"/developers/keys/{row.pk}/revoke/")
    assert done.status_code == 200 and "Revoked." in done.content.decode()
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_metadata_and_guide_are_public(client):
    assert client.get("/developers/docs/").status_code == 200
    assert "SMT-Signature" in client.get("/developers/docs/").content.decode()


def test_the_logo_is_checked_at_upload_and_shown_on_the_consent_page(
    client, settings, tmp_path, alice, premise_a, app
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .consent_fixtures import consent_get, pkce

    settings.MEDIA_ROOT = tmp_path
    client.force_login(app.organization.members.get())
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    not_an_image = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    form_data = {k: v for k, v in SIGNUP.items() if k not in ("username", "email", "password")}
    app.organization.membership_set.all().delete()
    response = client.post("/developers/signup/", {**form_data, "logo": not_an_image})
    assert response.status_code == 400 and "Upload a PNG or JPEG image." in response.content.decode()
    response = client.post("/developers/signup/", {**form_data, "logo": SimpleUploadedFile("logo.png", png)})
    assert response.status_code == 302
    org = Organization.objects.get(legal_name="Sunny Solar LLC")
    logo = client.get(f"/developers/logos/{org.pk}/")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == png
    # WattWise has no logo: its consent page shows an initial instead.
    client.force_login(alice)
    page = consent_get(client, app, pkce()[1])
    assert 'class="app-initial"' in page.content.decode()


def test_a_rep_organization_manages_its_keys_on_the_developer_pages(client, django_user_model, rep):
    from thirdparty.services.onboarding import organization_approve

    org = organization_approve(
        organization=Organization.objects.create(
            kind=Organization.Kind.REP,
            rep=rep,
            legal_name="Reliant (REP)",
            contact_email="api@reliant.example",
        )
    )
    user = django_user_model.objects.create_user(username="repdev", password="x" * 16)
    org.membership_set.create(user=user)
    client.force_login(user)
    # without a second factor the member cannot create a key (the attack: a stolen password minting keys)
    refused = client.post("/developers/keys/", {"name": "billing", "scopes": ["usage:read"]})
    assert refused.status_code == 403 and "two-factor" in refused.content.decode()
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
    home = client.get("/developers/").content.decode()
    assert "retail provider" in home and "/developers/agreements/" not in home
    response = client.post("/developers/keys/", {"name": "billing", "scopes": ["usage:read"]})
    assert response.status_code == 200 and response.context["created"]["key"].startswith("smt_")


def test_admin_pages_of_the_third_party_side_render(admin_client, client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    assert tokens["access_token"]
    agreement = Agreement.objects.get()
    for url in (
        "/admin/thirdparty/organization/",
        f"/admin/thirdparty/organization/{app.organization.pk}/change/",
        "/admin/thirdparty/agreement/",
        f"/admin/thirdparty/agreement/{agreement.pk}/change/",
        "/admin/thirdparty/application/",
        f"/admin/thirdparty/application/{app.pk}/change/",
        "/admin/thirdparty/apikey/",
        "/admin/thirdparty/webhookdelivery/",
        "/admin/thirdparty/webhookendpoint/",
        "/admin/thirdparty/accesslogentry/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert (
        "client_secret"
        not in admin_client.get(f"/admin/thirdparty/application/{app.pk}/change/").content.decode()
    )
