"""Loading a day of the home's data through the real ingest, running what its commit triggers (the alerts):
the ``load`` fixture of the alert tests and their subscriptions, in English and in Spanish."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from portal.models import AlertSubscription
from tests.helpers.ingest import day_rows, write_file
from tests.helpers.portal_usage import ESI_HOME
from usage.ingest.loader import ingest_file
from usage.timegrid import MARKET_TZ


def subscribe(user, premise, **fields) -> AlertSubscription:
    return AlertSubscription.objects.create(user=user, premise=premise, **fields)


def market_now() -> datetime:
    """The wall-clock time a TDU stamps a revision with (local, naive), and never earlier than 07:01 today:
    the ``home`` fixture stamps yesterday's data at 07:00 today (tests.helpers.portal_usage), so between
    midnight and 07:00 a revision stamped "now" would be older than what it revises and be superseded."""
    now = datetime.now(tz=MARKET_TZ).replace(tzinfo=None, microsecond=0)
    return max(now, datetime.combine(now.date(), time(7, 1)))


@pytest.fixture
def load(tmp_path, django_capture_on_commit_callbacks):
    """Load a TDU file of ``day`` for the home through the real ingest, running what commits trigger."""

    def run(day, *, kwh=0.5, revised=None, tag="x", path=None):
        if path is None:
            revised = revised or market_now()
            rows = day_rows(ESI_HOME, day, kwh=lambda slot: kwh, revised=revised)
            path = write_file(tmp_path, rows, day=day, tag=tag)
        with django_capture_on_commit_callbacks(execute=True):
            report = ingest_file(path=path)
        return path, report

    return run
