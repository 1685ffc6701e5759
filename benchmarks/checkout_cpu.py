"""What one guest checkout costs the shop's own process, step by step: CPU, SQL statements and
Redis commands, with no server, no other buyers and no queueing in the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium REDIS_URL=redis://127.0.0.1:6379/1 \
        python benchmarks/checkout_cpu.py [--checkouts 200] [--via storefront api] [--connect tcp]

benchmarks/checkout_bench.py measures orders a second under load, and on this 2-core machine
its figures move by ±20 % from one run to the next (the machine's own speed, and 32 buyers
queueing on two cores). A change worth a few per cent cannot be seen there. This one can:

- It sets up the shop as checkout_bench does: a throwaway database with the demo catalog, the
  load's SKUs and analysed tables; PostgreSQL over its Unix socket and a Redis of its own
  (`--connect tcp`: DATABASE_URL and REDIS_URL as given).
- A child process then buys through Django's WSGI handler, in that process, the same
  checkouts the bench's buyers make (storefront/drill/buyers.py: the same requests, forms and
  cookies).
- After `--warm` checkouts it reports, per step:
  - the median CPU time of the thread that served it (time.thread_time: waits on PostgreSQL
    and Redis are not counted, their CPU neither);
  - the statements the request sent to PostgreSQL;
  - the commands it sent to Redis.
  Statements and commands are exact. CPU still follows the machine's speed, so compare two
  versions of the code in turns (`git worktree`), not against a figure from another day.

The Celery worker is not run: the orders' tasks stay on the run's queue and are deleted with
it. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import checkout_bench as bench  # noqa: E402
from storefront.drill import buyers  # noqa: E402

# --- the child: checkouts through the WSGI handler ---------------------------------------------


class _Response:
    """What buyers.Http reads of an http.client response."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status = int(status.split()[0])
        self._headers = headers
        self._body = body
        self.msg = self

    def get_all(self, name: str) -> list[str] | None:
        return [v for k, v in self._headers if k.lower() == name.lower()] or None

    def getheader(self, name: str, default: str = "") -> str:
        return next((v for k, v in self._headers if k.lower() == name.lower()), default)

    def read(self) -> bytes:
        return self._body


class WsgiHttp(buyers.Http):
    """A buyer's cookie jar whose requests go to the WSGI handler in this process; each
    request's CPU, statements and Redis commands go to `record` (when set)."""

    def __init__(self, handler, meter: _Meter):
        self.handler, self.meter = handler, meter
        self.connection = self.lane = None
        self.cookies = {}

    def _send(self, connection, method, path, body, headers):
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body or b"")),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        answer: dict = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = status, response_headers

        with self.meter.request(method, route):
            profiling = self.meter.profiler is not None and self.meter.recording
            if profiling:
                self.meter.profiler.enable()
            result = self.handler(environ, start_response)
            content = b"".join(result)
            if hasattr(result, "close"):
                result.close()
            if profiling:
                self.meter.profiler.disable()
        return _Response(answer["status"], answer["headers"], content)

    def close(self) -> None:
        pass


def _step_name(method: str, route: str) -> str:
    for prefix, name in (
        ("/p/", "/p/<handle>/"),
        ("/orders/", "/orders/<id>/"),
        ("/api/v1/carts/", "/api/v1/carts/<id>…"),
    ):
        if route.startswith(prefix):
            return f"{method} {name}"
    return f"{method} {route}"


_redis_sends = [0]  # packed sends on any Redis connection in this process
_redis_sent: list[str] = []  # the commands of the sends, cleared at each request


def _command_names(command) -> str:
    """The command names of a packed send (one command, or a pipeline's), for reading."""
    chunks = command if isinstance(command, list | tuple) else [command]
    joined = b"".join(bytes(chunk) for chunk in chunks)
    names = []
    for part in joined.split(b"\r\n*")[0:]:
        pieces = part.split(b"\r\n")
        if len(pieces) > 2:
            key = pieces[4].decode(errors="replace")[:60] if len(pieces) > 4 else ""
            names.append(f"{pieces[2].decode(errors='replace')} {key}".strip())
    return " + ".join(names)


def _count_redis_sends() -> None:
    """Count every command and every pipeline: each is one packed send on a connection (one
    round trip). Installed once per process."""
    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command
    if getattr(send, "counts_sends", False):
        return

    def counted(connection, command, check_health=True):
        _redis_sends[0] += 1
        _redis_sent.append(_command_names(command))
        return send(connection, command, check_health)

    counted.counts_sends = True
    AbstractConnection.send_packed_command = counted


class _Meter:
    def __init__(self):
        from django.db import connection

        _count_redis_sends()
        self.connection = connection
        self.recording = False
        self.cpu = defaultdict(list)
        self.statements = defaultdict(list)
        self.redis = defaultdict(list)
        self.last_round_trips: dict[str, list[str]] = {}
        self.profiler = None  # a cProfile.Profile: the counted requests' handling only

    @property
    def redis_commands(self) -> int:
        return _redis_sends[0]

    def request(self, method: str, route: str):
        meter = self

        class _Request:
            def __enter__(self):
                meter.connection.force_debug_cursor = True
                self.redis_before = meter.redis_commands
                _redis_sent.clear()
                self.started = time.thread_time()

            def __exit__(self, *exc):
                spent = time.thread_time() - self.started
                if meter.recording:
                    step = _step_name(method, route)
                    meter.cpu[step].append(spent * 1000)
                    # Django empties the log when a request starts: it holds this request's.
                    meter.statements[step].append(len(meter.connection.queries))
                    meter.redis[step].append(meter.redis_commands - self.redis_before)
                    meter.last_round_trips[step] = [
                        query["sql"] for query in meter.connection.queries
                    ]
                    meter.last_round_trips[step] += [f"redis: {names}" for names in _redis_sent]
                return False

        return _Request()


