"""Commits that need not wait for the disk (shop.durability): a statement made outside any
transaction relaxes its own commit and nothing else; the session row is written that way, and
inside a transaction as Django writes it. On real PostgreSQL (the checkout steps:
tests/orders/test_checkout_durability.py)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shop.durability import RELAXED, may_relax
from shop.sessions import SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def synchronous_commit() -> str:
    """The connection's synchronous_commit, as its next commit would use it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def relaxed(queries) -> list[bool]:
    """For each statement run: whether it relaxed its own commit."""
    return [q["sql"].startswith(f"WITH {RELAXED}") for q in queries.captured_queries]


def test_a_relaxed_statement_relaxes_its_own_commit_only():
    assert may_relax(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {RELAXED} SELECT current_setting('synchronous_commit') FROM relaxed")
        assert cursor.fetchone()[0] == "off"
    assert synchronous_commit() == "on"  # the next statement waits for the disk again
    with transaction.atomic():
        assert not may_relax(connection)


def test_a_session_row_relaxes_its_commit_and_is_read_back():
    store = SessionStore()
    store["carts"] = {"US": "cart_x"}
    with CaptureQueriesContext(connection) as queries:
        store.save()
        store["carts"] = {"US": "cart_y"}
        store.save()

    assert relaxed(queries) == [True, True]
    assert synchronous_commit() == "on"
    assert SessionStore(store.session_key).load() == {"carts": {"US": "cart_y"}}


def test_a_session_saved_inside_a_transaction_is_written_as_django_writes_it():
    store = SessionStore()
    store["a"] = 1
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            store.save()
        assert synchronous_commit() == "on"
    assert not any(relaxed(queries))
    assert SessionStore(store.session_key).load() == {"a": 1}
