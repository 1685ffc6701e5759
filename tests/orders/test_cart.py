from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import ProductStatus, VariantPrice, VariantStatus
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, ReservationPolicy, StockLevel
from orders import services
from orders.exceptions import (
    CartLineNotFound,
    CartNotOpen,
    InvalidCartQuantity,
    VariantUnavailable,
)
from orders.models import CartLine, CartStatus
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import market, stock
from tests.factories.orders import channel, checkout_ready_cart, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(us):
    return services.create_cart(market=us, channel=channel(), session_key="sess-1")


@pytest.fixture
def drop(stocked):
    """TEE-RED-M reserved at add-to-cart for 5 minutes (a drop)."""
    ReservationPolicy.objects.create(variant=stocked, mode="at_add_to_cart", ttl_seconds=300)
    return stocked


def test_create_cart_takes_the_market_currency(us, customer):
    cart = services.create_cart(market=market("EU"), channel=channel(), customer=customer)

    assert (cart.currency, cart.customer, cart.email, cart.status) == (
        "EUR",
        customer,
        "customer@example.com",
        CartStatus.OPEN,
    )
    assert cart.public_id.startswith("cart_")


def test_add_line_captures_the_price_and_adds_up(cart, stocked):
    first = services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=2)
    again = services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=3)

    assert again.pk == first.pk
    assert (again.quantity, again.unit_price_cents, again.currency) == (5, 2500, "USD")
    assert again.public_id.startswith("cli_")


@pytest.mark.parametrize("quantity", [0, -1, 10**9, "2", 2.0, True, None])
def test_bad_quantities_are_refused_and_nothing_is_added(cart, stocked, quantity):
    with pytest.raises(InvalidCartQuantity):
        services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=quantity)

    assert CartLine.objects.count() == 0


def test_a_line_cannot_pass_999(cart, stocked):
    stock(stocked, StockLevel.objects.get(variant=stocked).location, 2000)
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=998)

    with pytest.raises(InvalidCartQuantity):
        services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=2)

    assert CartLine.objects.get().quantity == 998


def test_unknown_inactive_archived_or_unpriced_variants_are_refused(cart, stocked):
    inactive = VariantFactory(status=VariantStatus.INACTIVE)
    archived = VariantFactory()
    archived.product.status = ProductStatus.ARCHIVED
    archived.product.save()
    unpriced = VariantFactory(prices={"EUR": 100})

    for sku in ["NOPE", inactive.sku, archived.sku, unpriced.sku]:
        with pytest.raises(VariantUnavailable) as exc:
            services.add_cart_line(cart=cart, sku=sku, quantity=1)
        assert exc.value.skus == [sku]
    assert CartLine.objects.count() == 0


def test_more_than_available_is_refused_with_the_available_count(cart, stocked):
    with pytest.raises(InsufficientStock) as exc:
        services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=11)

    assert exc.value.lines == [{"sku": "TEE-RED-M", "requested": 11, "available": 10}]
    assert CartLine.objects.count() == 0


def test_at_add_to_cart_takes_a_soft_hold_with_the_policy_ttl(cart, drop):
    before = timezone.now()

    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=3)

    hold = Reservation.objects.get(owner=cart.public_id)
    assert (hold.quantity, hold.kind, hold.status) == (3, "soft", "active")
    assert (
        before + timedelta(seconds=299)
        < hold.expires_at
        <= timezone.now() + timedelta(seconds=300)
    )
    assert StockLevel.objects.get(variant=drop).reserved == 3


def test_changing_and_removing_a_held_line_moves_the_hold(cart, drop):
    line = services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=3)

    services.change_cart_line_quantity(cart=cart, line_id=line.public_id, quantity=5)
    assert StockLevel.objects.get(variant=drop).reserved == 5
    assert list(
        Reservation.objects.filter(owner=cart.public_id, status="active").values_list("quantity")
    ) == [(5,)]

    services.remove_cart_line(cart=cart, line_id=line.public_id)
    assert StockLevel.objects.get(variant=drop).reserved == 0
    assert CartLine.objects.count() == 0


def test_a_held_line_cannot_grow_past_stock_and_keeps_its_hold(cart, drop):
    line = services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=3)

    with pytest.raises(InsufficientStock):
        services.change_cart_line_quantity(cart=cart, line_id=line.public_id, quantity=11)

    assert StockLevel.objects.get(variant=drop).reserved == 3
    assert CartLine.objects.get().quantity == 3


