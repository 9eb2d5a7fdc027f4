"""The storage tables and what every storage module's SQL needs: the vendor test and array literals."""

from __future__ import annotations

import numpy as np
from django.db import connection

from smt.replicas import data_rows
from usage.models import IntervalDay, IntervalMonth


def tables() -> tuple[str, str]:
    """The table names of day rows and month rows."""
    return IntervalDay._meta.db_table, IntervalMonth._meta.db_table


def read_rows(sql: str, params: list) -> list[tuple]:
    """Rows of an interval-data read: on a replica in a request that allows it (smt/replicas.py), else on the
    primary. Only the read path uses it; writes, locks and compaction stay on ``connection``."""
    return data_rows(sql, params)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pg_array(values: np.ndarray | list, *, dates: bool = False) -> str:
    """A PostgreSQL array literal: one short string for psycopg to send instead of a list to adapt."""
    if dates:
        vals = np.asarray(values, dtype=np.int64).astype("datetime64[D]").astype(str)
        return "{" + ",".join(vals.tolist()) + "}"
    return "{" + ",".join(map(str, np.asarray(values).tolist())) + "}"
