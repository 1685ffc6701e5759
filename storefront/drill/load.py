"""The drill's traffic: open-loop arrivals of the profile's kinds against a running shop.

Arrivals come at the profile's rate (Poisson, the ramp and the recorded shape applied) whatever
the server does: a slow server does not slow the arrivals down, it fills the pool of
`max_concurrency` visitor threads, and an arrival finding every thread busy is shed and
counted (the drill's own load stays bounded). Each arrival is a new visitor (its own
connection and cookies). Checkouts are storefront/drill/buyers.py's guest buyers, the storefront's
pages or the API, unchanged.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from storefront.drill import buyers
from storefront.drill.profile import KINDS, Profile

REQUEST_TIMEOUT_SECONDS = 30
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Plan:
    """What the visitors ask for: products to view and buy, category paths, search words."""

    products: list[dict]
    categories: list[str]
    search_terms: list[str]
    market: str = "US"

    def as_json(self) -> dict:
        return {
            "mix": self.products,
            "categories": self.categories,
            "search_terms": self.search_terms,
            "market": self.market,
        }


@dataclass
class Sample:
    """One arrival: its kind, `ok` / `placed` / `held` / `sold_out` / `error`, step timings."""

    kind: str
    result: str
    timings: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    started: float = 0.0


@dataclass
class LoadResult:
    samples: list[Sample]
    offered: Counter
    shed: Counter
    unfinished: int
    seconds: float
    max_in_flight: int


def check_base_url(base_url: str) -> str | None:
    """Why `base_url` cannot be drilled (None: it can): an http(s) URL with a host and port."""
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"--base-url is not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname or "\x00" in base_url:
        return "--base-url must be an http:// or https:// URL with a host"
    return None


def is_loopback(base_url: str) -> bool:
    return (urlsplit(base_url).hostname or "") in LOOPBACK


def _page(http: buyers.Http, path: str, step: str) -> Sample:
    response = http.request("GET", path, headers={"Accept": "text/html"})
    result = "ok" if response.status == 200 else "error"
    detail = "" if result == "ok" else f"{step}: HTTP {response.status}"
    return Sample(step, result, {step: response.seconds}, detail)


def _add_to_cart(http: buyers.Http, product: dict) -> Sample:
    browser, timings = buyers.Browser(http), {}
    timings["product"] = browser.visit("GET", f"/p/{product['handle']}/")
    timings["add"] = browser.visit("POST", "/cart/add/", {"sku": product["sku"], "quantity": "1"})
    if browser.path == "/cart/":
        return Sample("add_to_cart", "ok", timings)
    result = "sold_out" if browser.says_sold_out else "error"
    return Sample("add_to_cart", result, timings, f"add: landed on {browser.path}")


def _checkout(http: buyers.Http, kind: str, product: dict, email: str) -> Sample:
    way = "storefront" if kind == "checkout_storefront" else "api"
    checkout, _steps = buyers.WAYS[way]
    outcome = checkout(http, sku=product["sku"], handle=product["handle"], email=email)
    result, detail = outcome.result, outcome.detail
    if result == "error" and detail == "place: order on_hold":
        result, detail = "held", ""  # placed, waiting for fraud review: not a failure
    return Sample(kind, result, outcome.timings, detail)


def visit(base_url: str, kind: str, plan: Plan, rng: random.Random, email: str) -> Sample:
    """One arrival of `kind`, as a new visitor. Never raises: a failure is an `error` sample."""
    http = buyers.Http(base_url)
    http.connection.timeout = REQUEST_TIMEOUT_SECONDS
    product = rng.choice(plan.products)
    try:
        if kind == "home":
            return _page(http, "/", "home")
        if kind == "listing":
            return _page(http, f"/c/{rng.choice(plan.categories)}/", "listing")
        if kind == "product":
            return _page(http, f"/p/{product['handle']}/", "product")
        if kind == "search":
            return _page(http, f"/search?q={quote(rng.choice(plan.search_terms))}", "search")
        if kind == "add_to_cart":
            return _add_to_cart(http, product)
        return _checkout(http, kind, product, email)
    except Exception as exc:  # noqa: BLE001 - the server's failure is the measurement
        return Sample(kind, "error", {}, f"{type(exc).__name__}: {str(exc)[:120]}")
    finally:
        http.close()


def usable_kinds(profile: Profile, plan: Plan) -> tuple[list[str], list[float]]:
    """The kinds with weight, minus those the plan cannot serve (no categories, no words)."""
    missing = {"listing": not plan.categories, "search": not plan.search_terms}
    kinds = [k for k in KINDS if profile.mix[k] > 0 and not missing.get(k)]
    return kinds, [profile.mix[k] for k in kinds]


def run_load(
    base_url: str,
    profile: Profile,
    plan: Plan,
    *,
    run_id: str,
    seed: int = 7,
    drain_seconds: float = 30.0,
) -> LoadResult:
    """Offer the profile's arrivals for its duration; wait at most `drain_seconds` for the
    last ones (those still running then are counted as unfinished)."""
    rng = random.Random(seed)
    kinds, weights = usable_kinds(profile, plan)
    jobs: queue.Queue = queue.Queue()
    samples: list[Sample] = []
    lock = threading.Lock()
    state = {"in_flight": 0, "max": 0}
    offered, shed = Counter(), Counter()
    began = time.perf_counter()

    def worker() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            kind, number, started = job
            sample = visit(
                base_url,
                kind,
                plan,
                random.Random(seed * 1_000_003 + number),
                f"drill-{run_id}-{number}@example.com",
            )
            sample.started = started
            with lock:
                samples.append(sample)
                state["in_flight"] -= 1

    for _ in range(profile.max_concurrency):
        threading.Thread(target=worker, daemon=True).start()

    scheduled, number = 0.0, 0
    while True:
        scheduled += rng.expovariate(max(profile.rate_at(scheduled), 1e-6))
        if scheduled >= profile.duration_seconds:
            break
        while (now := time.perf_counter() - began) < scheduled:
            time.sleep(min(scheduled - now, 0.05))
        kind = rng.choices(kinds, weights)[0]
        number += 1
        offered[kind] += 1
        with lock:
            if state["in_flight"] >= profile.max_concurrency:
                shed[kind] += 1
                continue
            state["in_flight"] += 1
            state["max"] = max(state["max"], state["in_flight"])
        jobs.put((kind, number, scheduled))
    while time.perf_counter() - began < profile.duration_seconds:
        time.sleep(0.05)
    deadline = time.perf_counter() + drain_seconds
    while time.perf_counter() < deadline:
        with lock:
            if state["in_flight"] == 0:
                break
        time.sleep(0.1)
    for _ in range(profile.max_concurrency):
        jobs.put(None)
    with lock:
        return LoadResult(
            samples=list(samples),
            offered=offered,
            shed=shed,
            unfinished=state["in_flight"],
            seconds=time.perf_counter() - began,
            max_in_flight=state["max"],
        )


def get_status(base_url: str, path: str) -> tuple[int, object]:
    """(status, JSON body or text) of one GET (health checks)."""
    http = buyers.Http(base_url)
    http.connection.timeout = REQUEST_TIMEOUT_SECONDS
    try:
        return http.call("GET", path)[:2]
    except OSError as exc:
        return 0, f"{type(exc).__name__}: {exc}"
    finally:
        http.close()


def idle_reference_ms(base_url: str, requests: int = 20) -> float | None:
    """p50 of GET /healthz (database, cache and broker pinged) on one connection before the
    load: this machine's speed today, to read the drill's latencies against."""
    http = buyers.Http(base_url)
    http.connection.timeout = REQUEST_TIMEOUT_SECONDS
    seconds = []
    try:
        for _ in range(requests):
            response = http.request("GET", "/healthz")
            if response.status == 200:
                seconds.append(response.seconds)
    except OSError:
        pass
    finally:
        http.close()
    return round(sorted(seconds)[len(seconds) // 2] * 1000, 1) if seconds else None
