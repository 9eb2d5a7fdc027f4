"""Conditional requests on interval data: ETag and Last-Modified from revision times, 304 for unchanged
data, 200 once a revision is loaded; never a 304 to someone who may not read the data."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.http import parse_http_date

from tests.helpers.ingest import day_rows, write_file
from tests.helpers.market import ESIID
from usage import timegrid
from usage.ingest.loader import ingest_file

pytestmark = pytest.mark.django_db

URL = f"/api/v1/premises/{ESIID}/intervals/"


def _q(market, fmt="json", granularity="15min"):
    end = market.today - timedelta(days=1)
    return {"start": end - timedelta(days=29), "end": end, "format": fmt, "granularity": granularity}


def just_now(today) -> datetime:
    """A local revision time after every stored one (today 00:00 at the latest) and not in the future."""
    midnight = datetime.combine(today, datetime.min.time())
    now = timezone.localtime().replace(tzinfo=None, microsecond=0) - timedelta(minutes=1)
    return max(now, midnight + timedelta(seconds=1))


def load_revision(tmp_path, day, *, revised: datetime, kwh: float = 1.25):
    """A TDU file correcting one day of the market's premise, revised at ``revised`` (local)."""
    path = write_file(tmp_path, day_rows(ESIID, day, revised=revised, kwh=lambda s: kwh), day=revised.date())
    report = ingest_file(path=path)
    assert report.status in ("loaded", "partial"), (report.status, report.message)


@pytest.mark.parametrize(("fmt", "granularity"), [("json", "15min"), ("csv", "15min"), ("xml", "day")])
def test_unchanged_data_gives_304_without_body_and_a_revision_gives_200(
    client, market, tmp_path, fmt, granularity
):
    q = _q(market, fmt, granularity)
    first = client.get(URL, q, **market.bearer())
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and first["Cache-Control"] == "private, no-cache"
    again = client.get(URL, q, HTTP_IF_NONE_MATCH=etag, **market.bearer())
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    since = client.get(URL, q, HTTP_IF_MODIFIED_SINCE=modified, **market.bearer())
    assert since.status_code == 304 and since.content == b""
    # another window, format or granularity is another body: no 304 for it
    other = dict(q, start=q["start"] + timedelta(days=1))
    assert client.get(URL, other, HTTP_IF_NONE_MATCH=etag, **market.bearer()).status_code == 200

    day = q["end"] - timedelta(days=3)
    revised = datetime.combine(market.today - timedelta(days=1), datetime.min.time()).replace(
        hour=23, minute=5
    )
    load_revision(tmp_path, day, revised=revised)
    after = client.get(URL, q, HTTP_IF_NONE_MATCH=etag, **market.bearer())
    assert after.status_code == 200 and after.content != first.content
    assert after["ETag"] != etag
    # a correction stamped before the latest revision of the range: the ETag sees it, Last-Modified cannot
    assert parse_http_date(after["Last-Modified"]) == parse_http_date(modified)


def test_a_later_revision_moves_last_modified(client, market, tmp_path):
    q = _q(market)
    first = client.get(URL, q, **market.bearer())
    revised = just_now(market.today)
    load_revision(tmp_path, q["end"] - timedelta(days=2), revised=revised)
    r = client.get(URL, q, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"], **market.bearer())
    assert r.status_code == 200
    assert parse_http_date(r["Last-Modified"]) == int(revised.replace(tzinfo=timegrid.MARKET_TZ).timestamp())


def test_etag_survives_compression_as_a_weak_match(client, market):
    q = _q(market)
    gz = client.get(URL, q, HTTP_ACCEPT_ENCODING="gzip", **market.bearer())
    assert gz["Content-Encoding"] == "gzip" and gzip.decompress(gz.content)
    r = client.get(URL, q, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=gz["ETag"], **market.bearer())
    assert r.status_code == 304 and r.content == b""


def test_no_304_for_a_caller_who_may_not_read(client, market):
    q = _q(market)
    etag = client.get(URL, q, **market.bearer())["ETag"]
    client.force_login(market.stranger)
    r = client.get(URL, q, HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 404 and "ETag" not in r


def test_customer_session_keeps_no_store(client, market):
    client.force_login(market.owner)
    r = client.get(URL, _q(market))
    assert r.status_code == 200 and r["Cache-Control"] == "private, no-store" and r["ETag"]
    assert client.get(URL, _q(market), HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_read_fetches_its_stored_rows_once_for_validators_and_body(client, market, fmt, monkeypatch):
    """The ETag and the body come from one query of the interval tables (usage.storage.shared_reads)."""
    from usage.storage import reads

    queries: list[str] = []

    def counted(sql, params):
        queries.append(sql)
        return real(sql, params)

    real = reads.read_rows
    monkeypatch.setattr(reads, "read_rows", counted)
    r = client.get(URL, _q(market, fmt), **market.bearer())
    assert r.status_code == 200 and r["ETag"]
    first = b"".join(r.streaming_content) if r.streaming else r.content
    assert len(queries) == 1, queries
    # outside a request every call reads again: the body is the same, built from a second query
    again = client.get(URL, _q(market, fmt), **market.bearer())
    assert (b"".join(again.streaming_content) if again.streaming else again.content) == first
    assert len(queries) == 2


def test_rows_are_shared_only_inside_one_read():
    """Outside a request's scope every call reads again, and a scope ends with its request."""
    from usage.storage import reads

    assert reads._SHARED_ROWS.get() is None
    with reads.shared_reads():
        assert reads._SHARED_ROWS.get() == {}
    assert reads._SHARED_ROWS.get() is None
