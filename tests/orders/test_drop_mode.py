"""Drop mode in the buying path: add-to-cart through the gate, purchase limits at add-to-cart
and at placement, tokens given back when units come back, and the API's answers."""

import pytest
from django.utils import timezone

from inventory import drop_gate
from inventory.exceptions import DropNotStarted, SoldOut
from inventory.models import Reservation, StockLevel
from inventory.services import drops as drop_services
from orders import services
from orders.exceptions import PurchaseLimitExceeded
from orders.models import CartLine, Order
from tests.drop_support import clean_gate, start_drop  # noqa: F401 - fixture
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock
from tests.factories.orders import ADDRESSES, channel, place
from tests.factories.shop import UserFactory
from tests.orders.api_support import add_line, checkout, client_for, new_cart

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_gate")]


@pytest.fixture
def sneaker():
    variant = VariantFactory(sku="SNKR-1")
    stock(variant, LocationFactory(code="us-east"), 5)
    return variant


def _tokens():
    return drop_gate.token_count(drop_gate.drop_rule_for("SNKR-1"))


def _cart(email="", customer=None):
    cart = services.create_cart(market=market("US"), channel=channel(), customer=customer)
    if email:
        cart = services.update_checkout(
            cart=cart, email=email, shipping_address=ADDRESSES["US"], shipping_method="standard"
        )
    return cart


def _ready(cart, email="buyer@example.com"):
    return services.update_checkout(
        cart=cart, email=email, shipping_address=ADDRESSES["US"], shipping_method="standard"
    )


def test_add_to_cart_in_drop_mode_takes_tokens_and_holds_the_units(sneaker):
    start_drop(variant=sneaker)
    cart = _cart()

    line = services.add_cart_line(cart=cart, sku="SNKR-1", quantity=2)

    assert line.quantity == 2
    assert _tokens() == 3
    (hold,) = Reservation.objects.filter(owner=cart.public_id)
    assert (hold.quantity, hold.status, hold.kind) == (2, "active", "soft")
    assert StockLevel.objects.get(variant=sneaker).reserved == 2


def test_sold_out_is_answered_by_the_gate_and_nothing_is_written(sneaker, monkeypatch):
    start_drop(variant=sneaker)
    services.add_cart_line(cart=_cart(), sku="SNKR-1", quantity=5)
    cart = _cart()
    calls = []
    monkeypatch.setattr(
        "inventory.services.reserve_stock", lambda **kw: calls.append(kw)
    )  # must not be reached

    with pytest.raises(SoldOut) as refused:
        services.add_cart_line(cart=cart, sku="SNKR-1", quantity=1)

    assert (refused.value.code, refused.value.status_code) == ("sold_out", 409)
    assert calls == []
    assert not CartLine.objects.filter(cart=cart).exists()
    assert StockLevel.objects.get(variant=sneaker).reserved == 5


def test_a_drop_that_has_not_started_refuses_add_to_cart(sneaker):
    drop_services.schedule_drop(
        variant=sneaker, starts_at=timezone.now() + timezone.timedelta(hours=2)
    )
    drop_gate.forget_rules()

    with pytest.raises(DropNotStarted):
        services.add_cart_line(cart=_cart(), sku="SNKR-1", quantity=1)

    assert StockLevel.objects.get(variant=sneaker).reserved == 0


def test_per_order_limit_refuses_at_add_to_cart_and_gives_tokens_back(sneaker):
    start_drop(variant=sneaker, per_order=2)
    cart = _cart()
    services.add_cart_line(cart=cart, sku="SNKR-1", quantity=2)

    with pytest.raises(PurchaseLimitExceeded) as at_once:
        services.add_cart_line(cart=_cart(), sku="SNKR-1", quantity=3)
    with pytest.raises(PurchaseLimitExceeded) as on_top:
        services.add_cart_line(cart=cart, sku="SNKR-1", quantity=1)

    assert (at_once.value.scope, at_once.value.limit, at_once.value.status_code) == (
        "order",
        2,
        422,
    )
    assert on_top.value.code == "purchase_limit_exceeded"
    assert _tokens() == 3  # only the first two units were taken
    assert CartLine.objects.get(cart=cart).quantity == 2
    assert StockLevel.objects.get(variant=sneaker).reserved == 2


