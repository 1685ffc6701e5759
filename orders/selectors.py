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

from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Sum, prefetch_related_objects

from orders.exceptions import CartNotFound, OrderNotFound, ShipmentNotFound
from orders.links import check_order_link_token
from orders.models import (
    OPEN_SHIPMENT_STATUSES,
    SHIPPABLE,
    Cart,
    CartStatus,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
)
from orders.promotions import cart_facts
from shop.compiled import CompiledQuery

VIEW_ALL_ORDERS = "orders.view_order"


def can_view_all_orders(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_ALL_ORDERS))


# Every cart request reads its cart this way: compiled once per connection (shop.compiled).
# With it, what its promotions read about it and its buyer (orders.promotions.cart_facts).
CART_BY_PUBLIC_ID = CompiledQuery(
    lambda public_id: (
        Cart.objects.select_related("market", "channel", "shipping_method", "order")
        .annotate(**cart_facts())
        .filter(public_id=public_id)[:1]
    ),
    public_id=str,
)


def get_cart(*, public_id: str, user) -> Cart:
    """The cart `public_id` with market, channel, method and order joined, if `user` may use it.

    Raises CartNotFound for an unknown id and for a customer's cart asked for by anyone else.
    """
    cart = next(CART_BY_PUBLIC_ID.objects(public_id=str(public_id)), None)
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


# An order's page and every answer about one order (placement, payment, cancellation) read
# these: compiled once per connection (shop.compiled), where a prefetch builds and compiles
# three querysets each time.
_ORDER_BY_PUBLIC_ID = CompiledQuery(
    lambda public_id: Order.objects.select_related("market").filter(public_id=public_id)[:1],
    public_id=str,
)
_CUSTOMER_ORDER = CompiledQuery(
    lambda public_id, customer_id: Order.objects.select_related("market").filter(
        public_id=public_id, customer_id=customer_id
    )[:1],
    public_id=str,
    customer_id=int,
)
_ORDER_LINES = CompiledQuery(
    lambda order_id: OrderLine.objects.filter(order_id=order_id).order_by("pk"), order_id=int
)
_ORDER_EVENTS = CompiledQuery(
    lambda order_id: OrderEvent.objects.filter(order_id=order_id).order_by("created_at", "pk"),
    order_id=int,
)
_ORDER_HAS_SHIPMENTS = CompiledQuery(
    lambda order_id: Shipment.objects.filter(order_id=order_id).values_list("pk")[:1],
    order_id=int,
)


def _set_prefetched(order: Order, name: str, rows: list) -> None:
    """Put `rows` where prefetch_related would: `order.<name>.all()` answers them, and each
    row's `order` is `order` itself."""
    cache = order.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(name, None)
    queryset = getattr(order, name).all()
    for row in rows:
        row._state.fields_cache["order"] = order
    queryset._result_cache, queryset._prefetch_done = rows, True
    cache[name] = queryset


_ORDER_BY_PK = CompiledQuery(
    lambda pk: Order.objects.select_related("market").filter(pk=pk)[:1], pk=int
)


def get_order_with_lines(pk: int) -> Order:
    """The order `pk` with its lines (a task's read: two compiled statements). Raises
    Order.DoesNotExist."""
    order = next(_ORDER_BY_PK.objects(pk=pk), None)
    if order is None:
        raise Order.DoesNotExist(f"No order {pk}.")
    return load_order_lines(order)


def load_order_lines(order: Order) -> Order:
    """`order` with its lines loaded (one compiled statement), as prefetch_related would."""
    _set_prefetched(order, "lines", list(_ORDER_LINES.objects(order_id=order.pk)))
    return order


def with_lines_and_events(order: Order) -> Order:
    """`order` itself (as a service returned it, current) with its lines, events and shipments
    loaded, where refresh_order would read the order row once more. Two statements and a
    check for shipments (none until fulfillment starts); the shipments' own prefetch only
    when there are some."""
    load_order_lines(order)
    _set_prefetched(order, "events", list(_ORDER_EVENTS.objects(order_id=order.pk)))
    if _ORDER_HAS_SHIPMENTS.rows(order_id=order.pk):
        order.__dict__.get("_prefetched_objects_cache", {}).pop("shipments", None)
        prefetch_related_objects([order], SHIPMENTS)
    else:
        _set_prefetched(order, "shipments", [])
    return order


def refresh_order(order: Order) -> Order:
    """The order as it is now, with lines and events (after a service changed it)."""
    fresh = next(_ORDER_BY_PK.objects(pk=order.pk), None)
    if fresh is None:
        raise Order.DoesNotExist(f"No order {order.pk}.")
    return with_lines_and_events(fresh)


class CardOnFile(NamedTuple):
    token: str  # the gateway's token
    last4: str  # the digits to show


