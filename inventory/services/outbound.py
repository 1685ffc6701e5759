"""Outbound units: an owner's held units at one location become units being picked
(`in_transit_out`), go back to being held, are shipped (consumed), or move their hold to
another location (re-routing).

The units of one owner, variant and location are interchangeable, so these services count
units, not rows: picking 3 of a 5-unit hold splits it into 2 held and 3 picking.

Lock order (as in reservations.py): the owner's reservation rows first (pk order), then the
stock rows (pk order). Every service opens its own transaction or joins the caller's.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory.exceptions import InsufficientStock, InvalidQuantity, ReservationNotActive
from inventory.models import (
    ATP_EXPRESSION,
    HOLDING_STATUSES,
    Location,
    Reservation,
    ReservationKind,
    ReservationStatus,
    StockLevel,
)
from inventory.services._common import check_quantity, lock_levels
from inventory.services.reservations import consume_reservation
from shop.locks import lock_rows


def _lock_owner_rows(owner: str, variant, location: Location, statuses) -> list[Reservation]:
    return lock_rows(
        Reservation.objects.filter(
            owner=owner, variant_id=_pk(variant), location_id=location.pk, status__in=statuses
        )
    )


def _pk(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk


def _take(rows: list[Reservation], quantity: int, *, status: str) -> list[Reservation]:
    """Move `quantity` units of the locked `rows` to `status` (splitting the last row taken).

    Rows taken whole change status; a partly taken row shrinks and a new row of `status`
    holds the units taken from it. Returns the rows now in `status`.
    """
    now, left, moved = timezone.now(), quantity, []
    hard = status in (ReservationStatus.COMMITTED, ReservationStatus.PICKING)
    for row in rows:
        if left == 0:
            break
        take = min(left, row.quantity)
        left -= take
        if take == row.quantity:
            Reservation.objects.filter(pk=row.pk).update(
                status=status,
                kind=ReservationKind.HARD if hard else row.kind,
                expires_at=None if hard else row.expires_at,
                updated_at=now,
            )
            row.status = status
            moved.append(row)
            continue
        Reservation.objects.filter(pk=row.pk).update(quantity=F("quantity") - take, updated_at=now)
        moved.append(
            Reservation.objects.create(
                variant_id=row.variant_id,
                location_id=row.location_id,
                quantity=take,
                status=status,
                kind=ReservationKind.HARD,
                expires_at=None,
                owner=row.owner,
            )
        )
    return moved


def _check_held(rows, quantity: int, variant, location: Location, what: str) -> None:
    held = sum(r.quantity for r in rows)
    if held < quantity:
        sku = getattr(variant, "sku", variant)
        raise ReservationNotActive(
            f"Only {held} unit(s) of {sku} are {what} at {location.code} for this order, "
            f"not {quantity}.",
            sku=str(sku),
            location=location.code,
            held=held,
            requested=quantity,
        )


@transaction.atomic
def pick_held_units(*, owner: str, variant, location: Location, quantity: int) -> list:
    """`quantity` held units (reserved) of `owner` at `location` start being picked
    (in_transit_out). Returns the picking reservation rows.

    Raises InvalidQuantity, ReservationNotActive (fewer units held there: re-route first).
    """
    quantity = check_quantity(quantity)
    rows = _lock_owner_rows(owner, variant, location, HOLDING_STATUSES)
    _check_held(rows, quantity, variant, location, "held")
    picked = _take(rows, quantity, status=ReservationStatus.PICKING)
    (level,) = lock_levels([(_pk(variant), location.pk)], create=False).values()
    StockLevel.objects.filter(pk=level.pk).update(
        reserved=F("reserved") - quantity, in_transit_out=F("in_transit_out") + quantity
    )
    return picked


@transaction.atomic
def unpick_units(*, owner: str, variant, location: Location, quantity: int) -> list:
    """The inverse of pick_held_units (a shipment cancelled before it left): `quantity`
    picking units go back to being held (committed, no TTL). Raises ReservationNotActive."""
    quantity = check_quantity(quantity)
    rows = _lock_owner_rows(owner, variant, location, [ReservationStatus.PICKING])
    _check_held(rows, quantity, variant, location, "being picked")
    held = _take(rows, quantity, status=ReservationStatus.COMMITTED)
    (level,) = lock_levels([(_pk(variant), location.pk)], create=False).values()
    StockLevel.objects.filter(pk=level.pk).update(
        reserved=F("reserved") + quantity, in_transit_out=F("in_transit_out") - quantity
    )
    return held


@transaction.atomic
def ship_picked_units(
    *, owner: str, variant, location: Location, quantity: int, reference: str = "", actor=None
) -> int:
    """`quantity` picking units leave the building: on_hand and in_transit_out go down and
    the ledger gets a `sale` movement per hold consumed. Returns the units shipped.

    Raises ReservationNotActive (fewer units being picked), StockBelowPromised.
    """
    quantity = check_quantity(quantity)
    rows = _lock_owner_rows(owner, variant, location, [ReservationStatus.PICKING])
    _check_held(rows, quantity, variant, location, "being picked")
    left = quantity
    for row in rows:
        if left == 0:
            break
        take = min(left, row.quantity)
        consume_reservation(reservation=row, quantity=take, reference=reference, actor=actor)
        left -= take
    return quantity


@transaction.atomic
def reroute_held_units(
    *, owner: str, variant, source: Location, destination: Location, quantity: int
) -> Reservation:
    """Move `quantity` held units of `owner` from `source` to `destination` in one
    transaction: released at one, reserved (hard) at the other, or nothing changes.

    Raises InvalidQuantity (same location), ReservationNotActive (fewer held at `source`),
    InsufficientStock (not enough available at `destination`).
    """
    quantity = check_quantity(quantity)
    if source.pk == destination.pk:
        raise InvalidQuantity(
            "Re-route to another location.", fields={"location": ["Same location."]}
        )
    if not destination.is_active:
        raise InvalidQuantity(
            f"{destination.code} is not active.", fields={"location": [destination.code]}
        )
    rows = _lock_owner_rows(owner, variant, source, HOLDING_STATUSES)
    _check_held(rows, quantity, variant, source, "held")
    variant_id = _pk(variant)
    levels = lock_levels([(variant_id, source.pk), (variant_id, destination.pk)], create=True)
    target = levels[(variant_id, destination.pk)]
    reserved_there = (
        StockLevel.objects.filter(pk=target.pk)
        .alias(atp=ATP_EXPRESSION)
        .filter(atp__gte=quantity)
        .update(reserved=F("reserved") + quantity)
    )
    if not reserved_there:
        sku = getattr(variant, "sku", str(variant))
        raise InsufficientStock([{"sku": sku, "requested": quantity, "available": target.atp}])
    StockLevel.objects.filter(pk=levels[(variant_id, source.pk)].pk).update(
        reserved=F("reserved") - quantity
    )
    _take(rows, quantity, status=ReservationStatus.RELEASED)
    return Reservation.objects.create(
        variant_id=variant_id,
        location_id=destination.pk,
        quantity=quantity,
        status=ReservationStatus.COMMITTED,
        kind=ReservationKind.HARD,
        expires_at=None,
        owner=owner,
    )