def test_unknown_line_ids_are_not_found(cart, stocked):
    other = services.create_cart(market=cart.market, channel=cart.channel)
    foreign = services.add_cart_line(cart=other, sku="TEE-RED-M", quantity=1)

    with pytest.raises(CartLineNotFound):
        services.change_cart_line_quantity(cart=cart, line_id=foreign.public_id, quantity=2)
    with pytest.raises(CartLineNotFound):
        services.remove_cart_line(cart=cart, line_id=str(foreign.pk))
    assert CartLine.objects.get().quantity == 1


def test_a_converted_cart_refuses_changes(stocked):
    cart = checkout_ready_cart(lines=[(stocked, 1)])
    order = place(cart)

    with pytest.raises(CartNotOpen) as exc:
        services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)

    assert exc.value.order_id == order.public_id


def test_merge_moves_lines_and_holds_into_the_customers_cart(us, drop, customer):
    cap = VariantFactory(sku="CAP")
    stock(cap, StockLevel.objects.get(variant=drop).location, 5)
    mine = services.create_cart(market=us, channel=channel(), customer=customer)
    services.add_cart_line(cart=mine, sku="TEE-RED-M", quantity=1)
    guest = services.create_cart(market=us, channel=channel(), session_key="s")
    services.add_cart_line(cart=guest, sku="TEE-RED-M", quantity=2)
    services.add_cart_line(cart=guest, sku="CAP", quantity=1)

    merged = services.merge_guest_cart(guest_cart=guest, customer=customer)

    assert merged.pk == mine.pk
    assert sorted(merged.lines.values_list("variant__sku", "quantity")) == [
        ("CAP", 1),
        ("TEE-RED-M", 3),
    ]
    guest.refresh_from_db()
    assert guest.status == CartStatus.ABANDONED
    assert sorted(
        Reservation.objects.filter(status="active").values_list("owner", "quantity")
    ) == [(mine.public_id, 1), (mine.public_id, 2)]
    assert StockLevel.objects.get(variant=drop).reserved == 3


def test_merge_without_a_customer_cart_adopts_the_guest_cart(cart, stocked, customer):
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)

    merged = services.merge_guest_cart(guest_cart=cart, customer=customer)

    assert (merged.pk, merged.customer, merged.session_key) == (cart.pk, customer, "")


def test_reprice_takes_todays_prices_and_says_what_changed(cart, stocked):
    services.add_cart_line(cart=cart, sku="TEE-RED-M", quantity=1)
    VariantPrice.objects.filter(variant=stocked, currency="USD").update(amount_cents=2700)

    changes = services.reprice_cart(cart=cart)

    assert [c.message for c in changes] == ["TEE-RED-M: price changed from $25.00 to $27.00"]
    assert CartLine.objects.get().unit_price_cents == 2700
    assert services.reprice_cart(cart=cart) == []


# --- a cart opened with its first line ---


def test_open_cart_with_line_opens_the_cart_with_its_line_at_todays_price(us, stocked):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ran:
        line = services.open_cart_with_line(
            market=us, channel=channel(), session_key="sess-9", sku="TEE-RED-M", quantity=2
        )

    cart = line.cart
    assert (cart.currency, cart.session_key, cart.status) == ("USD", "sess-9", CartStatus.OPEN)
    assert list(cart.lines.values_list("variant__sku", "quantity", "unit_price_cents")) == [
        ("TEE-RED-M", 2, 2500)
    ]
    statements = [q["sql"] for q in ran.captured_queries]
    # Its own new row: not locked and read again, no line of the SKU looked for.
    assert not [sql for sql in statements if 'FROM "orders_cart"' in sql]
    assert not [sql for sql in statements if 'FROM "orders_cartline"' in sql]
    assert not [sql for sql in statements if sql.startswith('UPDATE "orders_cart"')]


@pytest.mark.parametrize(
    ("sku", "quantity", "error"),
    [
        ("NO-SUCH-SKU", 1, VariantUnavailable),
        ("TEE-RED-M", 0, InvalidCartQuantity),
        ("TEE-RED-M", 11, InsufficientStock),
    ],
)
def test_a_refused_first_line_leaves_no_cart(us, stocked, sku, quantity, error):
    from orders.models import Cart

    with pytest.raises(error):
        services.open_cart_with_line(market=us, channel=channel(), sku=sku, quantity=quantity)

    assert Cart.objects.count() == 0
    assert CartLine.objects.count() == 0


def test_open_cart_with_line_takes_the_soft_hold_of_at_add_to_cart(us, drop, customer):
    line = services.open_cart_with_line(
        market=us, channel=channel(), customer=customer, sku="TEE-RED-M", quantity=3
    )

    hold = Reservation.objects.get(owner=line.cart.public_id)
    assert (hold.quantity, hold.kind, line.cart.customer) == (3, "soft", customer)
    assert StockLevel.objects.get(variant=drop).reserved == 3
