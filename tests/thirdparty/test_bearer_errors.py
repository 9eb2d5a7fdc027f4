"""RFC 6750 3.1: a 401 for an expired or revoked token says ``error="invalid_token"``, on the API and on the
Green Button paths; and a stock client (authlib) with auto-refresh gets a new token and carries on."""

import re
from datetime import timedelta

import pytest
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone

from thirdparty.models import AccessToken, Agreement
from thirdparty.services.agreements import agreement_revoke

from .consent_fixtures import token_for

CHALLENGE = re.compile(r'^Bearer realm="[a-z]+", error="invalid_token", error_description="[^"]+"$')


def _paths(agreement) -> list[str]:
    return [
        "/api/v1/premises/",
        f"/espi/1_1/resource/Batch/Subscription/{agreement.pk}",
        f"/espi/1_1/resource/Authorization/{agreement.pk}",
    ]


def _bearer_challenge(response) -> str:
    header = response["WWW-Authenticate"]
    return header.removeprefix('Basic realm="espi", ')  # the ESPI Authorization resource offers Basic too


def _expire(token: str) -> None:
    import hashlib

    checksum = hashlib.sha256(token.encode()).hexdigest()
    AccessToken.objects.filter(token_checksum=checksum).update(expires=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_a_refused_token_gets_invalid_token_in_www_authenticate(client, alice, premise_a, app, how):
    token = token_for(client, app, alice)["access_token"]
    agreement = Agreement.objects.get()
    if how == "expired":
        _expire(token)
    elif how == "revoked":
        agreement_revoke(agreement=agreement, by=alice)
    else:
        token = "not-a-token-we-issued"
    for path in _paths(agreement):
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, path
        assert CHALLENGE.match(_bearer_challenge(response)), (path, response["WWW-Authenticate"])


@pytest.mark.django_db
def test_no_credential_gets_a_challenge_without_an_error_code(client, alice, premise_a, app):
    token_for(client, app, alice)
    for path in _paths(Agreement.objects.get()):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "error=" not in response["WWW-Authenticate"], path
        assert "Bearer realm=" in response["WWW-Authenticate"], path


@pytest.mark.django_db(transaction=True)
def test_a_stock_client_with_auto_refresh_gets_a_new_token_and_carries_on(
    client, live_server, alice, premise_a, app
):
    first = token_for(client, app, alice)
    _expire(first["access_token"])
    api = f"{live_server.url}/api/v1/premises/"
    stored = []
    session = OAuth2Session(
        client_id=app.client_id,
        client_secret=app.raw_secret,
        token_endpoint=f"{live_server.url}/o/token/",
        token_endpoint_auth_method="client_secret_basic",
        token=first | {"expires_at": int(timezone.now().timestamp()) - 60},
        update_token=lambda token, refresh_token=None, access_token=None: stored.append(token),
    )
    stale = session.get(
        api, withhold_token=True, headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert stale.status_code == 401 and 'error="invalid_token"' in stale.headers["WWW-Authenticate"]

    fresh = session.get(api, timeout=10)
    assert fresh.status_code == 200
    assert len(stored) == 1 and stored[0]["access_token"] != first["access_token"]
    session.close()
