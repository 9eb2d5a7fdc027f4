"""Occupancies strangers cannot join. The attack: whoever held the current code (an old bill, a former
roommate) registered the occupied premise and joined the household silently; the occupant only got an e-mail.
Now a code older than the newest member makes a request a member must approve; a fresh code handed out by a
member admits at once; members see and remove each other; the REP of record or an admin can reset."""

import pytest
from django.core import mail
from django.test import Client

from portal.access_window import customer_windows
from portal.models import MembershipRequest, PremiseRegistration
from tests.portal.accounts_fixtures import mail_code, signup_data


def _signup(send, period, username, *, code=None):
    browser = Client()
    data = signup_data(period, username=username, email=f"{username}@example.com")
    if code is not None:
        data["registration_code"] = code
    response = send("post", "/accounts/signup/", data, client_=browser)
    assert response.status_code == 302, response.content.decode()[:2000]
    confirm = next(m for m in reversed(mail.outbox) if m.to == [f"{username}@example.com"])
    send("post", "/accounts/confirm-email/", {"code": mail_code(confirm)}, client_=browser)
    return browser


def test_a_code_holder_cannot_join_an_occupied_premise_without_approval(client, send, signed_up, period):
    mail.outbox.clear()
    stranger = _signup(send, period, "stranger")  # the code printed on the bill, older than maria's joining
    # before: a PremiseRegistration, and the stranger read maria's usage
    assert not PremiseRegistration.objects.filter(user__username="stranger").exists()
    request = MembershipRequest.objects.get(user__username="stranger", period=period)
    assert customer_windows(user=request.user, premise=period.premise) == []
    asked = [m for m in mail.outbox if m.to == ["maria@example.com"]]
    assert len(asked) == 1 and "stranger asks to join" in asked[0].subject
    assert "Waiting for approval" in stranger.get("/accounts/").content.decode()
    page = client.get("/accounts/").content.decode()
    assert "Asking to join" in page and "stranger" in page
    # the API sees nothing either
    assert stranger.get(f"/api/v1/premises/{period.premise.esiid}/").status_code == 404


def test_a_member_declines_and_the_requester_is_told(client, send, signed_up, period):
    _signup(send, period, "stranger")
    request = MembershipRequest.objects.get(user__username="stranger")
    mail.outbox.clear()
    response = send("post", f"/accounts/household/requests/{request.pk}/decline/")
    assert response.status_code == 302
    assert not MembershipRequest.objects.exists()
    assert not PremiseRegistration.objects.filter(user__username="stranger").exists()
    assert [m.to for m in mail.outbox] == [["stranger@example.com"]]
    assert "declined" in mail.outbox[0].subject


def test_a_member_approves_and_the_requester_joins(client, send, signed_up, period):
    _signup(send, period, "luis")
    request = MembershipRequest.objects.get(user__username="luis")
    mail.outbox.clear()
    send("post", f"/accounts/household/requests/{request.pk}/approve/")
    reg = PremiseRegistration.objects.get(user__username="luis", period=period)
    assert reg.source == "approved"
    assert customer_windows(user=reg.user, premise=period.premise)
    assert any(m.to == ["luis@example.com"] and "You joined" in m.subject for m in mail.outbox)


def test_only_a_member_can_answer_a_request(send, signed_up, period):
    _signup(send, period, "stranger")
    request = MembershipRequest.objects.get(user__username="stranger")
    other = _signup(send, period, "other")  # another requester, not a member
    other.post(f"/accounts/household/requests/{request.pk}/approve/")
    assert not PremiseRegistration.objects.filter(user__username="stranger").exists()


def test_a_fresh_code_from_a_member_admits_at_once(client, send, signed_up, period):
    response = send("post", f"/accounts/household/{period.pk}/new-code/")
    assert response.status_code == 302
    period.refresh_from_db()
    fresh = period.registration_code
    page = client.get("/accounts/").content.decode()
    assert fresh[:5] in page  # shown to the member once, to hand over
    _signup(send, period, "luis", code=fresh)
    assert PremiseRegistration.objects.filter(user__username="luis", period=period).exists()
    # the same code, now older than luis's joining, no longer admits anyone at once
    _signup(send, period, "third", code=fresh)
    assert MembershipRequest.objects.filter(user__username="third").exists()


def test_members_see_each_other_and_any_member_removes_another(client, send, signed_up, period):
    client.post(f"/accounts/household/{period.pk}/new-code/")
    period.refresh_from_db()
    luis = _signup(send, period, "luis", code=period.registration_code)
    assert "maria" in luis.get("/accounts/").content.decode()
    page = client.get("/accounts/").content.decode()
    assert "luis" in page and "Remove" in page
    code_before = period.registration_code
    reg = PremiseRegistration.objects.get(user__username="luis")
    mail.outbox.clear()
    response = send("post", f"/accounts/household/members/{reg.pk}/remove/")
    assert response.status_code == 302
    assert not PremiseRegistration.objects.filter(user__username="luis").exists()
    period.refresh_from_db()
    assert period.registration_code != code_before  # the removal rotated the code
    told = sorted(m.to[0] for m in mail.outbox if "removed" in m.subject)
    assert told == ["luis@example.com", "maria@example.com"]
    # luis cannot come back with the code he held
    again = Client()
    r = again.post("/accounts/signup/", signup_data(period, username="luis2", registration_code=code_before))
    assert r.status_code == 400


def test_a_non_member_cannot_remove_a_member(send, signed_up, period, django_user_model):
    outsider = django_user_model.objects.create_user(username="outsider", password="x" * 20)
    c = Client()
    c.force_login(outsider)
    reg = PremiseRegistration.objects.get(user=signed_up)
    c.post(f"/accounts/household/members/{reg.pk}/remove/")
    assert PremiseRegistration.objects.filter(pk=reg.pk).exists()


@pytest.mark.parametrize("end", [True, False])
def test_the_rep_of_record_settles_a_dispute(client, send, signed_up, period, end):
    from thirdparty.apikeys import apikey_create
    from thirdparty.models import Organization

    org = Organization.objects.create(
        legal_name="Reliant (REP)",
        kind=Organization.Kind.REP,
        rep=period.rep,
        contact_email="it@reliant.example",
        status=Organization.Status.APPROVED,
    )
    _, key = apikey_create(organization=org, name="billing", scopes=["premises:read"])
    old = period.registration_code
    mail.outbox.clear()
    r = send(
        "post",
        f"/api/v1/premises/{period.premise.esiid}/registration-code/",
        {"end_memberships": end},
        client_=Client(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["registration_code"] != old
    assert body["memberships_ended"] == (1 if end else 0)
    assert PremiseRegistration.objects.filter(period=period).exists() is (not end)
    if end:
        assert [m.to for m in mail.outbox if "was reset" in m.subject] == [["maria@example.com"]]


def test_an_admin_settles_a_dispute(admin_client, signed_up, period):
    old = period.registration_code
    r = admin_client.post(
        "/admin/portal/serviceperiod/",
        {"action": "reset_households", "_selected_action": [period.pk]},
    )
    assert r.status_code == 302
    period.refresh_from_db()
    assert period.registration_code != old
    assert not PremiseRegistration.objects.filter(period=period).exists()
