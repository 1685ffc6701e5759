"""Drop mode's proof on real PostgreSQL and Redis: 2,000 buyers at once for 50 units.

Each buyer is a real thread (its own database connection, opened only if it gets past the
gate) with a checkout-ready cart: add one unit (drop mode: the Redis gate first; "busy"
means the waiting room, retried as its page does), then place the order with the test card.
Timings are printed, not asserted (machine shared by other agents): what is asserted is that
a refused buyer never opened a database connection, which is what makes "sold out" fast.
"""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from django.db import connection

from inventory import drop_gate
from inventory import services as inventory_services
from inventory.exceptions import DropBusy, SoldOut
from inventory.models import Reservation, StockLevel
from orders import services
from orders.exceptions import PurchaseLimitExceeded
from orders.models import Cart, Order, OrderStatus
from tests.drop_support import clean_gate, start_drop  # noqa: F401 - fixture
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import checkout_ready_cart

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("clean_gate"),
]

BUYERS = 2000
UNITS = 50
PLACING_AT_ONCE = 16  # winners placing orders at once: the web tier's worker count


def _carts(n: int) -> list[Cart]:
    """`n` checkout-ready carts (e-mail, address, method) without lines: one through the
    services, the rest copies of its checkout details."""
    template = checkout_ready_cart(lines=[], email="buyer0@example.com")
    copies = [
        Cart(
            market=template.market,
            channel=template.channel,
            currency=template.currency,
            email=f"buyer{i}@example.com",
            shipping_address=template.shipping_address,
            shipping_method=template.shipping_method,
            checkout_step=template.checkout_step,
        )
        for i in range(1, n)
    ]
    return [template, *Cart.objects.bulk_create(copies)]


def _count_reservations(monkeypatch) -> list[str]:
    """Every reserve_stock call (a PostgreSQL reservation attempt), by owner."""
    owners: list[str] = []
    real = inventory_services.reserve_stock

    def counting(**kwargs):
        owners.append(kwargs["owner"])
        return real(**kwargs)

    monkeypatch.setattr(inventory_services, "reserve_stock", counting)
    return owners


def _count_refills(monkeypatch) -> list[int]:
    units: list[int] = []
    real = drop_gate.refill

    def counting(refills):
        units.extend(q for _rule, q in refills)
        return real(refills)

    monkeypatch.setattr(drop_gate, "refill", counting)
    return units


def _run_drop(carts, sku: str, *, threads_cap: int | None = None):
    """Every cart's buyer at once; returns per-buyer results."""
    results: list[dict] = [None] * len(carts)  # type: ignore[list-item]
    placing = threading.BoundedSemaphore(PLACING_AT_ONCE)
    barrier = threading.Barrier(len(carts))

    def buyer(i: int, cart: Cart):
        result = {"outcome": "error", "busy": 0, "positions": [], "touched_db": False}
        try:
            barrier.wait()
            started = time.perf_counter()
            while True:
                try:
                    services.add_cart_line(cart=cart, sku=sku, quantity=1)
                    break
                except DropBusy as exc:  # the waiting room: its page retries after a moment
                    result["busy"] += 1
                    result["positions"].append(exc.position)
                    time.sleep(0.05)
                except SoldOut:
                    result.update(outcome="sold_out", seconds=time.perf_counter() - started)
                    return
            result["added_after"] = time.perf_counter() - started
            result["touched_db"] = True
            connection.close()  # no idle connection while waiting for a worker
            with placing:
                order = services.place_order(
                    cart=cart, payment_token="tok_visa", idempotency_key=f"drop-{i}"
                )
            result.update(outcome=order.status, seconds=time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - any other error fails the test
            result["error"] = repr(exc)
        finally:
            result["touched_db"] = result["touched_db"] or connection.connection is not None
            connection.close()
            results[i] = result

    old_stack = threading.stack_size(512 * 1024)
    try:
        pool = [threading.Thread(target=buyer, args=(i, c)) for i, c in enumerate(carts)]
    finally:
        threading.stack_size(old_stack)
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=300)
    return results, time.perf_counter() - started


def _report(title, results, wall, owners, refills):
    sold_out = sorted(r["seconds"] for r in results if r and r["outcome"] == "sold_out")
    placed = [r for r in results if r and r["outcome"] == OrderStatus.PLACED]
    busy = [r for r in results if r and r["busy"]]
    pct = statistics.quantiles(sold_out, n=100) if len(sold_out) > 2 else [0] * 99
    print(
        f"\n{title}: {len(placed)} placed, {len(sold_out)} sold out in {wall:.2f}s wall; "
        f"sold-out answer p50 {pct[49]:.3f}s p99 {pct[98]:.3f}s max {max(sold_out):.3f}s; "
        f"{len(busy)} buyers saw the waiting room (max position "
        f"{max((max(r['positions']) for r in busy), default=0)}); "
        f"reserve_stock calls: {sum(o.startswith('cart_') for o in owners)} at add-to-cart, "
        f"{sum(o.startswith('ord_') for o in owners)} at placement; refilled {sum(refills)}"
    )


