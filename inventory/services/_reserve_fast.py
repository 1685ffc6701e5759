"""reserve_stock's fast path on PostgreSQL: a whole reservation in one statement.

Why raw SQL: a hot SKU is limited by how long its StockLevel row stays locked. In the ORM path
the lock is taken by one statement and released by a COMMIT sent later from Python, so every
buyer of the SKU waits for the holder's round trips and, with many threads, for the holder to
get the GIL back. Here one data-modifying CTE sets the lock timeout, finds the market's
location, locks the stock rows (pk order), takes expired holds of those rows back (SKIP
LOCKED), checks every line, and only if every line fits adds to `reserved` and inserts the
Reservation rows. Outside a transaction it runs in autocommit, so PostgreSQL releases the
row lock at its own commit without waiting for Python. Inside a caller's transaction it is one
statement of that transaction. A short line changes nothing (no savepoint needed), and the
CHECK constraint on StockLevel still refuses an oversell if the check were ever wrong.

A single line (add-to-cart, a drop) goes faster still: _one_line_statement takes no lock
ahead, its conditional UPDATE locks the row and re-checks ATP on the newest version (one
tuple write instead of a lock and then an update), so the row is held for the UPDATE, the
INSERT and the commit only. Refused, it asks _statement(), which reports the exact figures.

It routes only markets served by exactly one active location (routing has nothing to choose
there); for other markets it changes nothing and says so, and reserve_stock plans under lock.

The new `reserved` is computed from the row as `locked` returned it (the newest version, which
this statement holds), never from the UPDATE's own `s.reserved`: when the row changed between
the statement's snapshot and the lock, PostgreSQL 15 was seen (with lapsed holds released by
the same statement) to evaluate that expression on the snapshot's version, which the CHECK
constraint then refused (tests/inventory race lapsed holds to catch it). The last SELECT
fails the whole statement if fewer rows were written than checked.
"""

import functools
from datetime import datetime

from django.db import OperationalError, transaction

from inventory import drop_gate
from inventory.models import (
    Location,
    Reservation,
    ReservationStatus,
    StockLevel,
    new_reservation_id,
)
from shop.locks import as_lock_timeout, default_timeout_ms, note_lock_timeout
from shop.prepared import fetch_prepared


def _names() -> tuple[str, str, str, str]:
    """Table names and hold statuses the statements use. Names are ours (model metadata and
    enum values), never input: safe to format in."""
    return (
        StockLevel._meta.db_table,
        Reservation._meta.db_table,
        ReservationStatus.ACTIVE.value,
        ReservationStatus.EXPIRED.value,
    )


def _settings_and_serving(settings_name: str) -> str:
    """The statements' first two CTEs: the lock timeout (SET LOCAL) and the market's active
    locations (the fast path serves a market with exactly one)."""
    location, serves = Location._meta.db_table, Location.markets.through._meta.db_table
    return f"""WITH {settings_name} AS (
    SELECT set_config('lock_timeout', %(lock_timeout)s, true) AS lock_timeout
),
serving AS (
    SELECT count(*) AS locations, min(l.id) AS location_id
    FROM {location} l JOIN {serves} m ON m.location_id = l.id
    WHERE m.market_id = %(market)s::bigint AND l.is_active
)"""


