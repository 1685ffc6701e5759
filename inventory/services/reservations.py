"""Reservations: reserve_stock (all-or-nothing), commit_reservations, start_picking,
consume_reservation, release_stock, extend_reservations, reassign_reservations, expire.

Lock order, everywhere:
- `reserve_stock` locks the StockLevel rows it may touch in pk order, then takes expired
  reservation rows with SKIP LOCKED (it never waits on a reservation row);
- services handed reservations lock those rows first (pk order), then stock rows (pk order);
- the expiry sweep takes reservation rows with SKIP LOCKED, then stock rows in pk order.
Nobody waits for a reservation row while holding a stock row, so none of these deadlock.
Waiting locks go through shop.locks.lock_rows: a row held too long is a LockTimeout (409).
"""

import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone

from inventory import drop_gate, selectors
from inventory.availability_cache import stock_moved
from inventory.exceptions import (
    InsufficientStock,
    InvalidQuantity,
    ReservationNotActive,
    StockBelowPromised,
)
from inventory.models import (
    ATP_EXPRESSION,
    HOLDING_STATUSES,
    OPEN_STATUSES,
    MovementKind,
    Reservation,
    ReservationKind,
    ReservationStatus,
    StockLevel,
)
from inventory.services._common import (
    Lines,
    Move,
    check_quantity,
    levels_matching,
    record_movements,
    skip_locked_supported,
    sum_lines,
)
from inventory.services._reserve_fast import SeveralLocations, reserve_in_one_statement
from inventory.services.routing import plan_allocations
from shop.compiled import CompiledQuery
from shop.locks import lock_compiled, lock_rows

OWNER_MAX_LENGTH = Reservation._meta.get_field("owner").max_length


def _ttl(ttl: timedelta | int | None) -> timedelta:
    if ttl is None:
        return timedelta(seconds=settings.INVENTORY_RESERVATION_TTL_SECONDS)
    if isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
    elif isinstance(ttl, int) and not isinstance(ttl, bool):
        seconds = ttl
    else:
        raise InvalidQuantity("ttl must be seconds or a timedelta.", fields={"ttl": ["Invalid."]})
    if not 0 < seconds <= settings.INVENTORY_MAX_RESERVATION_TTL_SECONDS:
        raise InvalidQuantity("ttl is out of range.", fields={"ttl": [f"{seconds}s"]})
    return timedelta(seconds=seconds)


def _demand(lines: Lines) -> tuple[dict[int, int], dict[int, str]]:
    demand, skus = sum_lines(lines)
    if not demand:
        raise InvalidQuantity("Nothing to reserve.", fields={"lines": ["Empty."]})
    return demand, skus


def _lock_expired(queryset, limit: int | None = None) -> list[tuple[int, int, int, int]]:
    queryset = queryset.order_by("pk")
    if skip_locked_supported():
        queryset = queryset.select_for_update(skip_locked=True)
    rows = queryset.values_list("pk", "variant_id", "location_id", "quantity")
    return list(rows[:limit] if limit else rows)


def _give_back(rows, *, status: str, now) -> int:
    """Mark locked ACTIVE reservation rows `status` and return their units to stock (pk order)."""
    if not rows:
        return 0
    Reservation.objects.filter(
        pk__in=[r[0] for r in rows], status=ReservationStatus.ACTIVE
    ).update(status=status, updated_at=now)
    per_level: dict[tuple[int, int], int] = defaultdict(int)
    for _pk, variant_id, location_id, quantity in rows:
        per_level[(variant_id, location_id)] += quantity
    _update_many({"reserved": per_level})
    drop_gate.note_released((vid, qty) for (vid, _loc), qty in per_level.items())
    return len(rows)


_KINDS = frozenset(ReservationKind.values)  # read on every reservation: built once


