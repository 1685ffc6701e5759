"""What each unit of an order is worth, to the cent: the base of cancellation refunds.

The rule (docs/orders.md, "What a cancelled unit gives back"):

1. A line is worth its `total_cents` (its subtotal, minus its discount, plus its tax).
2. What the order charges outside its lines — shipping and its tax, minus any discount not
   given to a line — is `order.total_cents - sum(line totals)`. It is shared over the lines
   in proportion to their totals (largest remainder, shop.money.allocate; equally when
   every line is free).
3. A line's worth plus its share is split over its units (largest remainder again: the
   first units carry the left-over cents).
4. Units are cancelled from the last one backwards, so cancelling k units of a line at once
   or one at a time gives back the same cents, and cancelling everything gives back exactly
   the order's total.

Pure functions over integers; no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shop.money import allocate


@dataclass(frozen=True)
class LineWorth:
    key: object
    quantity: int
    total_cents: int


def unit_shares(order_total_cents: int, lines: Sequence[LineWorth]) -> dict[object, list[int]]:
    """{line key: [cents of unit 1, unit 2, …]}; all units together are the order's total."""
    if not lines:
        return {}
    outside_lines = order_total_cents - sum(line.total_cents for line in lines)
    shares = allocate(outside_lines, [max(line.total_cents, 0) for line in lines])
    return {
        line.key: allocate(line.total_cents + share, [1] * line.quantity)
        for line, share in zip(lines, shares, strict=True)
    }


def cancelled_worth(
    shares: Mapping[object, list[int]],
    already_cancelled: Mapping[object, int],
    cancelling: Mapping[object, int],
) -> int:
    """Cents the `cancelling` units {key: n} are worth, taken from the end of each line after
    the `already_cancelled` ones."""
    total = 0
    for key, count in cancelling.items():
        units = shares[key]
        end = len(units) - already_cancelled.get(key, 0)
        total += sum(units[end - count : end])
    return total


def kept_worth(shares: Mapping[object, list[int]], cancelled: Mapping[object, int]) -> int:
    """Cents the units not cancelled are worth (what the customer still owes)."""
    return sum(sum(units[: len(units) - cancelled.get(key, 0)]) for key, units in shares.items())


def order_unit_shares(order) -> dict[int, list[int]]:
    """unit_shares of an Order, keyed by line pk."""
    return unit_shares(
        order.total_cents,
        [LineWorth(line.pk, line.quantity, line.total_cents) for line in order.lines.all()],
    )