@functools.cache
def _statement() -> str:
    level, reservation, active, expired = _names()
    return f"""{_settings_and_serving("reserve_settings")},
wanted AS (
    SELECT d.line, d.variant_id, serving.location_id, d.units, d.public_id
    FROM unnest(%(variants)s::bigint[], %(units)s::integer[], %(public_ids)s::text[])
        WITH ORDINALITY AS d(variant_id, units, public_id, line)
    CROSS JOIN serving
    WHERE serving.locations = 1
),
locked AS (
    SELECT s.id, s.variant_id, s.reserved,
        s.on_hand - s.reserved - s.in_transit_out + s.in_transit_in - s.safety_stock AS atp
    FROM {level} s
    WHERE s.location_id = (SELECT location_id FROM serving WHERE locations = 1)
        AND s.variant_id = ANY(%(variants)s::bigint[])
        AND (SELECT lock_timeout FROM reserve_settings) IS NOT NULL
    ORDER BY s.id
    FOR UPDATE
),
expired AS (
    SELECT r.id, r.variant_id, r.quantity
    FROM {reservation} r
    WHERE r.status = '{active}' AND r.expires_at <= %(now)s::timestamptz
        AND r.variant_id IN (SELECT variant_id FROM locked)
        AND r.location_id = (SELECT location_id FROM serving WHERE locations = 1)
    ORDER BY r.id
    FOR UPDATE OF r SKIP LOCKED
),
freed AS (
    SELECT variant_id, sum(quantity)::integer AS units FROM expired GROUP BY variant_id
),
checked AS (
    SELECT w.line, w.variant_id, w.location_id, w.units, w.public_id, l.id AS level_id,
        l.reserved - COALESCE(f.units, 0) + w.units AS reserved,
        COALESCE(l.atp, 0) + COALESCE(f.units, 0) AS available,
        COALESCE(f.units, 0) AS freed
    FROM wanted w
    LEFT JOIN locked l ON l.variant_id = w.variant_id
    LEFT JOIN freed f ON f.variant_id = w.variant_id
),
verdict AS (
    SELECT count(*) = %(lines)s AND coalesce(bool_and(
        level_id IS NOT NULL AND available >= units), false) AS ok
    FROM checked
),
given_back AS (
    UPDATE {reservation} r SET status = '{expired}', updated_at = %(now)s::timestamptz
    FROM expired e, verdict v
    WHERE r.id = e.id AND v.ok
    RETURNING r.id
),
added AS (
    UPDATE {level} s SET reserved = c.reserved
    FROM checked c, verdict v
    WHERE s.id = c.level_id AND v.ok
    RETURNING s.id
),
held AS (
    INSERT INTO {reservation} (created_at, updated_at, public_id, variant_id, location_id,
        quantity, status, kind, expires_at, owner)
    SELECT %(now)s::timestamptz, %(now)s::timestamptz, c.public_id, c.variant_id,
        c.location_id, c.units, %(status)s, %(kind)s, %(expires_at)s::timestamptz, %(owner)s
    FROM checked c, verdict v
    WHERE v.ok
    ORDER BY c.line
    RETURNING id, public_id
)
SELECT serving.locations, c.line, c.location_id, c.available, held.id, c.freed
FROM serving
LEFT JOIN checked c ON true
LEFT JOIN held ON held.public_id = c.public_id
WHERE CASE
    WHEN (SELECT count(*) FROM added) = (SELECT count(*) FROM held)
        AND (SELECT count(*) FROM given_back)
            = (SELECT count(*) FROM expired WHERE (SELECT ok FROM verdict))
    THEN true
    -- Never reached while the rows are locked; if it were, fail the whole statement.
    ELSE ('reserve_stock wrote part of a reservation: ' || (SELECT count(*) FROM added))::integer
        IS NULL
END
ORDER BY c.line
"""


@functools.cache
def _one_line_statement() -> str:
    """One line: no lock taken ahead. Lapsed holds of the row are taken first (SKIP LOCKED:
    never waits, and nobody holding a stock row waits for a reservation row), then one
    conditional UPDATE locks the stock row and re-checks ATP on its newest version, and only
    if it took the units are the lapsed holds marked and the new hold inserted. A refusal is
    not reported with figures here: the caller asks _statement(), which counts under lock."""
    level, reservation, active, expired = _names()
    return f"""{_settings_and_serving("reserve_one_settings")},
expired AS (
    SELECT r.id, r.quantity
    FROM {reservation} r
    WHERE r.status = '{active}' AND r.expires_at <= %(now)s::timestamptz
        AND r.variant_id = %(variant)s::bigint
        AND r.location_id = (SELECT location_id FROM serving WHERE locations = 1)
    ORDER BY r.id
    FOR UPDATE OF r SKIP LOCKED
),
freed AS (
    SELECT COALESCE(sum(quantity), 0)::integer AS units FROM expired
),
added AS (
    UPDATE {level} s SET reserved = s.reserved - freed.units + %(units)s::integer
    FROM freed
    WHERE s.variant_id = %(variant)s::bigint
        AND s.location_id = (SELECT location_id FROM serving WHERE locations = 1)
        AND (SELECT lock_timeout FROM reserve_one_settings) IS NOT NULL
        AND s.on_hand - s.reserved - s.in_transit_out + s.in_transit_in - s.safety_stock
            + freed.units >= %(units)s::integer
    RETURNING s.id
),
given_back AS (
    UPDATE {reservation} r SET status = '{expired}', updated_at = %(now)s::timestamptz
    FROM expired e
    WHERE r.id = e.id AND EXISTS (SELECT FROM added)
    RETURNING r.id
),
held AS (
    INSERT INTO {reservation} (created_at, updated_at, public_id, variant_id, location_id,
        quantity, status, kind, expires_at, owner)
    SELECT %(now)s::timestamptz, %(now)s::timestamptz, %(public_id)s, %(variant)s::bigint,
        serving.location_id, %(units)s::integer, %(status)s, %(kind)s,
        %(expires_at)s::timestamptz, %(owner)s
    FROM added, serving
    RETURNING id
)
SELECT serving.locations, 1, serving.location_id, NULL::integer, (SELECT id FROM held),
    (SELECT units FROM freed)
FROM serving
WHERE CASE
    WHEN (SELECT count(*) FROM given_back)
        = (SELECT count(*) FROM expired WHERE EXISTS (SELECT FROM added))
    THEN true
    ELSE ('reserve_stock wrote part of a reservation: ' || (SELECT count(*) FROM added))::integer
        IS NULL
END
"""


