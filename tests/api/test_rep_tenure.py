"""The attack: the customer switched to a new REP today, and that REP read up to 24 months of usage from
when another REP served them. A REP's window now starts at its own tenure (``ServicePeriod.rep_since``, set by
the move-in or the switch), on every path a REP reads: intervals, summary, premise detail, exports, codes."""

from datetime import timedelta

import pytest

from api.exports import export_run
from portal.models import RepTenure
from portal.services import service_period_switch_rep
from tests.helpers.market import ESIID, assert_problem
from thirdparty.apikeys import apikey_create
from thirdparty.models import Organization


@pytest.fixture
def switched(market):
    """The owner switched from ``rep`` to ``other_rep`` today; ``other_rep`` has an API key."""
    org = Organization.objects.create(
        legal_name="TXU (REP)",
        kind=Organization.Kind.REP,
        rep=market.other_rep,
        contact_email="it@txu.example",
        status=Organization.Status.APPROVED,
    )
    _, key = apikey_create(organization=org, name="billing", scopes=["premises:read", "usage:read"])
    service_period_switch_rep(period=market.period, rep=market.other_rep, on=market.today)
    return market.apikey(key)


def test_rep_switched_today_cannot_read_yesterday(client, market, switched):
    yesterday = market.today - timedelta(days=1)
    url = f"/api/v1/premises/{ESIID}/intervals/"
    body = assert_problem(client.get(url, {"start": yesterday, "end": yesterday}, **switched), 422)
    # before: 200 with the day the previous REP served
    assert body["windows"] == [{"start": market.today.isoformat(), "end": market.today.isoformat()}]
    summary = client.get(
        f"/api/v1/premises/{ESIID}/summary/", {"start": yesterday, "end": yesterday}, **switched
    )
    assert summary.status_code == 422
    detail = client.get(f"/api/v1/premises/{ESIID}/", **switched).json()
    assert detail["rep_of_record"]["since"] == market.today.isoformat()


def test_rep_switched_today_gets_the_code_and_its_tenure(client, market, switched):
    body = client.get(f"/api/v1/premises/{ESIID}/registration-code/", **switched).json()
    assert body["rep_since"] == market.today.isoformat()
    assert body["occupancy_start"] == market.period.starts_on.isoformat()


def test_rep_switched_today_exports_nothing_from_before(
    client, market, switched, monkeypatch, django_capture_on_commit_callbacks
):
    from api import tasks

    monkeypatch.setattr(tasks.export_run_task, "delay", lambda job_id: export_run(job_id))
    yesterday = market.today - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/exports/",
            {
                "esiids": [ESIID],
                "start": (yesterday - timedelta(days=5)).isoformat(),
                "end": yesterday.isoformat(),
            },
            content_type="application/json",
            **switched,
        )
    assert r.status_code == 202, r.content
    job = client.get(r["Location"], **switched).json()
    assert job["status"] == "done", job
    assert [x["esiid"] for x in job["not_included"]] == [ESIID]  # before: the file held the old REP's days
    assert job["not_included"][0]["windows"] == [
        {"start": market.today.isoformat(), "end": market.today.isoformat()}
    ]


def test_the_rep_that_served_before_the_switch_reads_its_own_tenure_no_more(client, market, switched):
    yesterday = market.today - timedelta(days=1)
    url = f"/api/v1/premises/{ESIID}/intervals/"
    assert_problem(
        client.get(url, {"start": yesterday, "end": yesterday}, **market.apikey(market.rep_key)), 404
    )


def test_switch_keeps_the_tenure_history(market, switched):
    tenures = list(
        RepTenure.objects.filter(period=market.period).values_list("rep_id", "starts_on", "ends_on")
    )
    assert tenures == [
        (market.rep.pk, market.period.starts_on, market.today),
        (market.other_rep.pk, market.today, None),
    ]


def test_switch_from_a_later_date_gives_the_window_from_there(client, market, switched):
    # a REP whose tenure began ten days ago reads those ten days, nothing before
    market.period.refresh_from_db()
    market.period.rep_since = market.today - timedelta(days=10)
    market.period.save(update_fields=["rep_since"])
    url = f"/api/v1/premises/{ESIID}/intervals/"
    first = market.today - timedelta(days=10)
    assert client.get(url, {"start": first, "end": first}, **switched).status_code == 200
    before = first - timedelta(days=1)
    assert_problem(client.get(url, {"start": before, "end": before}, **switched), 422)


def test_changing_the_rep_in_the_admin_is_a_switch_today(admin_client, market):
    data = {
        "premise": market.period.premise_id,
        "rep": market.other_rep.pk,
        "occupant_name": market.period.occupant_name,
        "starts_on": market.period.starts_on.isoformat(),
        "ends_on": "",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
        "registrations-MIN_NUM_FORMS": "0",
        "registrations-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/portal/serviceperiod/{market.period.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    market.period.refresh_from_db()
    assert market.period.rep == market.other_rep
    assert market.period.rep_since == market.today
    assert RepTenure.objects.filter(period=market.period).count() == 2
    page = admin_client.get(f"/admin/portal/serviceperiod/{market.period.pk}/change/").content.decode()
    assert "REPs of record" in page
