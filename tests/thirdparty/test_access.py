"""thirdparty.access: the matrix of actors x premises x dates x scopes."""

from datetime import timedelta

import pytest

from tests.helpers.market import ESIID, OTHER_ESIID, UNKNOWN_ESIID, build_market, make_agreement
from thirdparty import access
from thirdparty.apikeys import apikey_authenticate
from thirdparty.models import AccessToken, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(db, django_user_model):
    return build_market(django_user_model)


def _token_actor(market, **kw):
    tok = AccessToken.objects.select_related("application__organization").get(agreement=market.agreement)
    for k, v in kw.items():
        setattr(tok, k, v)
    return access.actor_for_token(tok)


def _decide(actor, esiid=ESIID, scope="usage:read", start=None, end=None, **kw):
    return access.access_decide(actor=actor, esiid=esiid, scope=scope, start=start, end=end, **kw)


def test_customer_matrix(market):
    owner = access.actor_for_customer(market.owner)
    former = access.actor_for_customer(market.former)
    stranger = access.actor_for_customer(market.stranger)
    move = market.period.starts_on
    d = _decide(owner)
    assert d.allowed and [(w.start, w.end) for w in d.windows] == [(move, market.today)]
    assert _decide(owner, start=move, end=market.today).allowed
    assert _decide(owner, start=move - timedelta(days=1), end=move).reason == access.OUTSIDE_WINDOW
    assert (
        _decide(owner, end=market.today + timedelta(days=1), start=market.today).reason
        == access.OUTSIDE_WINDOW
    )
    assert _decide(former, start=move - timedelta(days=1), end=move - timedelta(days=1)).allowed
    assert _decide(former, start=move, end=move).reason == access.OUTSIDE_WINDOW
    assert _decide(stranger).reason == access.NOT_FOUND
    assert _decide(owner, esiid=OTHER_ESIID).reason == access.NOT_FOUND
    assert _decide(owner, esiid=UNKNOWN_ESIID).reason == access.NOT_FOUND
    assert _decide(owner, esiid="not an esiid").reason == access.NOT_FOUND
    assert _decide(owner, scope="billing:read").allowed  # customers hold every scope on their own data


def test_window_floor_is_access_window_months(market, settings):
    settings.ACCESS_WINDOW_MONTHS = 13
    former = access.actor_for_customer(market.former)
    (w,) = _decide(former).windows
    from portal.access_window import months_before

    assert w.start == months_before(market.today, 13)


def test_third_party_token_matrix(market):
    actor = _token_actor(market)
    hs = market.agreement.history_start
    d = _decide(actor, start=hs, end=market.today)
    assert d.allowed and d.agreement_id == market.agreement.pk
    assert _decide(actor, start=hs - timedelta(days=1), end=hs).status == 422
    assert _decide(actor, esiid=OTHER_ESIID).status == 404
    d = _decide(actor, scope="billing:read")
    assert (d.status, d.scope) == (403, "billing:read")
    # the token's scopes limit the agreement's
    narrow = _token_actor(market, scope="profile:read")
    assert _decide(narrow).status == 403


def test_token_is_bound_to_its_own_agreement(market):
    other = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.stranger,
        period=market.other_period,
        scopes=["usage:read"],
        history_start=market.other_period.starts_on,
    )
    actor = _token_actor(market)
    assert _decide(actor, esiid=OTHER_ESIID).status == 404
    key_actor = access.actor_for_api_key(apikey_authenticate(market.tp_key))
    assert _decide(key_actor, esiid=OTHER_ESIID).allowed
    assert _decide(key_actor).allowed
    assert other.pk


