import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.exceptions import (
    CheckoutIncomplete,
    InvalidAddress,
    InvalidEmail,
    InvalidShippingMethod,
)
from orders.models import Cart, CheckoutStepEvent
from tests.factories.orders import ADDRESSES, channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(us, stocked):
    cart = services.create_cart(market=us, channel=channel())
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)
    return cart


def snapshot(cart):
    cart = Cart.objects.get(pk=cart.pk)
    return (cart.email, cart.shipping_address, cart.shipping_method_id)


def test_contact_email_is_normalised(cart):
    cart = services.set_checkout_contact(cart=cart, email="  Ada@Example.COM ")

    assert cart.email == "ada@example.com"


@pytest.mark.parametrize("email", ["", "nope", "a@b", None, 42, "x" * 250 + "@example.com"])
def test_bad_emails_are_refused(cart, email):
    with pytest.raises(InvalidEmail):
        services.set_checkout_contact(cart=cart, email=email)

    assert snapshot(cart) == ("", {}, None)


def test_address_then_method(cart):
    services.set_shipping_address(cart=cart, address={**ADDRESSES["US"], "region": "ny"})
    cart = services.set_shipping_method(cart=cart, code="express")

    assert cart.shipping_address["region"] == "NY"
    assert cart.shipping_method.code == "express"


def test_method_needs_an_address_first(cart):
    with pytest.raises(CheckoutIncomplete):
        services.set_shipping_method(cart=cart, code="standard")


def test_unknown_method_for_the_country_is_refused(cart):
    services.set_shipping_address(cart=cart, address=ADDRESSES["US"])

    with pytest.raises(InvalidShippingMethod) as exc:
        services.set_shipping_method(cart=cart, code="drone")

    assert exc.value.fields == {"shipping_method": ["Choose one of: standard, express."]}
    assert Cart.objects.get(pk=cart.pk).shipping_method is None


def test_an_address_outside_the_market_is_refused(cart):
    with pytest.raises(InvalidAddress) as exc:
        services.set_shipping_address(cart=cart, address=ADDRESSES["EU"])

    assert exc.value.fields == {"country": ["We do not ship to DE from this store."]}
    assert snapshot(cart) == ("", {}, None)


def test_update_checkout_is_all_or_nothing_and_reports_every_field(cart):
    with pytest.raises(CheckoutIncomplete) as exc:
        services.update_checkout(
            cart=cart,
            email="nope",
            shipping_address={**ADDRESSES["US"], "postal_code": "ABC"},
            shipping_method="standard",
        )

    assert set(exc.value.fields) == {"email", "shipping_address.postal_code"}
    assert snapshot(cart) == ("", {}, None)


def test_update_checkout_sets_everything(cart):
    cart = services.update_checkout(
        cart=cart,
        email="ada@example.com",
        shipping_address=ADDRESSES["US"],
        shipping_method="standard",
    )

    assert snapshot(cart)[0] == "ada@example.com"
    assert cart.shipping_method.code == "standard"


def test_changing_the_address_drops_a_method_that_no_longer_ships_there(cart):
    services.update_checkout(
        cart=cart,
        email="a@example.com",
        shipping_address=ADDRESSES["US"],
        shipping_method="express",
    )
    from orders.models import ShippingRate

    ShippingRate.objects.filter(method__code="express", zone__regions=["US-AK", "US-HI"]).delete()

    cart = services.set_shipping_address(
        cart=cart, address={**ADDRESSES["US"], "region": "AK", "postal_code": "99501"}
    )

    assert cart.shipping_method is None


def test_checkout_steps_log_entering_and_leaving(cart):
    for step in ["identify", "address", "address", "shipping", "address"]:
        services.record_checkout_step(cart=cart, step=step)

    assert list(CheckoutStepEvent.objects.values_list("kind", "step")) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
        ("leave", "address"),
        ("enter", "shipping"),
        ("leave", "shipping"),
        ("enter", "address"),
    ]


def test_reloading_the_current_step_runs_no_statement(cart):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.record_checkout_step(cart=cart, step="address")
    cart.refresh_from_db()
    with CaptureQueriesContext(connection) as ran:
        services.record_checkout_step(cart=cart, step="address")
    assert ran.captured_queries == []  # not even an empty BEGIN/COMMIT (a page reload)


