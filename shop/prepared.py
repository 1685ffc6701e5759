"""Statements PostgreSQL parses and plans once per connection, for the hottest reads and writes.

Django's cursors bind parameters on the client and never prepare (for the sake of connection
poolers), so PostgreSQL parses and plans every statement on every call: for a storefront
page's one availability query that planning was most of the database's work (~1 ms of 1.1 ms
for a listing's 72 variants). `fetch_prepared` sends the statement with server-side binding,
prepared on first use on that connection; PgBouncer >= 1.21 passes protocol-level prepared
statements through.

Prepared statements keep one generic plan (`keep_generic_plans`, on every new connection).
Left to choose (`plan_cache_mode = auto`), PostgreSQL 15 planned the availability query afresh
on every run for good: pg_prepared_statements showed 20 custom plans and no generic one after 20
runs, 0.19 ms of planning for 0.07 ms of execution, because a plan for any array of ids looks
dearer on paper than one for the ids at hand. Our statements are lookups by key whose best plan
does not depend on the values, so planning once is what preparing them was for.

When someone listens (DEBUG's query log, CaptureQueriesContext, an execute wrapper) it goes
through Django's cursor wrapper, so the statement is logged and counted like any other. When
nobody does, it runs on one cursor kept per connection with only Django's error translation:
the wrapper, a fresh cursor per call and its close were a fifth of a reservation's Python time
with 32 threads sharing one interpreter lock.
"""

from __future__ import annotations

import psycopg
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

# psycopg prepares a statement after this many runs unless told to; Django sets None (never,
# not even when asked). A threshold never reached lets only the statements that ask prepare.
ONLY_WHEN_ASKED = 2**31 - 1


def fetch_prepared(connection, sql: str, params) -> list[tuple]:
    """The rows of `sql` (psycopg placeholders, typed where PostgreSQL cannot infer: say
    `%s::bigint[]`) run as a prepared statement on Django `connection` (PostgreSQL only).
    Database errors arrive as Django's (OperationalError, IntegrityError, ...)."""
    if connection.queries_logged or connection.execute_wrappers:
        with _listened_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    kept = getattr(connection, "_emporium_prepared_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        _allow_preparing(raw)
        kept = connection._emporium_prepared_cursor = _PreparedCursor(raw)
    with connection.wrap_database_errors:
        kept.execute(sql, params)
        return kept.fetchall()


class _PreparedCursor(psycopg.Cursor):
    """Server-side binding, prepared on first use."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)


def keep_generic_plans(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: this connection's prepared statements are planned once
    (see the module's doc). Only named prepared statements are concerned: Django's own queries
    are bound on the client and planned on every run whatever this says. Sent on the raw
    connection, already in autocommit, so it is not counted or logged as one of the page's
    queries and lasts for the connection."""
    if connection.vendor == "postgresql":
        connection.connection.execute("SET plan_cache_mode = force_generic_plan")


def _allow_preparing(raw) -> None:
    if raw.prepare_threshold is None:
        raw.prepare_threshold = ONLY_WHEN_ASKED


def _listened_cursor(connection):
    """A _PreparedCursor wrapped like connection.cursor() (logged in DEBUG and by
    CaptureQueriesContext, execute wrappers applied)."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    _allow_preparing(connection.connection)
    cursor = _PreparedCursor(connection.connection)
    if connection.queries_logged:
        return _DebugWrapper(cursor, connection)
    return connection.make_cursor(cursor)


class _DebugWrapper(CursorDebugWrapper):
    """Logs the statement's own text: psycopg keeps no interpolated copy of a prepared query,
    which Django's debug cursor would otherwise log (as None)."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)
