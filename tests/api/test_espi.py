"""Green Button Connect My Data: schema-valid documents, stable ids, filters, and who may read a subscription."""

import re
from datetime import timedelta

import pytest

from tests.api.test_conditional import just_now, load_revision
from tests.helpers.espi import assert_valid_espi
from tests.helpers.market import ESIID, OTHER_ESIID, assert_problem, make_agreement, make_token
from thirdparty.models import AccessLogEntry
from usage.reads.aggregate import day_range
from usage.timegrid import MARKET_TZ
from usage.writers.espi import atom_time

pytestmark = pytest.mark.django_db
BASE = "/espi/1_1/resource"


def _sub(market):
    return f"{BASE}/Subscription/{market.agreement.pk}/UsagePoint/{ESIID}"


def test_batch_subscription_is_valid_and_stable(client, market):
    url = f"{BASE}/Batch/Subscription/{market.agreement.pk}"
    a = client.get(url, **market.bearer())
    assert a.status_code == 200, a.content[:400]
    assert a["Content-Type"] == "application/atom+xml"
    assert_valid_espi(a.content)
    b = client.get(url, **market.bearer())
    assert a.content == b.content
    ids = re.findall(rb"<id>urn:uuid:([0-9A-F-]+)</id>", a.content)
    assert len(ids) == len(set(ids)) > 10
    # nothing before the agreement's history start
    first_block = min(
        int(x) for x in re.findall(rb"<interval><duration>\d+</duration><start>(\d+)</start>", a.content)
    )
    from usage.timegrid import day_start_epoch

    assert first_block == day_start_epoch(market.agreement.history_start)
    assert AccessLogEntry.objects.filter(resource="espi", premise=market.premise).count() == 2


def test_each_resource_level_is_valid(client, market):
    day = (market.today - timedelta(days=2)).strftime("%Y%m%d")
    urls = [
        f"{BASE}/Subscription/{market.agreement.pk}/UsagePoint",
        _sub(market),
        f"{_sub(market)}/MeterReading",
        f"{_sub(market)}/MeterReading/consumption-15min",
        f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock?max-results=3",
        f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock/{day}",
        f"{_sub(market)}/UsageSummary",
        f"{BASE}/ReadingType/consumption-15min",
        f"{BASE}/LocalTimeParameters/US-Central",
    ]
    for url in urls:
        r = client.get(url, **market.bearer())
        assert r.status_code == 200, (url, r.content[:300])
        assert_valid_espi(r.content)


def test_entry_ids_agree_between_batch_and_single_resources(client, market):
    day = (market.today - timedelta(days=2)).strftime("%Y%m%d")
    single = client.get(
        f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock/{day}", **market.bearer()
    )
    (uid,) = re.findall(rb"<id>urn:uuid:([0-9A-F-]+)</id>", single.content)
    batch = client.get(f"{BASE}/Batch/Subscription/{market.agreement.pk}", **market.bearer())
    assert uid in batch.content


def test_paging_and_time_filters(client, market):
    url = f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock"
    all_ = client.get(url, **market.bearer()).content
    n = all_.count(b"<entry>")
    page = client.get(url, {"max-results": 5, "start-index": 2}, **market.bearer()).content
    assert page.count(b"<entry>") == 5
    assert page.split(b"<entry>")[1] == all_.split(b"<entry>")[2]
    none = client.get(url, {"updated-max": "2000-01-01T00:00:00Z"}, **market.bearer()).content
    assert none.count(b"<entry>") == 0 and n > 5
    r = client.get(url, {"max-results": "lots"}, **market.bearer())
    assert_problem(r, 400, parameter="max-results")


