"""Transfers between locations: draft -> in_transit -> received, or draft -> cancelled.

Shipping takes units out of the source's on_hand (a `transfer_out` movement) and adds them
to the destination's in_transit_in; receiving moves them into the destination's on_hand
(`transfer_in`). Lock order: the transfer row, then stock rows in pk order.
"""

from collections.abc import Mapping

from django.db import transaction
from django.db.models import F
from django_fsm import TransitionNotAllowed

from inventory.exceptions import (
    InvalidQuantity,
    InvalidTransfer,
    InvalidTransferTransition,
    StockBelowPromised,
    UnknownSku,
)
from inventory.models import (
    Location,
    MovementKind,
    StockLevel,
    Transfer,
    TransferLine,
    TransferStatus,
)
from inventory.services._common import (
    Lines,
    Move,
    check_location,
    check_quantity,
    lock_levels,
    record_movements,
    sum_lines,
)
from shop.locks import lock_rows


def _locked(transfer: Transfer) -> Transfer:
    """The transfer's row, locked (LockTimeout when another request holds it too long)."""
    rows = lock_rows(Transfer.objects.filter(pk=transfer.pk))
    if not rows:
        raise Transfer.DoesNotExist(f"No transfer {transfer.pk}.")
    return rows[0]


def _check_locations(source: Location, destination: Location) -> None:
    check_location(source)
    check_location(destination)
    if source.pk == destination.pk:
        raise InvalidTransfer(
            "A transfer needs two different locations.",
            fields={"destination": ["Same as the source."]},
        )


def _draft_lines(lines: Lines) -> dict[int, int]:
    """{variant_id: total quantity} of a draft's lines; each refusal names its line.

    Errors are `fields={"lines": {"<index>": {"quantity"|"variant": [...]}}}` so a form
    with one row per line (the admin's inline) shows them on the row at fault.
    """
    items = list(lines.items() if isinstance(lines, Mapping) else lines)
    if not items:
        raise InvalidTransfer(
            "A transfer needs at least one line.",
            fields={"lines": ["Add at least one line."]},
        )
    bad_quantities = {}
    for index, (_ref, qty) in enumerate(items):
        try:
            check_quantity(qty)
        except InvalidQuantity as exc:
            bad_quantities[str(index)] = {"quantity": [exc.detail]}
    if bad_quantities:
        first = next(iter(bad_quantities.values()))["quantity"][0]
        raise InvalidQuantity(first, fields={"lines": bad_quantities})
    try:
        totals, _skus = sum_lines(items)
    except UnknownSku as exc:
        unknown = set(exc.extra["skus"])
        rows = {
            str(index): {"variant": [f"Unknown SKU: {_ref_sku(ref)}."]}
            for index, (ref, _qty) in enumerate(items)
            if _ref_sku(ref) in unknown
        }
        if rows:
            exc.fields = {"lines": rows}
        raise
    return totals


def _ref_sku(ref) -> str:
    return ref if isinstance(ref, str) else (getattr(ref, "sku", None) or str(ref))


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
    InvalidQuantity; a bad line is named by its index under `fields["lines"]`.
    """
    _check_locations(source, destination)
    totals = _draft_lines(lines)
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        note=(note or "")[:255],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=vid, quantity=qty)
        for vid, qty in totals.items()
    )
    return transfer


@transaction.atomic
def update_transfer(
    *,
    transfer: Transfer,
    actor=None,
    note: str | None = None,
    source: Location | None = None,
    destination: Location | None = None,
    lines: Lines | None = None,
) -> Transfer:
    """Change a transfer: the note at any time; locations and lines (replaced as a whole)
    only while it is a draft. Arguments left as None stay as they are.

    Locks the transfer row. Raises InvalidTransferTransition (locations or lines of a
    transfer that has shipped or was cancelled), and what create_transfer raises.
    """
    locked = _locked(transfer)
    new_source = source if source is not None else locked.source
    new_destination = destination if destination is not None else locked.destination
    moves_stock = (
        new_source.pk != locked.source_id
        or new_destination.pk != locked.destination_id
        or lines is not None
    )
    if moves_stock and locked.status != TransferStatus.DRAFT:
        raise InvalidTransferTransition(
            f"Transfer {locked.public_id} is {locked.status}: only a draft's locations and "
            "lines can change."
        )
    _check_locations(new_source, new_destination)
    totals = _draft_lines(lines) if lines is not None else None
    fields = ["updated_at"]
    if note is not None and note[:255] != locked.note:
        locked.note = note[:255]
        fields.append("note")
    if new_source.pk != locked.source_id or new_destination.pk != locked.destination_id:
        locked.source, locked.destination = new_source, new_destination
        fields += ["source", "destination"]
    if totals is not None:
        _replace_lines(locked, totals)
    if len(fields) > 1 or totals is not None:
        locked.save(update_fields=fields)
    return locked


def _replace_lines(transfer: Transfer, totals: dict[int, int]) -> None:
    """Make the draft's lines exactly `totals`, keeping the rows of variants it still moves."""
    existing = {line.variant_id: line for line in transfer.lines.all()}
    TransferLine.objects.filter(transfer=transfer).exclude(variant_id__in=totals).delete()
    changed = [
        line for vid, line in existing.items() if vid in totals and line.quantity != totals[vid]
    ]
    for line in changed:
        line.quantity = totals[line.variant_id]
    TransferLine.objects.bulk_update(changed, ["quantity"])
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=vid, quantity=qty)
        for vid, qty in totals.items()
        if vid not in existing
    )


def _lock_transfer(transfer: Transfer, action: str) -> Transfer:
    locked = _locked(transfer)
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
