"""The usage page: who may see it, what it shows, the URL state, and how fast it answers."""

from __future__ import annotations

import json
import re

import pytest

from tests.portal.test_usage_fixtures import *  # noqa: F403
from tests.portal.test_usage_fixtures import ESI_HOME


def chart(resp) -> dict:
    m = re.search(
        rb'<script id="usage-chart-data" type="application/json">(.*?)</script>', resp.content, re.S
    )
    assert m, "no chart data on the page"
    return json.loads(m.group(1))


@pytest.mark.django_db
def test_usage_page_renders_daily_month(client, customer, home, today):
    client.force_login(customer)
    resp = client.get(f"/premises/{ESI_HOME}/usage/?granularity=day&preset=month")
    assert resp.status_code == 200, resp.content[:2000]
    fig = chart(resp)
    assert fig["data"][0]["name"] == "Consumption"
