"""A real Green Button parser (greenbutton-objects) reads back the values of Connect My Data documents."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from greenbutton_objects.parse import parse_feed

from tests.helpers.market import ESIID

pytestmark = pytest.mark.django_db


def test_batch_subscription_reads_back_the_json_values(client, market):
    r = client.get(f"/espi/1_1/resource/Batch/Subscription/{market.agreement.pk}", **market.bearer())
    assert r.status_code == 200
    (up,) = parse_feed(io.BytesIO(r.content))
    (mr,) = up.meterReadings
    readings = [ir for ib in mr.intervalBlocks for ir in ib.intervalReadings]
    start = market.agreement.history_start
    end = market.today - timedelta(days=1)
    body = client.get(
        f"/api/v1/premises/{ESIID}/intervals/", {"start": start, "end": end}, **market.bearer()
    ).json()
    kwh = [v for day in body["days"] for v in day["consumption"]["kwh"] if v is not None]
    assert len(readings) == len(kwh)
    assert [round(ir.value / 1000, 3) for ir in readings] == pytest.approx(kwh)