def reserve_stock(
    *,
    lines: Lines,
    market,
    owner: str,
    ttl: timedelta | int | None = None,
    kind: str = ReservationKind.SOFT,
) -> list[Reservation]:
    """Reserve every line in `market` for `owner` (cart_… / ord_…), or nothing.

    `lines` maps a Variant or SKU to a quantity. Routing (the market's strategy) picks the
    location(s); a line is split only when no single location can fill it. Expired holds of
    these SKUs are released first, so a late beat never blocks a buyer. Each allocation is a
    conditional UPDATE that only succeeds while enough ATP remains.

    On PostgreSQL a market served by one location is reserved in a single statement (see
    _reserve_fast): outside a transaction it commits by itself, inside one it joins it. A
    market the statement found several locations in is remembered for a minute
    (ROUTED_MARKET_SECONDS): its reservations go straight to routing.
    Otherwise (several locations, SQLite) it runs in its own transaction (a savepoint in the
    caller's) and plans under lock.

    Locks: the market's StockLevel rows of these variants, in pk order; then expired
    reservation rows (SKIP LOCKED). Raises UnknownSku, InvalidQuantity (also for a bad
    owner, kind or ttl), LockTimeout, and InsufficientStock with
    `lines=[{sku, requested, available}]` (nothing reserved).
    """
    if not isinstance(owner, str) or not 0 < len(owner) <= OWNER_MAX_LENGTH:
        raise InvalidQuantity(
            f"A reservation needs an owner reference of up to {OWNER_MAX_LENGTH} characters.",
            fields={"owner": ["Missing or too long."]},
        )
    if kind not in _KINDS:
        raise InvalidQuantity(f"Unknown reservation kind: {kind}.", fields={"kind": [str(kind)]})
    demand, skus = _demand(lines)
    now = timezone.now()
    hold = {
        "owner": owner,
        "kind": kind,
        "expires_at": None if kind == ReservationKind.HARD else now + _ttl(ttl),
        "status": (
            ReservationStatus.COMMITTED
            if kind == ReservationKind.HARD
            else ReservationStatus.ACTIVE
        ),
    }
    connection = connections[router.db_for_write(StockLevel)]
    market_id = getattr(market, "pk", None)
    if connection.vendor == "postgresql" and not _known_routed(market_id):
        try:
            reservations, available = reserve_in_one_statement(
                connection, demand=demand, market_id=market_id, now=now, **hold
            )
        except SeveralLocations:
            _remember_routed(market_id)
        else:
            if available:
                raise InsufficientStock(_shortfall(available, demand, skus))
            stock_moved(demand)
            return reservations
    with transaction.atomic(using=connection.alias):
        return _reserve_routed(demand, skus, market=market, hold=hold)


# Markets the single statement found several locations in: {market id: monotonic time to try
# the statement again}. Their reservations go straight to routing instead of spending a
# statement to learn it again. Only speed depends on it: routing is right for any market,
# and a market that grew a second location is told by the statement itself.
ROUTED_MARKET_SECONDS = 60
_routed_markets: dict[int | None, float] = {}


def _known_routed(market_id) -> bool:
    return _routed_markets.get(market_id, 0.0) > time.monotonic()


def _remember_routed(market_id) -> None:
    _routed_markets[market_id] = time.monotonic() + ROUTED_MARKET_SECONDS


def forget_routed_markets() -> None:
    """Try the single statement again for every market (tests)."""
    _routed_markets.clear()


def _reserve_routed(demand, skus, *, market, hold: dict) -> list[Reservation]:
    """reserve_stock for several locations (or SQLite): lock, plan the routing, reserve."""
    locations, strategy = selectors.list_market_locations_and_strategy(market=market)
    location_ids = [loc.pk for loc in locations]
    stock_moved(demand)

    levels = lock_rows(
        StockLevel.objects.filter(variant_id__in=list(demand), location_id__in=location_ids)
    )
    now = timezone.now()
    expired = _lock_expired(
        Reservation.objects.expired(now).filter(
            variant_id__in=list(demand), location_id__in=location_ids
        )
    )
    if expired:
        _give_back(expired, status=ReservationStatus.EXPIRED, now=now)
        levels = list(StockLevel.objects.filter(pk__in=[lvl.pk for lvl in levels]).order_by("pk"))

    plan = plan_allocations(
        demand=demand,
        atp={(lvl.variant_id, lvl.location_id): lvl.atp for lvl in levels},
        locations=locations,
        strategy=strategy,
        market=market,
    )
    if plan.short:
        raise InsufficientStock(_shortfall(plan.short, demand, skus))

    level_pk = {(lvl.variant_id, lvl.location_id): lvl.pk for lvl in levels}
    additions = sorted(
        (level_pk[(a.variant_id, a.location_id)], a.quantity) for a in plan.allocations
    )
    if not _add_reserved(additions):  # only a caller bypassing the locks gets here
        available = selectors.available_quantities(variant_ids=list(demand), market=market)
        raise InsufficientStock(_shortfall(available, demand, skus))
    return Reservation.objects.bulk_create(
        Reservation(
            variant_id=a.variant_id, location_id=a.location_id, quantity=a.quantity, **hold
        )
        for a in plan.allocations
    )


def _add_reserved(additions: list[tuple[int, int]]) -> bool:
    """Add each (stock level pk, units) to `reserved` where the level's ATP still covers the
    units; True when every level took its units. One statement for all the lines on
    PostgreSQL (an UPDATE joined to a VALUES list), so a checkout's reservation costs the same
    round trips for one line or fifty; a statement per level elsewhere (SQLite: development).
    """
    connection = connections[router.db_for_write(StockLevel)]
    if connection.vendor != "postgresql":
        return all(
            StockLevel.objects.filter(pk=pk)
            .alias(atp=ATP_EXPRESSION)
            .filter(atp__gte=units)
            .update(reserved=F("reserved") + units)
            for pk, units in additions
        )
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    rows = ", ".join(["(%s::bigint, %s::integer)"] * len(additions))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS s SET reserved = s.reserved + v.units "  # noqa: S608 - names are ours
            f"FROM (VALUES {rows}) AS v(id, units) WHERE s.id = v.id AND "
            "s.on_hand - s.reserved - s.in_transit_out + s.in_transit_in - s.safety_stock "
            ">= v.units",
            [value for addition in additions for value in addition],
        )
        return cursor.rowcount == len(additions)


