"""Helpers shared by the inventory services: input checks, row locks, ledger rows."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, Q

from catalog.models import Variant
from inventory.availability_cache import stock_moved
from inventory.exceptions import DuplicateSku, InvalidQuantity, UnknownLocation, UnknownSku
from inventory.models import Location, MovementKind, StockLevel, StockMovement
from shop.locks import lock_rows


def max_quantity() -> int:
    return settings.INVENTORY_MAX_QUANTITY


def check_quantity(value, *, field: str = "quantity", allow_zero: bool = False) -> int:
    """`value` as a positive int (or zero when allowed); bools, floats and huge numbers refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(f"{field} must be a whole number.", fields={field: ["Not an int."]})
    low = 0 if allow_zero else 1
    if not low <= value <= max_quantity():
        raise InvalidQuantity(
            f"{field} must be between {low} and {max_quantity()}, not {value}.",
            fields={field: [f"Out of range: {value}."]},
        )
    return value


def check_delta(value, *, field: str = "delta") -> int:
    """A non-zero signed change no larger than the maximum quantity."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuantity(f"{field} must be a whole number.", fields={field: ["Not an int."]})
    if value == 0 or abs(value) > max_quantity():
        raise InvalidQuantity(
            f"{field} must be non-zero and at most {max_quantity()} in size, not {value}.",
            fields={field: [f"Out of range: {value}."]},
        )
    return value


def resolve_variants(refs: Iterable[Variant | str]) -> dict[Variant | str, Variant]:
    """Map each Variant or SKU string to a saved Variant (one query). Raises UnknownSku."""
    refs = list(refs)
    skus = {ref for ref in refs if isinstance(ref, str)}
    found = {v.sku: v for v in Variant.objects.filter(sku__in=skus)} if skus else {}
    missing = skus - found.keys()
    missing |= {str(ref) for ref in refs if not isinstance(ref, str | Variant) or ref is None}
    missing |= {ref.sku or "?" for ref in refs if isinstance(ref, Variant) and ref.pk is None}
    if missing:
        raise UnknownSku(missing)
    return {ref: found[ref] if isinstance(ref, str) else ref for ref in refs}


Lines = Mapping[Variant | str, int] | Iterable[tuple[Variant | str, int]]


def sum_lines(lines: Lines) -> tuple[dict[int, int], dict[int, str]]:
    """({variant_id: total quantity}, {variant_id: sku}) of `lines`; empty lines give ({}, {}).

    Each quantity and each per-variant total must be in range. Raises InvalidQuantity,
    UnknownSku.
    """
    items = list(lines.items() if isinstance(lines, Mapping) else lines)
    for _ref, qty in items:
        check_quantity(qty)
    variants = resolve_variants(ref for ref, _ in items)
    totals: dict[int, int] = defaultdict(int)
    skus: dict[int, str] = {}
    for ref, qty in items:
        variant = variants[ref]
        totals[variant.pk] += qty
        skus[variant.pk] = variant.sku
    for variant_id, qty in totals.items():
        check_quantity(qty, field=f"quantity of {skus[variant_id]}")
    return dict(totals), skus


def check_unique_skus(skus: Iterable[str]) -> None:
    """Raise DuplicateSku if a SKU is listed twice (linear: WMS payloads run to 10,000 items)."""
    duplicates = [sku for sku, n in Counter(skus).items() if n > 1]
    if duplicates:
        raise DuplicateSku(duplicates)


def check_location(location: Location) -> Location:
    if not isinstance(location, Location) or location.pk is None:
        raise UnknownLocation(str(location))
    return location


def skip_locked_supported() -> bool:
    return connection.features.has_select_for_update_skip_locked


def lock_levels(pairs: Iterable[tuple[int, int]], *, create: bool) -> dict[tuple, StockLevel]:
    """Lock the StockLevel rows of (variant_id, location_id) pairs in pk order (LockTimeout
    when another transaction holds one too long).

    With `create`, missing rows are inserted first (sorted, ON CONFLICT DO NOTHING) so that
    concurrent first receipts of the same SKU queue on the unique index instead of failing.
    """
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    stock_moved({variant_id for variant_id, _ in pairs})  # locked to be written
    match = levels_matching(pairs)
    if create:
        existing = set(match.values_list("variant_id", "location_id"))
        missing = [p for p in pairs if p not in existing]
        if missing:
            StockLevel.objects.bulk_create(
                [StockLevel(variant_id=v, location_id=loc) for v, loc in missing],
                ignore_conflicts=True,
            )
    wanted = set(pairs)
    # The IN x IN filter may lock a few extra rows of the cross product: harmless, same order.
    levels = lock_rows(match)
    return {
        (lvl.variant_id, lvl.location_id): lvl
        for lvl in levels
        if (lvl.variant_id, lvl.location_id) in wanted
    }


def levels_matching(pairs):
    """StockLevels of the variants x locations in `pairs` (flat IN filters, not a long OR)."""
    return StockLevel.objects.filter(
        variant_id__in={v for v, _ in pairs}, location_id__in={loc for _, loc in pairs}
    )


def promised_fits(change: int = 0) -> Q:
    """The CHECK invariant after adding `change` to on_hand, as an UPDATE condition."""
    return Q(on_hand__gte=F("reserved") + F("in_transit_out") - F("in_transit_in") - change)


@dataclass(frozen=True)
class Move:
    level: StockLevel
    kind: str
    delta: int
    on_hand_after: int


def record_movements(moves: list[Move], *, actor=None, reason="", reference="") -> list:
    """Append ledger rows; zero deltas are not movements and are skipped."""
    rows = [
        StockMovement(
            variant_id=m.level.variant_id,
            location_id=m.level.location_id,
            kind=m.kind,
            delta=m.delta,
            on_hand_after=m.on_hand_after,
            reason=(reason or "")[:255],
            reference=(reference or "")[:64],
            actor=actor if actor is not None and actor.is_authenticated else None,
        )
        for m in moves
        if m.delta
    ]
    return StockMovement.objects.bulk_create(rows)


__all__ = ["MovementKind"]
