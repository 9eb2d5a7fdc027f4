"""The browser tests' fixtures: a premise with data loaded through the real ingest
(``tests/helpers/portal_usage.py``)."""

from tests.helpers.portal_usage import home, rep, today  # noqa: F401 - fixtures, registered by being here
