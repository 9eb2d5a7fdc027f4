"""Agreements from the customer's side and the third party's: list, revoke, terminate, expire, e-mails."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.helpers.webhook_receiver import Receiver
from thirdparty.models import AccessLogEntry, AccessToken, Agreement, RefreshToken, WebhookDelivery
from thirdparty.services.agreements import agreements_expire_due, agreements_warn_expiring
from thirdparty.webhooks.signing import SIGNATURE_HEADER, signature_verify

from .consent_fixtures import refresh, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def granted(client, django_capture_on_commit_callbacks, alice, premise_a, app, receiver):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        tokens = token_for(client, app, alice, scope="usage:read premises:read")
    return Agreement.objects.get(), tokens


def test_approving_sends_a_receipt_and_an_agreement_created_webhook(granted, receiver, alice):
    agreement, _ = granted
    receipt = next(m for m in mail.outbox if "You shared your data with WattWise" in m.subject)
    assert receipt.to == [alice.email] and "1 Oak St" in receipt.body and "/accounts/apps/" in receipt.body
    (hook,) = receiver.requests
    assert hook["headers"]["SMT-Event"] == "agreement.created"


def test_apps_with_access_lists_everything_about_the_agreement(client, granted, alice, app):
    agreement, _ = granted
    AccessLogEntry.objects.create(
        at=timezone.now() - timedelta(hours=2),
        premise=agreement.premises.get().premise,
        organization=agreement.organization,
        application=app,
        agreement=agreement,
        actor_kind="third_party",
        resource="intervals",
    )
    client.force_login(alice)
    html = client.get("/accounts/apps/").content.decode()
    for text in (
        "WattWise",
        "WattWise Inc.",
        "Your electricity usage",
        "Your addresses and meters",
        "1 Oak St",
        "10443720000000001",
        "History from",
        "Ends",
        "Last read",
        "Revoke",
    ):
        assert text in html, text
    assert "never" not in html.split("Last read")[1][:80]


def test_revoke_asks_first_then_confirms_what_happened(
    client, django_capture_on_commit_callbacks, granted, alice, app, receiver
):
    agreement, tokens = granted
    client.force_login(alice)
    confirm = client.get(f"/accounts/apps/{agreement.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke WattWise" in confirm.content.decode()
    assert Agreement.objects.get().status == Agreement.Status.ACTIVE  # a GET changes nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/apps/{agreement.pk}/revoke/")
    assert response.status_code == 302
    done = client.get(response["Location"])
    html = done.content.decode()
    assert "Revoked." in html and "WattWise can no longer read your data from" in html
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.REVOKED and agreement.status_changed_by == alice
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert refresh(client, app, tokens["refresh_token"]).status_code == 400
    assert any("can no longer read your data" in m.subject for m in mail.outbox)
    hook = receiver.requests[-1]
    assert hook["headers"]["SMT-Event"] == "agreement.revoked"
    secret = app.webhook_endpoint.secret
    assert signature_verify(secret=secret, header=hook["headers"][SIGNATURE_HEADER], body=hook["body"])
    # It now shows under "Past", without a Revoke button.
    page = client.get("/accounts/apps/").content.decode()
    assert "Revoked by the customer" in page and f"/accounts/apps/{agreement.pk}/revoke/" not in page


def test_nobody_else_can_revoke_or_see_an_agreement(client, granted, bob):
    agreement, _ = granted
    client.force_login(bob)
    assert client.get(f"/accounts/apps/{agreement.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/apps/{agreement.pk}/revoke/").status_code == 404
    assert "WattWise" not in client.get("/accounts/apps/").content.decode()
    assert Agreement.objects.get().status == Agreement.Status.ACTIVE


def test_third_party_sees_initials_without_profile_scope_and_terminates_with_a_confirmation(
    client, django_capture_on_commit_callbacks, granted, app, receiver
):
    agreement, tokens = granted
    dev = app.organization.members.get()
    client.force_login(dev)
    page = client.get("/developers/agreements/").content.decode()
    assert "A.M." in page and "alice@example.com" not in page and "Alice" not in page
    confirm = client.get(f"/developers/agreements/{agreement.pk}/terminate/")
    assert confirm.status_code == 200 and "Terminate agreement" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/developers/agreements/{agreement.pk}/terminate/",
            {"reason": "Customer closed their account with us."},
        )
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "Terminated." in done.content.decode() and "can no longer read" in done.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED
    assert agreement.status_reason == "Customer closed their account with us."
    assert receiver.requests[-1]["headers"]["SMT-Event"] == "agreement.terminated"
    assert refresh(client, app, tokens["refresh_token"]).status_code == 400
    # Terminating again, or reloading, still says what happened (never an error page).
    again = client.post(f"/developers/agreements/{agreement.pk}/terminate/")
    assert client.get(again["Location"]).status_code == 200


def test_third_party_sees_name_and_email_with_profile_scope(client, alice, premise_a, app):
    app.allowed_scopes = ["usage:read", "profile:read"]
    app.save()
    token_for(client, app, alice, scope="usage:read profile:read")
    client.force_login(app.organization.members.get())
    page = client.get("/developers/agreements/").content.decode()
    assert "Alice Moreno" in page and "alice@example.com" in page


def test_another_organization_cannot_terminate(client, granted, django_user_model):
    from thirdparty.models import Organization
    from thirdparty.services.onboarding import organization_approve

    agreement, _ = granted
    other = organization_approve(
        organization=Organization.objects.create(legal_name="Other", contact_email="o@x.example")
    )
    eve = django_user_model.objects.create_user(username="eve", password="x" * 16)
    other.membership_set.create(user=eve)
    client.force_login(eve)
    assert client.post(f"/developers/agreements/{agreement.pk}/terminate/").status_code == 404
    assert Agreement.objects.get().status == Agreement.Status.ACTIVE


def test_expiry_warns_once_then_ends_the_agreement(
    django_capture_on_commit_callbacks, granted, receiver, settings
):
    agreement, _ = granted
    mail.outbox.clear()
    soon = agreement.valid_until - timedelta(days=settings.AGREEMENT_EXPIRY_WARNING_DAYS - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert agreements_warn_expiring(now=soon) == 1
        assert agreements_warn_expiring(now=soon) == 0
    assert any("access to your data ends on" in m.subject for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert agreements_expire_due(now=agreement.valid_until - timedelta(seconds=1)) == 0
        assert agreements_expire_due(now=agreement.valid_until + timedelta(seconds=1)) == 1
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.EXPIRED
    assert not AccessToken.objects.exists()
    assert receiver.requests[-1]["headers"]["SMT-Event"] == "agreement.expired"


def test_a_token_past_the_agreement_period_is_refused_even_before_the_sweep(granted):
    from django.test import RequestFactory
    from oauth2_provider.oauth2_backends import get_oauthlib_core

    agreement, tokens = granted
    Agreement.objects.filter(pk=agreement.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert get_oauthlib_core().verify_request(request, scopes=[])[0] is False


def test_access_log_page_filters_and_downloads_csv(client, granted, alice, premise_a, premise_b, app):
    agreement, _ = granted
    now = timezone.now()
    for days, premise in ((1, premise_a), (40, premise_a), (2, premise_b)):
        AccessLogEntry.objects.create(
            at=now - timedelta(days=days),
            premise=premise,
            organization=agreement.organization,
            application=app,
            agreement=agreement,
            actor_kind="third_party",
            resource="intervals",
            range_start=(now - timedelta(days=60)).date(),
            range_end=(now - timedelta(days=50)).date(),
            granularity="15min",
            data_format="json",
        )
    client.force_login(alice)
    page = client.get("/accounts/access-log/")
    assert page.status_code == 200 and page.content.decode().count("WattWise Inc.") >= 3
    filtered = client.get("/accounts/access-log/", {"esiid": premise_b.esiid})
    assert len(filtered.context["page"].object_list) == 1
    recent = client.get("/accounts/access-log/", {"from": (now - timedelta(days=10)).date().isoformat()})
    assert len(recent.context["page"].object_list) == 2
    csv_response = client.get("/accounts/access-log/", {"format": "csv", "esiid": premise_a.esiid})
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().strip().splitlines()
    assert lines[0].startswith("time_utc,esiid,organization") and len(lines) == 3
    assert "WattWise Inc.,third_party,WattWise" in lines[1]


def test_pages_need_sign_in(client, granted):
    for url in ("/accounts/apps/", "/accounts/access-log/", "/developers/agreements/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_webhook_delivery_log_records_agreement_events(granted):
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["agreement.created"]


def test_deleting_the_account_tells_the_third_party(
    django_capture_on_commit_callbacks, granted, alice, receiver
):
    from portal.accounts.services import account_delete

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=alice)
    assert not Agreement.objects.exists() and not AccessToken.objects.exists()
    assert receiver.requests[-1]["headers"]["SMT-Event"] == "agreement.revoked"


def test_every_third_party_read_through_the_api_appears_in_the_customers_access_log(client, granted, alice):
    from portal.access_window import market_today

    agreement, tokens = granted
    esiid = agreement.premises.get().premise.esiid
    day = market_today() - timedelta(days=3)
    response = client.get(
        f"/api/v1/premises/{esiid}/intervals/",
        {"start": day.isoformat(), "end": day.isoformat(), "granularity": "hour"},
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )
    assert response.status_code == 200, response.content
    client.force_login(alice)
    page = client.get("/accounts/access-log/")
    (entry,) = page.context["page"].object_list
    assert entry.agreement_id == agreement.pk and entry.range_start == day and entry.granularity == "hour"
    html = page.content.decode()
    assert "WattWise Inc." in html and "app “WattWise”" in html


def test_an_app_cannot_exceed_its_grant_through_the_api(client, alice, premise_a, premise_b, app):
    from portal.access_window import market_today

    tokens = token_for(client, app, alice, premises=[premise_a.esiid], scope="usage:read", history_months="1")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    today = market_today()
    recent = {
        "start": (today - timedelta(days=5)).isoformat(),
        "end": (today - timedelta(days=1)).isoformat(),
    }

    def intervals(esiid, params):
        return client.get(f"/api/v1/premises/{esiid}/intervals/", params, **auth)

    assert intervals(premise_a.esiid, recent).status_code == 200
    # Another premise of the same customer that was not chosen: as if it did not exist.
    assert intervals(premise_b.esiid, recent).status_code == 404
    # History before what was granted.
    old = {"start": (today - timedelta(days=90)).isoformat(), "end": (today - timedelta(days=80)).isoformat()}
    assert intervals(premise_a.esiid, old).status_code == 422
    # A scope that was not granted.
    assert client.get(f"/api/v1/premises/{premise_a.esiid}/billing-periods/", **auth).status_code == 403
    # After the period: nothing.
    agreement = Agreement.objects.get()
    agreement.valid_until = timezone.now() - timedelta(seconds=1)
    agreement.save()
    assert intervals(premise_a.esiid, recent).status_code in (401, 404)
