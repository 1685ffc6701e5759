"""Cents onto lines: largest remainder (shop.money.allocate), never above what a line has left."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shop.money import allocate


def spread(
    amount: int, keys: Sequence[str], remaining: Mapping[str, int]
) -> list[tuple[str, int]]:
    """Split `amount` over `keys` weighted by what each has left; capped at their sum.

    Each part is at most its line's remaining amount (a share of a total no larger than the
    weights' sum never rounds above its weight), so no line goes negative.
    """
    keys = [k for k in keys if remaining.get(k, 0) > 0]
    if not keys or amount <= 0:
        return []
    amount = min(amount, sum(remaining[k] for k in keys))
    parts = allocate(amount, [remaining[k] for k in keys])
    return [(k, part) for k, part in zip(keys, parts, strict=True) if part]


def cap_parts(parts: list[tuple[str, int]], cap: int) -> list[tuple[str, int]]:
    """Scale per-line parts down to `cap` in total (largest remainder over the parts)."""
    total = sum(cents for _, cents in parts)
    if total <= cap:
        return parts
    if cap <= 0:
        return []
    scaled = allocate(cap, [cents for _, cents in parts])
    return [(k, c) for (k, _), c in zip(parts, scaled, strict=True) if c]
