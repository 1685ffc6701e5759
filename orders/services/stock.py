"""An order's stock: its holds are inventory reservations owned by the order's public id.

The commit rule (issue 8): at authorization the order commits the holds that are still
open and checks that they cover every line. Units whose hold lapsed (or was never taken)
are reserved again, hard, in the same transaction; if that fails the caller compensates
(voids the payment, cancels the order). Released or expired rows from an earlier attempt
(a declined payment, then a retry) are history and never block a commit.
"""

from __future__ import annotations

from collections import defaultdict

from inventory import services as inventory
from inventory.exceptions import InsufficientStock, ReservationNotActive
from inventory.models import OPEN_STATUSES, Reservation, ReservationKind, ReservationStatus
from orders.models import Order


def order_demand(order: Order) -> dict:
    """{Variant: units still to ship} of the order's lines (variants loaded with the lines)."""
    demand: dict = defaultdict(int)
    for line in order.lines.select_related("variant"):
        remaining = line.quantity - line.quantity_fulfilled
        if remaining:
            demand[line.variant] += remaining
    return dict(demand)


def _held(order: Order) -> tuple[list[Reservation], dict[int, int]]:
    rows = list(
        Reservation.objects.filter(owner=order.reservation_owner, status__in=OPEN_STATUSES)
    )
    held: dict[int, int] = defaultdict(int)
    for row in rows:
        held[row.variant_id] += row.quantity
    return rows, held


def commit_order_stock(order: Order) -> None:
    """Make the order's holds hard, reserving again whatever lapsed. Raises InsufficientStock.

    Runs inside the caller's transaction (which holds the order lock); inventory locks the
    reservation rows, then stock rows by pk.
    """
    try:
        # The usual case: every hold the order ever had is still open, so they are exactly
        # what placement (or the retry) reserved for its lines, all or nothing.
        inventory.commit_reservations(owner=order.reservation_owner)
        return
    except ReservationNotActive:
        pass  # a hold lapsed, or an earlier attempt's holds were released: count line by line
    demand = order_demand(order)
    for _attempt in range(2):
        rows, held = _held(order)
        missing = {
            v: qty - held.get(v.pk, 0) for v, qty in demand.items() if qty > held.get(v.pk, 0)
        }
        if missing:
            inventory.reserve_stock(
                lines=missing,
                market=order.market,
                owner=order.reservation_owner,
                kind=ReservationKind.HARD,
            )
        soft = [r for r in rows if r.status == ReservationStatus.ACTIVE]
        if not soft:
            return
        try:
            inventory.commit_reservations(reservation=soft)
            return
        except ReservationNotActive:
            continue  # a hold lapsed between our read and the commit: count again
    raise InsufficientStock(
        [{"sku": v.sku, "requested": q, "available": 0} for v, q in demand.items()]
    )


def release_order_stock(order: Order) -> int:
    """Give back every open hold of the order (decline, cancel, expiry). Idempotent."""
    return inventory.release_stock(owner=order.reservation_owner)
