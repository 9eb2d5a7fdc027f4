"""A stock OAuth client (authlib) runs the code flow with PKCE against the live server, then replays the code:
RFC 6749 4.1.2 says the second exchange fails and every token the first one issued is revoked."""

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from thirdparty.models import AccessToken, RefreshToken

from .consent_fixtures import REDIRECT, consent_approve

pytestmark = pytest.mark.django_db(transaction=True)


def _session(app) -> OAuth2Session:
    return OAuth2Session(
        client_id=app.client_id,
        client_secret=app.raw_secret,
        redirect_uri=REDIRECT,
        scope="usage:read",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def _introspect(base, app, token) -> dict:
    return requests.post(
        f"{base}/o/introspect/", data={"token": token}, auth=(app.client_id, app.raw_secret), timeout=10
    ).json()


def test_a_replayed_code_revokes_every_token_issued_from_it(client, live_server, alice, premise_a, app):
    base = live_server.url
    session = _session(app)
    verifier = "v" * 64
    url, _state = session.create_authorization_url(f"{base}/o/authorize/", code_verifier=verifier)
    client.force_login(alice)
    page = client.get(url.removeprefix(base))
    assert page.status_code == 200, page.content[:500]
    callback = consent_approve(client, page)["Location"]

    first = session.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    api = f"{base}/api/v1/premises/"
    assert session.get(api, timeout=10).status_code == 200
    assert _introspect(base, app, first["access_token"])["active"] is True

    replay = _session(app)
    with pytest.raises(OAuthError) as refused:
        replay.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"

    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    stale = requests.get(api, headers={"Authorization": f"Bearer {first['access_token']}"}, timeout=10)
    assert stale.status_code == 401
    assert _introspect(base, app, first["access_token"]) == {"active": False}
    with pytest.raises(OAuthError) as no_refresh:
        session.refresh_token(f"{base}/o/token/", refresh_token=first["refresh_token"])
    assert no_refresh.value.error == "invalid_grant"
    session.close()
    replay.close()
