"""Drop mode: orders/s and refusals/s of a sneaker drop, beside the same drop without the gate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium REDIS_URL=redis://127.0.0.1:6379/1 \
        python benchmarks/drop_bench.py [--buyers 1000] [--units 200] [--workers 16]

Creates a throwaway database `<name>_dropbench_<pid>`, migrates it, stocks one SKU with
`--units` units and opens `--buyers` checkout-ready guest carts. Then, in this process, with
`--workers` threads (each its own connection; a buyer told "busy" goes back in the queue, as the
waiting room retries), every buyer adds one unit and, when let in, places the order with the
test card:

1. drop mode (the Redis admission gate in front of PostgreSQL);
2. the ceiling-to-compare: the same drop without drop mode (the SKU reserved at add-to-cart,
   every buyer's attempt a PostgreSQL reservation), on a fresh SKU and fresh carts.

Prints orders/s, refusals/s, the time until every buyer had an answer, PostgreSQL reservation
attempts, and the ratio drop/plain; checks both sold exactly `--units`. Also the raw gate: Lua
check-and-decrement calls/s with the same threads. Gate keys live under a prefix of this run
and are deleted, the database is dropped. Exit status 1 when a run did not sell exactly the
units. Timings are never asserted; `uptime` is printed for the load.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_url(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'emporium'}_dropbench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _setup_sku(sku: str, units: int, *, drop: bool):
    from django.utils import timezone

    from catalog.models import Product, ProductStatus, Variant, VariantPrice
    from inventory import drop_gate, services
    from inventory.models import Location, ReservationPolicyMode
    from inventory.services import drops, locations
    from shop.models import Market

    us = Market.objects.get(code="US")
    location = Location.objects.filter(code="bench-dc").first()
    if location is None:
        location = Location.objects.create(code="bench-dc", name="Bench DC", kind="warehouse")
        location.markets.set([us])
    product = Product.objects.create(handle=sku.lower(), title=sku, status=ProductStatus.ACTIVE)
    variant = Variant.objects.create(product=product, sku=sku)
    VariantPrice.objects.create(variant=variant, currency="USD", amount_cents=18000)
    services.receive_stock(variant=variant, location=location, quantity=units)
    if drop:
        drops.schedule_drop(variant=variant, starts_at=timezone.now())
    else:
        locations.set_reservation_policy(
            product=product, mode=ReservationPolicyMode.AT_ADD_TO_CART, ttl_seconds=600
        )
    drop_gate.forget_rules()
    return variant


def _carts(n: int, tag: str):
    from orders import services
    from orders.models import Cart
    from shop.models import Channel, Market

    us = Market.objects.get(code="US")
    web, _ = Channel.objects.get_or_create(code="web", defaults={"name": "web"})
    address = {
        "name": "Bench Buyer",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118",
        "country": "US",
    }
    template = services.update_checkout(
        cart=services.create_cart(market=us, channel=web),
        email=f"{tag}0@example.com",
        shipping_address=address,
        shipping_method="standard",
    )
    copies = Cart.objects.bulk_create(
        Cart(
            market=us,
            channel=web,
            currency=template.currency,
            email=f"{tag}{i}@example.com",
            shipping_address=template.shipping_address,
            shipping_method=template.shipping_method,
            checkout_step=template.checkout_step,
        )
        for i in range(1, n)
    )
    return [template, *copies]


def _run(carts, sku: str, workers: int) -> dict:
    from django.db import connection

    from inventory import services as inventory_services
    from inventory.exceptions import DropBusy, InsufficientStock, SoldOut
    from orders import services

    attempts = {"n": 0}
    lock = threading.Lock()
    real = inventory_services.reserve_stock

    def counting(**kwargs):
        if kwargs["owner"].startswith("cart_"):
            with lock:
                attempts["n"] += 1
        return real(**kwargs)

    inventory_services.reserve_stock = counting
    todo: queue.Queue = queue.Queue()
    for cart in carts:
        todo.put(cart)
    outcome = {"orders": 0, "refused": 0, "busy": 0, "errors": []}

    def worker():
        try:
            while True:
                try:
                    cart = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    services.add_cart_line(cart=cart, sku=sku, quantity=1)
                except DropBusy:
                    with lock:
                        outcome["busy"] += 1
                    todo.put(cart)  # the waiting room retries
                    time.sleep(0.005)
                    continue
                except (SoldOut, InsufficientStock):
                    with lock:
                        outcome["refused"] += 1
                    continue
                order = services.place_order(
                    cart=cart, payment_token="tok_visa", idempotency_key=f"bench-{cart.public_id}"
                )
                with lock:
                    outcome["orders"] += order.status == "placed"
        except Exception as exc:  # noqa: BLE001 - reported, fails the run
            outcome["errors"].append(repr(exc))
        finally:
            connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(workers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    outcome["seconds"] = time.perf_counter() - started
    outcome["attempts"] = attempts["n"]
    inventory_services.reserve_stock = real
    return outcome


def _gate_calls_per_second(workers: int, seconds: float = 2.0) -> float:
    """Raw Lua check-and-decrement calls/s (admit + leave) on a gate loaded with plenty."""
    from inventory import drop_gate
    from inventory.selectors import DropRule

    rule = DropRule(999_999, 999_999, "GATE-RAW", None, None, None)
    client = drop_gate._redis()
    client.set(drop_gate._keys((rule.drop_id, rule.variant_id))[0], 10**9)
    done = [0] * workers
    stop = time.perf_counter() + seconds

    def worker(n: int):
        while time.perf_counter() < stop:
            drop_gate.admit(rule, quantity=1, member=f"m{n}").leave(give_back=False)
            done[n] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / seconds


def _line(title: str, r: dict, units: int) -> str:
    answered = r["orders"] + r["refused"]
    return (
        f"{title:<28} {r['orders'] / r['seconds']:>9.1f} {answered / r['seconds']:>12.1f} "
        f"{r['seconds']:>9.2f} {r['attempts']:>9} {r['busy']:>7}   "
        f"{'ok' if r['orders'] == units and not r['errors'] else 'WRONG'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    if not 1 <= args.units <= args.buyers <= 100_000 or not 1 <= args.workers <= 64:
        raise SystemExit("Need 1 <= units <= buyers <= 100000 and 1 <= workers <= 64.")

    url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not url.startswith("postgres") or not redis_url:
        raise SystemExit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: drop mode needs both.")
    admin_url, bench_url, name = _bench_url(url)
    prefix = f"dropbench{os.getpid()}"
    _admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    os.environ.update(DATABASE_URL=bench_url, CACHE_KEY_PREFIX=prefix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    failed = False
    began = time.perf_counter()
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        settings.CELERY_TASK_ALWAYS_EAGER = True  # mail and tax commits run here, no worker
        # ... and Celery would log every one of them ("Task … succeeded"), 800 lines a run.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        settings.DEBUG = False
        settings.DROP_MAX_IN_FLIGHT = args.workers
        call_command("migrate", verbosity=0)
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(
            f"database {name}; {args.buyers} buyers for {args.units} units, "
            f"{args.workers} workers; load: {load}\n"
        )
        drop_sku = _setup_sku("DROP-BENCH", args.units, drop=True)
        plain_sku = _setup_sku("PLAIN-BENCH", args.units, drop=False)
        drop_carts, plain_carts = _carts(args.buyers, "d"), _carts(args.buyers, "p")
        connections.close_all()

        drop = _run(drop_carts, drop_sku.sku, args.workers)
        plain = _run(plain_carts, plain_sku.sku, args.workers)
        gate_rate = _gate_calls_per_second(args.workers)
        header = (
            f"{'':<28} {'orders/s':>9} {'answers/s':>12} {'seconds':>9} "
            f"{'PG tries':>9} {'busy':>7}"
        )
        print(header)
        print(_line("drop mode (Redis gate)", drop, args.units))
        print(_line("ceiling: same, no drop mode", plain, args.units))
        ratio = (drop["orders"] / drop["seconds"]) / (plain["orders"] / plain["seconds"])
        print(
            f"\ndrop/plain: orders/s x{ratio:.2f}, "
            f"time to answer every buyer x{drop['seconds'] / plain['seconds']:.2f}, "
            f"PostgreSQL reservation attempts at add-to-cart {drop['attempts']} vs "
            f"{plain['attempts']}"
        )
        print(f"raw gate (Lua admit + leave), {args.workers} threads: {gate_rate:,.0f} calls/s")
        for title, r in (("drop", drop), ("plain", plain)):
            if r["orders"] != args.units or r["errors"]:
                failed = True
                print(f"{title}: {r['orders']} orders, errors {r['errors'][:3]}")
        connections.close_all()
    finally:
        try:
            import redis

            client = redis.Redis.from_url(redis_url)
            keys = list(client.scan_iter(f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        except Exception as exc:  # noqa: BLE001
            print(f"could not delete the gate keys {prefix}:*: {exc}")
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"\ndone in {time.perf_counter() - began:.0f}s; dropped {name}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