def test_unknown_step_is_refused(cart):
    with pytest.raises(CheckoutIncomplete):
        services.record_checkout_step(cart=cart, step="teleport")

    assert CheckoutStepEvent.objects.count() == 0


@pytest.mark.parametrize("code", ["stan\x00dard", "\x00", "x" * 41, ["standard"], {"a": 1}])
def test_a_method_code_no_method_could_have_is_a_refusal_not_a_database_error(cart, code):
    services.set_shipping_address(cart=cart, address=ADDRESSES["US"])

    with pytest.raises(InvalidShippingMethod) as exc:
        services.set_shipping_method(cart=cart, code=code)

    assert "standard" in exc.value.fields["shipping_method"][0]
    assert Cart.objects.get(pk=cart.pk).shipping_method_id is None


# --- the step log in one statement (PostgreSQL) ---


def logged(cart):
    return list(
        CheckoutStepEvent.objects.filter(cart=cart).order_by("pk").values_list("kind", "step")
    )


def test_moving_to_another_step_is_one_statement(cart):
    services.record_checkout_step(cart=cart, step="identify")
    with CaptureQueriesContext(connection) as ran:
        services.record_checkout_step(cart=cart, step="address")

    assert len(ran.captured_queries) == 1  # was BEGIN, SELECT … FOR UPDATE, INSERT, UPDATE, COMMIT
    assert cart.checkout_step == "address"
    assert Cart.objects.get(pk=cart.pk).checkout_step == "address"
    assert logged(cart) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
    ]


def test_a_stale_cart_already_on_the_step_logs_nothing(cart):
    stale = Cart.objects.get(pk=cart.pk)  # read before the other tab moved
    services.record_checkout_step(cart=cart, step="shipping")

    services.record_checkout_step(cart=stale, step="shipping")

    assert logged(cart) == [("enter", "shipping")]


def test_the_update_time_moves_with_the_step(cart):
    before = Cart.objects.get(pk=cart.pk).updated_at
    services.record_checkout_step(cart=cart, step="identify")

    assert Cart.objects.get(pk=cart.pk).updated_at > before


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_second_tab_waits_and_leaves_the_step_the_first_entered(cart):
    """Tab A holds the cart's lock while it moves to `address`; tab B, which read the cart when
    it was on `identify`, moves to `shipping` meanwhile. B waits, then leaves `address` (not
    `identify`, which A already left): the log reads as one path."""
    services.record_checkout_step(cart=cart, step="identify")
    stale = Cart.objects.get(pk=cart.pk)
    locked, b_started = threading.Event(), threading.Event()
    errors = []

    def tab_a():
        try:
            with transaction.atomic():
                Cart.objects.select_for_update().get(pk=cart.pk)
                locked.set()
                b_started.wait(10)
                # Give B time to block on the lock before A moves and commits.
                threading.Event().wait(0.3)
                services.record_checkout_step(cart=Cart.objects.get(pk=cart.pk), step="address")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    def tab_b():
        try:
            locked.wait(10)
            b_started.set()
            services.record_checkout_step(cart=stale, step="shipping")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tab_a), threading.Thread(target=tab_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert logged(cart) == [
        ("enter", "identify"),
        ("leave", "identify"),
        ("enter", "address"),
        ("leave", "address"),
        ("enter", "shipping"),
    ]
    assert Cart.objects.get(pk=cart.pk).checkout_step == "shipping"


# --- a step's change and its log in one statement, while the cart is as read (PostgreSQL) ---


def read(cart):
    """The cart as a request reads it (orders.selectors.get_cart)."""
    from orders.selectors import get_cart

    return get_cart(public_id=cart.public_id, user=None)


def test_a_step_saves_its_change_and_logs_the_move_in_one_statement(cart):
    services.record_checkout_step(cart=cart, step="identify")
    as_read = read(cart)

    with CaptureQueriesContext(connection) as ran:
        saved = services.set_checkout_contact(
            cart=as_read, email="ada@example.com", enter_step="address"
        )

    assert len(ran.captured_queries) == 1  # was BEGIN, SELECT … FOR UPDATE, INSERT, UPDATE, COMMIT
    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.email, stored.checkout_step) == ("ada@example.com", "address")
    assert stored.updated_at == saved.updated_at > as_read.updated_at
    assert logged(cart) == [("enter", "identify"), ("leave", "identify"), ("enter", "address")]


