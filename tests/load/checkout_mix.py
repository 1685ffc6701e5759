"""A guest checkout mix over HTTP, as buyers do it: product page -> add to cart -> checkout
steps -> place order, through the storefront's pages or the REST API (storefront/drill/buyers.py).

    # in the shop's database: stock the mix and flash SKUs, print the plan (JSON)
    DATABASE_URL=… python tests/load/checkout_mix.py prepare > plan.json
    # a fresh database where autovacuum has not run yet: statistics of what was loaded
    # (benchmarks/checkout_bench.py LOADED_TABLES; not the tables the run fills)
    # against a running shop (gunicorn + PostgreSQL + Redis)
    python tests/load/checkout_mix.py run --base-url http://127.0.0.1:8000 --plan plan.json \
        [--via storefront api]
    # what the database says about a flash SKU afterwards
    DATABASE_URL=… python tests/load/checkout_mix.py count --sku SKU

benchmarks/checkout_bench.py does all of it on a throwaway database (make bench). Each buyer is
a thread with its own HTTP connection (kept alive where the server keeps it); the mix's buyers
arrive at SPAWN_RATE (32 a second), the flash cases' all at once. Prints, per
number of concurrent buyers (1, 8, 32), p50/p95/p99 per step and placed orders per second
(whole checkouts per second of wall time), for each way; then the flash cases, the first way:
200 buyers at once for 50 units of one SKU (reserved at checkout; reserved at add-to-cart) must
give exactly 50 orders, the rest told the stock is gone (the storefront's "out of stock"
message, the API's 409 `insufficient_stock`), nothing else.

Timings are printed, never asserted; the flash count is asserted (exit status 1 when wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if __package__ in (None, ""):  # run as a script: import the package the way the bench does
    sys.path.insert(0, str(ROOT))

from storefront.drill.buyers import WAYS, Http, Outcome  # noqa: E402

MIX_STOCK = 1_000_000
FLASH_UNITS = 50
# The mix's buyers arrive at this rate (buyers a second, as a load tool's spawn rate), so 32
# are all shopping after one second. Started in the same millisecond, they move through the
# steps as one convoy, and identical checkouts in a closed loop keep it for the whole run: the
# place-orders of each round queue behind each other, as shoppers arriving at random never do.
# The flash cases keep that herd: a drop is one.
SPAWN_RATE = 32.0


# --- a run of buyers -------------------------------------------------------------------------


@dataclass
class RunResult:
    buyers: int
    seconds: float
    outcomes: list[Outcome]
    steps: list[str]
    # Each buyer's checkouts after its first: what the server does once every buyer shops.
    later: list[Outcome] = field(default_factory=list)
    # The CPU of every process on the host for each placed order (checkout_bench's CpuMeter).
    cpu_ms_per_order: float | None = None

    @property
    def counts(self) -> Counter:
        return Counter(o.result for o in self.outcomes)

    @property
    def orders_per_second(self) -> float:
        return self.counts["placed"] / self.seconds if self.seconds else 0.0

    def timings(self, outcomes: list[Outcome] | None = None) -> dict[str, list[float]]:
        by_step = defaultdict(list)
        for outcome in self.outcomes if outcomes is None else outcomes:
            for step, seconds in outcome.timings.items():
                by_step[step].append(seconds)
        return by_step


def run_buyers(
    base_url: str,
    buyers: int,
    work: list[list[dict]],
    way: str = "storefront",
    lane_url: str | None = None,
    spawn_rate: float | None = None,
) -> RunResult:
    """`buyers` threads, each doing its list of checkouts one after another (the `way` of
    storefront/drill/buyers.py), started together or, with `spawn_rate`, one after another at
    that many a second; placing orders on `lane_url` if given (a checkout lane,
    buyers.CHECKOUT_LANE). The time counted starts when the first buyer does."""
    checkout, steps = WAYS[way]
    outcomes: list[Outcome] = []
    later: list[Outcome] = []
    lock = threading.Lock()
    start = threading.Barrier(buyers + 1)

    def buyer(jobs: list[dict], delay: float) -> None:
        http = Http(base_url, lane_url)
        mine = []
        start.wait()
        time.sleep(delay)
        try:
            for job in jobs:
                mine.append(checkout(http, **job))
        finally:
            http.close()
            with lock:
                outcomes.extend(mine)
                later.extend(mine[1:])

    threads = [
        threading.Thread(target=buyer, args=(jobs, n / spawn_rate if spawn_rate else 0.0))
        for n, jobs in enumerate(work)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return RunResult(buyers, time.perf_counter() - began, outcomes, steps, later)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def mix_work(plan: dict, buyers: int, per_buyer: int, seed: int) -> list[list[dict]]:
    rng = random.Random(seed)
    products = plan["mix"]
    return [
        [
            {
                **rng.choice(products),
                "email": f"buyer-{buyers}-{b}-{n}@example.com",
            }
            for n in range(per_buyer)
        ]
        for b in range(buyers)
    ]


def print_run(title: str, result: RunResult) -> None:
    counts = result.counts
    print(
        f"\n{title}: {len(result.outcomes)} checkouts in {result.seconds:.1f} s — "
        f"{counts['placed']} placed, {counts['sold_out']} sold out, {counts['error']} errors; "
        f"{result.orders_per_second:.1f} orders/s; load average {load_average()}"
    )
    print(f"  {'step':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    timings = result.timings()
    for step in result.steps:
        values = timings.get(step)
        if values:
            print(
                f"  {step:<10} {len(values):>5} {percentile(values, 50) * 1000:>8.1f} "
                f"{percentile(values, 95) * 1000:>8.1f} {percentile(values, 99) * 1000:>8.1f}"
            )
    errors = Counter(o.detail for o in result.outcomes if o.result == "error")
    for detail, count in errors.most_common(5):
        print(f"  error x{count}: {detail}")


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def interpreter() -> str:
    """Which Python the servers run, and whether it calls into a shared libpython: the same code
    took ~18 % more CPU on a default pyenv build (shared, no PGO/LTO) than on Debian's
    (docs/deployment.md "Python"), so figures are only comparable on the same kind of build."""
    try:
        with open("/proc/self/maps") as maps:
            shared = next((line.split()[-1] for line in maps if "/libpython" in line), "")
    except OSError:  # not Linux: say nothing about it
        shared = None
    build = {None: "", "": ", libpython linked in"}.get(shared, f", shared {shared}")
    return f"Python {platform.python_version()} at {sys.executable}{build}"


def run_mix(
    base_url: str,
    plan: dict,
    levels=(1, 8, 32),
    way: str = "storefront",
    seed: int = 7,
    meter=None,
    lane_url: str | None = None,
) -> dict[int, RunResult]:
    """The mix at each number of concurrent buyers (each does max(24 / buyers, 6) checkouts),
    arriving at SPAWN_RATE a second.
    `meter` (optional): `meter.start()` before each level, `meter.report(result)` after it
    is printed (benchmarks/checkout_bench.py: the CPU each placed order cost)."""
    results = {}
    for buyers in levels:
        per_buyer = max(24 // buyers, 6)
        work = mix_work(plan, buyers, per_buyer, seed + buyers)
        if meter is not None:
            meter.start()
        result = run_buyers(base_url, buyers, work, way, lane_url, spawn_rate=SPAWN_RATE)
        lane = ", orders placed on the checkout lane" if lane_url else ""
        print_run(f"{way}{lane}, {buyers} concurrent buyer(s)", result)
        if meter is not None:
            meter.report(result)
        results[buyers] = result
    return results


def run_flash(
    base_url: str, product: dict, buyers: int = 200, label: str = "", way: str = "storefront"
) -> RunResult:
    """`buyers` buyers at once for one unit each of a SKU with FLASH_UNITS in stock."""
    work = [[{**product, "email": f"flash-{label}-{b}@example.com"}] for b in range(buyers)]
    result = run_buyers(base_url, buyers, work, way)
    title = f"{way} flash ({label}): {buyers} buyers for {FLASH_UNITS} units of {product['sku']}"
    print_run(title, result)
    return result


def flash_ok(result: RunResult, buyers: int = 200) -> bool:
    counts = result.counts
    return (counts["placed"], counts["sold_out"], counts["error"]) == (
        FLASH_UNITS,
        buyers - FLASH_UNITS,
        0,
    )


# --- the database side (run with DATABASE_URL pointing at the shop's database) ---------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    import django

    django.setup()


def prepare(mix_size: int = 20) -> dict:
    """Stock `mix_size` demo variants (one per product, sold at checkout) without limit and two
    flash variants with exactly FLASH_UNITS units in one US warehouse (one reserved at checkout,
    one at add-to-cart), through the inventory services. Returns the plan."""
    _django()
    from django.utils import timezone

    from catalog.models import ProductStatus, Variant, VariantStatus
    from inventory import services as inventory
    from inventory.models import Location, ReservationPolicy, ReservationPolicyMode, StockLevel
    from inventory.services import locations

    warehouse = Location.objects.get(code="us-nj-dc")
    with_policy = set(ReservationPolicy.objects.values_list("product_id", flat=True))
    candidates = (
        Variant.objects.filter(
            status=VariantStatus.ACTIVE,
            product__status=ProductStatus.ACTIVE,
            prices__currency="USD",
        )
        .exclude(product_id__in=with_policy)
        .select_related("product")
        .order_by("product__handle", "sku")
    )
    one_per_product: dict[int, Variant] = {}
    for variant in candidates:
        one_per_product.setdefault(variant.product_id, variant)
    chosen = list(one_per_product.values())
    if len(chosen) < mix_size + 2:
        raise SystemExit(
            f"prepare: only {len(chosen)} sellable demo products; run seed_demo first"
        )
    mix, flash = chosen[:mix_size], chosen[mix_size : mix_size + 2]
    now = timezone.now()
    for variant in mix:
        inventory.set_stock_count(
            variant=variant, location=warehouse, on_hand=MIX_STOCK, source="load", as_of=now
        )
    for variant in flash:
        # The units are in one warehouse only: every other location is counted to zero.
        for level in StockLevel.objects.filter(variant=variant).exclude(location=warehouse):
            inventory.set_stock_count(
                variant=variant, location=level.location, on_hand=0, source="load", as_of=now
            )
        inventory.set_stock_count(
            variant=variant, location=warehouse, on_hand=FLASH_UNITS, source="load", as_of=now
        )
    locations.set_reservation_policy(
        product=flash[1].product, mode=ReservationPolicyMode.AT_ADD_TO_CART, ttl_seconds=900
    )
    # Every load buyer comes from 127.0.0.1 with the same test card: the fraud screen rightly
    # reads hundreds of orders an hour from one address and card as velocity and holds them.
    # The run measures checkout, so the US market holds nothing (hold_above 100); the screen
    # still scores and records every order, so its cost is in the figures.
    from orders.services.fraud import set_fraud_threshold
    from shop import selectors as shop_selectors

    set_fraud_threshold(market=shop_selectors.find_market("US"), hold_above=100)

    def entry(variant):
        return {"sku": variant.sku, "handle": variant.product.handle}

    return {
        "mix": [entry(v) for v in mix],
        "flash": {"at_checkout": entry(flash[0]), "at_add_to_cart": entry(flash[1])},
    }


def count(sku: str) -> dict:
    """What the database holds for `sku`: live orders, units sold, stock left."""
    _django()
    from django.db.models import Sum

    from inventory.models import StockLevel
    from orders.models import OrderLine, OrderStatus

    lines = OrderLine.objects.filter(sku=sku).exclude(order__status=OrderStatus.CANCELLED)
    stock = StockLevel.objects.filter(variant__sku=sku).aggregate(
        on_hand=Sum("on_hand"), reserved=Sum("reserved")
    )
    return {
        "orders": lines.values("order_id").distinct().count(),
        "placed": lines.filter(order__status=OrderStatus.PLACED)
        .values("order_id")
        .distinct()
        .count(),
        "units": lines.aggregate(units=Sum("quantity"))["units"] or 0,
        "on_hand": stock["on_hand"] or 0,
        "reserved": stock["reserved"] or 0,
    }


# --- command line ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="stock the SKUs in DATABASE_URL's shop, print the plan")
    run = commands.add_parser("run", help="run the mix and the flash case against a server")
    run.add_argument("--base-url", required=True)
    run.add_argument("--plan", required=True, type=Path)
    run.add_argument("--buyers", type=int, nargs="+", default=[1, 8, 32])
    run.add_argument("--flash-buyers", type=int, default=200)
    run.add_argument("--via", nargs="+", choices=sorted(WAYS), default=["storefront", "api"])
    counted = commands.add_parser("count", help="orders and stock of a SKU in DATABASE_URL's shop")
    counted.add_argument("--sku", required=True)
    args = parser.parse_args()

    if args.command == "prepare":
        print(json.dumps(prepare()))
        return 0
    if args.command == "count":
        print(json.dumps(count(args.sku)))
        return 0
    plan = json.loads(args.plan.read_text())
    for way in args.via:
        run_mix(args.base_url, plan, tuple(args.buyers), way)
    ok = True
    for label, product in plan["flash"].items():
        result = run_flash(args.base_url, product, args.flash_buyers, label, args.via[0])
        ok &= flash_ok(result, args.flash_buyers)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
