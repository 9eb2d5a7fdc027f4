"""The interval endpoint: formats, byte equality with export_intervals, who sees what, errors."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from tests.helpers.espi import assert_valid_espi
from tests.helpers.market import ESIID, OTHER_ESIID, UNKNOWN_ESIID, assert_problem, make_token
from thirdparty.models import AccessLogEntry, Agreement, Organization
from usage.writers.export import export_intervals

pytestmark = pytest.mark.django_db

URL = f"/api/v1/premises/{ESIID}/intervals/"


def _range(market, days=30):
    end = market.today - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def test_owner_gets_json_identical_to_export_intervals(client, market):
    start, end = _range(market)
    client.force_login(market.owner)
    r = client.get(URL, {"start": start, "end": end})
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json"
    expected = export_intervals(premise=market.premise, start=start, end=end, granularity="15min", fmt="json")
    assert r.content == expected.body
    body = r.json()
    assert body["esiid"] == ESIID
    assert len(body["days"]) == 30
    assert body["days"][0]["start"].endswith(("-05:00", "-06:00"))


@pytest.mark.parametrize("granularity", ["15min", "hour", "day", "month"])
@pytest.mark.parametrize(
    ("fmt", "accept", "ctype"),
    [
        ("csv", "text/csv", "text/csv; charset=utf-8"),
        ("xml", "application/atom+xml", "application/atom+xml"),
        ("json", "application/json", "application/json"),
    ],
)
def test_every_format_by_accept_or_query_gives_the_export_bytes(
    client, market, granularity, fmt, accept, ctype
):
    start, end = _range(market, days=40)
    client.force_login(market.owner)
    by_query = client.get(URL, {"start": start, "end": end, "granularity": granularity, "format": fmt})
    by_accept = client.get(URL, {"start": start, "end": end, "granularity": granularity}, HTTP_ACCEPT=accept)
    expected = export_intervals(
        premise=market.premise, start=start, end=end, granularity=granularity, fmt=fmt
    )
    assert by_query.status_code == by_accept.status_code == 200
    assert by_query["Content-Type"] == ctype
    assert by_query.content == by_accept.content == expected.body


def test_api_bytes_equal_the_export_intervals_command(client, market, capsysbinary):
    start, end = _range(market, days=10)
    client.force_login(market.owner)
    r = client.get(URL, {"start": start, "end": end, "format": "csv"})
    assert r.status_code == 200
    call_command(
        "export_intervals", ESIID, "--start", start.isoformat(), "--end", end.isoformat(), "--format", "csv"
    )
    out = capsysbinary.readouterr().out
    assert out == r.content


def test_green_button_xml_validates_against_espi_schema(client, market):
    start, end = _range(market, days=3)
    client.force_login(market.owner)
    r = client.get(URL, {"start": start, "end": end, "format": "xml"})
    assert r.status_code == 200
    assert_valid_espi(r.content)


def test_a_year_of_15_minute_data_is_one_response(client, market):
    end = market.today - timedelta(days=1)
    start = market.period.starts_on
    client.force_login(market.owner)
    r = client.get(URL, {"start": start, "end": end})
    assert r.status_code == 200
    assert len(r.json()["days"]) == (end - start).days + 1


# --- who must not see what -------------------------------------------------------------------


def test_another_customers_premise_is_404_exactly_like_an_unknown_one(client, market):
    start, end = _range(market)
    client.force_login(market.owner)
    theirs = client.get(f"/api/v1/premises/{OTHER_ESIID}/intervals/", {"start": start, "end": end})
    unknown = client.get(f"/api/v1/premises/{UNKNOWN_ESIID}/intervals/", {"start": start, "end": end})
    a = assert_problem(theirs, 404)
    b = assert_problem(unknown, 404)
    assert a == b


def test_new_occupant_sees_nothing_before_move_in(client, market):
    client.force_login(market.owner)
    start = market.period.starts_on - timedelta(days=5)
    r = client.get(URL, {"start": start, "end": market.period.starts_on + timedelta(days=5)})
    body = assert_problem(r, 422)
    assert body["windows"] == [
        {"start": market.period.starts_on.isoformat(), "end": market.today.isoformat()}
    ]


def test_former_occupant_keeps_their_own_period_only(client, market):
    client.force_login(market.former)
    last = market.period.starts_on - timedelta(days=1)
    ok = client.get(URL, {"start": last - timedelta(days=9), "end": last})
    assert ok.status_code == 200
    after = client.get(URL, {"start": last, "end": last + timedelta(days=1)})
    body = assert_problem(after, 422)
    assert body["windows"][-1]["end"] == last.isoformat()


def test_third_party_token_limited_to_history_start(client, market):
    hs = market.agreement.history_start
    ok = client.get(URL, {"start": hs, "end": hs + timedelta(days=6)}, **market.bearer())
    assert ok.status_code == 200
    before = client.get(
        URL, {"start": hs - timedelta(days=1), "end": hs + timedelta(days=6)}, **market.bearer()
    )
    body = assert_problem(before, 422)
    assert body["windows"][0]["start"] == hs.isoformat()


def test_third_party_token_does_not_reach_ungranted_premise(client, market):
    start, end = _range(market)
    r = client.get(
        f"/api/v1/premises/{OTHER_ESIID}/intervals/", {"start": start, "end": end}, **market.bearer()
    )
    assert_problem(r, 404)


def test_token_without_usage_scope_is_403_naming_it(client, market):
    token = make_token(user=market.owner, app=market.app, agreement=market.agreement, scope="profile:read")
    start, end = _range(market)
    r = client.get(URL, {"start": start, "end": end}, **market.bearer(token))
    body = assert_problem(r, 403)
    assert body["scope"] == "usage:read"
    assert "usage:read" in body["detail"]


@pytest.mark.parametrize("status", ["revoked", "expired", "terminated", "ended_by_move_out"])
def test_ended_agreement_gives_nothing(client, market, status):
    Agreement.objects.filter(pk=market.agreement.pk).update(status=status)
    start, end = _range(market)
    assert_problem(client.get(URL, {"start": start, "end": end}, **market.bearer()), 404)


def test_agreement_past_valid_until_gives_nothing(client, market):
    from django.utils import timezone

    Agreement.objects.filter(pk=market.agreement.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    start, end = _range(market)
    assert_problem(client.get(URL, {"start": start, "end": end}, **market.bearer()), 404)


def test_suspended_organization_is_403(client, market):
    Organization.objects.filter(pk=market.org.pk).update(status=Organization.Status.SUSPENDED)
    start, end = _range(market)
    body = assert_problem(client.get(URL, {"start": start, "end": end}, **market.bearer()), 403)
    assert "suspended" in body["detail"]
    body = assert_problem(client.get(URL, {"start": start, "end": end}, **market.apikey(market.tp_key)), 403)


def test_rep_of_record_reads_its_customer_but_not_the_previous_occupancy(client, market):
    start, end = _range(market)
    ok = client.get(URL, {"start": start, "end": end}, **market.apikey(market.rep_key))
    assert ok.status_code == 200
    old = market.period.starts_on - timedelta(days=3)
    body = assert_problem(
        client.get(URL, {"start": old, "end": old + timedelta(days=1)}, **market.apikey(market.rep_key)), 422
    )
    assert body["windows"][0]["start"] == market.period.starts_on.isoformat()


def test_rep_that_stopped_being_rep_of_record_sees_nothing(client, market):
    from portal.services import service_period_switch_rep

    service_period_switch_rep(period=market.period, rep=market.other_rep)
    start, end = _range(market)
    assert_problem(client.get(URL, {"start": start, "end": end}, **market.apikey(market.rep_key)), 404)


def test_rep_after_move_out_sees_nothing(client, market):
    from portal.services import service_period_move_out

    service_period_move_out(premise=market.premise, ends_on=market.today)
    start, end = _range(market)
    assert_problem(client.get(URL, {"start": start, "end": end}, **market.apikey(market.rep_key)), 404)


def test_revoked_api_key_is_401(client, market):
    from thirdparty.apikeys import apikey_authenticate, apikey_revoke

    apikey_revoke(key=apikey_authenticate(market.rep_key))
    start, end = _range(market)
    r = client.get(URL, {"start": start, "end": end}, **market.apikey(market.rep_key))
    assert_problem(r, 401)


# --- access log ----------------------------------------------------------------------------------


def test_reads_by_rep_and_third_party_are_logged_customer_reads_are_not(client, market):
    start, end = _range(market, days=5)
    client.force_login(market.owner)
    client.get(URL, {"start": start, "end": end})
    assert AccessLogEntry.objects.count() == 0
    client.logout()
    client.get(URL, {"start": start, "end": end, "granularity": "hour", "format": "csv"}, **market.bearer())
    client.get(URL, {"start": start, "end": end}, **market.apikey(market.rep_key))
    entries = list(AccessLogEntry.objects.order_by("at", "id"))
    assert len(entries) == 2
    tp, rep = entries
    assert (tp.organization, tp.application, tp.agreement, tp.actor_kind) == (
        market.org,
        market.app,
        market.agreement,
        "third_party",
    )
    assert (tp.range_start, tp.range_end, tp.granularity, tp.data_format) == (start, end, "hour", "csv")
    assert tp.premise == market.premise
    assert (rep.organization, rep.api_key.prefix, rep.actor_kind) == (
        market.rep_org,
        market.rep_key[:12],
        "rep",
    )


def test_failed_reads_are_not_logged(client, market):
    r = client.get(URL, {"start": "2000-01-01", "end": "2000-01-02"}, **market.bearer())
    assert r.status_code == 422
    assert AccessLogEntry.objects.count() == 0


@pytest.mark.parametrize("fmt", ["json", "csv", "xml"])
def test_api_bytes_equal_the_portal_download(client, market, fmt):
    start, end = _range(market, days=14)
    client.force_login(market.owner)
    api = client.get(URL, {"start": start, "end": end, "granularity": "hour", "format": fmt})
    portal = client.get(
        f"/premises/{ESIID}/usage/download.{fmt}", {"start": start, "end": end, "granularity": "hour"}
    )
    assert api.status_code == portal.status_code == 200
    body = b"".join(portal.streaming_content) if portal.streaming else portal.content
    assert api.content == body