def test_2000_buyers_for_50_units_exactly_50_orders_and_the_database_sees_only_the_winners(
    settings, monkeypatch
):
    settings.DROP_MAX_IN_FLIGHT = 16
    settings.DROP_GATE_MAX_CONNECTIONS = 256  # one process runs all 2,000 buyers here
    settings.DROP_GATE_POOL_WAIT_SECONDS = 5
    # 2,000 threads share one interpreter lock here: a reply can wait that long to be read.
    settings.DROP_GATE_TIMEOUT_SECONDS = 3
    settings.DROP_RULES_TTL_SECONDS = 300  # one read of the drop table for the whole run
    variant = VariantFactory(sku="DROP-SNKR-42")
    stock(variant, LocationFactory(code="us-east"), UNITS)
    start_drop(variant=variant, per_order=2, per_customer=2)
    carts = _carts(BUYERS)
    assert drop_gate.drop_rule_for("DROP-SNKR-42") is not None  # warm the process cache
    owners, refills = _count_reservations(monkeypatch), _count_refills(monkeypatch)

    results, wall = _run_drop(carts, "DROP-SNKR-42")

    _report("drop, Redis up", results, wall, owners, refills)
    assert [r.get("error") for r in results if r["outcome"] == "error"] == []
    outcomes = [r["outcome"] for r in results]
    assert outcomes.count(OrderStatus.PLACED) == UNITS
    assert outcomes.count("sold_out") == BUYERS - UNITS
    assert Order.objects.count() == UNITS
    assert Order.objects.filter(status=OrderStatus.PLACED).count() == UNITS
    add_attempts = sum(o.startswith("cart_") for o in owners)
    assert add_attempts <= UNITS + sum(refills)
    assert sum(o.startswith("ord_") for o in owners) == UNITS
    # Told "sold out" by Redis alone: not one refused buyer opened a database connection.
    assert sum(r["touched_db"] for r in results if r["outcome"] == "sold_out") == 0
    assert any(r["busy"] for r in results)  # the waiting room was used, with positions
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (UNITS, UNITS)
    assert Reservation.objects.filter(status="committed").count() == UNITS
    assert drop_gate.token_count(drop_gate.drop_rule_for("DROP-SNKR-42")) == 0


def test_redis_failing_mid_drop_still_sells_exactly_50(settings, monkeypatch):
    """The gate's Redis starts raising after 300 calls (the shared server stays up for the
    other agents): the circuit opens and the rest of the drop takes the database path."""
    import redis

    settings.DROP_MAX_IN_FLIGHT = 16
    settings.DROP_GATE_MAX_CONNECTIONS = 256  # one process runs all 2,000 buyers here
    settings.DROP_GATE_POOL_WAIT_SECONDS = 5
    # 2,000 threads share one interpreter lock here: a reply can wait that long to be read.
    settings.DROP_GATE_TIMEOUT_SECONDS = 3
    settings.DROP_RULES_TTL_SECONDS = 300
    settings.DROP_FALLBACK_MAX_IN_FLIGHT = 8
    settings.DROP_FALLBACK_WAIT_SECONDS = 30
    variant = VariantFactory(sku="DROP-SNKR-43")
    stock(variant, LocationFactory(code="us-east"), UNITS)
    start_drop(variant=variant)
    carts = _carts(BUYERS)
    assert drop_gate.drop_rule_for("DROP-SNKR-43") is not None
    owners, refills = _count_reservations(monkeypatch), _count_refills(monkeypatch)
    calls = {"n": 0}
    real_run = drop_gate._run
    lock = threading.Lock()

    def failing_run(name, source, keys, args):
        with lock:
            calls["n"] += 1
            dead = calls["n"] > 300
        if dead:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Refused.")
        return real_run(name, source, keys, args)

    monkeypatch.setattr(drop_gate, "_run", failing_run)

    results, wall = _run_drop(carts, "DROP-SNKR-43")

    _report("drop, Redis failing after 300 calls", results, wall, owners, refills)
    assert calls["n"] > 300  # Redis really failed during the drop
    assert [r.get("error") for r in results if r["outcome"] == "error"] == []
    outcomes = [r["outcome"] for r in results]
    assert outcomes.count(OrderStatus.PLACED) == UNITS
    assert outcomes.count("sold_out") == BUYERS - UNITS
    assert Order.objects.count() == UNITS
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (UNITS, UNITS)


def test_one_buyer_checking_out_ten_carts_at_once_gets_only_the_per_customer_limit():
    """Ten carts of one guest e-mail (in two spellings), one unit each, placed at the same
    moment with a per-customer limit of 1: the advisory lock queues them, exactly one order."""
    variant = VariantFactory(sku="DROP-LIMIT-1")
    stock(variant, LocationFactory(code="us-east"), 20)
    start_drop(variant=variant, per_customer=1)
    emails = ["Same.Buyer@Example.com", "same.buyer@example.com"]
    carts = [checkout_ready_cart(lines=[(variant, 1)], email=emails[i % 2]) for i in range(10)]
    barrier = threading.Barrier(len(carts))
    outcomes: list[str] = []

    def buyer(i: int, cart: Cart):
        try:
            barrier.wait()
            services.place_order(cart=cart, payment_token="tok_visa", idempotency_key=f"lim-{i}")
            outcomes.append("placed")
        except PurchaseLimitExceeded:
            outcomes.append("limit")
        except Exception as exc:  # noqa: BLE001 - any other error fails the test
            outcomes.append(repr(exc))
        finally:
            connection.close()

    pool = [threading.Thread(target=buyer, args=(i, c)) for i, c in enumerate(carts)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)

    assert sorted(outcomes) == ["limit"] * 9 + ["placed"]
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).reserved == 10  # the other carts still hold