def test_per_customer_limit_counts_a_guest_by_email_across_orders(sneaker):
    start_drop(variant=sneaker, per_customer=2)
    first = _cart()
    services.add_cart_line(cart=first, sku="SNKR-1", quantity=2)
    place(_ready(first, "Fan@Example.com"))

    with pytest.raises(PurchaseLimitExceeded) as at_add:
        services.add_cart_line(cart=_cart(email="fan@example.com"), sku="SNKR-1", quantity=1)
    second = _cart()  # not identified yet: the e-mail comes at checkout
    services.add_cart_line(cart=second, sku="SNKR-1", quantity=1)
    second = _ready(second, "fan@EXAMPLE.com")
    with pytest.raises(PurchaseLimitExceeded) as at_placement:
        place(second)

    assert (at_add.value.scope, at_add.value.allowed) == ("customer", 0)
    assert at_placement.value.scope == "customer"
    assert Order.objects.count() == 1
    assert Reservation.objects.filter(owner=second.public_id, status="active").count() == 1


def test_per_customer_limit_counts_an_account(sneaker):
    start_drop(variant=sneaker, per_customer=1)
    buyer = UserFactory(email="acct@example.com")
    first = _cart(customer=buyer)
    services.add_cart_line(cart=first, sku="SNKR-1", quantity=1)
    place(_ready(first, "acct@example.com"), customer=buyer)

    with pytest.raises(PurchaseLimitExceeded):
        services.add_cart_line(cart=_cart(customer=buyer), sku="SNKR-1", quantity=1)

    assert Order.objects.filter(customer=buyer).count() == 1


def test_placement_moves_the_hold_to_the_order_without_refilling_tokens(
    sneaker, django_capture_on_commit_callbacks
):
    start_drop(variant=sneaker)
    cart = _cart()
    services.add_cart_line(cart=cart, sku="SNKR-1", quantity=2)

    with django_capture_on_commit_callbacks(execute=True):
        order = place(_ready(cart))

    assert order.status == "placed"
    assert _tokens() == 3
    assert StockLevel.objects.get(variant=sneaker).reserved == 2


def test_units_given_back_refill_the_tokens(sneaker, django_capture_on_commit_callbacks):
    start_drop(variant=sneaker)
    cart = _cart()
    line = services.add_cart_line(cart=cart, sku="SNKR-1", quantity=3)

    with django_capture_on_commit_callbacks(execute=True):
        services.change_cart_line_quantity(cart=cart, line_id=line.public_id, quantity=1)
    after_decrease = _tokens()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_cart_line(cart=cart, line_id=line.public_id)

    assert after_decrease == 4
    assert _tokens() == 5
    assert StockLevel.objects.get(variant=sneaker).reserved == 0


def test_a_declined_payment_gives_the_tokens_back(sneaker, django_capture_on_commit_callbacks):
    start_drop(variant=sneaker)
    cart = _cart()
    services.add_cart_line(cart=cart, sku="SNKR-1", quantity=2)

    with django_capture_on_commit_callbacks(execute=True):
        order = place(_ready(cart), token="tok_declined")

    assert order.status == "payment_failed"
    assert _tokens() == 5
    assert StockLevel.objects.get(variant=sneaker).reserved == 0


def test_expired_holds_refill_the_tokens(sneaker, django_capture_on_commit_callbacks):
    from inventory import services as inventory_services

    start_drop(variant=sneaker)
    cart = _cart()
    services.add_cart_line(cart=cart, sku="SNKR-1", quantity=2)
    Reservation.objects.filter(owner=cart.public_id).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert inventory_services.expire_reservations() == 1

    assert _tokens() == 5


