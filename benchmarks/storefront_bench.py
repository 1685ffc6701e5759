"""Storefront and catalog API latency under gunicorn on PostgreSQL, loopback only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium python benchmarks/storefront_bench.py

Creates a throwaway database `<name>_webbench_<pid>`, migrates it and seeds the demo shop
(200+ products, 800+ variants, stock in US/CA/EU), starts gunicorn on 127.0.0.1 with
production-like settings (DEBUG off, Redis cache when REDIS_URL is set), then requests each page
a bounded number of times with 1 and 8 concurrent clients. Prints p50/p99 latency and
requests/s per page (medians over the rounds), stops gunicorn and drops the database.
Only 127.0.0.1 is ever contacted.
"""

import argparse
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
PAGES = [
    ("home", "/"),
    ("category", "/c/apparel/?sort=price_asc"),
    ("category p2", "/c/apparel/?page=2"),
    ("search", "/search?q=hoodie"),
    ("product", "/p/everyday-pullover-hoodie/"),
    ("product EU", "/p/everyday-pullover-hoodie/?market=EU"),
    ("api list", "/api/v1/products?page=2"),
    ("api detail", "/api/v1/products/everyday-pullover-hoodie"),
]


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


def _round(url: str, clients: int, requests_per_client: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client():
        mine = [_get(url) for _ in range(requests_per_client)]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, len(latencies) / (time.perf_counter() - started)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="per client per round")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    admin_url, bench_url = _bench_db(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium")
    )
    bench_name = urlsplit(bench_url).path.lstrip("/")
    _sql(admin_url, f'CREATE DATABASE "{bench_name}"')
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # DEBUG off wants a real one; this run's own
        "MEDIA_ROOT": f"/tmp/emporium-webbench-{os.getpid()}",
        "API_ANON_RATE": "1000000/minute",
        "CACHE_KEY_PREFIX": f"webbench-{os.getpid()}",
    }
    server = None
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "shop.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                _get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"gunicorn workers={args.workers}, {args.rounds} rounds x {args.requests} "
            "requests per client; medians of the rounds"
        )
        print(f"{'page':<12} {'clients':>7} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
        for label, path in PAGES:
            _get(base + path)  # warm caches and connections
            for clients in (1, 8):
                p50s, p99s, rates = [], [], []
                for _ in range(args.rounds):
                    latencies, rate = _round(base + path, clients, args.requests // clients or 1)
                    p50s.append(_percentile(latencies, 50) * 1000)
                    p99s.append(_percentile(latencies, 99) * 1000)
                    rates.append(rate)
                print(
                    f"{label:<12} {clients:>7} {statistics.median(p50s):>8.1f} "
                    f"{statistics.median(p99s):>8.1f} {statistics.median(rates):>8.0f}"
                )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        _sql(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
