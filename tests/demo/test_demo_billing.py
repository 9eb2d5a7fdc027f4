"""Demo billing periods (demo/billing.py): summed from the stored intervals, loaded through the loader, once."""

from datetime import timedelta

import pytest

from demo.billing import billing_data_ensure
from portal.access_window import market_today
from tests.helpers.market import store_days
from usage.models import BillingPeriod, Premise
from usage.reads.selectors import intervals_for
from usage.services import synthetic_premises_register, tdus_ensure
from usage.synth import synth_premises
from usage.synth.generate import billing_periods

pytestmark = pytest.mark.django_db


def test_billing_periods_are_the_sums_of_the_stored_days_and_load_once(tmp_path):
    end = market_today() - timedelta(days=1)
    start = end - timedelta(days=69)
    tdus_ensure()
    synth = synth_premises(2, 7, install_before=start)
    synthetic_premises_register(premises=synth)
    premise = Premise.objects.get(esiid=synth[0].esiid)
    store_days(premise, start, end)  # the second premise has no data: no bill

    assert billing_data_ensure(premises=synth, start=start, end=end, out_dir=tmp_path) >= 1
    expected = billing_periods(synth[0], start, 70)
    rows = list(BillingPeriod.objects.filter(premise=premise).order_by("start_date"))
    assert [(r.start_date, r.end_date) for r in rows] == expected
    assert not BillingPeriod.objects.exclude(premise=premise).exists()
    for r in rows:
        reads = intervals_for(premise=premise, start=r.start_date, end=r.end_date, granularity="15min")
        assert r.wh == int(reads.consumption.values_wh.sum())
        assert r.estimated  # store_days flags one interval a day as estimated
    billed = intervals_for(premise=premise, start=start, end=end, granularity="billing")
    assert len(billed.billed) == len(rows)
    assert billing_data_ensure(premises=synth, start=start, end=end, out_dir=tmp_path) == 0
