"""Row locks with a deadline: a stuck lock is a clear 409, never a hung worker.

    with transaction.atomic():
        levels = lock_rows(StockLevel.objects.filter(variant_id__in=ids))

`lock_rows` takes FOR UPDATE locks in primary-key order (so concurrent writers queue in the
same order and cannot deadlock on these rows) and waits at most `timeout_ms` for them. On
PostgreSQL the wait is bounded by `SET LOCAL lock_timeout`: it lasts until the transaction
ends, so every later lock wait in the same transaction is bounded too (a later lock_rows sets
its own). When it runs out PostgreSQL cancels the statement with SQLSTATE 55P03
(lock_not_available), which becomes `LockTimeout`; the transaction is then marked for
rollback, as after any database error (no savepoint: it would cost two more round trips on
every checkout's hot path), so let LockTimeout leave the atomic block. SQLite has no row
locks (it serialises writers on the whole file), so there the timeout does nothing.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models import QuerySet

from shop.exceptions import Conflict

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for an expired lock_timeout


class LockTimeout(Conflict):
    """Another request is changing the same records right now; try again in a moment."""

    code = "lock_timeout"


def default_timeout_ms() -> int:
    return settings.DB_LOCK_TIMEOUT_MS


def lock_rows(queryset: QuerySet, *, timeout_ms: int | None = None, of=()) -> list:
    """Lock the rows of `queryset` FOR UPDATE in pk order and return them as a list.

    Must run inside `transaction.atomic()`. `of` names the tables to lock when the queryset
    uses select_related (as in `select_for_update(of=...)`). Raises LockTimeout when the rows
    stay locked by another transaction for longer than `timeout_ms` (default:
    settings.DB_LOCK_TIMEOUT_MS); nothing is locked then.
    """
    timeout_ms = _checked_timeout(timeout_ms)
    locking = queryset.select_for_update(of=of).order_by("pk")
    # select_for_update marks the queryset for writing: locking.db is the primary even behind
    # a read-replica router, and the SET must go to that same connection.
    return _locked(connections[locking.db], timeout_ms, lambda: list(locking))


def lock_compiled(
    compiled, *, timeout_ms: int | None = None, using: str = DEFAULT_DB_ALIAS, **values
) -> list:
    """lock_rows for a shop.compiled.CompiledQuery (its queryset says select_for_update and,
    for several rows, order_by("pk") itself): the same bounded wait and LockTimeout, without
    building and compiling the queryset again. For the locks every checkout takes."""
    timeout_ms = _checked_timeout(timeout_ms)
    return _locked(
        connections[using], timeout_ms, lambda: list(compiled.objects(using=using, **values))
    )


def _checked_timeout(timeout_ms) -> int:
    timeout_ms = default_timeout_ms() if timeout_ms is None else timeout_ms
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 1:
        raise ValueError(f"timeout_ms must be a positive whole number, not {timeout_ms!r}.")
    return timeout_ms


def _locked(connection, timeout_ms: int, lock) -> list:
    """`lock()` (the locking read) with this transaction's lock_timeout set; LockTimeout and
    the transaction marked for rollback when it runs out."""
    if connection.vendor != "postgresql":
        return lock()
    if not connection.in_atomic_block:
        # select_for_update refuses too, but only once evaluated; say it before any SET.
        raise transaction.TransactionManagementError("lock_rows needs transaction.atomic().")
    _set_lock_timeout(connection, timeout_ms)
    try:
        return lock()
    except OperationalError as exc:
        timeout = as_lock_timeout(exc)
        if timeout is None:
            raise
        transaction.set_rollback(True, using=connection.alias)
        raise timeout from exc


def _set_lock_timeout(connection, timeout_ms: int) -> None:
    """SET LOCAL lock_timeout, once per transaction and value.

    A checkout locks the cart's stock rows, later the order and its reservations: the second
    SET would be a round trip that changes nothing. Django gives each transaction a new
    `run_on_commit` list (replaced on commit, on rollback and on a savepoint rollback, which
    also undoes a SET LOCAL made inside it), so holding the list the SET was made under tells
    whether it still applies; holding it also keeps its identity from being reused.
    """
    under, value = getattr(connection, "_emporium_lock_timeout", (None, None))
    # `is`: this transaction's very list, not an equal (say, empty) list of another one.
    if under is connection.run_on_commit and value == timeout_ms:
        return
    with connection.cursor() as cursor:
        # set_config(name, value, is_local=true) is SET LOCAL with a bound parameter.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout_ms}ms"])
    note_lock_timeout(connection, timeout_ms)


def note_lock_timeout(connection, timeout_ms: int) -> None:
    """Remember that this transaction's lock_timeout is `timeout_ms`: for a statement that set
    it itself (inventory's one-statement reservation does, to save the round trip)."""
    connection._emporium_lock_timeout = (connection.run_on_commit, timeout_ms)


def as_lock_timeout(exc: BaseException) -> LockTimeout | None:
    """A LockTimeout for a database error that is PostgreSQL's lock_not_available, else None.

    The API's error handler uses it too, for a lock wait cut short outside lock_rows.
    """
    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return LockTimeout()
    return None