def test_every_step_service_writes_what_the_locked_way_wrote(cart):
    cart = services.set_checkout_contact(
        cart=read(cart), email="a@example.com", enter_step="address"
    )
    cart = services.set_shipping_address(
        cart=read(cart), address={**ADDRESSES["US"], "region": "ny"}, enter_step="shipping"
    )
    cart = services.set_shipping_method(cart=read(cart), code="express", enter_step="payment")

    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.email, stored.shipping_address["region"], stored.shipping_method.code) == (
        "a@example.com",
        "NY",
        "express",
    )
    assert stored.checkout_step == "payment"
    assert logged(cart) == [
        ("enter", "address"),
        ("leave", "address"),
        ("enter", "shipping"),
        ("leave", "shipping"),
        ("enter", "payment"),
    ]


def test_update_checkout_saves_in_one_statement_and_enters_review(cart):
    as_read = read(cart)
    with CaptureQueriesContext(connection) as ran:
        services.update_checkout(
            cart=as_read,
            email="b@example.com",
            shipping_address=ADDRESSES["US"],
            shipping_method="standard",
        )

    writes = [q for q in ran.captured_queries if "UPDATE" in q["sql"] or "BEGIN" in q["sql"]]
    assert len(writes) == 1
    stored = Cart.objects.get(pk=cart.pk)
    assert (stored.email, stored.shipping_method.code, stored.checkout_step) == (
        "b@example.com",
        "standard",
        "review",
    )
    assert logged(cart) == [("enter", "review")]


def test_a_cart_changed_since_it_was_read_is_changed_again_under_its_lock(cart):
    """Another tab moved the cart on after this request read it: the one statement writes
    nothing, and the step is made on the row read under lock, keeping the other tab's
    change and leaving the step it entered."""
    stale = read(cart)
    other_tab = services.set_shipping_address(
        cart=read(cart), address=ADDRESSES["US"], enter_step="shipping"
    )

    saved = services.set_checkout_contact(cart=stale, email="c@example.com", enter_step="address")

    stored = Cart.objects.get(pk=cart.pk)
    assert stored.email == "c@example.com"
    assert stored.shipping_address == other_tab.shipping_address
    assert saved.shipping_address == other_tab.shipping_address
    assert logged(cart) == [("enter", "shipping"), ("leave", "shipping"), ("enter", "address")]


def test_a_refused_change_leaves_the_read_cart_and_the_row_as_they_were(cart):
    as_read = read(cart)
    with pytest.raises(InvalidAddress):
        services.set_shipping_address(
            cart=as_read, address={**ADDRESSES["US"], "postal_code": "x"}
        )

    assert as_read.shipping_address == {}
    assert snapshot(cart) == ("", {}, None)
    assert logged(cart) == []


def test_a_cart_ordered_since_it_was_read_is_refused(cart):
    from orders.exceptions import CartNotOpen

    as_read = read(cart)
    Cart.objects.filter(pk=cart.pk).update(status="converted")

    with pytest.raises(CartNotOpen):
        services.set_checkout_contact(cart=as_read, email="d@example.com", enter_step="address")

    assert snapshot(cart) == ("", {}, None)
    assert logged(cart) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_tabs_saving_steps_at_once_from_one_read_lose_no_change(cart):
    """Eight requests that read the cart at the same moment each save their own step: the
    first write wins the one statement, the others find the row moved on and save under
    its lock. Every change lands, and the step log reads as one path."""
    services.set_shipping_address(cart=cart, address=ADDRESSES["US"])
    stale = [read(cart) for _ in range(8)]
    start, errors = threading.Barrier(8), []

    def save(i):
        try:
            start.wait(10)
            if i == 0:
                services.set_shipping_method(cart=stale[i], code="express", enter_step="payment")
            else:
                services.set_checkout_contact(
                    cart=stale[i], email=f"tab{i}@example.com", enter_step="address"
                )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    stored = Cart.objects.get(pk=cart.pk)
    assert stored.shipping_method.code == "express"
    assert stored.email.startswith("tab")
    path = logged(cart)
    assert path[0][0] == "enter"
    for (kind, step), (next_kind, next_step) in zip(path, path[1:], strict=False):
        if kind == "enter":  # each step entered is the one left next
            assert (next_kind, next_step) == ("leave", step)
    assert path[-1] == ("enter", stored.checkout_step)
