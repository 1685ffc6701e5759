"""Routing: which location(s) fill each line. Pure functions over ATP figures, no queries."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inventory.models import Location, RoutingStrategy


@dataclass(frozen=True)
class Allocation:
    variant_id: int
    location_id: int
    quantity: int


@dataclass
class Plan:
    allocations: list[Allocation]
    short: dict[int, int]  # variant_id -> units available in the market


def order_locations(locations: Sequence[Location], *, strategy: str, market) -> list[Location]:
    """Locations in the strategy's order of preference.

    closest / fewest_splits: locations in the market's countries first, then priority.
    lowest_cost: the shipping cost to the market's zone, then priority.
    """
    countries = set(getattr(market, "countries", None) or [])
    if strategy == RoutingStrategy.LOWEST_COST:
        return sorted(
            locations, key=lambda loc: (loc.shipping_cost_to(market.code), loc.priority, loc.code)
        )
    return sorted(
        locations, key=lambda loc: (loc.country not in countries, loc.priority, loc.code)
    )


def plan_allocations(
    *,
    demand: Mapping[int, int],
    atp: Mapping[tuple[int, int], int],
    locations: Sequence[Location],
    strategy: str,
    market,
) -> Plan:
    """Choose (variant, location, quantity) allocations for `demand` {variant_id: qty}.

    A line is split across locations only when no single location can fill it; with
    `fewest_splits` one location filling the whole order wins, then locations already used
    by earlier lines. Lines the market cannot fill are reported in `short`.
    """
    ordered = order_locations(locations, strategy=strategy, market=market)
    free = {key: max(0, value) for key, value in atp.items()}

    def avail(variant_id: int, loc: Location) -> int:
        return free.get((variant_id, loc.pk), 0)

    if strategy == RoutingStrategy.FEWEST_SPLITS:
        for loc in ordered:
            if all(avail(v, loc) >= qty for v, qty in demand.items()):
                return Plan([Allocation(v, loc.pk, qty) for v, qty in demand.items()], {})

    allocations: list[Allocation] = []
    short: dict[int, int] = {}
    used: set[int] = set()
    for variant_id, qty in demand.items():
        total = sum(avail(variant_id, loc) for loc in ordered)
        if total < qty:
            short[variant_id] = total
            continue
        candidates = ordered
        if strategy == RoutingStrategy.FEWEST_SPLITS:
            candidates = sorted(ordered, key=lambda loc: loc.pk not in used)
        single = next((loc for loc in candidates if avail(variant_id, loc) >= qty), None)
        if single is not None:
            allocations.append(Allocation(variant_id, single.pk, qty))
            used.add(single.pk)
            continue
        if strategy == RoutingStrategy.FEWEST_SPLITS:
            # Biggest piles first: the fewest pieces.
            candidates = sorted(ordered, key=lambda loc: -avail(variant_id, loc))
        remaining = qty
        for loc in candidates:
            take = min(remaining, avail(variant_id, loc))
            if take:
                allocations.append(Allocation(variant_id, loc.pk, take))
                used.add(loc.pk)
                remaining -= take
            if not remaining:
                break
    return Plan(allocations, short)