def test_other_subscription_and_outside_window_are_404(client, market):
    other = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.stranger,
        period=market.other_period,
        scopes=["usage:read"],
        history_start=market.other_period.starts_on,
    )
    assert_problem(client.get(f"{BASE}/Batch/Subscription/{other.pk}", **market.bearer()), 404)
    assert_problem(
        client.get(f"{BASE}/Subscription/{market.agreement.pk}/UsagePoint/{OTHER_ESIID}", **market.bearer()),
        404,
    )
    old = (market.agreement.history_start - timedelta(days=1)).strftime("%Y%m%d")
    assert_problem(
        client.get(f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock/{old}", **market.bearer()),
        404,
    )
    # the other agreement's own token reads it; the org's API key reads both
    tok = make_token(user=market.stranger, app=market.app, agreement=other, scope="usage:read")
    assert client.get(f"{BASE}/Batch/Subscription/{other.pk}", **market.bearer(tok)).status_code == 200
    assert (
        client.get(f"{BASE}/Batch/Subscription/{other.pk}", **market.apikey(market.tp_key)).status_code == 200
    )


def test_customer_and_rep_have_no_subscriptions(client, market):
    client.force_login(market.owner)
    assert_problem(client.get(f"{BASE}/Batch/Subscription/{market.agreement.pk}"), 404)
    client.logout()
    assert_problem(
        client.get(f"{BASE}/Batch/Subscription/{market.agreement.pk}", **market.apikey(market.rep_key)), 404
    )
    assert_problem(client.get(f"{BASE}/Batch/Subscription/{market.agreement.pk}"), 401)


def test_scope_missing_is_403(client, market):
    tok = make_token(user=market.owner, app=market.app, agreement=market.agreement, scope="profile:read")
    body = assert_problem(
        client.get(f"{BASE}/Batch/Subscription/{market.agreement.pk}", **market.bearer(tok)), 403
    )
    assert body["scope"] == "usage:read"


def test_read_service_status(client, market):
    assert client.get(f"{BASE}/ReadServiceStatus").status_code == 401
    r = client.get(f"{BASE}/ReadServiceStatus", **market.bearer())
    assert r.status_code == 200
    assert b"<currentStatus>1</currentStatus>" in r.content


def _entries(xml: bytes) -> dict[str, tuple[str, str]]:
    """title -> (published, updated) of every entry of a feed."""
    return {
        t.decode(): (p.decode(), u.decode())
        for t, p, u in re.findall(
            rb"<title>([^<]*)</title><content>.*?</content><published>([^<]+)</published><updated>([^<]+)</updated>",
            xml,
            re.S,
        )
    }


def test_published_and_updated_are_revision_times_and_updated_min_sees_a_correction(client, market, tmp_path):
    url = f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock"
    before = _entries(client.get(url, **market.bearer()).content)
    day = market.today - timedelta(days=5)
    title = f"15-minute consumption {day:%Y%m%d}"
    # the market stores each day with the revision time of the next local midnight
    stored = atom_time(int(day_range(day, day).first_epoch) + 86400)
    assert before[title] == (stored, stored)
    revised = just_now(market.today)
    poll_from = revised - timedelta(minutes=1)  # local; the filter takes an offset
    since = poll_from.replace(tzinfo=MARKET_TZ).isoformat()
    assert _entries(client.get(url, {"updated-min": since}, **market.bearer()).content) == {}

    load_revision(tmp_path, day, revised=revised)
    after = _entries(client.get(url, {"updated-min": since}, **market.bearer()).content)
    assert list(after) == [title]
    published, updated = after[title]
    assert published == updated == atom_time(int(revised.replace(tzinfo=MARKET_TZ).timestamp()))
    # the MeterReading and the UsagePoint move with their latest block
    mr = client.get(f"{_sub(market)}/MeterReading", {"updated-min": since}, **market.bearer()).content
    assert mr.count(b"<entry>") == 1
    assert (
        client.get(url, {"updated-max": since}, **market.bearer()).content.count(b"<entry>")
        == len(before) - 1
    )


def test_espi_documents_answer_304_until_a_revision_is_loaded(client, market, tmp_path):
    urls = [
        f"{BASE}/Batch/Subscription/{market.agreement.pk}",
        f"{_sub(market)}/MeterReading/consumption-15min",
    ]
    etags = {}
    for url in urls:
        r = client.get(url, **market.bearer())
        assert r.status_code == 200 and r["Cache-Control"] == "private, no-cache" and r["Last-Modified"]
        etags[url] = r["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=r["ETag"], **market.bearer())
        assert again.status_code == 304 and again.content == b""
    # a token of another subscription gets no 304 (nor anything else) for this one
    other = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.stranger,
        period=market.other_period,
        scopes=["usage:read"],
        history_start=market.other_period.starts_on,
    )
    tok = make_token(user=market.stranger, app=market.app, agreement=other, scope="usage:read")
    assert client.get(urls[0], HTTP_IF_NONE_MATCH=etags[urls[0]], **market.bearer(tok)).status_code == 404

    load_revision(tmp_path, market.today - timedelta(days=3), revised=just_now(market.today))
    for url in urls:
        r = client.get(url, HTTP_IF_NONE_MATCH=etags[url], **market.bearer())
        assert r.status_code == 200 and r["ETag"] != etags[url]


def test_paged_feeds_link_the_next_page_until_the_last(client, market):
    url = f"{_sub(market)}/MeterReading/consumption-15min/IntervalBlock"
    whole = client.get(url, **market.bearer()).content
    ids = re.findall(rb"<id>urn:uuid:([0-9A-F-]+)</id>", whole)[1:]  # the feed's own id first
    seen: list[bytes] = []
    page = client.get(url, {"max-results": 40}, **market.bearer()).content
    pages = 1
    while True:
        assert_valid_espi(page)
        seen += re.findall(rb"<entry><id>urn:uuid:([0-9A-F-]+)</id>", page)
        nxt = re.search(rb'<link rel="next" href="([^"]+)"', page)
        if nxt is None:
            break
        href = nxt.group(1).decode().replace("&amp;", "&")
        assert "max-results=40" in href
        page = client.get(href.split("testserver", 1)[1], **market.bearer()).content
        pages += 1
    assert seen == ids and pages == -(-len(ids) // 40) > 1


def test_published_period_starts_no_earlier_than_the_customers_move_in(client, market):
    from lxml import etree

    move_in = market.period.starts_on
    early = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.owner,
        period=market.period,
        scopes=["usage:read"],
        history_start=move_in - timedelta(days=100),  # asked for history from before the customer moved in
    )
    tok = make_token(user=market.owner, app=market.app, agreement=early, scope="usage:read")
    r = client.get(f"{BASE}/Authorization/{early.pk}", **market.bearer(tok))
    assert r.status_code == 200
    doc = assert_valid_espi(r.content)
    ns = {"e": "http://naesb.org/espi"}
    start = int(etree.ElementTree(doc).findtext(".//e:publishedPeriod/e:start", namespaces=ns))
    assert start == day_range(move_in, move_in).first_epoch


def test_bulk_and_retail_customer_batches_hold_what_the_caller_may_read(client, market):
    from thirdparty.apikeys import apikey_create
    from thirdparty.models import Organization

    other = make_agreement(
        market_org=market.org,
        app=market.app,
        customer=market.stranger,
        period=market.other_period,
        scopes=["usage:read"],
        history_start=market.other_period.starts_on,
    )
    bulk = f"{BASE}/Batch/Bulk/{market.app.pk}"
    by_key = client.get(bulk, **market.apikey(market.tp_key))
    assert by_key.status_code == 200
    assert_valid_espi(by_key.content)
    assert ESIID.encode() in by_key.content and OTHER_ESIID.encode() in by_key.content
    by_token = client.get(bulk, **market.bearer())  # an agreement's token: its own subscription only
    assert ESIID.encode() in by_token.content and OTHER_ESIID.encode() not in by_token.content
    stranger_org = Organization.objects.create(
        legal_name="Nosy Inc", contact_email="n@nosy.example", status=Organization.Status.APPROVED
    )
    _, nosy_key = apikey_create(organization=stranger_org, name="k", scopes=["usage:read"])
    assert_problem(client.get(bulk, **market.apikey(nosy_key)), 404)

    mine = client.get(f"{BASE}/Batch/RetailCustomer/{market.owner.pk}/UsagePoint", **market.bearer())
    assert mine.status_code == 200
    assert_valid_espi(mine.content)
    assert ESIID.encode() in mine.content and OTHER_ESIID.encode() not in mine.content
    theirs = f"{BASE}/Batch/RetailCustomer/{market.stranger.pk}/UsagePoint"
    assert_problem(client.get(theirs, **market.bearer()), 404)
    assert OTHER_ESIID.encode() in client.get(theirs, **market.apikey(market.tp_key)).content
    assert other.pk
