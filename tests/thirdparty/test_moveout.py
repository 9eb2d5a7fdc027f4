"""Move-out ends consent: agreements granted on an occupancy end at move-out, and nobody's grant ever reaches
the next occupant's data."""

from datetime import timedelta

import pytest

from portal.access_window import market_today
from portal.models import PremiseRegistration
from portal.services import service_period_move_in, service_period_move_out
from tests.helpers.webhook_receiver import Receiver
from thirdparty.access import NOT_FOUND, OK, OUTSIDE_WINDOW, THIRD_PARTY, Actor, access_decide
from thirdparty.models import AccessToken, Agreement

from .consent_fixtures import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _actor(agreement):
    return Actor(
        kind=THIRD_PARTY,
        organization=agreement.organization,
        scopes=frozenset(agreement.scopes),
        agreement_id=agreement.pk,
        application_id=agreement.application_id,
        credential="oauth:test",
    )


def _api(client, token, esiid, start, end):
    return client.get(
        f"/api/v1/premises/{esiid}/intervals/",
        {"start": start.isoformat(), "end": end.isoformat()},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_move_out_ends_the_agreement_at_move_out_and_stops_its_tokens(
    client, django_capture_on_commit_callbacks, alice, premise_a, app, receiver
):
    app.webhook_url = receiver.url
    app.save()
    with django_capture_on_commit_callbacks(execute=True):
        tokens = token_for(client, app, alice)
    today = market_today()
    assert (
        _api(
            client,
            tokens["access_token"],
            premise_a.esiid,
            today - timedelta(days=5),
            today - timedelta(days=1),
        ).status_code
        != 401
    )
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_out(premise=premise_a, ends_on=today)
    agreement = Agreement.objects.get()
    assert agreement.status == Agreement.Status.ENDED_BY_MOVE_OUT
    assert agreement.valid_until <= agreement.status_changed_at + timedelta(seconds=1)
    assert "Moved out of 10443720000000001" in agreement.status_reason
    assert not AccessToken.objects.exists()
    assert (
        _api(
            client,
            tokens["access_token"],
            premise_a.esiid,
            today - timedelta(days=5),
            today - timedelta(days=1),
        ).status_code
        == 401
    )
    events = [r["headers"]["SMT-Event"] for r in receiver.requests]
    assert events == ["agreement.created", "agreement.ended_by_move_out"]


def test_someone_elses_move_in_ends_the_old_occupants_agreements_only(
    client, django_capture_on_commit_callbacks, alice, bob, premise_a, premise_c, app, rep, django_user_model
):
    token_for(client, app, alice)
    token_for(client, app, bob)
    alices, bobs = Agreement.objects.order_by("customer__username")
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_in(premise=premise_a, rep=rep, starts_on=market_today() - timedelta(days=3))
    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.status == Agreement.Status.ENDED_BY_MOVE_OUT
    assert bobs.status == Agreement.Status.ACTIVE


def test_the_new_occupants_data_never_reaches_the_old_occupants_app(
    client, django_capture_on_commit_callbacks, alice, premise_a, app, rep, django_user_model
):
    token_for(client, app, alice)
    old = Agreement.objects.get()
    today = market_today()
    move_in = today - timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        new_period = service_period_move_in(premise=premise_a, rep=rep, starts_on=move_in)
    carol = django_user_model.objects.create_user(
        username="carol", email="carol@example.com", password="x" * 16
    )
    PremiseRegistration.objects.create(user=carol, period=new_period)

    # The old agreement has ended: the app sees nothing of the premise any more.
    assert access_decide(actor=_actor(old), premise=premise_a, scope="usage:read").reason == NOT_FOUND
    # Even if it had not ended, its window stops the day before the new occupant moved in.
    Agreement.objects.filter(pk=old.pk).update(
        status=Agreement.Status.ACTIVE, valid_until=old.valid_from + timedelta(days=300)
    )
    old.refresh_from_db()
    before = access_decide(
        actor=_actor(old),
        premise=premise_a,
        scope="usage:read",
        start=move_in - timedelta(days=5),
        end=move_in - timedelta(days=1),
    )
    after = access_decide(actor=_actor(old), premise=premise_a, scope="usage:read", start=move_in, end=today)
    assert before.reason == OK
    assert after.reason == OUTSIDE_WINDOW
    Agreement.objects.filter(pk=old.pk).update(status=Agreement.Status.ENDED_BY_MOVE_OUT)

    # The new occupant consents to the same app: that grant starts at their own move-in.
    tokens = token_for(client, app, carol)
    new = Agreement.objects.get(customer=carol)
    assert [ap.service_period for ap in new.premises.all()] == [new_period]
    assert (
        new.history_start >= move_in
        or access_decide(
            actor=_actor(new),
            premise=premise_a,
            scope="usage:read",
            start=move_in - timedelta(days=1),
            end=move_in,
        ).reason
        == OUTSIDE_WINDOW
    )
    assert (
        access_decide(
            actor=_actor(new), premise=premise_a, scope="usage:read", start=move_in, end=today
        ).reason
        == OK
    )
    response = _api(
        client,
        tokens["access_token"],
        premise_a.esiid,
        move_in - timedelta(days=30),
        move_in - timedelta(days=1),
    )
    assert response.status_code in (404, 422)


def test_an_agreement_over_two_premises_ends_when_one_of_them_is_left(
    client, django_capture_on_commit_callbacks, alice, premise_a, premise_b, app
):
    token_for(client, app, alice, premises=[premise_a.esiid, premise_b.esiid])
    assert Agreement.objects.get().premises.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        service_period_move_out(premise=premise_b, ends_on=market_today())
    assert Agreement.objects.get().status == Agreement.Status.ENDED_BY_MOVE_OUT
