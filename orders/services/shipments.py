"""Fulfillment: one service per shipment operation (docs/orders.md, "Fulfillment").

create_shipment      order lines' held units at one location become outbound (picking)
start_picking_shipment, pack_shipment   warehouse steps (stamps only)
ship_shipment        units leave: stock consumed ("sale"), lines fulfilled, the order moves
                     placed -> partially_fulfilled -> fulfilled, the shipped amount captured
deliver_shipment     delivered_at (the return window starts); the order is delivered when
                     every shipment is
cancel_shipment      before it ships: the units go back to being held
reroute_line         an order line's held units move to another location
deliver_by_tracking_numbers   the delivery CSV: all or nothing

Lock order: order -> shipment -> reservation rows -> stock rows (inventory's services take
the last two in pk order). Every service that changes the order does it through
events.run_transition, keyed by an event id derived from the shipment, so a replay (an
integration sending shipment.shipped twice, two operators clicking Ship at once) changes
nothing the second time. Gateway calls (the capture) happen after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_fsm import can_proceed

from inventory import services as inventory
from inventory.models import HOLDING_STATUSES, Location, Reservation
from orders import allocation, conf
from orders.exceptions import (
    InvalidOrderTransition,
    InvalidShipment,
    InvalidShipmentTransition,
    InvalidTracking,
    PaymentFailed,
    ShipmentNotFound,
    UnknownCarrier,
    UnknownTrackingNumbers,
)
from orders.models import (
    OPEN_SHIPMENT_STATUSES,
    SHIPPABLE,
    Carrier,
    NotificationKind,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    PaymentTransaction,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TransactionKind,
    TransactionOutcome,
)
from orders.models.shipments import (
    TRACKING_URL_TEMPLATES,
    validate_tracking_number,
    validate_tracking_url,
)
from orders.services._common import lock_order
from orders.services.events import EventResult, EventType, record_note, run_transition
from orders.services.notifications import queue_order_notification
from shop.locks import lock_rows
from shop.money import Money

logger = logging.getLogger(__name__)
SH = ShipmentStatus
SHIPMENT_CREATED = EventType.SHIPMENT_CREATED
SHIPMENT_CANCELLED = EventType.SHIPMENT_CANCELLED
SHIPMENT_PICKING = EventType.SHIPMENT_PICKING
SHIPMENT_PACKED = EventType.SHIPMENT_PACKED
LINE_REROUTED = EventType.LINE_REROUTED
CAPTURE_FAILED = EventType.PAYMENT_CAPTURE_FAILED


@dataclass(frozen=True)
class ShipmentResult:
    """What a ship/deliver call did: `applied` False when the shipment was there already."""

    applied: bool
    shipment: Shipment


# --- input checks ------------------------------------------------------------------------


def check_carrier(carrier) -> str:
    """A carrier code from Carrier (API.md: an unknown carrier is a 400 naming the list)."""
    if carrier in (None, ""):
        raise UnknownCarrier(
            "Say which carrier takes the parcel.",
            fields={"carrier": [f"Required: one of {', '.join(Carrier.values)}."]},
        )
    if not isinstance(carrier, str) or carrier not in Carrier.values:
        shown = str(carrier)[:40] if carrier is not None else "nothing"
        raise UnknownCarrier(
            f"Unknown carrier: {shown}. Use one of: {', '.join(Carrier.values)}.",
            fields={"carrier": [f"One of: {', '.join(Carrier.values)}."]},
        )
    return carrier


def check_tracking(tracking_number, tracking_url="") -> tuple[str, str]:
    """(number, url) stripped and validated: plain letters/digits, bounded, https only."""
    number = tracking_number.strip() if isinstance(tracking_number, str) else tracking_number
    url = tracking_url.strip() if isinstance(tracking_url, str) else tracking_url
    try:
        validate_tracking_number(number)
    except ValidationError as exc:
        raise InvalidTracking(exc.messages[0], fields={"tracking_number": exc.messages}) from None
    if url in (None, ""):
        return number, ""
    if not isinstance(url, str):
        raise InvalidTracking("A tracking URL is text.", fields={"tracking_url": ["Text."]})
    try:
        validate_tracking_url(url)
    except ValidationError as exc:
        raise InvalidTracking(exc.messages[0], fields={"tracking_url": exc.messages}) from None
    return number, url


def tracking_url_for(carrier: str, number: str) -> str:
    """The carrier's public tracking page for `number` ("" for a carrier without one)."""
    template = TRACKING_URL_TEMPLATES.get(carrier)
    return template.format(number=quote(number, safe="")) if template else ""


