"""API keys (shown once, hashed, prefix, revocation, last use) and the scope registry / DOT scopes backend."""

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from thirdparty.apikeys import apikey_authenticate, apikey_create, apikey_revoke
from thirdparty.models import ApiKey, Organization
from thirdparty.scopes import SCOPES, ScopesBackend, function_block_scopes, scopes_describe, scopes_expand

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return Organization.objects.create(
        legal_name="Keys Inc", contact_email="k@example.com", status="approved"
    )


def test_key_is_shown_once_and_stored_hashed(org):
    row, key = apikey_create(organization=org, name="server", scopes=["usage:read"])
    assert key.startswith("smt_") and len(key) > 40
    assert row.prefix == key[:12]
    stored = ApiKey.objects.get(pk=row.pk)
    assert stored.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(stored.__dict__)
    assert apikey_authenticate(key).pk == row.pk


def test_wrong_or_revoked_key_does_not_authenticate(org):
    row, key = apikey_create(organization=org, name="server", scopes=["usage:read"])
    assert apikey_authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert apikey_authenticate("") is None
    assert apikey_authenticate("Bearer x") is None
    apikey_revoke(key=row)
    assert apikey_authenticate(key) is None


def test_last_used_is_written_at_most_once_a_minute(org):
    row, key = apikey_create(organization=org, name="server", scopes=["usage:read"])
    apikey_authenticate(key)
    first = ApiKey.objects.get(pk=row.pk).last_used_at
    assert first is not None
    apikey_authenticate(key)
    assert ApiKey.objects.get(pk=row.pk).last_used_at == first
    ApiKey.objects.filter(pk=row.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    apikey_authenticate(key)
    assert ApiKey.objects.get(pk=row.pk).last_used_at > first


def test_key_scopes_are_validated(org):
    with pytest.raises(ValidationError):
        apikey_create(organization=org, name="x", scopes=["everything"])
    with pytest.raises(ValidationError):
        apikey_create(organization=org, name="x", scopes=[])
    with pytest.raises(ValidationError):
        apikey_create(organization=org, name="", scopes=["usage:read"])
    rep_org = Organization.objects.create(legal_name="REP", kind="rep", contact_email="r@example.com")
    with pytest.raises(ValidationError):
        apikey_create(organization=rep_org, name="x", scopes=["meter-read:request"])


def test_scope_registry_has_plain_language_descriptions():
    assert set(SCOPES) == {
        "profile:read",
        "premises:read",
        "usage:read",
        "billing:read",
        "meter-read:request",
        "han:read",
        "han:manage",
        "han:message",
    }
    for s in SCOPES.values():
        assert s.title and s.description.endswith(".")


def test_green_button_function_block_strings():
    fb = "FB=1_3_4_5_13_14_39;IntervalDuration=900;BlockDuration=daily;HistoryLength=34128000"
    assert function_block_scopes(fb) == {"usage:read"}
    assert scopes_expand(["FB=4_15", "profile:read", "nonsense"]) == {
        "usage:read",
        "billing:read",
        "profile:read",
    }
    assert [s.name for s in scopes_describe("usage:read profile:read")] == ["profile:read", "usage:read"]


def test_scopes_backend_limits_each_app_to_its_allowed_scopes():
    backend = ScopesBackend()
    app = SimpleNamespace(allowed_scopes=["usage:read", "profile:read"])
    assert set(backend.get_all_scopes()) == set(SCOPES)
    assert backend.get_available_scopes(application=app, request=SimpleNamespace(scopes=[])) == [
        "usage:read",
        "profile:read",
    ]
    fb_ok = "FB=4_5;IntervalDuration=900"
    fb_too_much = "FB=4_15;IntervalDuration=900"  # 15 reaches billing:read, not allowed to this app
    available = backend.get_available_scopes(
        application=app, request=SimpleNamespace(scopes=[fb_ok, fb_too_much])
    )
    assert fb_ok in available and fb_too_much not in available
    assert backend.get_default_scopes(application=app) == ["usage:read", "profile:read"]


def test_dot_is_configured_with_our_backend():
    from oauth2_provider.scopes import get_scopes_backend

    assert isinstance(get_scopes_backend(), ScopesBackend)


def test_a_key_is_read_once_per_access_generation_and_refused_at_once_when_revoked(org, settings):
    """The per-process cache saves the key's query on every request, and a revocation (which bumps the
    access generation) is seen by the very next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from thirdparty.access import cache_generation, local_clear

    settings.ACCESS_CACHE_SECONDS = 30
    local_clear()
    row, key = apikey_create(organization=org, name="server", scopes=["usage:read"])
    generation = cache_generation()
    assert generation is not None
    assert apikey_authenticate(key, generation=generation).pk == row.pk
    with CaptureQueriesContext(connection) as queries:
        assert apikey_authenticate(key, generation=generation).pk == row.pk
    assert not [q for q in queries.captured_queries if "thirdparty_apikey" in q["sql"]]
    apikey_revoke(key=row)
    assert cache_generation() != generation
    assert apikey_authenticate(key, generation=cache_generation()) is None
    # a stale generation (a request that began before the revocation) misses too: the process cache was voided
    assert apikey_authenticate(key, generation=generation) is None
