"""Fixtures of the Smart Meter Texas compatibility tests: a home with data loaded through the real ingest."""

from tests.helpers.portal_usage import customer, home, other_customer, other_home, rep, today  # noqa: F401
