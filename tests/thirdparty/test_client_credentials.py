"""The third party's own token (OAuth ``client_credentials``, fetched with authlib): it reads its
ApplicationInformation, the Authorizations of its customers and ReadServiceStatus, and never a customer's
data; Authorization.expires_at is the customer's token's expiry."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from tests.helpers.espi import assert_valid_espi
from thirdparty.models import AccessToken, Agreement

from .consent_fixtures import token_for

pytestmark = pytest.mark.django_db
BASE = "/espi/1_1/resource"
NS = {"a": "http://www.w3.org/2005/Atom", "e": "http://naesb.org/espi"}


class DjangoTestAdapter(requests.adapters.BaseAdapter):
    """requests (and so authlib) talking to the Django test client instead of a socket."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {
            "HTTP_" + k.upper().replace("-", "_"): v
            for k, v in request.headers.items()
            if k.lower() not in ("content-type", "content-length", "accept-encoding")  # no urllib3 to decode
        }
        body = request.body or b""
        r = self.client.generic(
            request.method,
            path,
            data=body.encode() if isinstance(body, str) else body,
            content_type=request.headers.get("Content-Type", ""),
            **headers,
        )
        out = requests.Response()
        out.status_code = r.status_code
        out._content = r.content
        out.headers = CaseInsensitiveDict(dict(r.headers.items()))
        out.url = request.url
        out.request = request
        return out

    def close(self):
        pass


def session_for(client, app, **kwargs) -> OAuth2Session:
    s = OAuth2Session(app.client_id, app.raw_secret, **kwargs)
    s.mount("http://", DjangoTestAdapter(client))
    return s


def test_client_credentials_token_reads_authorization_metadata_only(client, alice, premise_a, app):
    customer = token_for(client, app, alice)
    agreement = Agreement.objects.get()
    s = session_for(client, app)
    token = s.fetch_token("http://testserver/o/token/", grant_type="client_credentials")
    assert token["scope"] == "application:metadata" and "refresh_token" not in token
    stored = AccessToken.objects.exclude(agreement=agreement).get()
    assert stored.user_id is None and stored.agreement_id is None

    info = s.get(f"http://testserver{BASE}/ApplicationInformation/{app.client_id}")
    assert info.status_code == 200 and assert_valid_espi(info.content) is not None
    feed = s.get(f"http://testserver{BASE}/Authorization")
    assert feed.status_code == 200
    assert len(assert_valid_espi(feed.content).findall("a:entry", NS)) == 1
    one = s.get(f"http://testserver{BASE}/Authorization/{agreement.pk}")
    assert one.status_code == 200
    vary = {v.strip() for v in one.headers["Vary"].split(",")}
    assert {"Accept", "Authorization", "Accept-Encoding"} <= vary and one.headers[
        "Cache-Control"
    ] == "private, no-store"
    status = s.get(f"http://testserver{BASE}/ReadServiceStatus")
    assert status.status_code == 200 and b"<currentStatus>1</currentStatus>" in status.content

    # never a customer's data, on any path
    esiid = premise_a.esiid
    for path in (
        f"{BASE}/Batch/Subscription/{agreement.pk}",
        f"{BASE}/Subscription/{agreement.pk}/UsagePoint",
        f"{BASE}/Subscription/{agreement.pk}/UsagePoint/{esiid}/MeterReading/consumption-15min/IntervalBlock",
        f"{BASE}/Batch/RetailCustomer/{alice.pk}/UsagePoint",
        f"{BASE}/Batch/Bulk/{app.pk}",
        f"/api/v1/premises/{esiid}/intervals/?start={agreement.history_start}&end={agreement.history_start}",
    ):
        r = s.get(f"http://testserver{path}")
        assert r.status_code in (403, 404), (path, r.status_code)
        assert b"IntervalBlock" not in r.content and b"kwh" not in r.content
    listing = s.get("http://testserver/api/v1/premises/")
    assert esiid.encode() not in listing.content
    # while the customer's own token does read them
    r = client.get(
        f"{BASE}/Batch/Subscription/{agreement.pk}", HTTP_AUTHORIZATION=f"Bearer {customer['access_token']}"
    )
    assert r.status_code == 200


def test_customers_cannot_be_asked_for_the_metadata_scope_and_public_clients_get_no_own_token(
    client, alice, premise_a, app
):
    s = session_for(client, app, scope="usage:read")
    with pytest.raises(Exception, match="invalid_scope"):
        s.fetch_token("http://testserver/o/token/", grant_type="client_credentials")
    app.client_type = "public"
    app.save()
    s = session_for(client, app)
    with pytest.raises(Exception, match="unauthorized_client|invalid_client"):
        s.fetch_token("http://testserver/o/token/", grant_type="client_credentials")


def test_read_service_status_needs_a_credential(client, app):
    assert client.get(f"{BASE}/ReadServiceStatus").status_code == 401
    token = session_for(client, app).fetch_token(
        "http://testserver/o/token/", grant_type="client_credentials"
    )
    r = client.get(f"{BASE}/ReadServiceStatus", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert r.status_code == 200


def test_authorization_expires_at_is_the_tokens(client, alice, premise_a, app):
    customer = token_for(client, app, alice)
    agreement = Agreement.objects.get()
    tok = AccessToken.objects.get(agreement=agreement)
    tok.expires = timezone.now() + timedelta(minutes=42)
    tok.save()
    r = client.get(
        f"{BASE}/Authorization/{agreement.pk}", HTTP_AUTHORIZATION=f"Bearer {customer['access_token']}"
    )
    auth = assert_valid_espi(r.content).find("a:content/e:Authorization", NS)
    assert int(auth.findtext("e:expires_at", namespaces=NS)) == int(tok.expires.timestamp())
