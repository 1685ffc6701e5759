"""Drop mode in the buying path: the admission gate around add-to-cart, purchase limits.

Add-to-cart of a drop SKU: refuse before the start time, check the per-order limit on the
requested quantity, pass the Redis gate (inventory.drop_gate: sold out / busy / admitted),
and only then open the PostgreSQL transaction. Purchase limits are checked again inside it
(the line's new total; units this customer already ordered) and once more at placement, in
the placement's transaction, under a PostgreSQL advisory lock per (customer, variant) held
until commit: two checkouts of the same customer queue, the second sees the first's order.

A customer is their account, and also their e-mail address: a guest is counted by e-mail
(case-insensitive), an account by its id and by guest orders placed with its e-mail.
Cancelled orders (and cancelled units) do not count.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from django.db import connection
from django.db.models import F, Q, Sum

from inventory import drop_gate
from inventory.exceptions import InsufficientStock, SoldOut
from inventory.selectors import DropRule
from orders.exceptions import PurchaseLimitExceeded
from orders.models import Cart, OrderLine, OrderStatus


@contextlib.contextmanager
def drop_admission(*, rule: DropRule, quantity: int, member: str) -> Iterator[None]:
    """Hold a place through the gate for the PostgreSQL work of one add-to-cart.

    Raises DropNotStarted, PurchaseLimitExceeded (more than the per-order limit asked at
    once), SoldOut, InsufficientStock, DropBusy before any database work. Whatever refuses
    inside the block gives its tokens back, except a refusal for stock (the database says the
    units are gone: the tokens were phantoms); an InsufficientStock without units left
    becomes SoldOut.
    """
    drop_gate.check_started(rule)
    if rule.per_order_limit is not None and quantity > rule.per_order_limit:
        raise PurchaseLimitExceeded(
            sku=rule.sku, limit=rule.per_order_limit, scope="order", already=0, requested=quantity
        )
    admission = drop_gate.admit(rule, quantity=quantity, member=member)
    give_back = True
    try:
        yield
        give_back = False
    except InsufficientStock as exc:
        give_back = False
        if all(line.get("available", 0) <= 0 for line in exc.lines):
            raise SoldOut(rule.sku, requested=quantity) from exc
        raise
    finally:
        admission.leave(give_back=give_back)


def _customer_key(cart: Cart, customer_id: int | None) -> str:
    email = (cart.email or "").strip().lower()
    return f"e:{email}" if email else f"u:{customer_id}"


def _lock_customer_variant(key: str, variant_id: int) -> None:
    """A transaction-long advisory lock on (customer, variant): limit checks queue on it."""
    if connection.vendor != "postgresql":
        return  # SQLite (development) runs one writer at a time anyway
    digest = hashlib.blake2b(f"drop-limit:{variant_id}:{key}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        lock_id = int.from_bytes(digest, "big", signed=True)
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def units_already_ordered(*, variant_id: int, customer_id: int | None, email: str) -> int:
    """Units of the variant in this customer's orders that are not cancelled."""
    who = Q()
    if customer_id:
        who |= Q(order__customer_id=customer_id)
    if email:
        who |= Q(order__email__iexact=email)
    if not who:
        return 0
    total = (
        OrderLine.objects.filter(who, variant_id=variant_id)
        .exclude(order__status=OrderStatus.CANCELLED)
        .aggregate(units=Sum(F("quantity") - F("quantity_cancelled")))["units"]
    )
    return total or 0


def enforce_purchase_limits(*, cart: Cart, rule: DropRule, quantity: int, customer_id=None):
    """Refuse `quantity` units of the drop variant in `cart` past its limits (the line's whole
    quantity: per order; plus the customer's earlier orders: per customer). Call inside the
    transaction that writes the line or the order: takes the (customer, variant) advisory
    lock. Raises PurchaseLimitExceeded."""
    if rule.per_order_limit is not None and quantity > rule.per_order_limit:
        raise PurchaseLimitExceeded(
            sku=rule.sku, limit=rule.per_order_limit, scope="order", already=0, requested=quantity
        )
    if rule.per_customer_limit is None:
        return
    customer_id = cart.customer_id or customer_id
    email = (cart.email or "").strip().lower()
    if not customer_id and not email:
        return  # a guest not yet identified: counted when they give the e-mail, at placement
    _lock_customer_variant(_customer_key(cart, customer_id), rule.variant_id)
    already = units_already_ordered(
        variant_id=rule.variant_id, customer_id=customer_id, email=email
    )
    if already + quantity > rule.per_customer_limit:
        raise PurchaseLimitExceeded(
            sku=rule.sku,
            limit=rule.per_customer_limit,
            scope="customer",
            already=already,
            requested=quantity,
        )


def enforce_order_limits(*, cart: Cart, lines, customer_id=None) -> None:
    """At placement: every drop line of the cart within its limits (see above)."""
    demand: dict[int, int] = {}
    for line in lines:
        demand[line.variant_id] = demand.get(line.variant_id, 0) + line.quantity
    for variant_id in sorted(demand):  # advisory locks in one order: no deadlock
        rule = drop_gate.drop_rule_for_variant(variant_id)
        if rule is not None:
            enforce_purchase_limits(
                cart=cart, rule=rule, quantity=demand[variant_id], customer_id=customer_id
            )