def drive(way: str, checkouts: int, warm: int, plan: dict, profile: str = "") -> dict:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    handler, meter = WSGIHandler(), _Meter()
    if profile:
        meter.profiler = cProfile.Profile()
    checkout, _steps = buyers.WAYS[way]
    failures = []
    for number in range(warm + checkouts):
        meter.recording = number >= warm
        item = plan["mix"][number % len(plan["mix"])]
        outcome = checkout(WsgiHttp(handler, meter), **item, email=f"cpu{number}@example.com")
        if outcome.result != "placed":
            failures.append(f"{outcome.result}: {outcome.detail}")
    if profile:
        meter.profiler.dump_stats(profile)
    steps = {
        step: {
            "requests": len(values) / checkouts,
            "cpu_ms": statistics.median(values),
            "statements": statistics.median(meter.statements[step]),
            "redis": statistics.median(meter.redis[step]),
        }
        for step, values in meter.cpu.items()
    }
    return {"steps": steps, "failures": failures, "round_trips": meter.last_round_trips}


# --- the parent: set up, run the child, print ----------------------------------------------------


def _print(way: str, checkouts: int, result: dict, show_round_trips=()) -> None:
    print(f"\n{way}: {checkouts} checkouts in one process (medians; thread CPU)")
    print(f"  {'step':<34} {'a checkout':>10} {'CPU ms':>8} {'SQL':>5} {'Redis':>6}")
    total = {"cpu_ms": 0.0, "statements": 0.0, "redis": 0.0}
    for step, figures in result["steps"].items():
        print(
            f"  {step:<34} {figures['requests']:>10.2f} {figures['cpu_ms']:>8.2f} "
            f"{figures['statements']:>5.0f} {figures['redis']:>6.0f}"
        )
        for name in total:
            total[name] += figures[name] * figures["requests"]
    print(
        f"  {'a checkout':<34} {'':>10} {total['cpu_ms']:>8.1f} {total['statements']:>5.0f} "
        f"{total['redis']:>6.0f}"
    )
    for failure in result["failures"][:5]:
        print(f"  NOT PLACED: {failure}")
    for step in show_round_trips:
        print(f"\n  {step}: the round trips of its last request (SQL, then Redis)")
        for number, sent in enumerate(result["round_trips"].get(step, []), 1):
            print(f"  {number:>3}  {sent[:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20, help="checkouts not counted, first")
    parser.add_argument("--via", nargs="+", choices=sorted(buyers.WAYS), default=["storefront"])
    parser.add_argument("--connect", choices=("socket", "tcp"), default="socket")
    parser.add_argument(
        "--show-round-trips",
        nargs="+",
        default=[],
        metavar="STEP",
        help="print the SQL statements and Redis commands of the step's last request (a step "
        "as the table names it)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write a cProfile of the counted requests' handling to FILE.<way> (pstats; "
        "the buyers' own page parsing is left out)",
    )
    parser.add_argument("--drive", help=argparse.SUPPRESS)  # the child: way,checkouts,warm,plan
    args = parser.parse_args()
    if args.drive:
        way, checkouts, warm, plan_file = args.drive.split(",", 3)
        plan = json.loads(Path(plan_file).read_text())
        profile = f"{args.profile}.{way}" if args.profile else ""
        print(json.dumps(drive(way, int(checkouts), int(warm), plan, profile)))
        return 0

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("checkout_cpu needs REDIS_URL (the shop's cache)")
    admin_url, bench_url, bench_name = bench._bench_db(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/emporium")
    )
    queue = f"checkout-cpu-{os.getpid()}"
    env = bench.shop_env(bench_url, queue, Path(f"/tmp/emporium-checkoutcpu-{os.getpid()}"))
    own_redis = None
    bench._sql(admin_url, f'CREATE DATABASE "{bench_name}"')
    try:
        own_redis, connections = bench.connect(env, args.connect, admin_url)
        bench.load_shop(env)
        plan_file = Path(env["MEDIA_ROOT"]) / "plan.json"
        print(f"connections: {connections}")
        for way in args.via:
            drive_args = f"{way},{args.checkouts},{args.warm},{plan_file}"
            child = subprocess.run(
                [sys.executable, __file__, "--drive", drive_args]
                + (["--profile", str(Path(args.profile).resolve())] if args.profile else []),
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            _print(
                way,
                args.checkouts,
                json.loads(child.stdout.strip().splitlines()[-1]),
                args.show_round_trips,
            )
    finally:
        bench._sql(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
        bench._delete_queue(env["REDIS_URL"], queue)
        bench._stop(own_redis)
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