def _location(order: Order, location, wanted: Mapping[OrderLine, int]) -> Location:
    """The Location named (instance or code), or the one place holding every line's units."""
    if isinstance(location, Location):
        return location
    if isinstance(location, str) and location:
        found = Location.objects.filter(code=location, is_active=True).first()
        if found is None:
            raise InvalidShipment(
                f"Unknown or inactive location: {location[:40]}.",
                fields={"location": ["Unknown location."]},
            )
        return found
    if location not in (None, ""):
        raise InvalidShipment("location is a location code.", fields={"location": ["Text."]})
    places = set(
        Reservation.objects.filter(
            owner=order.reservation_owner,
            variant_id__in=[line.variant_id for line in wanted],
            status__in=HOLDING_STATUSES,
        ).values_list("location_id", flat=True)
    )
    if len(places) != 1:
        raise InvalidShipment(
            "Say which location ships these lines (their units are held at "
            f"{len(places)} locations).",
            fields={"location": ["Required for these lines."]},
        )
    return Location.objects.get(pk=places.pop())


def _wanted_lines(order: Order, lines) -> dict[OrderLine, int]:
    """{OrderLine: quantity} from [{line_id, quantity}] or {OrderLine|line_id: quantity}."""
    by_id = {line.public_id: line for line in order.lines.select_related("variant")}
    items = lines.items() if isinstance(lines, Mapping) else None
    if items is None:
        if isinstance(lines, str) or not isinstance(lines, Iterable):
            raise InvalidShipment("lines is a list.", fields={"lines": ["A list."]})
        items = []
        for item in lines:
            if not isinstance(item, Mapping):
                raise InvalidShipment(
                    "Each line is {line_id, quantity}.", fields={"lines": [str(item)[:80]]}
                )
            items.append((item.get("line_id"), item.get("quantity")))
    wanted: dict[OrderLine, int] = {}
    for ref, qty in items:
        key = ref.public_id if isinstance(ref, OrderLine) else ref
        line = by_id.get(key) if isinstance(key, str) else None
        if line is None:
            raise InvalidShipment(
                f"No line {str(ref)[:40]} in order {order.reference}.",
                fields={"lines": [f"Unknown line: {str(ref)[:40]}."]},
            )
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
            raise InvalidShipment(
                f"The quantity of {line.sku} must be a whole number.",
                fields={"lines": [f"{line.public_id}: a whole number."]},
            )
        if qty:
            wanted[line] = wanted.get(line, 0) + qty
    if not wanted:
        raise InvalidShipment(
            "Put at least one unit in the shipment.", fields={"lines": ["Empty."]}
        )
    return wanted


