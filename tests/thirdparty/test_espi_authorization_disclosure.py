"""Least disclosure on Green Button ``Authorization``: a customer's token sees its own agreement only."""

import base64

import pytest

from tests.helpers.espi import assert_valid_espi
from thirdparty.models import Agreement

from .consent_fixtures import token_for

pytestmark = pytest.mark.django_db

NS = {"a": "http://www.w3.org/2005/Atom", "e": "http://naesb.org/espi"}


def _basic(app):
    return {
        "HTTP_AUTHORIZATION": "Basic "
        + base64.b64encode(f"{app.client_id}:{app.raw_secret}".encode()).decode()
    }


def test_a_customers_token_sees_only_its_own_authorization_never_another_customers(
    client, alice, bob, premise_a, premise_c, app
):
    alices = token_for(client, app, alice)["access_token"]
    bobs = token_for(client, app, bob)["access_token"]
    mine, theirs = Agreement.objects.get(customer=alice), Agreement.objects.get(customer=bob)
    as_alice = {"HTTP_AUTHORIZATION": f"Bearer {alices}"}
    feed = assert_valid_espi(client.get("/espi/1_1/resource/Authorization", **as_alice).content)
    uris = [
        e.findtext("a:content/e:Authorization/e:authorizationURI", namespaces=NS)
        for e in feed.findall("a:entry", NS)
    ]
    assert len(uris) == 1 and uris[0].endswith(f"/Authorization/{mine.pk}")
    assert client.get(f"/espi/1_1/resource/Authorization/{theirs.pk}", **as_alice).status_code == 404
    assert client.get(f"/espi/1_1/resource/Authorization/{mine.pk}", **as_alice).status_code == 200
    as_bob = {"HTTP_AUTHORIZATION": f"Bearer {bobs}"}
    assert client.get(f"/espi/1_1/resource/Authorization/{mine.pk}", **as_bob).status_code == 404
    # The application itself (client credentials) sees both.
    whole = assert_valid_espi(client.get("/espi/1_1/resource/Authorization", **_basic(app)).content)
    assert len(whole.findall("a:entry", NS)) == 2
