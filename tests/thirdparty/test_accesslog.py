"""The access log's one-round-trip write (PostgreSQL, outside a transaction): committed, or nothing."""

from datetime import date

import pytest
from django.db import connection

from tests.helpers.market import build_market
from thirdparty import access
from thirdparty.accesslog import access_log_record
from thirdparty.apikeys import apikey_authenticate
from thirdparty.models import AccessLogEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
def test_pipelined_entry_is_committed_and_complete(django_user_model):
    market = build_market(django_user_model)
    actor = access.actor_for_api_key(apikey_authenticate(market.tp_key))
    assert not connection.in_atomic_block
    access_log_record(
        actor=actor,
        premise_id=market.premise.pk,
        resource="intervals",
        agreement_id=market.agreement.pk,
        range_start=date(2025, 1, 1),
        range_end=date(2025, 1, 31),
        granularity="15min",
        data_format="csv",
    )
    # a second connection sees it: it was committed, not left in an open transaction
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params) as other:
        row = other.execute(
            f"SELECT premise_id, organization_id, api_key_id, agreement_id, actor_kind, resource, "
            f"range_start, range_end, granularity, data_format FROM {AccessLogEntry._meta.db_table}"
        ).fetchall()
    assert row == [
        (
            market.premise.pk,
            market.org.pk,
            actor.api_key_id,
            market.agreement.pk,
            actor.kind,
            "intervals",
            date(2025, 1, 1),
            date(2025, 1, 31),
            "15min",
            "csv",
        )
    ]


@pytest.mark.postgres
def test_failed_entry_leaves_nothing_and_the_connection_usable(django_user_model):
    market = build_market(django_user_model)
    actor = access.actor_for_api_key(apikey_authenticate(market.tp_key))
    with pytest.raises(Exception, match="foreign key|violates"):
        access_log_record(actor=actor, premise_id=10**9, resource="intervals")  # no such premise
    assert AccessLogEntry.objects.count() == 0
    access_log_record(actor=actor, premise_id=market.premise.pk, resource="premise")
    assert AccessLogEntry.objects.count() == 1
