"""The parcel comes back: count what arrived, then inspect and put each unit where it goes."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from inventory import services as inventory
from inventory.models import Location, LocationKind
from returns.exceptions import InvalidInspection, InvalidReturnLines
from returns.models import (
    Disposition,
    ReceptionOutcome,
    ReturnLine,
    ReturnNotificationKind,
    ReturnRequest,
)
from returns.services._common import lock_rma, queue_notification, record_event, transition

# What each outcome means in units of the requested item (a wrong item sent back is none of
# ours: nothing to restock, nothing to refund).
OUTCOME_RULES = {
    ReceptionOutcome.RECEIVED: "received means every requested unit arrived.",
    ReceptionOutcome.SHORT_SHIPPED: "short shipped means some, not all, units arrived.",
    ReceptionOutcome.WRONG_ITEM: "a wrong item shipped back counts 0 units.",
    ReceptionOutcome.LOST_IN_TRANSIT: "lost in transit counts 0 units.",
}


def _outcome_fits(outcome: str, qty: int, requested: int) -> bool:
    if outcome == ReceptionOutcome.RECEIVED:
        return qty == requested
    if outcome == ReceptionOutcome.SHORT_SHIPPED:
        return 0 < qty < requested
    return qty == 0


def _items_by_line(rma: ReturnRequest, items, error) -> dict[ReturnLine, dict]:
    lines = {line.order_line.public_id: line for line in rma.lines.select_related("order_line")}
    found: dict[ReturnLine, dict] = {}
    for item in items if isinstance(items, list | tuple) else []:
        item = item if isinstance(item, Mapping) else {}
        line = lines.get(str(item.get("line_id", "")))
        if line is None:
            raise error(
                "Name a line of this return.",
                fields={"lines": [f"Unknown line {str(item.get('line_id'))[:40]}."]},
            )
        found[line] = item
    return found


@transaction.atomic
def receive_return(*, rma: ReturnRequest, lines=None, actor=None, note: str = "") -> ReturnRequest:
    """approved -> received. `lines` [{line_id, quantity, outcome?, condition_notes?}]: what
    arrived per line (default: everything requested). Fewer units than requested default to
    `short_shipped`, none to `lost_in_transit`. E-mails the customer after commit.

    Locks the RMA. Raises InvalidReturnTransition, InvalidReturnLines.
    """
    rma = lock_rma(rma)
    before = transition(rma, "receive", action="received")
    given = _items_by_line(rma, lines, InvalidReturnLines) if lines is not None else {}
    received = {}
    for line in rma.lines.select_related("order_line"):
        item = given.get(line, {} if lines is None else {"quantity": 0})
        qty = item.get("quantity", line.quantity)
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= line.quantity:
            raise InvalidReturnLines(
                f"Received quantity of {line.order_line.sku} must be 0 to {line.quantity}.",
                fields={"lines": [f"{line.order_line.public_id}: 0 to {line.quantity}."]},
            )
        default = (
            ReceptionOutcome.RECEIVED
            if qty == line.quantity
            else ReceptionOutcome.SHORT_SHIPPED
            if qty
            else ReceptionOutcome.LOST_IN_TRANSIT
        )
        outcome = item.get("outcome") or default
        if outcome not in ReceptionOutcome.values:
            raise InvalidReturnLines(
                "Unknown reception outcome.",
                fields={"lines": [f"outcome must be one of {ReceptionOutcome.values}."]},
            )
        if not _outcome_fits(outcome, qty, line.quantity):
            raise InvalidReturnLines(
                f"{line.order_line.sku}: {qty} of {line.quantity} received does not fit "
                f"the outcome {outcome}.",
                fields={"lines": [f"{line.order_line.public_id}: {OUTCOME_RULES[outcome]}"]},
            )
        line.received_quantity = qty
        line.reception_outcome = outcome
        line.condition_notes = str(item.get("condition_notes") or "")[:2000]
        line.save(update_fields=["received_quantity", "reception_outcome", "condition_notes"])
        received[line.order_line.public_id] = {"quantity": qty, "outcome": outcome}
    rma.save()
    record_event(
        rma, "received", from_status=before, actor=actor, note=note, payload={"lines": received}
    )
    queue_notification(rma, ReturnNotificationKind.RECEIVED)
    return rma


def _location(code, disposition: str, line: ReturnLine) -> Location:
    if code:
        location = Location.objects.filter(code=str(code), is_active=True).first()
        if location is None:
            raise InvalidInspection(
                f"No active location {str(code)[:40]}.",
                fields={"lines": [f"{line.order_line.public_id}: unknown location."]},
            )
        if disposition == Disposition.REFURBISH and location.kind != LocationKind.REFURBISHMENT:
            raise InvalidInspection(
                f"{location.code} is not a refurbishment centre.",
                fields={"lines": [f"{line.order_line.public_id}: choose a refurbishment centre."]},
            )
        return location
    if disposition == Disposition.REFURBISH:
        location = Location.objects.filter(kind=LocationKind.REFURBISHMENT, is_active=True).first()
    else:  # back where it shipped from
        shipped = line.order_line.shipment_lines.select_related("shipment__location").first()
        location = shipped.shipment.location if shipped else None
    if location is None:
        raise InvalidInspection(
            "Choose a location.",
            fields={"lines": [f"{line.order_line.public_id}: location required."]},
        )
    return location


@transaction.atomic
def inspect_return(*, rma: ReturnRequest, lines, actor=None, note: str = "") -> ReturnRequest:
    """received -> inspected: per line with units back, a disposition (`resell`: a return
    restock at the chosen location; `refurbish`: into a refurbishment centre, not sellable
    until transferred; `scrap`: restocked and written off in the same breath, so the ledger
    shows the unit came back and went to waste) and optional condition notes.

    Locks the RMA, then stock rows (through inventory's services). Raises
    InvalidReturnTransition, InvalidInspection; nothing is written on a refusal.
    """
    rma = lock_rma(rma)
    before = transition(rma, "inspect", action="inspected")
    given = _items_by_line(rma, lines, InvalidInspection)
    plan = []
    for line in rma.lines.select_related("order_line__variant"):
        if not line.received_quantity:
            continue
        item = given.get(line)
        disposition = (item or {}).get("disposition")
        if disposition not in Disposition.values:
            raise InvalidInspection(
                f"Choose what happens to {line.order_line.sku}: resell, refurbish or scrap.",
                fields={"lines": [f"{line.order_line.public_id}: disposition required."]},
            )
        plan.append((line, disposition, _location(item.get("location"), disposition, line), item))
    for line, disposition, location, item in plan:
        variant, qty = line.order_line.variant, line.received_quantity
        inventory.restock_return(
            variant=variant, location=location, quantity=qty, reference=rma.reference, actor=actor
        )
        if disposition == Disposition.SCRAP:
            inventory.write_off_stock(
                variant=variant,
                location=location,
                quantity=qty,
                reason="return scrapped",
                actor=actor,
                reference=rma.reference,
            )
        line.disposition = disposition
        line.disposition_location = location
        if item.get("condition_notes"):
            line.condition_notes = str(item["condition_notes"])[:2000]
        line.save(update_fields=["disposition", "disposition_location", "condition_notes"])
    if rma.refund_issued_at is not None:  # refunded on receipt: inspection completes it
        transition(rma, "complete_refund", action="refunded")
    rma.save()
    record_event(
        rma,
        "inspected",
        from_status=before,
        actor=actor,
        note=note,
        payload={
            "lines": {
                line.order_line.public_id: {"disposition": d, "location": loc.code}
                for line, d, loc, _ in plan
            }
        },
    )
    return rma
