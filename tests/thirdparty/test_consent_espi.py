"""Green Button Connect My Data: ApplicationInformation and Authorization, valid against the ESPI schemas."""

import base64

import pytest

from tests.helpers.espi import assert_valid_espi
from thirdparty.models import Agreement
from thirdparty.services.agreements import agreement_revoke

from .consent_fixtures import token_for

pytestmark = pytest.mark.django_db

NS = {"a": "http://www.w3.org/2005/Atom", "e": "http://naesb.org/espi"}


def _basic(app):
    return {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(f"{app.client_id}:{app.raw_secret}".encode()).decode()
    }


def test_application_information_describes_the_app(client, app):
    response = client.get(f"/espi/1_1/resource/ApplicationInformation/{app.client_id}", **_basic(app))
    assert response.status_code == 200 and response["Content-Type"] == "application/atom+xml"
    doc = assert_valid_espi(response.content)
    info = doc.find("a:content/e:ApplicationInformation", NS)
    assert info.findtext("e:client_id", namespaces=NS) == app.client_id
    assert info.findtext("e:authorizationServerAuthorizationEndpoint", namespaces=NS).endswith(
        "/o/authorize/"
    )
    assert [e.text for e in info.findall("e:redirect_uri", NS)] == app.redirect_uris.split()
    assert app.raw_secret not in response.content.decode()


def test_authorization_follows_the_agreement(client, alice, premise_a, app):
    tokens = token_for(client, app, alice)
    agreement = Agreement.objects.get()
    url = f"/espi/1_1/resource/Authorization/{agreement.pk}"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200
    doc = assert_valid_espi(response.content)
    auth = doc.find("a:content/e:Authorization", NS)
    assert auth.findtext("e:status", namespaces=NS) == "1"
    assert auth.findtext("e:resourceURI", namespaces=NS).endswith(
        f"/espi/1_1/resource/Batch/Subscription/{agreement.pk}"
    )
    agreement_revoke(agreement=agreement, by=alice)
    revoked = client.get(url, **_basic(app))
    assert assert_valid_espi(revoked.content).find("a:content/e:Authorization/e:status", NS).text == "0"
    feed = client.get("/espi/1_1/resource/Authorization", **_basic(app))
    assert len(assert_valid_espi(feed.content).findall("a:entry", NS)) == 1


def test_espi_resources_need_the_apps_own_credentials(client, alice, premise_a, app, org):
    from thirdparty.services.applications import application_register

    other, secret = application_register(
        organization=org, name="Other", redirect_uris=["https://o.example/cb"], allowed_scopes=["usage:read"]
    )
    other.raw_secret = secret
    token_for(client, app, alice)
    agreement = Agreement.objects.get()
    assert client.get(f"/espi/1_1/resource/Authorization/{agreement.pk}").status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{app.client_id}:nope".encode()).decode()}
    assert client.get(f"/espi/1_1/resource/Authorization/{agreement.pk}", **wrong).status_code == 401
    assert client.get(f"/espi/1_1/resource/Authorization/{agreement.pk}", **_basic(other)).status_code == 404
    assert (
        client.get(f"/espi/1_1/resource/ApplicationInformation/{app.client_id}", **_basic(other)).status_code
        == 404
    )
    # The API's own Connect My Data paths still answer under the same prefix.
    # ReadServiceStatus wants a token or key (the app's own: test_client_credentials.py), not Basic
    assert client.get("/espi/1_1/resource/ReadServiceStatus", **_basic(app)).status_code == 401
