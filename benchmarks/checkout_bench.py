"""Guest checkouts per second under gunicorn + PostgreSQL + Redis, all on this host.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium REDIS_URL=redis://127.0.0.1:6379/1 \
        python benchmarks/checkout_bench.py [--workers N] [--no-celery] [--checkout-lane 3]

Creates a throwaway database `<name>_checkoutbench_<pid>`, migrates it, seeds the demo shop and
stocks the load's SKUs (tests/load/checkout_mix.py prepare), then starts gunicorn (DEBUG off,
Redis cache, sync workers as docs/deployment.md sizes them: the cores + 1) and one Celery
worker, both on a Celery queue of this run only. With `--connect socket` (the default) the
shop reaches PostgreSQL over the server's Unix socket and a Redis of this run's own (the
machine's redis-server, on a Unix socket in the run's directory), as a shop sharing its host
connects (docs/deployment.md "One host: Unix sockets"); `--connect tcp` keeps DATABASE_URL and
REDIS_URL as given. Runs tests/load/checkout_mix.py's mix at 1, 8
and 32 concurrent buyers (arriving at 32 a second, as a load tool's spawn rate) through the
storefront's pages (as a browser running the shop's script does, one request a click;
`storefront-noscript`: without it) and through the API (`--via`), the flash cases the first way
(200 buyers at once, 50 units; reserved at checkout, then at add-to-cart) and checks them in
the database, then measures the minimal-Django one-query ceiling (tests/load/ceiling_app.py)
with the same workers and clients, so the figures can be read against what this machine does
today. After each level it prints the CPU each placed order cost per process (gunicorn, Celery,
PostgreSQL, Redis, the load's clients; Linux /proc) and the orders/s that bounds.
With --checkout-lane N, runs the mix again (after the flash cases) with orders placed on a
checkout lane: a second gunicorn of N workers for POST /checkout/place/ and POST /api/v1/orders,
warmed first, the main workers and the Celery worker under `nice` (docs/deployment.md "A
checkout lane").
Stops everything, drops the database and the queue.

Exit status 1 when a flash case did not give exactly 50 orders. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storefront.drill import buyers  # noqa: E402
from tests.load import checkout_mix as mix  # noqa: E402

LEVELS = (1, 8, 32)
# Issue 8's targets for the storefront mix at 32 buyers on this 2-core machine.
TARGET_ORDERS_PER_SECOND = 25.0
TARGET_PLACE_P99_MS = 250.0
MIX_SCRIPT = [sys.executable, str(ROOT / "tests" / "load" / "checkout_mix.py")]


def _bench_db(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'emporium'}_checkoutbench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


# The tables seed_demo and the mix's `prepare` fill (what the bench analyses once loaded).
LOADED_TABLES = [
    "catalog_product",
    "catalog_variant",
    "catalog_variantprice",
    "catalog_option",
    "catalog_optionvalue",
    "catalog_variant_option_values",
    "catalog_category",
    "catalog_product_categories",
    "catalog_media",
    "inventory_location",
    "inventory_stocklevel",
    "inventory_reservationpolicy",
]


def _socket_database_url(admin_url: str, bench_url: str) -> str | None:
    """`bench_url` over the server's Unix socket (its first unix_socket_directories entry), or
    None when the server has none on this host."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        directories = conn.execute("SHOW unix_socket_directories").fetchone()[0]
        port = conn.execute("SHOW port").fetchone()[0]
    directory = directories.split(",")[0].strip()
    if not directory or not os.path.exists(f"{directory}/.s.PGSQL.{port}"):
        return None
    parts = urlsplit(bench_url)
    user = parts.netloc.rpartition("@")[0]
    host = quote(directory, safe="")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}:{port}" if user else f"{host}:{port}"))


