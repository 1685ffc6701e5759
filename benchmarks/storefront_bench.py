"""Storefront read path under gunicorn on PostgreSQL + Redis against the one-SELECT ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium REDIS_URL=redis://127.0.0.1:6379/0 \
        python benchmarks/storefront_bench.py

Creates a throwaway database `<name>_webbench_<pid>`, migrates it, seeds the demo shop and
imports generated products through the catalog import service until the catalog holds
--products products (default 2,000) x 3 variants, spread over the demo's categories. Starts the
shop under gunicorn (production-like: DEBUG off, Redis cache) and, on the same database and
worker count, the minimal-Django ceiling app (tests/load/ceiling_app.py: one `SELECT 1`, no
middleware). Then, warm, requests the product page, a category listing, the home page, a
search and two API reads with 16 and 64 concurrent anonymous clients, each row in rounds of
the ceiling then the page back to back (a shared machine's load moves within seconds),
printing req/s, p50/p99, the ceiling's req/s and p99 and the page's ratio to it. The first two
rows are the floor: the shop's whole middleware stack around one `SELECT 1`, without and with
a CSRF token in the page (tests/load/floor_settings.py, a third gunicorn), the most any page
of the shop could reach. Issue 9's
targets (ratios): product >= 0.7 with p99 <= 100 ms at 16 clients, listing and home >= 0.6,
search >= 0.5. Figures only, never asserted. Only 127.0.0.1 is
contacted; gunicorn is stopped and the database dropped at the end.
"""

import argparse
import csv
import io
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.drill import buyers  # noqa: E402

# The floor rows: the shop's own middleware stack around one `SELECT 1` (tests/load/floor_urls),
# without and with a CSRF token in the page; no page of the shop can cost less.
FLOOR = [("floor", "/_floor/"), ("floor+form", "/_floor/form/")]
PAGES = [
    ("product", "/p/everyday-pullover-hoodie/"),
    ("listing", "/c/apparel/?sort=price_asc"),
    ("home", "/"),
    ("search", "/search?q=hoodie"),
    ("api list", "/api/v1/products?page=2"),
    ("api detail", "/api/v1/products/everyday-pullover-hoodie"),
]
CONCURRENCY = (16, 64)
CATEGORIES = ("apparel/hoodies", "apparel/tees", "apparel/jackets", "books", "electronics")
SIZES = ("S", "M", "L")
COUNT = (
    "import django; django.setup(); from catalog.models import Product; "
    "print(Product.objects.count())"
)
IMPORT = """
import sys
import django
django.setup()
from catalog.importing import import_catalog
result = import_catalog(data=sys.stdin.buffer.read(), filename="bench.csv", format="emporium")
if result.has_errors:
    raise SystemExit(str(result.messages()[:5]))
"""


def _bench_db(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'emporium'}_webbench_{os.getpid()}"
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(
        parts._replace(path=f"/{name}")
    )


