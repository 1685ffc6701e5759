"""Reservation throughput and ATP read latency on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium python benchmarks/inventory_bench.py

Creates a throwaway database `<name>_bench_<pid>` on the same server, migrates it, seeds one
location with a hot SKU and 1,000 other SKUs, then measures `inventory.services.reserve_stock`
(1 unit per call, each call its own transaction) with 1, 8 and 32 worker threads (or, with
--processes, forked processes, as gunicorn's workers are: threads of one process share its
interpreter lock), each with its own connection: all on one hot SKU, and spread over the 1,000
SKUs. Beside each figure it measures, in the same run and with the same workers, the raw
PostgreSQL limit: a bare conditional single-row UPDATE of `reserved` (the write a reservation
cannot avoid) sent with psycopg directly, in autocommit, on the same rows; the ratio
service/raw is the figure to compare across machines and loads (other work on the machine moves
both). A second raw limit, `hold`, is the least a reservation that is recorded can write: the
same UPDATE and, in the same autocommit statement, the INSERT of its Reservation row (the hold
that expires, is released or committed later), with psycopg directly, no Django. No service
can go faster than `hold` on the same rows; service/hold is what the service's own work costs.
Prints the median of a few runs, then the p50/p99 latency of `available_quantities` (1
SKU, as a product page asks, and 24 SKUs, as a listing asks). Drops the database at the end.
Runs with DEBUG off, as production does.
"""

import argparse
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKERS = (1, 8, 32)
SPREAD_SKUS = 1000


def _bench_url(url: str) -> tuple[str, str, str]:
    """(admin url, bench url, bench db name) for DATABASE_URL."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'emporium'}_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _setup():
    from django.core.management import call_command
    from django.utils import timezone

    from catalog.models import Product, ProductStatus, Variant
    from inventory import services
    from inventory.models import Location
    from shop.models import Market

    call_command("migrate", verbosity=0)
    us = Market.objects.get(code="US")
    location = Location.objects.create(code="bench-dc", name="Bench DC", kind="warehouse")
    location.markets.set([us])
    product = Product.objects.create(handle="bench", title="Bench", status=ProductStatus.ACTIVE)
    variants = Variant.objects.bulk_create(
        Variant(product=product, sku=f"BENCH-{i:05d}", option_key=str(i))
        for i in range(SPREAD_SKUS + 1)
    )
    services.sync_stock_levels(
        location=location,
        as_of=timezone.now(),
        items=[(v.sku, 1_000_000) for v in variants],
        source="bench",
    )
    hot, spread = variants[0], variants[1:]
    return us, hot, spread


def _run_workers(workers: int, body, seconds: float, processes: bool, cleanup) -> float:
    """Calls/s of `body(n, rng)` looped by `workers` threads (one Python process, as the
    service's own threads share it) or forked processes (as gunicorn's workers are);
    `cleanup(n)` closes worker n's connection where it ran."""
    if processes:
        return _run_processes(workers, body, seconds, cleanup)
    barrier = threading.Barrier(workers + 1)
    counts = [0] * workers
    errors: list[str] = []
    stop = threading.Event()

    def worker(n: int) -> None:
        rng = random.Random(n)
        try:
            body(n, rng)  # connect first, so the timed loop measures the calls only
            barrier.wait()
            while not stop.is_set():
                body(n, rng)
                counts[n] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
            barrier.abort()
        finally:
            cleanup(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"worker errors: {errors[:3]}")
    return sum(counts) / elapsed


def _run_processes(workers: int, body, seconds: float, cleanup) -> float:
    from django.db import connections

    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()

    def worker(n: int) -> None:
        rng = random.Random(n)
        count, error = 0, ""
        try:
            body(n, rng)
            barrier.wait()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                body(n, rng)
                count += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            error = repr(exc)
            barrier.abort()
        finally:
            cleanup(n)
        results.put((count, error))

    children = [context.Process(target=worker, args=(n,)) for n in range(workers)]
    for child in children:
        child.start()
    barrier.wait()
    outcomes = [results.get(timeout=seconds + 120) for _ in children]
    for child in children:
        child.join()
    errors = [error for _count, error in outcomes if error]
    if errors:
        raise SystemExit(f"worker errors: {errors[:3]}")
    return sum(count for count, _error in outcomes) / seconds


def _throughput(workers: int, pick, us, seconds: float, processes: bool) -> float:
    from django.db import connection

    from inventory import services

    def reserve(n: int, rng) -> None:
        services.reserve_stock(lines={pick(rng): 1}, market=us, owner=f"bench_{n}")

    return _run_workers(workers, reserve, seconds, processes, lambda n: connection.close())


# The stock row's ATP covers one more unit: the check both raw limits write with.
_ONE_UNIT_AVAILABLE = "on_hand - reserved - in_transit_out + in_transit_in - safety_stock >= 1"


def _raw_throughput(workers: int, pick, url: str, ids, seconds: float, processes: bool) -> float:
    """Bare reservation UPDATEs/s with psycopg, one autocommit connection per worker."""
    import psycopg

    from inventory.models import StockLevel

    sql = (
        f"UPDATE {StockLevel._meta.db_table} SET reserved = reserved + 1 WHERE id = %s AND "  # noqa: S608 - our table
        f"{_ONE_UNIT_AVAILABLE}"
    )
    connections: dict[int, psycopg.Connection] = {}

    def update(n: int, rng) -> None:
        if n not in connections:
            connections[n] = psycopg.connect(url, autocommit=True)
        connections[n].execute(sql, [pick(rng, ids)])

    def close(n: int) -> None:
        if n in connections:
            connections.pop(n).close()

    return _run_workers(workers, update, seconds, processes, close)