def in_open_shipments(order: Order) -> dict[int, int]:
    """{order line pk: units in shipments not shipped yet (pending, picking, packed)}."""
    rows = (
        ShipmentLine.objects.filter(
            shipment__order=order, shipment__status__in=OPEN_SHIPMENT_STATUSES
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def shippable_quantities(order: Order) -> dict[int, int]:
    """{order line pk: units that a new shipment may still take} (unshipped, uncancelled,
    not in an open shipment)."""
    open_units = in_open_shipments(order)
    return {
        line.pk: max(0, line.quantity_unfulfilled - open_units.get(line.pk, 0))
        for line in order.lines.all()
    }


# --- create, pick, pack, cancel ----------------------------------------------------------


def create_shipment(
    *,
    order: Order,
    lines,
    location=None,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
    actor=None,
) -> Shipment:
    """A shipment of `lines` ({line: qty} or [{line_id, quantity}]) from `location`.

    Each line's units held for the order at that location become outbound (in_transit_out).
    `location` may be omitted when the lines' units are all held at one place. Carrier and
    tracking may come now or when it ships. Raises InvalidShipment (unknown line, zero
    units, more than is left to ship, unknown location), UnknownCarrier, InvalidTracking,
    InvalidOrderTransition (order not placed or partially fulfilled: on hold, cancelled…),
    ReservationNotActive (the units are held elsewhere: re-route them first). Locks the
    order, so two operators shipping the same line queue and never exceed what was ordered.
    """
    if carrier:
        check_carrier(carrier)
    if tracking_number or tracking_url:
        tracking_number, tracking_url = check_tracking(tracking_number, tracking_url)
    with transaction.atomic():
        order = lock_order(order)
        if order.status not in SHIPPABLE:
            raise InvalidOrderTransition(order=order, action="ship")
        wanted = _wanted_lines(order, lines)
        where = _location(order, location, wanted)
        left = shippable_quantities(order)
        for line, qty in wanted.items():
            if qty > left[line.pk]:
                raise InvalidShipment(
                    f"Only {left[line.pk]} of {line.sku} can still be shipped "
                    f"(ordered {line.quantity}, shipped {line.quantity_fulfilled}, "
                    f"cancelled {line.quantity_cancelled}, in other shipments "
                    f"{line.quantity_unfulfilled - left[line.pk]}).",
                    fields={"lines": [f"{line.public_id}: at most {left[line.pk]}."]},
                )
        shipment = Shipment.objects.create(
            order=order,
            location=where,
            carrier=carrier or "",
            tracking_number=tracking_number or "",
            tracking_url=tracking_url
            or (tracking_url_for(carrier, tracking_number) if carrier and tracking_number else ""),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for line, qty in sorted(wanted.items(), key=lambda item: item[0].pk):
            picked = inventory.pick_held_units(
                owner=order.reservation_owner, variant=line.variant, location=where, quantity=qty
            )
            ShipmentLine.objects.create(
                shipment=shipment, order_line=line, quantity=qty, reservation=picked[0]
            )
        record_note(
            order=order,
            type=SHIPMENT_CREATED,
            event_id=f"{shipment.public_id}:created",
            actor=actor,
            payload={
                "shipment": shipment.public_id,
                "location": where.code,
                "lines": [{"line_id": ln.public_id, "quantity": q} for ln, q in wanted.items()],
            },
        )
    return shipment


def _lock_shipment(shipment: Shipment) -> Shipment:
    (locked,) = lock_rows(
        Shipment.objects.filter(pk=shipment.pk).select_related("location"), of=("self",)
    ) or [None]
    if locked is None:
        raise ShipmentNotFound()
    return locked


def _step(shipment: Shipment, *, action: str, event_type: str, transition, actor) -> Shipment:
    with transaction.atomic():
        order = lock_order(shipment.order)
        shipment = _lock_shipment(shipment)
        move = getattr(shipment, transition)
        if not can_proceed(move):
            raise InvalidShipmentTransition(shipment=shipment, action=action)
        move()
        shipment.save()
        record_note(
            order=order,
            type=event_type,
            event_id=f"{shipment.public_id}:{transition}",
            actor=actor,
            payload={"shipment": shipment.public_id},
        )
    return shipment


def start_picking_shipment(*, shipment: Shipment, actor=None) -> Shipment:
    """pending -> picking (the warehouse started). Raises InvalidShipmentTransition."""
    return _step(
        shipment,
        action="start picking",
        event_type=SHIPMENT_PICKING,
        transition="start_picking",
        actor=actor,
    )


def pack_shipment(*, shipment: Shipment, actor=None) -> Shipment:
    """picking -> packed. Raises InvalidShipmentTransition."""
    return _step(
        shipment, action="pack", event_type=SHIPMENT_PACKED, transition="pack", actor=actor
    )


def cancel_shipment(*, shipment: Shipment, reason: str = "", actor=None) -> Shipment:
    """pending|picking|packed -> cancelled: its units go back to being held for the order
    (reserved, no longer in_transit_out). Raises InvalidShipmentTransition (shipped)."""
    with transaction.atomic():
        order = lock_order(shipment.order)
        shipment = _lock_shipment(shipment)
        if shipment.status not in OPEN_SHIPMENT_STATUSES:
            raise InvalidShipmentTransition(shipment=shipment, action="cancel")
        for sl in shipment.lines.select_related("order_line__variant").order_by("order_line_id"):
            inventory.unpick_units(
                owner=order.reservation_owner,
                variant=sl.order_line.variant,
                location=shipment.location,
                quantity=sl.quantity,
            )
        shipment.cancel(reason=str(reason or "")[:255])
        shipment.save()
        record_note(
            order=order,
            type=SHIPMENT_CANCELLED,
            event_id=f"{shipment.public_id}:cancelled",
            actor=actor,
            payload={"shipment": shipment.public_id, "reason": shipment.cancel_reason},
        )
    return shipment


# --- ship ----------------------------------------------------------------------------------


def shipped_amount(
    order: Order, shipment_units: Mapping[OrderLine, int], *, earlier_due: int
) -> int:
    """What a shipment of `shipment_units` captures under capture on shipment, by the same
    rule cancellations use (orders.allocation, docs/orders.md "What a cancelled unit gives
    back").

    Each unit is worth its line's total plus its line's share of the charges outside the
    lines (shipping, its tax, order discounts), split over the line's units. Shipped units
    are a line's first ones and cancelled units come off its end, so the shipped units are
    always among the kept ones: what the shipments capture never exceeds what the kept units
    are worth, and once every kept unit has shipped it is exactly that, to the cent. As a
    guard (units shipped outside shipments, a policy changed midway) the amount is capped at
    the kept units' worth minus `earlier_due` (what earlier shipments were charged or the
    order captured), and the shipment that leaves nothing to ship takes exactly the rest.
    Reads each line's quantity_fulfilled before the shipment; call under the order lock.
    """
    lines = list(order.lines.all())
    shares = allocation.order_unit_shares(order)
    amount = 0
    for line, qty in shipment_units.items():
        before = line.quantity_fulfilled
        amount += sum(shares[line.pk][before : before + qty])
    kept = allocation.kept_worth(shares, {line.pk: line.quantity_cancelled for line in lines})
    rest = max(0, kept - earlier_due)
    left_after = sum(line.quantity_unfulfilled for line in lines) - sum(shipment_units.values())
    return rest if left_after <= 0 else max(0, min(amount, rest))


def _due_before(order: Order) -> int:
    """What earlier shipments of `order` were charged (their shipped events' amount_due), or
    what the order has captured when that is more (a capture made from the order page)."""
    due = sum(
        int((payload or {}).get("amount_due") or 0)
        for payload in OrderEvent.objects.filter(
            order=order, type=EventType.SHIPMENT_SHIPPED
        ).values_list("payload", flat=True)
    )
    return max(due, order.captured_cents)


def ship_shipment(
    *,
    shipment: Shipment,
    carrier: str | None = None,
    tracking_number: str | None = None,
    tracking_url: str | None = None,
    actor=None,
    event_id: str | None = None,
) -> ShipmentResult:
    """The parcel left: its units are consumed at its location (on_hand down, a `sale` in
    the ledger), its lines count as fulfilled, the order becomes partially_fulfilled or
    fulfilled (event shipment.shipped), the customer gets the shipped e-mail, and with
    capture on shipment its amount is captured after commit.

    Carrier and tracking number are required unless given at creation. A shipment shipped
    already answers applied=False and changes nothing (a repeated click or webhook).
    Raises UnknownCarrier, InvalidTracking, InvalidShipmentTransition (cancelled),
    InvalidOrderTransition (the order is on hold or cancelled), ReservationNotActive.
    """
    if carrier is not None and carrier != "":
        check_carrier(carrier)
    if tracking_number:
        tracking_number, tracking_url = check_tracking(tracking_number, tracking_url or "")
    elif tracking_url:
        raise InvalidTracking(
            "A tracking URL needs its tracking number.", fields={"tracking_number": ["Required."]}
        )
    key = event_id or f"{shipment.public_id}:shipped"
    outcome: dict = {}

    def change(order: Order) -> None:
        locked = _lock_shipment(shipment)
        outcome["shipment"] = locked
        if locked.status in (SH.SHIPPED, SH.DELIVERED):
            raise _AlreadyDone(locked)
        if locked.status not in OPEN_SHIPMENT_STATUSES:
            raise InvalidShipmentTransition(shipment=locked, action="ship")
        if order.status not in SHIPPABLE:
            raise InvalidOrderTransition(order=order, action="ship")
        if carrier:
            locked.carrier = carrier
        if tracking_number:
            locked.tracking_number = tracking_number
            locked.tracking_url = tracking_url or tracking_url_for(locked.carrier, tracking_number)
        if not locked.carrier:
            check_carrier(None)
        if not locked.tracking_number:
            check_tracking("")
        if not locked.tracking_url:
            locked.tracking_url = tracking_url_for(locked.carrier, locked.tracking_number)
        units = {
            sl.order_line: sl.quantity
            for sl in locked.lines.select_related("order_line__variant").order_by("order_line_id")
        }
        amount = (
            shipped_amount(order, units, earlier_due=_due_before(order))
            if _captures_on_shipment(order)
            else 0
        )
        for line, qty in units.items():
            inventory.ship_picked_units(
                owner=order.reservation_owner,
                variant=line.variant,
                location=locked.location,
                quantity=qty,
                reference=order.reference,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_fulfilled=F("quantity_fulfilled") + qty
            )
        left = sum(line.quantity_unfulfilled for line in order.lines.all())
        order.fulfill() if left == 0 else order.fulfill_partially()
        locked.ship()
        locked.save()
        outcome["amount"] = amount
        queue_order_notification(
            order=order, kind=NotificationKind.SHIPMENT_SHIPPED, event_id=key, shipment=locked
        )
        payload.update(
            carrier=locked.carrier,
            tracking_number=locked.tracking_number,
            location=locked.location.code,
            amount_due=amount,
            lines=[{"line_id": ln.public_id, "quantity": q} for ln, q in units.items()],
        )

    payload: dict = {"shipment": shipment.public_id}
    try:
        result = run_transition(
            order=shipment.order,
            type=EventType.SHIPMENT_SHIPPED,
            change=change,
            event_id=key,
            actor=actor,
            payload=payload,
            action="ship",
        )
    except _AlreadyDone as done:
        return ShipmentResult(applied=False, shipment=done.shipment)
    shipment = Shipment.objects.get(pk=shipment.pk)
    if not result.applied:
        return ShipmentResult(applied=False, shipment=shipment)
    capture_shipment_payment(shipment=shipment)
    return ShipmentResult(applied=True, shipment=Shipment.objects.get(pk=shipment.pk))


class _AlreadyDone(Exception):
    """Internal: roll the (empty) transition back and answer applied=False."""

    def __init__(self, shipment: Shipment):
        super().__init__(shipment.public_id)
        self.shipment = shipment


def _captures_on_shipment(order: Order) -> bool:
    return conf.capture_policy(order.market) == conf.CapturePolicy.ON_SHIPMENT


def capture_shipment_payment(*, shipment: Shipment, actor=None) -> int:
    """Capture what a shipped shipment is worth (capture on shipment), once. Returns the
    cents captured now (0: nothing to do, done before, or another policy).

    Call outside a transaction (the gateway is called). The key `<shp>:capture` makes a
    retry safe. A gateway refusal is left on the timeline as payment.capture_failed for
    Operations (the fulfillment queue shows it) and re-raised as PaymentFailed only when
    `actor` asked for it explicitly.
    """
    from orders.services import payments

    shipment = Shipment.objects.select_related("order__market").get(pk=shipment.pk)
    order = shipment.order
    if shipment.captured_cents or shipment.status not in (SH.SHIPPED, SH.DELIVERED):
        return 0
    if not _captures_on_shipment(order):
        return 0
    if order.payment_status not in (
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
    ):
        return 0
    shipped = OrderEvent.objects.filter(
        order=order, type=EventType.SHIPMENT_SHIPPED, payload__shipment=shipment.public_id
    ).first()
    amount = int((shipped.payload or {}).get("amount_due") or 0) if shipped else 0
    if amount <= 0:
        return 0
    key = f"{shipment.public_id}:capture"
    reference = payments.authorized_reference(order)
    try:
        result = payments._gateway_call(
            order,
            "capture",
            lambda g: g.capture(
                reference=reference, amount=Money(amount, order.currency), idempotency_key=key
            ),
        )
    except PaymentFailed as exc:
        record_note(
            order=order,
            type=CAPTURE_FAILED,
            actor=actor,
            actor_label="system",
            payload={"shipment": shipment.public_id, "amount": amount, "detail": str(exc)[:200]},
        )
        if actor is not None:
            raise
        logger.warning("capture for %s failed: %s", shipment.public_id, exc)
        return 0
    with transaction.atomic():
        locked_order = lock_order(order)
        locked = _lock_shipment(shipment)
        if locked.captured_cents:
            return 0
        if not PaymentTransaction.objects.filter(idempotency_key=key).exists():
            payments._record(
                locked_order,
                TransactionKind.CAPTURE,
                TransactionOutcome.SUCCEEDED,
                key,
                result,
                amount,
            )
        run_transition(
            order=locked_order,
            type=EventType.PAYMENT_CAPTURED,
            change=lambda o: o.capture_part(amount_cents=amount),
            event_id=key,
            actor=actor,
            actor_label="" if actor else "system",
            payload={"amount": amount, "shipment": shipment.public_id},
        )
        Shipment.objects.filter(pk=locked.pk).update(
            captured_cents=amount, updated_at=timezone.now()
        )
    return amount


# --- deliver -------------------------------------------------------------------------------


def deliver_shipment(
    *, shipment: Shipment, delivered_at=None, actor=None, event_id: str | None = None
) -> ShipmentResult:
    """shipped -> delivered, stamping delivered_at (the return window counts from it); the
    order becomes delivered when every shipment (cancelled ones aside) is and nothing is
    left to ship. The customer gets the delivered e-mail. A delivered shipment answers
    applied=False. Raises InvalidShipmentTransition (not shipped yet, or cancelled).
    """
    key = event_id or f"{shipment.public_id}:delivered"
    when = delivered_at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise InvalidShipment(
            "A delivery date cannot be in the future.", fields={"delivered_at": ["Future."]}
        )

    def change(order: Order) -> None:
        locked = _lock_shipment(shipment)
        if locked.status == SH.DELIVERED:
            raise _AlreadyDone(locked)
        if locked.status != SH.SHIPPED:
            raise InvalidShipmentTransition(shipment=locked, action="deliver")
        if locked.shipped_at and when < locked.shipped_at:
            raise InvalidShipment(
                "A parcel cannot arrive before it shipped.",
                fields={"delivered_at": ["Before the ship date."]},
            )
        locked.deliver(delivered_at=when)
        locked.save()
        others_out = (
            order.shipments.exclude(pk=locked.pk)
            .exclude(status__in=[SH.DELIVERED, SH.CANCELLED])
            .exists()
        )
        if order.status == OrderStatus.FULFILLED and not others_out:
            order.deliver()
        queue_order_notification(
            order=order, kind=NotificationKind.SHIPMENT_DELIVERED, event_id=key, shipment=locked
        )

    try:
        result = run_transition(
            order=shipment.order,
            type=EventType.SHIPMENT_DELIVERED,
            change=change,
            event_id=key,
            actor=actor,
            payload={"shipment": shipment.public_id, "delivered_at": when.isoformat()},
            action="deliver",
        )
    except _AlreadyDone as done:
        return ShipmentResult(applied=False, shipment=done.shipment)
    return ShipmentResult(applied=result.applied, shipment=Shipment.objects.get(pk=shipment.pk))


def find_shipments_by_tracking(numbers: Iterable[str]) -> tuple[dict[str, Shipment], list[str]]:
    """({tracking number: live shipment}, [numbers we do not know]) for the delivery CSV."""
    wanted = [n.strip() for n in numbers if isinstance(n, str) and n.strip()]
    found = {
        s.tracking_number: s
        for s in Shipment.objects.filter(tracking_number__in=wanted)
        .exclude(status=SH.CANCELLED)
        .select_related("order")
    }
    return found, [n for n in dict.fromkeys(wanted) if n not in found]


def deliver_by_tracking_numbers(
    *, rows: list[tuple[str, object]], actor=None
) -> list[ShipmentResult]:
    """Mark the parcels of a delivery list delivered: [(tracking number, delivered_at|None)].

    All or nothing: an unknown tracking number (UnknownTrackingNumbers) or a parcel that has
    not shipped (InvalidShipmentTransition) refuses the whole list before anything changes.
    Parcels delivered already are left as they are (applied=False).
    """
    numbers = [number for number, _when in rows]
    found, unknown = find_shipments_by_tracking(numbers)
    if unknown:
        raise UnknownTrackingNumbers(
            f"Unknown tracking number(s): {', '.join(n[:40] for n in unknown[:20])}"
            f"{' …' if len(unknown) > 20 else ''}. Nothing was marked delivered.",
            fields={"tracking_numbers": [n[:40] for n in unknown[:50]]},
        )
    if not numbers:
        raise InvalidShipment(
            "The list has no tracking numbers.", fields={"tracking_numbers": ["Empty."]}
        )
    waiting = [n for n, s in found.items() if s.status not in (SH.SHIPPED, SH.DELIVERED)]
    if waiting:
        raise InvalidShipmentTransition(
            shipment=found[waiting[0]],
            action="deliver",
            detail=f"Not shipped yet: {', '.join(waiting[:20])}. Nothing was marked delivered.",
        )
    results = []
    with transaction.atomic():
        for number, when in rows:
            shipment = found[number.strip()]
            results.append(deliver_shipment(shipment=shipment, delivered_at=when, actor=actor))
    return results


# --- re-route ------------------------------------------------------------------------------


def reroute_line(
    *,
    order: Order,
    line: OrderLine,
    source: Location,
    destination: Location,
    quantity: int,
    actor=None,
) -> Order:
    """Move `quantity` units of `line` held at `source` to `destination` (released there,
    reserved here, in one transaction), so a shipment from `destination` can take them.

    Raises InvalidOrderTransition (order not shippable), InvalidShipment (more than is left
    to ship), ReservationNotActive (not held at `source`), InsufficientStock (not there).
    """
    with transaction.atomic():
        order = lock_order(order)
        if order.status not in SHIPPABLE:
            raise InvalidOrderTransition(order=order, action="reroute")
        line = OrderLine.objects.select_related("variant").get(pk=line.pk, order=order)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidShipment("Re-route 1 unit or more.", fields={"quantity": ["≥ 1."]})
        left = shippable_quantities(order)[line.pk]
        if quantity > left:
            raise InvalidShipment(
                f"Only {left} of {line.sku} are left to ship.",
                fields={"quantity": [f"At most {left}."]},
            )
        inventory.reroute_held_units(
            owner=order.reservation_owner,
            variant=line.variant,
            source=source,
            destination=destination,
            quantity=quantity,
        )
        record_note(
            order=order,
            type=LINE_REROUTED,
            actor=actor,
            payload={
                "line_id": line.public_id,
                "sku": line.sku,
                "quantity": quantity,
                "from": source.code,
                "to": destination.code,
            },
        )
    return order


def held_at_locations(order: Order) -> dict[int, dict[int, int]]:
    """{order line pk: {location pk: units held (not picking)}} for the admin's forms."""
    rows = (
        Reservation.objects.filter(owner=order.reservation_owner, status__in=HOLDING_STATUSES)
        .values("variant_id", "location_id")
        .annotate(units=Sum("quantity"))
    )
    by_variant: dict[int, dict[int, int]] = {}
    for row in rows:
        by_variant.setdefault(row["variant_id"], {})[row["location_id"]] = row["units"]
    return {line.pk: by_variant.get(line.variant_id, {}) for line in order.lines.all()}


# --- events API ------------------------------------------------------------------------------


def apply_shipment_event(
    *, order: Order, type: str, event_id: str, payload: Mapping, actor=None
) -> EventResult:
    """shipment.shipped / shipment.delivered from POST /orders/{id}/events with
    payload.shipment = shp_…: the same services, keyed by the caller's event_id."""
    ref = payload.get("shipment")
    shipment = (
        Shipment.objects.filter(public_id=ref, order=order).first()
        if isinstance(ref, str)
        else None
    )
    if shipment is None:
        raise ShipmentNotFound(f"No shipment {str(ref)[:40]} in this order.")
    if type == EventType.SHIPMENT_SHIPPED:
        done = ship_shipment(
            shipment=shipment,
            carrier=payload.get("carrier") or None,
            tracking_number=payload.get("tracking_number") or None,
            tracking_url=payload.get("tracking_url") or None,
            actor=actor,
            event_id=event_id,
        )
    else:
        done = deliver_shipment(shipment=shipment, actor=actor, event_id=event_id)
    event = (
        OrderEvent.objects.filter(order=order, event_id=event_id).first()
        or OrderEvent.objects.filter(order=order, payload__shipment=shipment.public_id, type=type)
        .order_by("pk")
        .first()
    )
    return EventResult(applied=done.applied, order=Order.objects.get(pk=order.pk), event=event)


# --- capture policy ------------------------------------------------------------------------


def capture_placed_order(*, order: Order) -> Order:
    """Capture policy `at_placement`: take the whole authorization right after placement.

    Skips an order that is not (or no longer) placed and authorized: one held for fraud
    review is captured by nobody until Operations approve it and ship. Call outside a
    transaction (the Celery task orders.tasks.capture_placed_order does, after commit).
    Raises PaymentFailed (the task retries).
    """
    from orders.services import payments

    order = Order.objects.select_related("market").get(pk=order.pk)
    if conf.capture_policy(order.market) != conf.CapturePolicy.AT_PLACEMENT:
        return order
    if order.status != OrderStatus.PLACED or order.payment_status != PaymentStatus.AUTHORIZED:
        return order
    return payments.capture_payment(order=order)


def authorization_expires_at(order: Order):
    """When the order's card authorization lapses at the gateway (placed_at + validity)."""
    if order.placed_at is None:
        return None
    return order.placed_at + conf.authorization_valid_for(order.market)


def authorization_at_risk(order: Order, now=None) -> bool:
    """Units still to ship while the uncaptured authorization lapses within the warning
    window (ORDERS_AUTHORIZATION_WARNING_DAYS): Operations should ship or re-authorize."""
    expires = authorization_expires_at(order)
    if expires is None or order.payment_status != PaymentStatus.AUTHORIZED:
        return False
    return expires - (now or timezone.now()) <= conf.authorization_warning()