class SeveralLocations(Exception):
    """The market has more than one location: routing must choose, the fast path does not."""


def reserve_in_one_statement(
    connection,
    *,
    demand: dict[int, int],
    market_id: int | None,
    owner: str,
    status: str,
    kind: str,
    expires_at: datetime | None,
    now: datetime,
) -> tuple[list[Reservation], dict[int, int]]:
    """(reservations, {}) when every line was reserved; ([], {variant_id: available}) when
    some line is short (nothing changed). Raises SeveralLocations (nothing changed) and
    LockTimeout (the transaction, if any, is marked for rollback).
    """
    variants = list(demand)
    public_ids = [new_reservation_id() for _ in variants]
    timeout_ms = default_timeout_ms()
    params = {
        "lock_timeout": f"{timeout_ms}ms",
        "market": market_id,
        "now": now,
        "status": status,
        "kind": kind,
        "expires_at": expires_at,
        "owner": owner,
    }
    if len(variants) == 1:
        one = {"variant": variants[0], "units": demand[variants[0]], "public_id": public_ids[0]}
        rows = _execute(connection, _one_line_statement(), params | one, timeout_ms)
        if rows[0][0] != 1 or rows[0][4] is not None:
            return _result(connection, rows, variants, public_ids, demand, params)
        # Refused (or the row is missing): count again under lock, which may also succeed now.
    lines = {
        "variants": variants,
        "units": [demand[v] for v in variants],
        "public_ids": public_ids,
        "lines": len(variants),
    }
    rows = _execute(connection, _statement(), params | lines, timeout_ms)
    return _result(connection, rows, variants, public_ids, demand, params)


def _execute(connection, sql: str, params: dict, timeout_ms: int) -> list[tuple]:
    try:
        rows = fetch_prepared(connection, sql, params)
    except OperationalError as exc:
        timeout = as_lock_timeout(exc)
        if timeout is None:
            raise
        if connection.in_atomic_block:
            transaction.set_rollback(True, using=connection.alias)
        raise timeout from exc
    if connection.in_atomic_block:
        note_lock_timeout(connection, timeout_ms)  # SET LOCAL: in force until the caller ends
    return rows


def _result(connection, rows, variants, public_ids, demand, params):
    """reserve_in_one_statement's answer from a statement's rows (one per line)."""
    locations = rows[0][0]
    if locations > 1:
        raise SeveralLocations()
    if locations == 0:
        return [], dict.fromkeys(variants, 0)
    if rows[0][4] is None:
        return [], {variants[line - 1]: available for _n, line, _loc, available, _pk, _f in rows}
    now = params["now"]
    # Lapsed holds this statement gave back: a drop's gate gets their tokens back on commit,
    # as when the sweeper or the routed path releases them.
    drop_gate.note_released((variants[row[1] - 1], row[5]) for row in rows)
    reservations = []
    for _n, line, location_id, _available, pk, _freed in rows:
        variant_id = variants[line - 1]
        reservation = Reservation(
            id=pk,
            created_at=now,
            updated_at=now,
            public_id=public_ids[line - 1],
            variant_id=variant_id,
            location_id=location_id,
            quantity=demand[variant_id],
            status=params["status"],
            kind=params["kind"],
            expires_at=params["expires_at"],
            owner=params["owner"],
        )
        reservation._state.adding = False
        reservation._state.db = connection.alias
        reservations.append(reservation)
    return reservations, {}
