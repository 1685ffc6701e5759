"""Giving back part of an owner's held units (an order line cancelled before it shipped).

`release_stock` frees every hold of an owner; this frees a number of units of one variant,
at whichever locations hold them (the newest holds first), leaving the rest held. Units
being picked are not touched: a shipment being packed is cancelled on its own first.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from inventory import drop_gate
from inventory.exceptions import ReservationNotActive
from inventory.models import HOLDING_STATUSES, Reservation, ReservationStatus
from inventory.services._common import check_quantity
from inventory.services.outbound import _take
from inventory.services.reservations import _update_many
from shop.locks import lock_rows


@transaction.atomic
def release_held_units(*, owner: str, variant, quantity: int) -> int:
    """Free `quantity` held units of `variant` reserved by `owner`; returns the units freed.

    Locks the owner's reservation rows of that variant (pk order), then the stock rows.
    Raises ReservationNotActive when fewer units are held (nothing is freed then).
    """
    quantity = check_quantity(quantity)
    variant_id = variant if isinstance(variant, int) else variant.pk
    rows = lock_rows(
        Reservation.objects.filter(owner=owner, variant_id=variant_id, status__in=HOLDING_STATUSES)
    )
    held = sum(row.quantity for row in rows)
    if held < quantity:
        raise ReservationNotActive(
            f"Only {held} unit(s) are held for {owner}, not {quantity}.",
            held=held,
            requested=quantity,
        )
    newest_first = sorted(rows, key=lambda row: row.pk, reverse=True)
    freed: dict[tuple[int, int], int] = defaultdict(int)
    for row in _take(newest_first, quantity, status=ReservationStatus.RELEASED):
        freed[(row.variant_id, row.location_id)] += row.quantity
    _update_many({"reserved": freed})
    drop_gate.note_released((vid, qty) for (vid, _loc), qty in freed.items())
    return sum(freed.values())