def card_on_file(cart: Cart, *, session_key: str | None) -> CardOnFile | None:
    """The card kept on `cart` for the browser session `session_key`, or None: no card, or
    one entered in another session (a signed-in customer's cart follows them to another
    browser; the card they typed does not)."""
    if cart.card_token and session_key and cart.card_session_key == session_key:
        return CardOnFile(cart.card_token, cart.card_last4)
    return None


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
    order = next(_CUSTOMER_ORDER.objects(public_id=str(public_id), customer_id=customer.pk), None)
    if order is None:
        raise OrderNotFound()
    return with_lines_and_events(order)


def get_linked_order(*, public_id: str, token: str) -> Order:
    """The order a signed link (orders.links) opens, with lines and events: how guests see
    their order. Raises OrderNotFound for a bad or missing token."""
    if not (token and check_order_link_token(str(public_id), str(token))):
        raise OrderNotFound()
    order = next(_ORDER_BY_PUBLIC_ID.objects(public_id=str(public_id)), None)
    if order is None:
        raise OrderNotFound()
    return with_lines_and_events(order)


# --- Fulfillment (the Operations console: orders/admin/fulfillment.py) ------------------------


def fulfillment_queue(*, location=None) -> QuerySet[Order]:
    """Orders with units still to ship (placed or partially fulfilled), oldest first, each
    annotated with `units_ordered`, `units_shipped`, `units_cancelled`. `location`: only
    orders with units held or being picked there."""
    from inventory.models import OPEN_STATUSES, Reservation

    queryset = Order.objects.filter(status__in=SHIPPABLE).select_related("market")
    if location is not None:
        holds = Reservation.objects.filter(
            owner=OuterRef("public_id"), location=location, status__in=OPEN_STATUSES
        )
        queryset = queryset.filter(Exists(holds))
    return queryset.annotate(
        units_ordered=Sum("lines__quantity"),
        units_shipped=Sum("lines__quantity_fulfilled"),
        units_cancelled=Sum("lines__quantity_cancelled"),
    ).order_by("placed_at", "pk")


def holding_locations(orders) -> dict[str, list[str]]:
    """{order public id: [codes of the locations holding or picking its units]} (one query)."""
    from inventory.models import OPEN_STATUSES, Reservation

    rows = (
        Reservation.objects.filter(
            owner__in=[o.public_id for o in orders], status__in=OPEN_STATUSES
        )
        .values_list("owner", "location__code")
        .distinct()
        .order_by("owner", "location__code")
    )
    found: dict[str, list[str]] = {}
    for owner, code in rows:
        found.setdefault(owner, []).append(code)
    return found


def open_shipment_units(orders) -> dict[int, int]:
    """{order pk: units in its shipments not shipped yet} (one query)."""
    rows = (
        ShipmentLine.objects.filter(
            shipment__order__in=[o.pk for o in orders],
            shipment__status__in=OPEN_SHIPMENT_STATUSES,
        )
        .values("shipment__order_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["shipment__order_id"]: row["units"] for row in rows}


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str  # event, shipment, payment
    title: str
    detail: str
    actor: str


def order_timeline(order: Order) -> list[TimelineEntry]:
    """One list of what happened to `order`, oldest first: its events, its shipments'
    steps and its payment transactions (three queries)."""
    entries: list[TimelineEntry] = []
    for event in order.events.select_related("actor").order_by("created_at", "pk"):
        moved = ""
        if event.from_status != event.to_status:
            moved = f"{event.from_status} → {event.to_status}"
        if event.from_payment_status != event.to_payment_status:
            moved += f"{'; ' if moved else ''}payment {event.from_payment_status} → "
            moved += event.to_payment_status
        actor = event.actor.email if event.actor_id else event.actor_label
        entries.append(TimelineEntry(event.created_at, "event", event.type, moved, actor))
    for shipment in order.shipments.select_related("location").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
    ):
        items = ", ".join(f"{sl.quantity}× {sl.order_line.sku}" for sl in shipment.lines.all())
        steps = [
            (shipment.created_at, f"created at {shipment.location.code}: {items}"),
            (shipment.picking_at, "picking"),
            (shipment.packed_at, "packed"),
            (
                shipment.shipped_at,
                f"shipped with {shipment.carrier_name} {shipment.tracking_number}".strip(),
            ),
            (shipment.delivered_at, "delivered"),
            (shipment.cancelled_at, f"cancelled {shipment.cancel_reason}".strip()),
        ]
        for at, what in steps:
            if at is not None:
                entries.append(TimelineEntry(at, "shipment", shipment.public_id, what, ""))
    for tx in order.transactions.order_by("created_at", "pk"):
        entries.append(
            TimelineEntry(
                tx.created_at,
                "payment",
                f"{tx.kind} {tx.outcome}",
                f"{tx.amount_cents / 100:.2f} {tx.currency} {tx.gateway_reference}".strip(),
                tx.gateway,
            )
        )
    return sorted(entries, key=lambda e: e.at)
