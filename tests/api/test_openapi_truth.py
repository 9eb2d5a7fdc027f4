"""The OpenAPI document tells the truth: every operation lists every status it can answer with the problem
schema, constraints are in it, ``servers`` is where it was served, and every problem ``type`` URI leads to a
page explaining it."""

from __future__ import annotations

from html import unescape

import pytest

from api.problems import PROBLEM_TYPES, problem_type
from tests.helpers.market import ESIID

pytestmark = pytest.mark.django_db


def _schema(client, **headers) -> dict:
    r = client.get("/api/schema/?format=json", **headers)
    assert r.status_code == 200
    return r.json()


def test_every_operation_lists_429_503_and_its_errors_as_problems(client):
    schema = _schema(client)
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 20
    for path, method, op in operations:
        codes = set(op["responses"])
        assert {"400", "404", "406", "429", "503"} <= codes, (path, method, codes)
        if method == "post":
            assert {"409", "413", "415", "422"} <= codes, (path, method, codes)
        for code in codes - {"200", "201", "202", "204"}:
            content = op["responses"][code]["content"]
            assert "application/problem+json" in content, (path, method, code)
    authed = schema["paths"]["/api/v1/exports/"]["post"]["responses"]
    assert {"401", "403"} <= set(authed)
    assert "410" in schema["paths"]["/api/v1/exports/{job_id}/download/"]["get"]["responses"]


def test_constraints_are_in_the_schema(client):
    schema = _schema(client)
    params = {p["name"]: p for p in schema["paths"]["/api/v1/premises/"]["get"]["parameters"]}
    assert params["page_size"]["schema"]["minimum"] == 1 and params["page_size"]["schema"]["maximum"] == 500
    intervals = schema["paths"]["/api/v1/premises/{esiid}/intervals/"]["get"]["parameters"]
    end = next(p for p in intervals if p["name"] == "end")
    assert "on or after `start`" in end["description"] and "days" in end["description"]


def test_servers_is_the_address_the_document_came_from_with_its_port(client):
    schema = _schema(client, HTTP_HOST="testserver:8443")
    assert schema["servers"] == [{"url": "http://testserver:8443"}]


def test_problem_types_are_absolute_with_the_port_and_lead_to_their_explanation(client, market):
    r = client.get(
        f"/api/v1/premises/{ESIID}/intervals/?start=x&end=y", HTTP_HOST="testserver:8443", **market.bearer()
    )
    assert r.json()["type"] == "http://testserver:8443/api/problems/invalid-parameter"
    for slug, (title, text) in PROBLEM_TYPES.items():
        uri = problem_type(slug)
        assert uri.startswith("http") and uri.endswith(f"/api/problems/{slug}")
        page = client.get(uri.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
        assert page.status_code == 200, slug
        html = unescape(page.content.decode())
        assert title in html and text.split("`")[0][:40] in html, slug
    assert client.get("/api/problems/no-such-problem").status_code == 404


def test_every_slug_the_code_uses_has_a_page():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    used = set()
    for folder in ("api", "smt", "thirdparty", "portal"):
        for f in (root / folder).rglob("*.py"):
            used |= set(re.findall(r'slug="([a-z0-9-]+)"', f.read_text()))
    from api.problems import SLUGS

    used |= set(SLUGS.values())
    assert used <= set(PROBLEM_TYPES), used - set(PROBLEM_TYPES)
