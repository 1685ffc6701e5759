"""Transfers between locations: draft -> in_transit -> received, or draft -> cancelled.

Shipping takes units out of the source's on_hand (a `transfer_out` movement) and adds them
to the destination's in_transit_in; receiving moves them into the destination's on_hand
(`transfer_in`). Lock order: the transfer row, then stock rows in pk order.
"""

from django.db import transaction
from django.db.models import F
from django_fsm import TransitionNotAllowed

from inventory.exceptions import InvalidTransfer, InvalidTransferTransition, StockBelowPromised
from inventory.models import Location, MovementKind, StockLevel, Transfer, TransferLine
from inventory.services._common import (
    Lines,
    Move,
    check_location,
    lock_levels,
    record_movements,
    sum_lines,
)


@transaction.atomic
def create_transfer(
    *,
    source: Location,
    destination: Location,
    lines: Lines,
    actor=None,
    note: str = "",
) -> Transfer:
    """Draft a transfer of `lines` {variant or SKU: quantity}. Moves no stock yet.

    Raises UnknownLocation, InvalidTransfer (same location, no lines), UnknownSku,
    InvalidQuantity.
    """
    check_location(source)
    check_location(destination)
    if source.pk == destination.pk:
        raise InvalidTransfer(
            "A transfer needs two different locations.",
            fields={"destination": ["Same as the source."]},
        )
    totals, _skus = sum_lines(lines)
    if not totals:
        raise InvalidTransfer("A transfer needs at least one line.", fields={"lines": ["Empty"]})
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        note=note[:255],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=vid, quantity=qty)
        for vid, qty in totals.items()
    )
    return transfer


def _lock_transfer(transfer: Transfer, action: str) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    try:
        getattr(locked, action)()
    except TransitionNotAllowed:
        raise InvalidTransferTransition(
            f"Transfer {locked.public_id} is {locked.status}: it cannot {action}."
        ) from None
    return locked


@transaction.atomic
def ship_transfer(*, transfer: Transfer, actor=None) -> Transfer:
    """Send a draft transfer: source on_hand down, destination in_transit_in up.

    Locks the transfer, then both locations' stock rows in pk order. Raises
    InvalidTransferTransition, StockBelowPromised (the source lacks unpromised units).
    """
    transfer = _lock_transfer(transfer, "ship")
    lines = list(transfer.lines.select_related("variant"))
    levels = lock_levels(
        [(ln.variant_id, transfer.source_id) for ln in lines]
        + [(ln.variant_id, transfer.destination_id) for ln in lines],
        create=True,
    )
    moves = []
    for line in lines:
        out = levels[(line.variant_id, transfer.source_id)]
        # Only units that are physically here and promised to nobody may leave.
        updated = (
            StockLevel.objects.filter(pk=out.pk)
            .filter(on_hand__gte=F("reserved") + F("in_transit_out") + line.quantity)
            .update(on_hand=F("on_hand") - line.quantity)
        )
        if not updated:
            raise StockBelowPromised(
                f"{line.variant.sku}: {transfer.source.code} has only "
                f"{max(0, out.on_hand - out.reserved - out.in_transit_out)} free units, "
                f"not {line.quantity}.",
                sku=line.variant.sku,
            )
        moves.append(
            Move(out, MovementKind.TRANSFER_OUT, -line.quantity, out.on_hand - line.quantity)
        )
        StockLevel.objects.filter(pk=levels[(line.variant_id, transfer.destination_id)].pk).update(
            in_transit_in=F("in_transit_in") + line.quantity
        )
    record_movements(moves, actor=actor, reason="transfer shipped", reference=transfer.public_id)
    transfer.save(update_fields=["status", "shipped_at", "updated_at"])
    return transfer


@transaction.atomic
def receive_transfer(*, transfer: Transfer, actor=None) -> Transfer:
    """Book an in-transit transfer in at its destination: in_transit_in -> on_hand.

    Locks the transfer, then the destination's stock rows in pk order. Raises
    InvalidTransferTransition.
    """
    transfer = _lock_transfer(transfer, "receive")
    lines = list(transfer.lines.all())
    levels = lock_levels([(ln.variant_id, transfer.destination_id) for ln in lines], create=True)
    moves = []
    for line in lines:
        level = levels[(line.variant_id, transfer.destination_id)]
        StockLevel.objects.filter(pk=level.pk).update(
            on_hand=F("on_hand") + line.quantity, in_transit_in=F("in_transit_in") - line.quantity
        )
        moves.append(
            Move(level, MovementKind.TRANSFER_IN, line.quantity, level.on_hand + line.quantity)
        )
    record_movements(moves, actor=actor, reason="transfer received", reference=transfer.public_id)
    transfer.save(update_fields=["status", "received_at", "updated_at"])
    return transfer


@transaction.atomic
def cancel_transfer(*, transfer: Transfer, actor=None) -> Transfer:
    """Cancel a draft transfer (nothing moved yet). Raises InvalidTransferTransition."""
    transfer = _lock_transfer(transfer, "cancel")
    transfer.save(update_fields=["status", "updated_at"])
    return transfer
