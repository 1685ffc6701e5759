"""Reads of carts and orders, shaped for the API (and any page that needs the same).

Visibility rules live here, once:
- a cart id is a capability (API.md): whoever holds a guest cart's id may use it; a cart
  that belongs to a customer is that customer's only (as place_order insists), so for
  anyone else it does not exist;
- an order is visible to its customer and to staff with `orders.view_order`; for anyone
  else it does not exist (404, never 403). Guest orders have no customer: their buyer
  sees them through the signed link (orders.links), not through the API.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet, Sum

from orders.exceptions import CartNotFound, OrderNotFound, ShipmentNotFound
from orders.links import check_order_link_token
from orders.models import Cart, CartStatus, Order, OrderEvent, Shipment, ShipmentLine

VIEW_ALL_ORDERS = "orders.view_order"


def can_view_all_orders(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_ALL_ORDERS))


def get_cart(*, public_id: str, user) -> Cart:
    """The cart `public_id` with market, channel, method and order joined, if `user` may use it.

    Raises CartNotFound for an unknown id and for a customer's cart asked for by anyone else.
    """
    cart = (
        Cart.objects.select_related("market", "channel", "shipping_method", "order")
        .filter(public_id=str(public_id))
        .first()
    )
    if cart is None or not cart_is_usable_by(cart, user):
        raise CartNotFound("No such cart.")
    return cart


def cart_is_usable_by(cart: Cart, user) -> bool:
    if cart.customer_id is None:
        return True
    return bool(user and user.is_authenticated and user.pk == cart.customer_id)


SHIPMENTS = Prefetch(
    "shipments",
    queryset=Shipment.objects.select_related("location", "order").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
    ),
)


def _with_lines_and_events(queryset: QuerySet[Order]) -> QuerySet[Order]:
    return queryset.select_related("market").prefetch_related(
        "lines",
        Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "pk")),
        SHIPMENTS,
    )


def get_shipment(*, public_id: str, user) -> Shipment:
    """The shipment `public_id` (lines, location and order joined) for staff who may see
    every order; for anyone else it does not exist (ShipmentNotFound, a 404)."""
    if not can_view_all_orders(user):
        raise ShipmentNotFound()
    shipment = (
        Shipment.objects.select_related("location", "order__market")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
        )
        .filter(public_id=str(public_id))
        .first()
    )
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


def list_orders(*, user, status: str | None = None) -> QuerySet[Order]:
    """Orders `user` may see, newest first, lines and events prefetched: staff with
    `orders.view_order` see every order, a customer their own, anyone else none."""
    queryset = Order.objects.all()
    if not can_view_all_orders(user):
        if not (user and user.is_authenticated):
            return Order.objects.none()
        queryset = queryset.filter(customer_id=user.pk)
    if status:
        queryset = queryset.filter(status=status)
    return _with_lines_and_events(queryset.order_by("-created_at", "-pk"))


def get_order(*, public_id: str, user) -> Order:
    """The order `public_id` with lines and events, if `user` may see it (its customer, or
    staff with `orders.view_order`). Raises OrderNotFound otherwise."""
    order = list_orders(user=user).filter(public_id=str(public_id)).first()
    if order is None:
        raise OrderNotFound()
    return order


def refresh_order(order: Order) -> Order:
    """The order as it is now, with lines and events (after a service changed it)."""
    return _with_lines_and_events(Order.objects.filter(pk=order.pk)).get()


# --- The storefront's customer pages: a customer sees their own orders only ---------------
# (staff with `orders.view_order` use the admin or the API; on the shop's pages another
# customer's order does not exist, whoever asks).


def find_open_cart(*, customer, market) -> Cart | None:
    """The customer's most recently changed open cart in `market`, or None (one query)."""
    if not (customer and customer.is_authenticated):
        return None
    return (
        Cart.objects.select_related("market", "channel", "shipping_method", "order")
        .filter(customer_id=customer.pk, market_id=market.pk, status=CartStatus.OPEN)
        .order_by("-updated_at", "-pk")
        .first()
    )


def list_customer_orders(*, customer) -> QuerySet[Order]:
    """`customer`'s own orders, newest first, each annotated with `item_count`."""
    if not (customer and customer.is_authenticated):
        return Order.objects.none()
    return (
        Order.objects.filter(customer_id=customer.pk)
        .annotate(item_count=Sum("lines__quantity"))
        .order_by("-created_at", "-pk")
    )


def get_customer_order(*, customer, public_id: str) -> Order:
    """`customer`'s order `public_id` with lines and events. Raises OrderNotFound for anyone
    else's order (staff included: the shop's pages show a customer their own orders)."""
    if not (customer and customer.is_authenticated):
        raise OrderNotFound()
    order = _with_lines_and_events(
        Order.objects.filter(public_id=str(public_id), customer_id=customer.pk)
    ).first()
    if order is None:
        raise OrderNotFound()
    return order


def get_linked_order(*, public_id: str, token: str) -> Order:
    """The order a signed link (orders.links) opens, with lines and events: how guests see
    their order. Raises OrderNotFound for a bad or missing token."""
    if not (token and check_order_link_token(str(public_id), str(token))):
        raise OrderNotFound()
    order = _with_lines_and_events(Order.objects.filter(public_id=str(public_id))).first()
    if order is None:
        raise OrderNotFound()
    return order
