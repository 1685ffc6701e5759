"""The promotions engine: 1,000 live promotions against a 50-line cart.

    python benchmarks/promotions_bench.py [--promotions 1000] [--lines 50] [--rounds 300]

Pure: no database (the engine reads none). Prints p50/p99 of
- cold: `promotions.engine.evaluate` on a cart not seen before (every rule checked, stacking,
  actions, allocation);
- warm: `promotions.selectors.evaluate_live` on the same cart, same promotion set version,
  same window epoch (the result cache, answered from the process-local LRU);
- warm shared: the same, with the process-local state dropped before each call, so the
  answer comes from the shared cache (Redis when REDIS_URL is set: another process's view);
- parse: turning the 1,000 stored entries into rules (once per process per version);
- ceiling: a fixed pure-Python reference workload, timed in the same run, so figures taken
  on a loaded machine can be compared as ratios (the load average is printed too).
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from promotions.engine import CartContext, ContextLine, evaluate, parse_rule  # noqa: E402
from promotions.selectors import LiveSet, evaluate_live, forget  # noqa: E402

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
CATEGORIES = [f"cat-{i}" for i in range(40)]
MARKETS = ["US", "CA", "EU"]


def entries(n: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        kind = rng.choice(
            ["percent_off", "fixed_off", "fixed_price", "buy_x_get_y", "free_shipping"]
        )
        action = {
            "percent_off": {"type": "percent_off", "value": rng.randint(5, 50)},
            "fixed_off": {"type": "fixed_off", "value": {"USD": rng.randint(100, 3000)}},
            "fixed_price": {"type": "fixed_price", "value": {"USD": rng.randint(500, 3000)}},
            "buy_x_get_y": {"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1},
            "free_shipping": {"type": "free_shipping"},
        }[kind]
        start = NOW - timedelta(days=rng.randint(-5, 30))
        out.append(
            {
                "id": f"promo_{i}",
                "priority": rng.randint(0, 100),
                "stacks_with": [f"promo_{rng.randrange(n)}" for _ in range(rng.randint(0, 3))],
                "conditions": {
                    "markets": rng.sample(MARKETS, rng.randint(1, 3)),
                    "cart_contains": {"any_of_categories": rng.sample(CATEGORIES, 2)},
                    "min_subtotal_cents": rng.choice([None, 2000, 5000, 20000]),
                    "customer_segment": rng.choice([[], ["new", "returning"], ["vip"]]),
                },
                "time_window": {
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(days=rng.randint(1, 60))).isoformat(),
                },
                "action": action,
                "exclusions": {"variants": ["sku_giftcard_*"], "sale_items": rng.random() < 0.3},
            }
        )
    return out


def cart(lines: int, rng: random.Random, salt: int) -> CartContext:
    return CartContext(
        lines=tuple(
            ContextLine(
                key=f"l{i}",
                sku=f"sku_{i}_{salt}",
                quantity=rng.randint(1, 4),
                unit_price_cents=rng.randint(500, 9000),
                product=f"p{i}",
                categories=frozenset(rng.sample(CATEGORIES, 2)),
                compare_at_cents=rng.choice([None, None, 12000]),
            )
            for i in range(lines)
        ),
        market="US",
        currency="USD",
        channel="web",
        now=NOW,
        segments=frozenset({"returning"}),
        shipping_cents=800,
    )


def reference() -> float:
    """A fixed CPU-bound workload: the unit the other figures are divided by."""
    t = time.perf_counter()
    total = 0
    for i in range(200_000):
        total += i * i % 7
    return time.perf_counter() - t


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--promotions", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(11)
    raw = entries(args.promotions, rng)

    parse_times = []
    for _ in range(5):
        t = time.perf_counter()
        rules = tuple(parse_rule(e) for e in raw)
        parse_times.append(time.perf_counter() - t)
    live = LiveSet(
        version={"promotions": 1, "prices": 1},
        rules=rules,
        exhausted=frozenset(),
        per_customer_ids=frozenset(),
        starts=tuple(sorted(r.starts_at for r in rules)),
        ends=tuple(sorted(r.ends_at for r in rules)),
    )
    carts = [cart(args.lines, rng, salt) for salt in range(args.rounds)]

    cold, warm, applied = [], [], []
    forget()
    for ctx in carts:
        t = time.perf_counter()
        result = evaluate(ctx, rules)
        cold.append(time.perf_counter() - t)
        applied.append(len(result.applied))
        evaluate_live(ctx, live)  # fills the result cache
    for ctx in carts:
        t = time.perf_counter()
        evaluate_live(ctx, live)
        warm.append(time.perf_counter() - t)
    shared = []
    for ctx in carts:
        forget()  # another process: only the shared cache knows the result
        t = time.perf_counter()
        evaluate_live(ctx, live)
        shared.append(time.perf_counter() - t)
    ceiling = [reference() for _ in range(30)]
    unit = pct(ceiling, 0.5)

    print(
        f"promotions bench: {args.promotions} live promotions, {args.lines}-line cart, "
        f"{args.rounds} carts"
    )
    print(f"  parse 1,000 entries  median {statistics.median(parse_times) * 1000:8.2f} ms")
    print(f"  evaluate cold        p50 {pct(cold, 0.5):8.3f} ms   p99 {pct(cold, 0.99):8.3f} ms")
    print(f"  evaluate warm        p50 {pct(warm, 0.5):8.3f} ms   p99 {pct(warm, 0.99):8.3f} ms")
    print(
        f"  evaluate warm shared p50 {pct(shared, 0.5):8.3f} ms   p99 {pct(shared, 0.99):8.3f} ms"
        f"   ({settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]})"
    )
    print(f"  ceiling (reference)  p50 {unit:8.3f} ms")
    print(
        "  as ratios to the ceiling: "
        f"cold p50 {pct(cold, 0.5) / unit:.2f} p99 {pct(cold, 0.99) / unit:.2f} · "
        f"warm p50 {pct(warm, 0.5) / unit:.4f} p99 {pct(warm, 0.99) / unit:.4f} · "
        f"shared p50 {pct(shared, 0.5) / unit:.3f} p99 {pct(shared, 0.99) / unit:.3f}"
    )
    print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"  promotions applied per cart: median {statistics.median(applied)}, max {max(applied)}"
    )


if __name__ == "__main__":
    main()
