"""Session rows are written in one statement outside a transaction (shop.sessions), and a taken
key or a vanished row is still refused the way Django's backend refuses it."""

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shop.sessions import SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def _statements(queries) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries]


def test_a_new_session_is_one_insert_and_no_lookup_of_its_key():
    store = SessionStore()
    store["carts"] = {"US": "cart_x"}

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert _statements(queries) == ["INSERT"]
    assert SessionStore(store.session_key).load() == {"carts": {"US": "cart_x"}}


def test_a_changed_session_is_one_update():
    store = SessionStore()
    store["step"] = "identify"
    store.save()
    store = SessionStore(store.session_key)
    store["step"] = "review"

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert _statements(queries) == ["UPDATE"]
    row = Session.objects.get(session_key=store.session_key)
    assert SessionStore().decode(row.session_data) == {"step": "review"}


def test_a_taken_key_is_refused_by_the_row_and_another_is_drawn(monkeypatch):
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    keys = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr("shop.sessions.get_random_string", lambda *_args: next(keys))

    store = SessionStore()
    store["owner"] = "second"
    store.save()

    assert store.session_key == "k" * 32
    assert SessionStore(taken.session_key).load() == {"owner": "first"}
    assert SessionStore("k" * 32).load() == {"owner": "second"}


def test_a_key_inserted_twice_is_a_create_error():
    store = SessionStore()
    store.save()
    again = SessionStore(store.session_key)

    with pytest.raises(CreateError):
        again.save(must_create=True)


def test_saving_a_session_whose_row_is_gone_is_an_update_error():
    store = SessionStore()
    store["a"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).delete()
    store["a"] = 2

    with pytest.raises(UpdateError):
        store.save()


def test_inside_a_transaction_a_taken_key_leaves_the_transaction_usable():
    store = SessionStore()
    store.save()

    with transaction.atomic():
        with pytest.raises(CreateError):
            SessionStore(store.session_key).save(must_create=True)
        assert Session.objects.filter(session_key=store.session_key).exists()


def test_a_key_drawn_before_the_data_is_written_once_with_it():
    """ensure_key gives a new session its key for a record to name (a guest cart); the
    session is then written once, key and data together."""
    store = SessionStore()
    key = store.ensure_key()
    assert store.ensure_key() == key
    assert not Session.objects.filter(session_key=key).exists()
    store["carts"] = {"US": "cart_x"}

    with CaptureQueriesContext(connection) as queries:
        store.save()

    assert _statements(queries) == ["INSERT"]
    assert SessionStore(key).load() == {"carts": {"US": "cart_x"}}
    store["carts"] = {"US": "cart_y"}
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert _statements(queries) == ["UPDATE"]


def test_a_drawn_key_that_was_taken_meanwhile_is_refused_not_overwritten():
    taken = SessionStore()
    taken["owner"] = "first"
    taken.save()
    store = SessionStore()
    store.ensure_key()
    store._session_key = taken.session_key  # the astronomically unlikely clash

    with pytest.raises(CreateError):
        store.save()

    assert SessionStore(taken.session_key).load() == {"owner": "first"}


def test_a_guest_first_add_to_cart_writes_its_session_once(client):
    from tests.storefront.checkout_support import SKU, stocked_tee

    stocked_tee()
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/cart/add/", {"sku": SKU, "quantity": "1"})

    assert response.status_code == 302
    writes = [q["sql"] for q in queries.captured_queries if '"django_session"' in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("INSERT")
    cart = client.session["carts"]["US"]
    from orders.models import Cart

    assert Cart.objects.get(public_id=cart).session_key == client.session.session_key