def _socket_redis(directory: Path) -> tuple[subprocess.Popen, str] | None:
    """A Redis of this run's own on a Unix socket in `directory` (the machine's redis-server,
    nothing kept on disk): (process, its URL), or None without redis-server."""
    server = shutil.which("redis-server")
    if server is None:
        return None
    path = directory / "redis.sock"
    command = [server, "--port", "0", "--unixsocket", str(path), "--unixsocketperm", "700"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(100):
        if path.exists():
            return process, f"unix://{path}?db=1"
        time.sleep(0.05)
    _stop(process)
    return None


def shop_env(bench_url: str, queue: str, workdir: Path) -> dict:
    """The environment of the shop's processes for a run: its database, its Celery queue, DEBUG
    off, throttles out of the way, `workdir` (created) as MEDIA_ROOT."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "tests.load.bench_settings",
        "CHECKOUT_BENCH_QUEUE": queue,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # DEBUG off wants a real one; this run's own
        "MEDIA_ROOT": str(workdir),
        "API_ANON_RATE": "100000000/minute",
        "API_USER_RATE": "100000000/minute",
        "CACHE_KEY_PREFIX": f"{workdir.name}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CELERY_BROKER_URL", None)  # the shop's own, from REDIS_URL (shop/redis_urls.py)
    return env


def connect(env: dict, how: str, admin_url: str) -> tuple[subprocess.Popen | None, str]:
    """With `how` "socket", point `env` at PostgreSQL's Unix socket and at a Redis of the run's
    own on one (in MEDIA_ROOT), where this host has both. Returns (that Redis's process, to
    stop with the run, or None; what the run connects over)."""
    said = "PostgreSQL and Redis over TCP, as DATABASE_URL and REDIS_URL give them"
    if how != "socket":
        return None, said
    # One host: a Unix socket saves the TCP stack on every round trip (~65 of them to
    # PostgreSQL and ~35 to Redis a storefront checkout; ~30 µs of CPU each, both ends: ~3 %
    # of an order, docs/deployment.md "One host: Unix sockets").
    socket_url = _socket_database_url(admin_url, env["DATABASE_URL"])
    socket_redis = _socket_redis(Path(env["MEDIA_ROOT"]))
    if not (socket_url and socket_redis):
        _stop(socket_redis[0] if socket_redis else None)
        return None, f"{said} (no Unix socket of PostgreSQL's here, or no redis-server)"
    own_redis, env["REDIS_URL"] = socket_redis
    env["DATABASE_URL"] = socket_url
    directory = unquote(urlsplit(socket_url).hostname)
    return (
        own_redis,
        f"PostgreSQL over its Unix socket ({directory}), a Redis of the run's own on one",
    )


def load_shop(env: dict) -> dict:
    """Migrate the run's database, seed the demo shop, stock the load's SKUs and analyse what
    was loaded; the mix's plan (tests/load/checkout_mix.py prepare), also in MEDIA_ROOT."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    prepare = [*MIX_SCRIPT, "prepare"]
    prepared = subprocess.run(prepare, env=env, check=True, capture_output=True, text=True)
    plan = prepared.stdout.strip().splitlines()[-1]
    (Path(env["MEDIA_ROOT"]) / "plan.json").write_text(plan)
    # What autovacuum does after a bulk load (docs/deployment.md), as the other benches
    # do: the machine's PostgreSQL may run without it. Unanalysed, the planner took the
    # seeded catalog for a few dozen rows and read a cart's lines by scanning every
    # variant and product (0.48 ms a read instead of 0.25, seven reads a checkout), and
    # the server-side prepared statements keep the plan they start with. Only the tables
    # the load filled: analysed while still empty, the tables the run fills (orders,
    # redemptions, holds) would be taken for empty by the prepared plans for the whole
    # run, scanned whole as they grow (measured: +3.5 ms of PostgreSQL an order), where
    # autovacuum analyses them again as they grow.
    _sql(env["DATABASE_URL"], f"VACUUM ANALYZE {', '.join(LOADED_TABLES)}")
    return json.loads(plan)


def _sql(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(
    app: str, port: int, workers: int, env: dict, threads: int = 1, nice: int = 0
) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--timeout", "120", "--log-level", "warning"]
    if threads > 1:  # gthread: keep-alive connections, a request's DB waits overlap others
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    if nice:  # a lower CPU priority than the checkout lane's (docs/deployment.md)
        command = ["nice", "-n", str(nice), *command]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_for(url: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _ceiling(
    base: str, clients: int, requests_per_client: int, path: str = "/"
) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of GET `path` on the ceiling app with `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client():
        http = buyers.Http(base)
        start.wait()
        mine = []
        for _ in range(requests_per_client):
            status, _, seconds = http.call("GET", path)
            if status != 200:
                raise RuntimeError(f"ceiling app answered {status}")
            mine.append(seconds)
        http.close()
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
        mix.percentile(latencies, 50) * 1000,
        mix.percentile(latencies, 99) * 1000,
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, with those of its children that have
    exited and been waited for (Linux /proc), 0 once it is gone. A PostgreSQL backend or an
    autovacuum worker that exits during a run takes its CPU with it; the postmaster, which
    reaps it, keeps it (cutime, cstime), so a sum over the live processes never goes back."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command name)} of every process (Linux /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    head, rest = stat.read().rsplit(")", 1)
            except OSError:
                continue
            found[int(entry)] = (int(rest.split()[1]), head.split("(", 1)[1])
    return found


class CpuMeter:
    """Where each placed order's CPU went: the gunicorn workers, the Celery worker, PostgreSQL,
    Redis and this process (the load's own clients), read from /proc around a run (the Celery
    queue drained first, so the orders' tasks are counted). With the machine's cores it gives
    the most orders per second this design can reach here, whatever the load looks like."""

    def __init__(self, roots: dict[str, int | None], redis_url: str, queue: str):
        self.roots = {name: pid for name, pid in roots.items() if pid}
        self.redis_url, self.queue = redis_url, queue
        self.available = os.path.isdir("/proc/self")
        self.before: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        processes = _processes()
        children: dict[int, list[int]] = {}
        for pid, (parent, _name) in processes.items():
            children.setdefault(parent, []).append(pid)

        def tree(root: int) -> list[int]:
            pids, todo = [], [root]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(children.get(pid, []))
            return pids

        sample = {name: sum(map(_cpu_seconds, tree(pid))) for name, pid in self.roots.items()}
        by_name = {"PostgreSQL": ("postgres",), "Redis": ("redis-server",)}
        for label, names in by_name.items():
            sample[label] = sum(
                _cpu_seconds(pid) for pid, (_p, name) in processes.items() if name in names
            )
        sample["load clients"] = _cpu_seconds(os.getpid())
        return sample

    def _drain(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for _ in range(300):
            if not client.llen(self.queue):
                break
            time.sleep(0.1)
        time.sleep(0.5)  # the last task taken is still running

    def start(self) -> None:
        if self.available:
            self._drain()
            self.before = self._sample()

    def report(self, result) -> None:
        placed = result.counts["placed"]
        if not (self.available and self.before and placed):
            return
        self._drain()
        after = self._sample()
        per_order = {k: (after[k] - self.before[k]) * 1000 / placed for k in after}
        total = sum(per_order.values())
        result.cpu_ms_per_order = total
        cores = os.cpu_count() or 1
        print(
            "  CPU per placed order: "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_order.items())
            + f"; {total:.0f} ms in all: {cores} cores' {cores * 1000} ms a second would place"
            f" at most {cores * 1000 / total:.1f} orders/s"
        )


def _delete_queue(redis_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete(queue, f"_kombu.binding.{queue}", *client.keys(f"{queue}\x06\x16*"))


def summary_figures(results: dict, ceilings: dict, flash: dict) -> dict:
    """The summary as data: per way and level the orders/s, the place step's p50/p99 and the
    outcomes; the ceiling per level; whether each flash case gave exactly its 50 orders."""
    mixes = {}
    for way, by_level in results.items():
        mixes[way] = {}
        for level, result in by_level.items():
            place = result.timings().get("place") or [0.0]
            mixes[way][str(level)] = {
                "orders_per_second": round(result.orders_per_second, 2),
                "place_p50_ms": round(mix.percentile(place, 50) * 1000, 1),
                "place_p99_ms": round(mix.percentile(place, 99) * 1000, 1),
                "cpu_ms_per_order": None
                if result.cpu_ms_per_order is None
                else round(result.cpu_ms_per_order, 1),
                **{outcome: result.counts[outcome] for outcome in ("placed", "sold_out", "error")},
            }
    return {
        "targets": {
            "orders_per_second": TARGET_ORDERS_PER_SECOND,
            "place_p99_ms": TARGET_PLACE_P99_MS,
        },
        "ceiling": {str(level): round(rate) for level, rate in ceilings.items()},
        "mixes": mixes,
        "flash": {label: good for label, (_result, _in_db, good) in flash.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 1) + 1,
        help="gunicorn workers (default: the cores + 1, as docs/deployment.md sizes them)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (> 1: gthread workers)"
    )
    parser.add_argument("--no-celery", action="store_true", help="queue tasks, run no worker")
    parser.add_argument(
        "--checkout-lane",
        type=int,
        default=0,
        metavar="WORKERS",
        help="also run the mix with orders placed on a checkout lane of this many workers "
        "(a second gunicorn, as docs/deployment.md routes POST /checkout/place/ and "
        "POST /api/v1/orders), the main and Celery workers at --lane-nice lower CPU priority",
    )
    parser.add_argument(
        "--lane-nice", type=int, default=10, help="the main and Celery workers' niceness"
    )
    parser.add_argument(
        "--connect",
        choices=("socket", "tcp"),
        default="socket",
        help="socket (default): PostgreSQL over its Unix socket and a Redis of this run's own "
        "on one, as a shop sharing its host with them connects (docs/deployment.md 'One "
        "host'); tcp: DATABASE_URL and REDIS_URL as given",
    )
    parser.add_argument(
        "--flash-buyers",
        type=int,
        default=200,
        help="buyers at once in each flash case (0: no flash cases, the mix only)",
    )
    parser.add_argument(
        "--via", nargs="+", choices=sorted(buyers.WAYS), default=["storefront", "api"]
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the summary's figures to FILE (benchmarks/checkout_series.py reads it)",
    )
    args = parser.parse_args()

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("checkout_bench needs REDIS_URL (cache, throttles and Celery broker)")
    admin_url, bench_url, bench_name = _bench_db(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium")
    )
    queue = f"checkout-bench-{os.getpid()}"
    env = shop_env(bench_url, queue, Path(f"/tmp/emporium-checkoutbench-{os.getpid()}"))
    _sql(admin_url, f'CREATE DATABASE "{bench_name}"')
    server = worker = ceiling = lane = own_redis = None
    flash_ok = True
    try:
        own_redis, connections = connect(env, args.connect, admin_url)
        plan = load_shop(env)
        port = _free_port()
        server = _gunicorn("shop.wsgi:application", port, args.workers, env, args.threads)
        if not args.no_celery:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "shop", "worker", "-Q", queue]
                + ["--pool", "solo", "--loglevel", "warning", "--without-heartbeat"]
                + ["--without-gossip", "--without-mingle"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,  # its banner; warnings still go to stderr
            )
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz")
        for way in args.via:
            checkout, _steps = buyers.WAYS[way]
            warm = checkout(buyers.Http(base), **plan["mix"][0], email="warm@example.com")
            if warm.result != "placed":
                raise SystemExit(f"warm-up checkout ({way}) failed: {warm.detail}")
        print(
            f"checkout mix: gunicorn {args.workers} "
            + (f"gthread workers x {args.threads} threads" if args.threads > 1 else "sync workers")
            + ", PostgreSQL, Redis cache and "
            f"broker, {'no' if args.no_celery else 'one'} Celery worker; requests per checkout: "
            + ", ".join(f"{way} {buyers.REQUESTS[way]}" for way in args.via)
            + f"; load average {mix.load_average()}"
        )
        print(mix.interpreter())
        print(f"connections: {connections}")
        meter = CpuMeter(
            {"gunicorn": server.pid, "Celery": worker.pid if worker else None},
            env["REDIS_URL"],
            queue,
        )
        results = {way: mix.run_mix(base, plan, LEVELS, way, meter=meter) for way in args.via}
        flash = {}
        flash_cases = plan["flash"].items() if args.flash_buyers > 0 else ()
        for label, product in flash_cases:
            result = mix.run_flash(base, product, args.flash_buyers, label, args.via[0])
            in_db = json.loads(
                subprocess.run(
                    [*MIX_SCRIPT, "count", "--sku", product["sku"]],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            good = mix.flash_ok(result, args.flash_buyers) and (
                in_db["placed"],
                in_db["units"],
                in_db["on_hand"] - in_db["reserved"],
            ) == (mix.FLASH_UNITS, mix.FLASH_UNITS, 0)
            flash_ok &= good
            flash[label] = (result, in_db, good)
            print(
                f"  database: {in_db['placed']} placed orders, {in_db['units']} units sold, "
                f"on hand {in_db['on_hand']}, reserved {in_db['reserved']} -> "
                f"{'OK: exactly 50 orders' if good else 'WRONG'}"
            )
        if args.checkout_lane:
            # The same shop again, behind a proxy that sends placing an order to its own
            # workers at a higher CPU priority than the rest (docs/deployment.md).
            _stop(server)
            server = _gunicorn(
                "shop.wsgi:application", port, args.workers, env, args.threads, args.lane_nice
            )
            if worker is not None:  # background work (mail, tax commits) yields to checkout too
                os.setpriority(os.PRIO_PROCESS, worker.pid, args.lane_nice)
            lane_port = _free_port()
            lane = _gunicorn("shop.wsgi:application", lane_port, args.checkout_lane, env)
            lane_base = f"http://127.0.0.1:{lane_port}"
            _wait_for(base + "/healthz")
            _wait_for(lane_base + "/healthz")
            for way in args.via:  # every lane worker warm, as the main ones are by now
                warm_lane = mix.run_buyers(
                    base,
                    2 * args.checkout_lane,
                    mix.mix_work(plan, 2 * args.checkout_lane, 2, seed=3),
                    way,
                    lane_base,
                )
                if warm_lane.counts["placed"] != len(warm_lane.outcomes):
                    raise SystemExit(f"warm-up of the checkout lane ({way}) failed")
            print(
                f"\ncheckout lane: {args.checkout_lane} more sync workers place the orders; "
                f"the {args.workers} main workers and the Celery worker run at nice "
                f"{args.lane_nice}"
            )
            roots = {"gunicorn": server.pid, "lane": lane.pid}
            celery = worker.pid if worker else None
            meter = CpuMeter({**roots, "Celery": celery}, env["REDIS_URL"], queue)
            for way in args.via:
                results[f"{way} + lane"] = mix.run_mix(
                    base, plan, LEVELS, way, meter=meter, lane_url=lane_base
                )
                buyers.REQUESTS[f"{way} + lane"] = buyers.REQUESTS[way]
            _stop(lane)
            lane = None
        _stop(server)
        _stop(worker)
        server = worker = None

        _sql(bench_url, "CREATE TABLE ceiling_write (id bigserial PRIMARY KEY)")
        ceiling_port = _free_port()
        ceiling = _gunicorn(
            "tests.load.ceiling_app:application", ceiling_port, args.workers, env, args.threads
        )
        ceiling_base = f"http://127.0.0.1:{ceiling_port}"
        _wait_for(ceiling_base + "/")
        _ceiling(ceiling_base, 8, 50)  # warm up every worker's connection
        print(
            "\nminimal-Django ceiling (no middleware), same workers and clients: "
            "GET / runs SELECT 1, GET /write one committed INSERT"
        )
        print(
            f"  {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
            f"  {'write/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        )
        ceilings = {}
        for clients in LEVELS:
            requests = max(600 // clients, 40)
            rate, p50, p99 = _ceiling(ceiling_base, clients, requests)
            writes, w50, w99 = _ceiling(ceiling_base, clients, requests, "/write")
            ceilings[clients] = rate
            print(
                f"  {clients:>7} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f}  "
                f"{writes:>8.0f} {w50:>8.1f} {w99:>8.1f}"
            )
        print(f"  load average {mix.load_average()}")

        print(
            f"\nsummary (targets: >= {TARGET_ORDERS_PER_SECOND:.0f} orders/s at 32 buyers, "
            f"POST place-order p99 <= {TARGET_PLACE_P99_MS:.0f} ms):"
        )
        for way, by_level in results.items():
            requests = buyers.REQUESTS[way]
            for level, result in by_level.items():
                place = result.timings()["place"]
                later = result.timings(result.later).get("place")
                after_first = (
                    f" (after each buyer's first checkout: p99 "
                    f"{mix.percentile(later, 99) * 1000:.0f} ms)"
                    if later and level > 1
                    else ""
                )
                print(
                    f"  {way:<17} {level:>2} buyers: {result.orders_per_second:5.1f} orders/s, "
                    f"place p50 {mix.percentile(place, 50) * 1000:.0f} ms, p99 "
                    f"{mix.percentile(place, 99) * 1000:.0f} ms{after_first}; the ceiling's "
                    f"{ceilings[level]:.0f} req/s would be {ceilings[level] / requests:.1f} "
                    f"checkouts/s of {requests} requests"
                )
                served = result.orders_per_second * requests
                if level > 1 and served:
                    # Little's law: buyers that never pause queue behind each other.
                    print(
                        f"{'':16}{level} buyers over {served:.0f} requests/s: every request "
                        f"waits and runs {level / served * 1000:.0f} ms on average"
                    )
        for label, (result, in_db, good) in flash.items():
            counts = result.counts
            print(
                f"  flash {label}: {counts['placed']} placed, {counts['sold_out']} sold out, "
                f"{counts['error']} errors; database {in_db['placed']} orders -> "
                f"{'OK' if good else 'WRONG'}"
            )
        if args.json:
            args.json.write_text(json.dumps(summary_figures(results, ceilings, flash), indent=1))
    finally:
        _stop(server)
        _stop(worker)
        _stop(ceiling)
        _stop(lane)
        _sql(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        _delete_queue(env["REDIS_URL"], queue)
        _stop(own_redis)
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)
    return 0 if flash_ok else 1


if __name__ == "__main__":
    sys.exit(main())
