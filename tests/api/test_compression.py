"""Compression (smt.compression): gzip and brotli decode to the uncompressed bytes, streaming stays streaming,
HTML and cookie-borne requests are padded against BREACH, Vary says what the body depends on."""

from __future__ import annotations

import gzip
import zlib
from datetime import timedelta

import brotli
import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from smt.compression import CompressionMiddleware, accepted_encodings, choose_encoding
from tests.helpers.market import ESIID

pytestmark = pytest.mark.django_db

URL = f"/api/v1/premises/{ESIID}/intervals/"


def _range(market, days=60):
    end = market.today - timedelta(days=1)
    return {"start": end - timedelta(days=days - 1), "end": end}


def _vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


def _gzip_file_name(raw: bytes) -> bytes | None:
    """The FNAME field of a gzip header (the BREACH padding), None when there is none."""
    assert raw[:3] == b"\x1f\x8b\x08"
    if not raw[3] & 0x08:
        return None
    return raw[10 : raw.index(b"\x00", 10)]


@pytest.mark.parametrize("fmt", ["json", "csv", "xml"])
def test_api_gzip_and_brotli_decode_to_the_uncompressed_bytes(client, market, fmt):
    q = {**_range(market), "format": fmt}
    plain = client.get(URL, q, **market.bearer())
    gz = client.get(URL, q, HTTP_ACCEPT_ENCODING="gzip", **market.bearer())
    br = client.get(URL, q, HTTP_ACCEPT_ENCODING="gzip, br", **market.bearer())
    assert plain.status_code == gz.status_code == br.status_code == 200
    assert "Content-Encoding" not in plain
    assert gz["Content-Encoding"] == "gzip" and br["Content-Encoding"] == "br"
    assert gzip.decompress(gz.content) == plain.content
    assert brotli.decompress(br.content) == plain.content
    assert len(br.content) < len(plain.content) / 4 and len(gz.content) < len(plain.content) / 3
    assert int(gz["Content-Length"]) == len(gz.content)
    assert _gzip_file_name(gz.content) is None  # a bearer call from a server: no padding needed
    for r in (plain, gz, br):
        assert {"accept", "accept-encoding", "authorization"} <= _vary(r)


def test_small_bodies_and_clients_that_ask_for_nothing_are_left_alone(client, market):
    small = client.get(
        URL, {**_range(market, days=1), "granularity": "day"}, HTTP_ACCEPT_ENCODING="gzip", **market.bearer()
    )
    assert small.status_code == 200 and "Content-Encoding" not in small
    refused = client.get(URL, _range(market), HTTP_ACCEPT_ENCODING="gzip;q=0, br;q=0", **market.bearer())
    assert refused.status_code == 200 and "Content-Encoding" not in refused
    assert "accept-encoding" in _vary(refused)


def test_cookie_authenticated_api_call_gets_padded_gzip_never_brotli(client, market):
    client.force_login(market.owner)
    q = _range(market)
    plain = client.get(URL, q)
    a = client.get(URL, q, HTTP_ACCEPT_ENCODING="br, gzip")
    b = client.get(URL, q, HTTP_ACCEPT_ENCODING="br, gzip")
    assert a["Content-Encoding"] == b["Content-Encoding"] == "gzip"
    assert gzip.decompress(a.content) == gzip.decompress(b.content) == plain.content
    name_a, name_b = _gzip_file_name(a.content), _gzip_file_name(b.content)
    assert name_a and name_b and 1 <= len(name_a) <= 100
    assert name_a != name_b  # random padding: equal bodies, different lengths most of the time


def test_portal_html_is_gzipped_with_padding_and_varies_on_cookie(client, market):
    client.force_login(market.owner)
    plain = client.get("/dashboard/")
    if plain.status_code != 200:  # the dashboard may redirect to the one premise's page
        plain = client.get(plain["Location"])
        url = plain.request["PATH_INFO"]
    else:
        url = "/dashboard/"
    assert plain.status_code == 200 and plain["Content-Type"].startswith("text/html")
    gz = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert gz["Content-Encoding"] == "gzip"
    assert _gzip_file_name(gz.content)
    assert {"cookie", "accept-encoding"} <= _vary(gz)
    # the CSRF token in the page differs per request; the rest of the page is the same
    assert len(gzip.decompress(gz.content)) == pytest.approx(len(plain.content), abs=200)


def test_portal_download_stays_streaming_and_decodes_to_the_same_bytes(client, market):
    client.force_login(market.owner)
    r = _range(market, days=200)
    url = f"/premises/{ESIID}/usage/download.csv?granularity=15min&start={r['start']}&end={r['end']}"
    plain = client.get(url)
    gz = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert plain.streaming and gz.streaming
    assert gz["Content-Encoding"] == "gzip" and "Content-Length" not in gz
    raw = b"".join(plain.streaming_content)
    assert gzip.decompress(b"".join(gz.streaming_content)) == raw


def _stream(parts, seen):
    for p in parts:
        seen.append(p)
        yield p


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_each_streamed_chunk_is_flushed_before_the_next_is_produced(encoding):
    parts = [(f"{i:04d},".encode() * 1000) for i in range(5)]
    seen: list[bytes] = []

    def view(request):
        return StreamingHttpResponse(_stream(parts, seen), content_type="text/csv")

    request = RequestFactory().get("/x", HTTP_ACCEPT_ENCODING=encoding, HTTP_AUTHORIZATION="Bearer t")
    response = CompressionMiddleware(view)(request)
    assert response.streaming and response["Content-Encoding"] == encoding
    it = iter(response.streaming_content)
    out = [next(it)]  # the header (empty for brotli)
    dec = zlib.decompressobj(31).decompress if encoding == "gzip" else brotli.Decompressor().process
    decoded = b""
    for k in range(len(parts)):
        out.append(next(it))
        assert len(seen) == k + 1  # one chunk produced per chunk sent: nothing is buffered to the end
        decoded += dec(b"".join(out))
        out = []
        assert decoded == b"".join(parts[: k + 1])
    decoded += dec(b"".join(it))
    assert decoded == b"".join(parts)


def test_strong_etag_turns_weak_when_the_body_is_compressed():
    def view(request):
        r = HttpResponse(b"{" + b'"a": 1, ' * 1000 + b"}", content_type="application/json")
        r["ETag"] = '"abc"'
        return r

    r = CompressionMiddleware(view)(RequestFactory().get("/x", HTTP_ACCEPT_ENCODING="gzip"))
    assert r["ETag"] == 'W/"abc"'


def test_accept_encoding_parsing():
    assert accepted_encodings("gzip;q=0.5, br, identity;q=0") == {"gzip": 0.5, "br": 1.0, "identity": 0.0}
    assert choose_encoding("gzip, br", sensitive=False) == "br"
    assert choose_encoding("gzip, br", sensitive=True) == "gzip"
    assert choose_encoding("br", sensitive=True) is None
    assert choose_encoding("*", sensitive=False) == "br"
    assert choose_encoding("*;q=0", sensitive=False) is None
    assert choose_encoding("gzip;q=nonsense", sensitive=False) is None
    assert choose_encoding("", sensitive=False) is None