def _raw_hold_throughput(
    workers: int, pick, url: str, ids, seconds: float, processes: bool
) -> float:
    """Recorded reservations/s with psycopg: the conditional UPDATE and the hold row's INSERT in
    one autocommit statement (no location lookup, no lapsed holds, no lock timeout: only the
    two writes)."""
    import psycopg

    from inventory.models import (
        Reservation,
        ReservationKind,
        ReservationStatus,
        StockLevel,
        new_reservation_id,
    )

    sql = (
        f"WITH taken AS (UPDATE {StockLevel._meta.db_table} SET reserved = reserved + 1 "  # noqa: S608 - our tables
        "WHERE id = %s AND "
        f"{_ONE_UNIT_AVAILABLE} "
        "RETURNING variant_id, location_id) "
        f"INSERT INTO {Reservation._meta.db_table} (created_at, updated_at, public_id, "
        "variant_id, location_id, quantity, status, kind, expires_at, owner) "
        "SELECT now(), now(), %s, variant_id, location_id, 1, %s, %s, "
        "now() + interval '15 minutes', %s FROM taken"
    )
    connections: dict[int, psycopg.Connection] = {}

    def hold(n: int, rng) -> None:
        if n not in connections:
            connections[n] = psycopg.connect(url, autocommit=True)
        connections[n].execute(
            sql,
            [
                pick(rng, ids),
                new_reservation_id(),
                ReservationStatus.ACTIVE.value,
                ReservationKind.SOFT.value,
                f"raw_{n}",
            ],
        )

    def close(n: int) -> None:
        if n in connections:
            connections.pop(n).close()

    return _run_workers(workers, hold, seconds, processes, close)


def _latency(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one run")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (median reported)")
    parser.add_argument("--reads", type=int, default=500, help="ATP reads per latency sample")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="workers are forked processes (as gunicorn's) instead of threads of this one",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (the bench needs row locks).")
    admin_url, bench_url, name = _bench_url(url)
    _admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    # As production runs: DEBUG on would log every query (and take the logging cursor).
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)  # DEBUG off wants one; this run's own
    began = time.perf_counter()
    try:
        import django

        django.setup()
        from django.db import connections

        from inventory import selectors
        from inventory.models import StockLevel

        us, hot, spread = _setup()
        level = dict(StockLevel.objects.values_list("variant_id", "pk"))
        # (service pick, raw pick over stock row ids): the same rows, drawn the same way.
        scenarios = {
            "hot SKU": (lambda rng: hot, lambda rng, ids: ids[0], [level[hot.pk]]),
            f"{SPREAD_SKUS} SKUs": (
                lambda rng: rng.choice(spread),
                lambda rng, ids: rng.choice(ids),
                [level[v.pk] for v in spread],
            ),
        }
        kind = "forked processes" if args.processes else "threads of one process"
        print(f"database {name}; {args.runs} runs x {args.seconds:g}s per cell, median; {kind}")
        print(
            "service: reserve_stock, 1 unit, own transaction; raw: bare UPDATE, psycopg; "
            "hold: UPDATE + the hold's INSERT in one statement, psycopg\n"
        )
        head = ("service/s", "raw/s", "hold/s", "service/raw", "service/hold")
        print(f"{'workers':>7}  {'rows':<10}" + "".join(f"{h:>14}" for h in head))
        for workers in WORKERS:
            for label, (pick, raw_pick, ids) in scenarios.items():
                rates, raws, holds = [], [], []
                for _ in range(args.runs):  # interleaved, so all three see the same load
                    raws.append(
                        _raw_throughput(
                            workers, raw_pick, bench_url, ids, args.seconds, args.processes
                        )
                    )
                    holds.append(
                        _raw_hold_throughput(
                            workers, raw_pick, bench_url, ids, args.seconds, args.processes
                        )
                    )
                    rates.append(_throughput(workers, pick, us, args.seconds, args.processes))
                rate, raw = statistics.median(rates), statistics.median(raws)
                held = statistics.median(holds)
                cells = (f"{rate:.0f}", f"{raw:.0f}", f"{held:.0f}", f"{rate / raw:.2f}")
                cells += (f"{rate / held:.2f}",)
                print(
                    f"{workers:>7}  {label:<10}" + "".join(f"{c:>14}" for c in cells), flush=True
                )

        listing = [v.pk for v in spread[:24]]
        one = _latency(
            lambda: selectors.available_quantities(variant_ids=[hot.pk], market=us), args.reads
        )
        many = _latency(
            lambda: selectors.available_quantities(variant_ids=listing, market=us), args.reads
        )
        print(f"\nATP read, 1 SKU:   p50 {one[0]:.2f} ms  p99 {one[1]:.2f} ms")
        print(f"ATP read, 24 SKUs: p50 {many[0]:.2f} ms  p99 {many[1]:.2f} ms")
        connections.close_all()
    finally:
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"\ndone in {time.perf_counter() - began:.0f}s; dropped {name}")


if __name__ == "__main__":
    main()
