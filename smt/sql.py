"""Hot-path reads in hand-written SQL on Django's connection.

On PostgreSQL the statement runs with server-side binding, prepared on its first run on the connection (so
later runs skip parsing and planning) and with binary results. Elsewhere it is a plain cursor. Used
only where the ORM's query building would cost more than the query (the API's per-request reads).
"""

from __future__ import annotations

from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections


def fetch_all(sql: str, params: list, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """All rows of ``sql`` on the database ``using`` (the primary unless a caller chose a replica: smt/replicas.py)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        # Django's error wrapping: a dropped connection is Django's OperationalError (a 503, not a 500) and
        # marks the connection for closing at the end of the request, so the next one reconnects
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
            cur.execute(sql, params, prepare=True, binary=True)
            return cur.fetchall()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def converted(fields: tuple, values: list) -> list:
    """Raw column values as the ORM would load them into ``fields`` (the backend's and each field's
    converters: JSON text to objects, SQLite text to dates, ...)."""
    out = list(values)
    for i, col, convs in _converters(fields):
        for conv in convs:
            out[i] = conv(out[i], col, connection)
    return out


@lru_cache(maxsize=64)
def _converters(fields: tuple) -> list:
    out = []
    for i, f in enumerate(fields):
        col = f.get_col(f.model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if convs:
            out.append((i, col, convs))
    return out


def instance(model, fields: tuple, values: list):
    """A ``model`` instance from raw values of ``fields`` (its concrete fields), or None when the first
    value (the key) is None, as a LEFT JOIN that found nothing gives."""
    if values[0] is None:
        return None
    return model.from_db(connection.alias, [f.attname for f in fields], converted(fields, values))


def columns(model, alias: str) -> tuple[tuple, str]:
    """(concrete fields, their SELECT list under the table alias) of a model."""
    fields = tuple(model._meta.concrete_fields)
    return fields, ", ".join(f'{alias}."{f.column}"' for f in fields)