def _sql(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started


def generate_csv(products: int) -> bytes:
    """`products` active products of 3 sizes each, priced in USD, CAD and EUR, in the demo's
    categories (an Emporium import file)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "handle",
            "title",
            "description",
            "brand",
            "categories",
            "status",
            "option1_name",
            "option1_value",
            "sku",
            "price_USD",
            "price_CAD",
            "price_EUR",
        ]
    )
    for p in range(products):
        cents = 1500 + (p % 60) * 100
        for v, size in enumerate(SIZES):
            first = v == 0
            writer.writerow(
                [
                    f"bench-{p:05d}",
                    f"Bench Hoodie {p}" if first else "",
                    f"A sturdy everyday piece, number {p}." if first else "",
                    f"Brand {p % 40}" if first else "",
                    CATEGORIES[p % len(CATEGORIES)] if first else "",
                    "active" if first else "",
                    "Size",
                    size,
                    f"BENCH-{p:05d}-{size}",
                    f"{cents // 100}.{cents % 100:02d}",
                    f"{(cents + 500) // 100}.{cents % 100:02d}",
                    f"{(cents - 100) // 100}.{cents % 100:02d}",
                ]
            )
    return out.getvalue().encode()


def _load(base: str, path: str, clients: int, per_client: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of GET `path` by `clients` anonymous shoppers at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client():
        http = buyers.Http(base)
        start.wait()
        mine = []
        for _ in range(per_client):
            http.cookies.clear()  # every request an anonymous shopper's, as a CDN miss
            response = http.request("GET", path)
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            mine.append(response.seconds)
        http.connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return (
        len(latencies) / elapsed,
        _percentile(latencies, 50) * 1000,
        _percentile(latencies, 99) * 1000,
    )


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _gunicorn(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def _wait_for(url: str) -> None:
    for _ in range(150):
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000, help="catalog size")
    parser.add_argument("--requests", type=int, default=960, help="per page and concurrency")
    parser.add_argument("--rounds", type=int, default=3, help="ceiling/page pairs per row")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    admin_url, bench_url = _bench_db(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium")
    )
    bench_name = urlsplit(bench_url).path.lstrip("/")
    _sql(admin_url, f'CREATE DATABASE "{bench_name}"')
    shop_port, ceiling_port, floor_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # DEBUG off wants a real one; this run's own
        "MEDIA_ROOT": f"/tmp/emporium-webbench-{os.getpid()}",
        "API_ANON_RATE": "1000000/minute",
        "CACHE_KEY_PREFIX": f"webbench-{os.getpid()}",
        "CATALOG_IMPORT_MAX_BYTES": str(200 * 1024 * 1024),
    }
    shop = ceiling = floor = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        count = subprocess.run(
            [sys.executable, "-c", COUNT],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        extra = max(0, args.products - int(count.stdout.split()[-1]))
        if extra:  # the demo alone may already hold --products
            subprocess.run(
                [sys.executable, "-c", IMPORT],
                input=generate_csv(extra),
                env=env,
                cwd=ROOT,
                check=True,
            )
        _sql(bench_url, "ANALYZE")  # planner statistics, as a live database has them
        shop = _gunicorn("shop.wsgi:application", shop_port, args.workers, env)
        ceiling = _gunicorn("tests.load.ceiling_app:application", ceiling_port, args.workers, env)
        floor_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.load.floor_settings"}
        floor = _gunicorn("shop.wsgi:application", floor_port, args.workers, floor_env)
        shop_base, ceiling_base, floor_base = (
            f"http://127.0.0.1:{p}" for p in (shop_port, ceiling_port, floor_port)
        )
        _wait_for(shop_base + "/healthz")
        _wait_for(ceiling_base + "/")
        _wait_for(floor_base + "/_floor/")
        rows = [(label, floor_base, path) for label, path in FLOOR]
        rows += [(label, shop_base, path) for label, path in PAGES]
        _report(args, rows, ceiling_base, catalog=int(count.stdout.split()[-1]) + extra)
    finally:
        _stop(shop)
        _stop(ceiling)
        _stop(floor)
        _sql(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)


def _report(args, rows: list[tuple[str, str, str]], ceiling_base: str, *, catalog: int) -> None:
    """Each row: `--rounds` rounds of the ceiling then the page, back to back, so both see the
    same machine (others share it); medians of the rounds, the ratio the median of each
    round's ratio."""
    for _label, base, path in rows:  # warm every cache and connection first
        for _ in range(3):
            _get(base + path)
    print(
        f"{catalog} products, gunicorn workers={args.workers} (sync), {args.requests} requests "
        f"per row in {args.rounds} rounds; ceiling = minimal Django, one SELECT, measured in "
        "each round just before the page; load average before: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(
        f"{'page':<12} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'ceiling':>8} {'c p99':>8} {'ratio':>6}"
    )
    for label, base, path in rows:
        for clients in CONCURRENCY:
            per_client = max(1, args.requests // args.rounds // clients)
            pages, ceilings = [], []
            for _ in range(args.rounds):
                ceilings.append(_load(ceiling_base, "/", clients, per_client))
                pages.append(_load(base, path, clients, per_client))
            rate, p50, p99 = (statistics.median(x[i] for x in pages) for i in range(3))
            ceiling = statistics.median(x[0] for x in ceilings)
            ceiling_p99 = statistics.median(x[2] for x in ceilings)
            ratio = statistics.median(p[0] / c[0] for p, c in zip(pages, ceilings, strict=True))
            print(
                f"{label:<12} {clients:>7} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f} "
                f"{ceiling:>8.0f} {ceiling_p99:>8.1f} {ratio:>6.2f}",
                flush=True,
            )
    print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
