"""The API tests' fixtures: the small market of ``tests/helpers/market.py``."""

from tests.helpers.faults import private_cache  # noqa: F401 - a fixture, registered by being here
from tests.helpers.market import market  # noqa: F401 - a fixture, registered by being here
