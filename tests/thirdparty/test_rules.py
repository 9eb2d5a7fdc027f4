"""Where thirdparty's rules live: a REP merge carries the REP's organization and keys, the access cache is voided
when a change commits (also after bulk updates), and thirdparty's imports run one way."""

import ast
from pathlib import Path

import pytest
from django.db import transaction

import thirdparty
from portal.services import rep_create, rep_merge
from tests.helpers.market import ESIID, OTHER_ESIID, build_market
from thirdparty import access
from thirdparty.apikeys import apikey_authenticate, apikeys_revoke
from thirdparty.models import AccessToken, Agreement, ApiKey, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(db, django_user_model):
    return build_market(django_user_model)


def _decide(key: str, esiid: str = ESIID, **kw):
    actor = access.actor_for_api_key(apikey_authenticate(key))
    return access.access_decide(actor=actor, esiid=esiid, scope="usage:read", **kw)


def test_a_merged_reps_organization_follows_its_customers(market):
    """The REP entry the organization belongs to is merged into a new entry: the organization moves with it."""
    survivor = rep_create(legal_name="Reliant Retail (second entry)")
    rep_merge(survivor=survivor, duplicate=market.rep)
    market.rep_org.refresh_from_db()
    assert market.rep_org.rep == survivor
    assert _decide(market.rep_key).allowed
    assert _decide(market.rep_key, esiid=OTHER_ESIID).allowed


@pytest.fixture
def bumps(monkeypatch):
    """Every access-cache bump, as True when made inside a transaction and False when made after a commit."""
    made = []
    monkeypatch.setattr(
        access, "cache_bump", lambda: made.append(transaction.get_connection().in_atomic_block)
    )
    return made


@pytest.mark.django_db(transaction=True)
def test_into_a_rep_with_its_own_organization_the_keys_move(market, bumps):
    """The survivor has an organization already: the duplicate organization's keys move to it, its members
    stay; the bulk moves send no signal, so the merge voids the access cache itself, once it commits."""
    survivor = market.other_rep
    survivor_org = Organization.objects.create(
        kind=Organization.Kind.REP,
        legal_name="TXU (REP)",
        rep=survivor,
        contact_email="it@txu.example",
        status=Organization.Status.APPROVED,
    )
    bumps.clear()
    rep_merge(survivor=survivor, duplicate=market.rep)
    assert bumps == [True, False]  # in the transaction, and after the commit
    assert ApiKey.objects.get(prefix=market.rep_key[:12]).organization == survivor_org
    market.rep_org.refresh_from_db()
    assert market.rep_org.rep == market.rep  # the old organization keeps its (merged) entry and members
    assert _decide(market.rep_key).allowed
    assert _decide(market.rep_key, esiid=OTHER_ESIID).allowed


@pytest.mark.django_db(transaction=True)
def test_the_access_cache_is_voided_once_more_when_a_change_commits(market, bumps):
    tokens = list(AccessToken.objects.all())
    with transaction.atomic():
        for token in tokens:
            token.save()
        agreement = Agreement.objects.get(pk=market.agreement.pk)
        agreement.status = Agreement.Status.REVOKED
        agreement.save()
        assert bumps == [True] * (len(tokens) + 1)
    assert bumps == [True] * (len(tokens) + 1) + [False]  # one bump at the commit, however many changes


def test_a_cached_decision_is_voided_by_a_change(market):
    generation = access.cache_generation()
    assert _decide(market.tp_key, generation=generation).allowed  # now cached for this generation
    Agreement.objects.filter(pk=market.agreement.pk).update(status=Agreement.Status.REVOKED)
    assert _decide(market.tp_key, generation=generation).allowed  # a bulk update alone is not seen
    access.cache_bump_on_commit()
    assert access.cache_generation() > generation
    assert not _decide(market.tp_key, generation=access.cache_generation()).allowed


@pytest.mark.django_db(transaction=True)
def test_revoking_keys_in_bulk_stops_them_at_once(market, bumps):
    bumps.clear()
    assert apikeys_revoke(keys=ApiKey.objects.filter(organization=market.org)) == 1
    assert bumps == [False]  # outside a transaction: the change is committed, one bump
    assert apikey_authenticate(market.tp_key) is None
    assert apikeys_revoke(keys=ApiKey.objects.filter(organization=market.org)) == 0
    assert bumps == [False]


def _imports(node) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def _function_imports(tree) -> list[tuple[str, str]]:
    """(function name, module) for every import written inside a function."""
    return [
        (fn.name, module)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
        for module in _imports(node)
    ]


def test_thirdparty_imports_run_one_way():
    """Services and webhooks import neither the tasks nor the receivers built on them, and no thirdparty
    module imports thirdparty inside a function (only ``AppConfig.ready`` connects the receivers)."""
    root = Path(thirdparty.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        if path.parent.name in ("services", "webhooks"):
            top_level = [module for node in tree.body for module in _imports(node)]
            assert not {"thirdparty.tasks", "thirdparty.receivers"} & set(top_level), path
        if path.name != "apps.py":
            inside = [(fn, m) for fn, m in _function_imports(tree) if m.startswith("thirdparty")]
            assert inside == [], (path, inside)
