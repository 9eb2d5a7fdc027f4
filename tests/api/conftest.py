"""The API tests' fixtures: the small market of ``tests/helpers/market.py``."""

from tests.helpers.market import market  # noqa: F401 - a fixture, registered by being here
