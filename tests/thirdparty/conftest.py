"""The third-party tests' fixtures (``consent_fixtures.py``): users, premises, an approved organization and
its application, and ``_tp_isolation`` (webhooks may reach the tests' receivers on 127.0.0.1)."""

from tests.thirdparty.consent_fixtures import (  # noqa: F401 - fixtures, registered by being here
    _tp_isolation,
    alice,
    app,
    bob,
    org,
    premise_a,
    premise_b,
    premise_c,
    rep,
)