def test_agreement_never_reaches_outside_the_granting_period(market):
    """An agreement granted by the former occupant ends at their move-out, whatever its history_start."""
    old = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.former,
        period=market.old_period,
        scopes=["usage:read"],
        history_start=market.old_period.starts_on,
    )
    key_actor = access.actor_for_api_key(apikey_authenticate(market.tp_key))
    windows = _decide(key_actor).windows
    move = market.period.starts_on
    # old grant ends the day before move-in, the current one starts at its history_start: two windows
    assert windows[0].end == move - timedelta(days=1)
    assert windows[0].agreement_id == old.pk
    assert windows[-1].start == market.agreement.history_start
    assert _decide(key_actor, start=move, end=move).status == 422


def test_rep_matrix(market):
    from portal.services import service_period_move_out, service_period_switch_rep

    rep = access.actor_for_api_key(apikey_authenticate(market.rep_key))
    assert rep.kind == access.REP
    assert _decide(rep).allowed
    assert _decide(rep, esiid=OTHER_ESIID).allowed
    assert _decide(rep, scope="meter-read:request").status == 403
    move = market.period.starts_on
    assert _decide(rep, start=move - timedelta(days=1), end=move).status == 422
    service_period_switch_rep(period=market.other_period, rep=market.other_rep)
    assert _decide(rep, esiid=OTHER_ESIID).status == 404
    # a move-out ahead keeps access until then; a past one ends it
    service_period_move_out(premise=market.premise, ends_on=market.today + timedelta(days=5))
    assert _decide(rep).allowed
    from portal.models import ServicePeriod

    ServicePeriod.objects.filter(pk=market.period.pk).update(ends_on=market.today)
    assert _decide(rep).status == 404


def test_suspended_or_pending_organization_sees_nothing(market):
    for status in (Organization.Status.SUSPENDED, Organization.Status.PENDING):
        Organization.objects.filter(pk=market.org.pk).update(status=status)
        actor = _token_actor(market)
        d = _decide(actor)
        assert d.status == 403 and not d.allowed
        assert access.access_premises_queryset(actor=actor).count() == 0


@pytest.mark.parametrize("who", ["rep_key", "tp_key", "token"])
def test_decide_many_matches_decide(market, who):
    """The one-ESI-ID path (prepared SQL) and the many-premises path (ORM) give the same decisions."""
    if who == "token":
        actor = _token_actor(market)
    else:
        actor = access.actor_for_api_key(apikey_authenticate(getattr(market, who)))
    hs = market.agreement.history_start
    for start, end in ((market.today - timedelta(days=1),) * 2, (hs - timedelta(days=1), hs), (None, None)):
        many = access.access_decide_many(
            actor=actor,
            esiids=[ESIID, OTHER_ESIID, UNKNOWN_ESIID, "x"],
            scope="usage:read",
            start=start,
            end=end,
        )
        for esiid, d in many.items():
            single = _decide(actor, esiid=esiid, start=start, end=end)
            assert (d.reason, d.windows, d.scopes) == (single.reason, single.windows, single.scopes)


def test_premise_list_per_actor(market):
    def esiids(actor):
        return list(access.access_premises_queryset(actor=actor).values_list("esiid", flat=True))

    assert esiids(access.actor_for_customer(market.owner)) == [ESIID]
    assert esiids(access.actor_for_customer(market.stranger)) == [OTHER_ESIID]
    assert esiids(access.actor_for_api_key(apikey_authenticate(market.rep_key))) == [ESIID, OTHER_ESIID]
    assert esiids(_token_actor(market)) == [ESIID]


def test_token_lookup_matches_the_orm(market):
    """The API's one-query token lookup (thirdparty.tokens) gives what the ORM gives."""
    from thirdparty.tokens import token_lookup

    tok = AccessToken.objects.select_related("user", "application__organization").get(
        agreement=market.agreement
    )
    found = token_lookup(tok.token_checksum)
    assert found.actor == access.actor_for_token(tok)
    assert found.expires == tok.expires
    assert (found.user.pk, found.user.email, found.user.is_active) == (tok.user.pk, tok.user.email, True)
    assert found.actor.organization.legal_name == market.org.legal_name
    assert found.actor.organization.status == Organization.Status.APPROVED
    assert token_lookup("0" * 64) is None
