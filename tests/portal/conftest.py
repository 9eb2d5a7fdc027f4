"""The portal tests' fixtures: premises with data loaded through the real ingest
(``tests/helpers/portal_usage.py``) and the accounts tests' premises, occupancy and sign-up
(``tests/portal/accounts_fixtures.py``)."""

from tests.helpers.alert_loads import load  # noqa: F401 - a fixture, registered by being here
from tests.helpers.portal_usage import (  # noqa: F401 - fixtures, registered by being here
    customer,
    home,
    other_customer,
    other_home,
    rep,
    solar_home,
    today,
)
from tests.portal.accounts_fixtures import another_premise, period, premise, send, signed_up  # noqa: F401