@pytest.mark.parametrize("lines", [1, 2], ids=["one-line statement", "several lines"])
def test_a_lapsed_hold_taken_back_by_the_next_reservation_refills_the_tokens(
    sneaker, lines, django_capture_on_commit_callbacks
):
    """The fast reserve path gives lapsed holds of its rows back in its own statement (before
    the sweeper sees them): their tokens come back as the sweeper's would."""
    from inventory import services as inventory_services

    other = VariantFactory(sku="PLAIN-1")
    stock(other, sneaker.stock_levels.get().location, 5)
    start_drop(variant=sneaker)
    first = _cart()
    services.add_cart_line(cart=first, sku="SNKR-1", quantity=2)
    Reservation.objects.filter(owner=first.public_id).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert _tokens() == 3

    wanted = [("SNKR-1", 1), ("PLAIN-1", 1)][:lines]
    with django_capture_on_commit_callbacks(execute=True):
        inventory_services.reserve_stock(
            lines=dict(wanted), market=market("US"), owner="ord_next", ttl=600
        )

    assert Reservation.objects.get(owner=first.public_id).status == "expired"
    assert StockLevel.objects.get(variant=sneaker).reserved == 1
    assert _tokens() == 5  # the 2 lapsed units back (the 1 just reserved took no token here)


def test_redis_down_still_sells_through_the_database_and_never_oversells(sneaker, settings):
    start_drop(variant=sneaker)
    settings.DROP_GATE_REDIS_URL = "redis://127.0.0.1:6390/12"  # nothing listens there
    drop_gate.reset_client()
    carts = [_cart() for _ in range(3)]

    services.add_cart_line(cart=carts[0], sku="SNKR-1", quantity=3)
    services.add_cart_line(cart=carts[1], sku="SNKR-1", quantity=2)
    with pytest.raises(SoldOut):
        services.add_cart_line(cart=carts[2], sku="SNKR-1", quantity=1)

    assert StockLevel.objects.get(variant=sneaker).reserved == 5


# --- The API: the same refusals, in API.md's shape ---


def test_api_answers_sold_out_409(sneaker, us):
    start_drop(variant=sneaker)
    client = client_for()
    assert add_line(client, new_cart(client)["id"], "SNKR-1", 5).status_code == 201

    response = add_line(client, new_cart(client)["id"], "SNKR-1", 1)

    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert response.json()["sku"] == "SNKR-1"


def test_api_answers_busy_429_with_retry_after_and_a_position(sneaker, us, settings):
    settings.DROP_MAX_IN_FLIGHT = 1
    start_drop(variant=sneaker)
    client = client_for()
    drop_gate.admit(drop_gate.drop_rule_for("SNKR-1"), quantity=1, member="cart_someone")

    response = add_line(client, new_cart(client)["id"], "SNKR-1", 1)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    body = response.json()
    assert (body["code"], body["position"]) == ("drop_busy", 1)


def test_api_answers_purchase_limit_422_and_not_started_409(sneaker, us):
    drop = start_drop(variant=sneaker, per_order=1)
    client = client_for()
    cart_id = new_cart(client)["id"]

    over = add_line(client, cart_id, "SNKR-1", 2)
    drop_services.schedule_drop(
        drop=drop, starts_at=timezone.now() + timezone.timedelta(hours=1), per_order_limit=1
    )
    drop_gate.forget_rules()
    early = add_line(client, cart_id, "SNKR-1", 1)

    assert over.status_code == 422
    assert over.json()["code"] == "purchase_limit_exceeded"
    assert (over.json()["limit"], over.json()["scope"]) == (1, "order")
    assert early.status_code == 409 and early.json()["code"] == "drop_not_started"
    assert checkout(client, cart_id).status_code == 200  # the cart is still usable
