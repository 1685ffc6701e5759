"""Writes whose commit need not wait for the disk.

PostgreSQL makes every COMMIT wait until its write-ahead log is flushed
(`synchronous_commit = on`): what the shop confirmed survives a crash of the database server.
A few frequent writes do not need that promise: the checkout step a buyer reached (with its
step log) and the session row. Such a write, made as one autocommitted statement, can say
`synchronous_commit = off` for its own transaction: its COMMIT returns at once and the WAL
writer flushes it within 3 × `wal_writer_delay` (600 ms by default). If the server crashes in
that window the write is lost whole (never half-applied, nothing corrupted): the buyer does
the step again, or starts a new cart. Orders, payments, stock and everything else keep
waiting for the disk.

Measured on 2 cores (benchmarks/checkout_bench.py, storefront mix at 32 buyers): with every
commit relaxed, 5–18 % more orders a second in four pairs of runs; a storefront checkout
makes nine of its thirteen commits this way.

Only a statement outside any transaction relaxes itself: inside `transaction.atomic()` it
would relax the caller's whole transaction, which may hold an order. There it is written as
always and commits with its transaction.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

# A one-row WITH query that relaxes the statement's own transaction. The statement must read
# from it (`FROM relaxed`) or PostgreSQL never evaluates it.
RELAXED = "relaxed AS (SELECT set_config('synchronous_commit', 'off', true))"


def may_relax(connection: BaseDatabaseWrapper) -> bool:
    """Whether a write on `connection` may relax its commit: PostgreSQL, outside any
    transaction.atomic() block (the statement is its own transaction)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block
