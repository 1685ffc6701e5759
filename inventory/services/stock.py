"""Changes of on_hand: receipts, adjustments, write-offs, return restocks and absolute counts.

Each one locks the StockLevel rows it changes in pk order, changes on_hand with a
conditional UPDATE that keeps the no-oversell invariant, and appends StockMovements.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Variant
from inventory.exceptions import InvalidQuantity, ReasonRequired, StockBelowPromised
from inventory.models import Location, MovementKind, StockLevel, StockMovement
from inventory.selectors import get_location
from inventory.services._common import (
    Move,
    check_delta,
    check_location,
    check_quantity,
    check_unique_skus,
    lock_levels,
    promised_fits,
    record_movements,
    resolve_variants,
)
from shop.exceptions import ValidationFailed
from shop.models import Market
from shop.webhooks import record_webhook_once

ADJUSTMENT_KINDS = {
    MovementKind.RECEIPT,
    MovementKind.ADJUSTMENT,
    MovementKind.WRITE_OFF,
    MovementKind.RETURN_RESTOCK,
}
# The WMS's clock may run a little ahead of ours; further ahead is a bad payload.
MAX_CLOCK_SKEW = timedelta(minutes=5)


def _below_promised(level: StockLevel, sku: str, delta: int) -> StockBelowPromised:
    promised = level.reserved + level.in_transit_out
    return StockBelowPromised(
        f"{sku} at {level.location.code}: on hand {level.on_hand} {delta:+d} would leave fewer "
        f"units than the {promised} reserved or being picked.",
        sku=sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        in_transit_out=level.in_transit_out,
    )


@transaction.atomic
def adjust_stock(
    *,
    variant: Variant | str,
    location: Location,
    delta: int,
    reason: str,
    actor=None,
    kind: str = MovementKind.ADJUSTMENT,
    reference: str = "",
) -> StockMovement:
    """Change on_hand by `delta` for a stated reason; returns the ledger entry.

    Locks the StockLevel row (creating it for a first receipt). Raises UnknownSku,
    UnknownLocation, InvalidQuantity, ReasonRequired, StockBelowPromised (on_hand would drop
    below what is reserved or being picked). Nothing changes when it raises.
    """
    check_delta(delta)
    reason = (reason or "").strip()
    if kind not in ADJUSTMENT_KINDS:
        raise InvalidQuantity(f"{kind} is not an adjustment kind.", fields={"kind": [kind]})
    if not reason and kind in (MovementKind.ADJUSTMENT, MovementKind.WRITE_OFF):
        raise ReasonRequired()
    variant = resolve_variants([variant])[variant]
    check_location(location)
    key = (variant.pk, location.pk)
    level = lock_levels([key], create=delta > 0).get(key)
    if level is None:
        level = StockLevel(variant=variant, location=location)
        raise _below_promised(level, variant.sku, delta)
    # Reservations may count on inbound transfer units, but a reduction may not: every unit
    # held or being picked must stay physically here (API.md: on_hand never below reserved).
    fits = (
        promised_fits(delta)
        if delta > 0
        else Q(on_hand__gte=F("reserved") + F("in_transit_out") - delta)
    )
    updated = (
        StockLevel.objects.filter(pk=level.pk, on_hand__gte=-delta)
        .filter(fits)
        .update(on_hand=F("on_hand") + delta)
    )
    if not updated:
        raise _below_promised(level, variant.sku, delta)
    (movement,) = record_movements(
        [Move(level, kind, delta, level.on_hand + delta)],
        actor=actor,
        reason=reason or kind,
        reference=reference,
    )
    return movement


def receive_stock(*, variant, location, quantity: int, actor=None, reference="", reason=""):
    """Book a goods receipt of `quantity` units (see adjust_stock)."""
    check_quantity(quantity)
    return adjust_stock(
        variant=variant,
        location=location,
        delta=quantity,
        reason=reason or "receipt",
        actor=actor,
        kind=MovementKind.RECEIPT,
        reference=reference,
    )


def write_off_stock(*, variant, location, quantity: int, reason: str, actor=None, reference=""):
    """Remove damaged or lost units for a stated reason (see adjust_stock)."""
    check_quantity(quantity)
    return adjust_stock(
        variant=variant,
        location=location,
        delta=-quantity,
        reason=reason,
        actor=actor,
        kind=MovementKind.WRITE_OFF,
        reference=reference,
    )


def restock_return(*, variant, location, quantity: int, reference: str, actor=None):
    """Put returned units back on the shelf (returns issue: disposition `resell`)."""
    check_quantity(quantity)
    return adjust_stock(
        variant=variant,
        location=location,
        delta=quantity,
        reason="return restock",
        actor=actor,
        kind=MovementKind.RETURN_RESTOCK,
        reference=reference,
    )


@dataclass
class CountResult:
    applied: list[str] = field(default_factory=list)  # SKUs whose count was taken
    ignored: list[str] = field(default_factory=list)  # SKUs with a newer count already stored
    duplicate: bool = False  # the event id was applied before: nothing done
    movements: list[StockMovement] = field(default_factory=list)


def _check_as_of(as_of: datetime | None) -> datetime | None:
    if as_of is None:
        return None
    if not isinstance(as_of, datetime) or timezone.is_naive(as_of):
        raise InvalidQuantity("as_of must be a time with a zone.", fields={"as_of": ["Naive."]})
    if as_of > timezone.now() + MAX_CLOCK_SKEW:
        raise InvalidQuantity("as_of is in the future.", fields={"as_of": ["In the future."]})
    return as_of


def _apply_counts(
    *, location: Location, counts: dict[int, tuple[str, int]], as_of, source, actor, reference
) -> CountResult:
    """Take absolute counts {variant_id: (sku, on_hand)} at one location; caller holds atomic."""
    levels = lock_levels([(vid, location.pk) for vid in counts], create=True)
    result, moves, stamp = CountResult(), [], as_of or timezone.now()
    for (variant_id, _loc), level in levels.items():
        sku, target = counts[variant_id]
        # An equal as_of is the same count again (a replayed snapshot), not a newer one.
        if as_of is not None and level.synced_at is not None and as_of <= level.synced_at:
            result.ignored.append(sku)
            continue
        level.location = location
        if target + level.in_transit_in < level.reserved + level.in_transit_out:
            raise _below_promised(level, sku, target - level.on_hand)
        moves.append(Move(level, MovementKind.SYNC, target - level.on_hand, target))
        result.applied.append(sku)
    # The rows are locked, so writing the counted values (not F() arithmetic) is safe; one
    # statement per batch instead of one per SKU, as a WMS snapshot can hold 10,000 of them.
    for move in moves:
        move.level.on_hand = move.on_hand_after
        move.level.synced_at = stamp
        move.level.source = source[:60]
    StockLevel.objects.bulk_update(
        [move.level for move in moves], ["on_hand", "synced_at", "source"], batch_size=500
    )
    result.movements = record_movements(
        moves, actor=actor, reason=f"count from {source}", reference=reference
    )
    if result.applied:
        Location.objects.filter(pk=location.pk).filter(
            Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=stamp)
        ).update(last_synced_at=stamp)
    return result


@transaction.atomic
def set_stock_count(
    *, variant, location: Location, on_hand: int, source: str, as_of=None, actor=None
) -> CountResult:
    """Set the absolute on_hand of a variant at a location (import, WMS, stocktake).

    A count older than the stored one (`as_of` < synced_at) is ignored. A correction appends
    a `sync` movement. Locks the StockLevel row. Raises UnknownSku, UnknownLocation,
    InvalidQuantity, StockBelowPromised (the count is below what is reserved).
    """
    check_quantity(on_hand, field="on_hand", allow_zero=True)
    variant = resolve_variants([variant])[variant]
    check_location(location)
    return _apply_counts(
        location=location,
        counts={variant.pk: (variant.sku, on_hand)},
        as_of=_check_as_of(as_of),
        source=source or "count",
        actor=actor,
        reference="",
    )


@transaction.atomic
def sync_stock_levels(
    *,
    location: Location,
    as_of: datetime,
    items: Iterable[tuple[str, int]],
    source: str = "wms",
    actor=None,
    reference: str = "",
    event_id: str | None = None,
    signature: str | None = None,
) -> CountResult:
    """Apply a WMS snapshot of absolute counts at one location: all of it or nothing.

    Items not newer than the stored count (`as_of` <= synced_at) are ignored. A snapshot
    whose `event_id` (under `source`), or whose `signature` digest (the signed request that
    delivered it, under `<source>:signature`), was applied before is a no-op (`duplicate`):
    a captured webhook replayed within its signature's tolerance changes nothing. Both are
    recorded in this transaction, so a refused snapshot may be sent again. Locks the
    location's StockLevel rows of these SKUs in pk order. Raises DuplicateSku, UnknownSku,
    UnknownLocation, InvalidQuantity, StockBelowPromised.
    """
    check_location(location)
    if as_of is None:
        raise InvalidQuantity("as_of is required.", fields={"as_of": ["Required."]})
    as_of = _check_as_of(as_of)
    items = list(items)
    if not items:
        raise InvalidQuantity("No items.", fields={"items": ["Empty."]})
    skus = [str(sku) for sku, _ in items]
    check_unique_skus(skus)
    for sku, on_hand in items:
        check_quantity(on_hand, field=f"on_hand of {sku}", allow_zero=True)
    variants = resolve_variants(skus)
    counts = {variants[str(sku)].pk: (str(sku), on_hand) for sku, on_hand in items}
    deliveries = [(source, event_id), (f"{source}:signature", signature)]
    if _seen_before([(kind, key) for kind, key in deliveries if key]):
        return CountResult(duplicate=True)
    return _apply_counts(
        location=location,
        counts=counts,
        as_of=as_of,
        source=source,
        actor=actor,
        reference=reference or event_id or "",
    )


def _seen_before(deliveries: list[tuple[str, str]]) -> bool:
    """Record each (source, key) of this delivery; True, recording none, if one was seen."""
    with transaction.atomic():
        for source, key in deliveries:
            if not record_webhook_once(source, key):
                transaction.set_rollback(True)  # a duplicate leaves no new records behind
                return True
    return False


@transaction.atomic
def set_safety_stock(*, variant, location: Location, safety_stock: int, actor=None) -> StockLevel:
    """Set the units held back from sale at a location. Locks the StockLevel row."""
    check_quantity(safety_stock, field="safety_stock", allow_zero=True)
    variant = resolve_variants([variant])[variant]
    check_location(location)
    key = (variant.pk, location.pk)
    level = lock_levels([key], create=True)[key]
    level.safety_stock = safety_stock
    level.save(update_fields=["safety_stock", "updated_at"])
    return level


def apply_catalog_import_counts(
    *,
    counts: dict[str, int],
    actor=None,
    location: str | None = None,
    currency: str | None = None,
) -> CountResult | None:
    """Take the stock counts of a catalog import (Shopify's Variant Inventory Qty) as absolute
    counts at one location; all of them or none (see sync_stock_levels).

    The catalog calls this through catalog.ports inside its import's transaction, so a refusal
    here rolls the catalog rows back too. `location` is the code the user chose; without it the
    counts go where shoppers of the file's market can buy them: the one active location serving
    an active market in `currency`. Returns None when the shop has no stock location at all
    (nothing to count into). Raises ValidationFailed (code stock_location_required) when no
    location, or several, serve that market, UnknownLocation for an unknown code, and what
    sync_stock_levels raises.
    """
    if not counts:
        return None
    if location:
        target = get_location(code=location)
    else:
        target = _import_location(currency)
        if target is None:
            return None
    return sync_stock_levels(
        location=target,
        as_of=timezone.now(),
        items=sorted(counts.items()),
        source="catalog_import",
        actor=actor,
        reference="catalog import",
    )


def _import_location(currency: str | None) -> Location | None:
    """The one active location serving an active market in `currency` (any market if None)."""
    active = Location.objects.active()
    if not active.exists():
        return None
    markets = Market.objects.filter(is_active=True)
    if currency:
        markets = markets.filter(currency=currency)
    candidates = list(active.filter(markets__in=markets).distinct().order_by("priority", "code"))
    where = f"a market in {currency}" if currency else "a market"
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        detail = (
            f"No active stock location serves {where} (the file's currency), so shoppers "
            "could not buy these units; choose the location for the stock counts."
        )
    else:
        codes = ", ".join(c.code for c in candidates)
        detail = (
            f"Several stock locations serve {where} ({codes}); choose the one that "
            "receives the stock counts."
        )
    raise ValidationFailed(detail, code="stock_location_required", fields={"location": [detail]})