def _shortfall(available: Mapping[int, int], demand, skus) -> list[dict]:
    return [
        {"sku": skus[vid], "requested": qty, "available": max(0, available.get(vid, 0))}
        for vid, qty in demand.items()
        if vid in available and available[vid] < qty
    ]


# Committing or releasing an owner's holds (every placement) locks them this way (compiled).
_OWNER_HOLDS_FOR_UPDATE = CompiledQuery(
    lambda owner: Reservation.objects.filter(owner=owner).select_for_update().order_by("pk"),
    owner=str,
)


def _lock_reservations(*, reservations=None, owner: str | None = None) -> list[Reservation]:
    if reservations is None and not owner:
        raise ReservationNotActive("Say which reservations.")
    if reservations is None:
        return lock_compiled(_OWNER_HOLDS_FOR_UPDATE, owner=owner)
    qs = Reservation.objects.all()
    if reservations is not None:
        pks = (
            [r.pk for r in reservations]
            if not isinstance(reservations, Reservation)
            else [reservations.pk]
        )
        qs = qs.filter(pk__in=pks)
    if owner:
        qs = qs.filter(owner=owner)
    return lock_rows(qs)


@transaction.atomic
def commit_reservations(*, reservation: Reservation | None = None, owner: str | None = None):
    """Make soft holds hard (payment authorized): no TTL any more. Idempotent.

    Locks the reservation rows. Raises ReservationNotActive if a hold was already
    released or expired (the caller must reserve again).
    """
    rows = _lock_reservations(reservations=reservation, owner=owner)
    open_rows = [r for r in rows if r.status in OPEN_STATUSES]
    lost = [r for r in rows if r.status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED)]
    if lost or not open_rows:
        raise ReservationNotActive("The reservation has expired or was released.")
    to_commit = [r for r in open_rows if r.status == ReservationStatus.ACTIVE]
    if to_commit:
        now = timezone.now()
        Reservation.objects.filter(pk__in=[r.pk for r in to_commit]).update(
            status=ReservationStatus.COMMITTED,
            kind=ReservationKind.HARD,
            expires_at=None,
            updated_at=now,
        )
        for row in to_commit:  # the rows are locked: what we wrote is what they hold
            row.status, row.kind, row.expires_at, row.updated_at = (
                ReservationStatus.COMMITTED,
                ReservationKind.HARD,
                None,
                now,
            )
    return open_rows


@transaction.atomic
def release_stock(*, reservation: Reservation | None = None, owner: str | None = None) -> int:
    """Give held units back (cancel, decline, cart emptied). Idempotent: returns units freed.

    Locks reservation rows (pk order), then stock rows (pk order). Consumed, released and
    expired reservations are left alone.
    """
    rows = _lock_reservations(reservations=reservation, owner=owner)
    now = timezone.now()
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    picking: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        if r.status in HOLDING_STATUSES:
            reserved[(r.variant_id, r.location_id)] += r.quantity
        elif r.status == ReservationStatus.PICKING:
            picking[(r.variant_id, r.location_id)] += r.quantity
    freed = [r.pk for r in rows if r.status in OPEN_STATUSES]
    if not freed:
        return 0
    Reservation.objects.filter(pk__in=freed).update(
        status=ReservationStatus.RELEASED, updated_at=now
    )
    _update_many({"reserved": reserved, "in_transit_out": picking})
    drop_gate.note_released((r.variant_id, r.quantity) for r in rows if r.status in OPEN_STATUSES)
    return sum(reserved.values()) + sum(picking.values())


def _update_many(changes: Mapping[str, Mapping[tuple[int, int], int]]) -> None:
    """Subtract per-field quantities from levels, touching each level once, in pk order."""
    per_level: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for field, quantities in changes.items():
        for key, qty in quantities.items():
            if qty:
                per_level[key][field] = qty
    if not per_level:
        return
    stock_moved({variant_id for variant_id, _ in per_level})
    levels = levels_matching(list(per_level)).values_list("pk", "variant_id", "location_id")
    for pk, variant_id, location_id in sorted(levels):
        fields = per_level.get((variant_id, location_id))
        if not fields:
            continue
        StockLevel.objects.filter(pk=pk).update(
            **{field: F(field) - qty for field, qty in fields.items()}
        )


