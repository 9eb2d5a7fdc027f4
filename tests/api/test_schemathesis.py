"""Schemathesis over the whole OpenAPI document, in-process against the WSGI app, once with a third party's OAuth
token and once with a REP's API key: no 5xx, and every answer (status, content type, headers, body) is one
the document promises. Bounded: a few examples per operation, valid and invalid, about a minute on 2 cores."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str], failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.headers = {**(case.headers or {}), **headers}
        try:
            case.call_and_validate(checks=CHECKS)
        except (Exception, FailureGroup) as exc:  # noqa: BLE001 - every failure is collected, reported at the end
            failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters, no body)
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, keeping the test's database connection open between requests (as Django's test
    client does: the real handler closes it when a request finishes)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("who", ["third-party token", "REP API key"])
def test_the_whole_schema_holds_and_nothing_answers_5xx(market, settings, wsgi_app, who):
    settings.API_THROTTLE_PROFILE = "benchmark"  # the fuzzer, not the limits, is under test here
    settings.API_RATE_LIMITS = None
    credential = f"Bearer {market.token}" if who == "third-party token" else f"Api-Key {market.rep_key}"
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, {"Authorization": credential}, failures)
    assert not failures, "\n\n".join(failures)