@transaction.atomic
def extend_reservations(
    *, reservation: Reservation | None = None, owner: str | None = None, ttl=None
) -> list[Reservation]:
    """Push back the expiry of ACTIVE soft holds to now + ttl. Locks the reservation rows.

    Raises ReservationNotActive if none is active any more.
    """
    rows = [
        r
        for r in _lock_reservations(reservations=reservation, owner=owner)
        if r.status == ReservationStatus.ACTIVE
    ]
    if not rows:
        raise ReservationNotActive("No active reservation to extend.")
    expires_at = timezone.now() + _ttl(ttl)
    Reservation.objects.filter(pk__in=[r.pk for r in rows]).update(
        expires_at=expires_at, updated_at=timezone.now()
    )
    for r in rows:
        r.expires_at = expires_at
    return rows


@transaction.atomic
def start_picking(*, reservation: Reservation) -> Reservation:
    """Move a held reservation's units from `reserved` to `in_transit_out` (being packed).

    Locks the reservation, then its stock row. Raises ReservationNotActive. Idempotent.
    """
    (row,) = _lock_reservations(reservations=reservation) or [None]
    if row is None or row.status not in OPEN_STATUSES:
        raise ReservationNotActive()
    if row.status == ReservationStatus.PICKING:
        return row
    stock_moved([row.variant_id])
    StockLevel.objects.filter(variant_id=row.variant_id, location_id=row.location_id).update(
        reserved=F("reserved") - row.quantity, in_transit_out=F("in_transit_out") + row.quantity
    )
    row.status = ReservationStatus.PICKING
    row.save(update_fields=["status", "updated_at"])
    return row


@transaction.atomic
def consume_reservation(
    *, reservation: Reservation, quantity: int | None = None, actor=None, reference: str = ""
) -> Reservation:
    """Ship `quantity` (default: all) units of a reservation: on_hand and the hold go down.

    A partial consume splits off a CONSUMED row and leaves the rest open. Locks the
    reservation, then its stock row. Appends a `sale` movement. Raises ReservationNotActive,
    InvalidQuantity, StockBelowPromised (the units are still in transit to this location).
    """
    (row,) = _lock_reservations(reservations=reservation) or [None]
    if row is None or row.status not in OPEN_STATUSES:
        raise ReservationNotActive()
    qty = row.quantity if quantity is None else check_quantity(quantity)
    if qty > row.quantity:
        raise InvalidQuantity(f"Only {row.quantity} units are held.", fields={"quantity": [qty]})
    held = "in_transit_out" if row.status == ReservationStatus.PICKING else "reserved"
    stock_moved([row.variant_id])
    (level,) = lock_rows(
        StockLevel.objects.filter(variant_id=row.variant_id, location_id=row.location_id)
    )
    if level.on_hand < qty:
        raise StockBelowPromised("Those units have not arrived at this location yet.")
    StockLevel.objects.filter(pk=level.pk).update(
        on_hand=F("on_hand") - qty, **{held: F(held) - qty}
    )
    record_movements(
        [Move(level, MovementKind.SALE, -qty, level.on_hand - qty)],
        actor=actor,
        reference=reference or row.owner,
    )
    now = timezone.now()
    if qty == row.quantity:
        row.status = ReservationStatus.CONSUMED
        row.save(update_fields=["status", "updated_at"])
        return row
    Reservation.objects.filter(pk=row.pk).update(quantity=F("quantity") - qty, updated_at=now)
    return Reservation.objects.create(
        variant_id=row.variant_id,
        location_id=row.location_id,
        quantity=qty,
        status=ReservationStatus.CONSUMED,
        kind=row.kind,
        expires_at=row.expires_at,
        owner=row.owner,
    )


@transaction.atomic
def reassign_reservations(*, owner: str, new_owner: str) -> int:
    """Hand a cart's open holds to its order (cart_… -> ord_…). Locks the reservation rows."""
    rows = [r.pk for r in _lock_reservations(owner=owner) if r.status in OPEN_STATUSES]
    return Reservation.objects.filter(pk__in=rows).update(
        owner=new_owner, updated_at=timezone.now()
    )


def expire_reservations(*, batch_size: int = 500, now=None, max_batches: int | None = None) -> int:
    """Release ACTIVE reservations whose TTL has passed; returns how many. Safe to run anywhere.

    Each batch is its own transaction: up to `batch_size` rows taken with FOR UPDATE SKIP
    LOCKED (concurrent sweeps and reservers never take the same row twice), then their
    stock rows in pk order.
    """
    total, batches = 0, 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            moment = now or timezone.now()
            rows = _lock_expired(Reservation.objects.expired(moment), limit=batch_size)
            done = _give_back(rows, status=ReservationStatus.EXPIRED, now=moment)
        total += done
        batches += 1
        if done < batch_size:
            break
    return total
