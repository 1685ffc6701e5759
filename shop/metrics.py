"""/metrics: Prometheus text format for the ops dashboards (docs/deployment.md "Health and
metrics").

Two kinds of figures:

- Request latency, per view (the URL pattern's name) and method and status class, measured by
  `RequestMetricsMiddleware` into a prometheus_client Histogram in each process. Under gunicorn
  with several workers set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at start by
  `shop/gunicorn.py`): every worker writes its figures there and a scrape sums them. Unset, a
  scrape sees only the worker that answers it (fine for one process: runserver, tests).
- Business figures, read from PostgreSQL and Redis at scrape time by the sources the apps
  register (`register_metric_source`, from their AppConfig.ready(): orders, payments,
  reservations) and the shop's own (queue depths, deferred tasks, cache hits), so checkout does
  no extra work for them. A source that fails is logged and left out of that scrape
  (`emporium_metrics_source_up{source} 0`); the rest is still served.

Access (`metrics_allowed`): a staff session, or a client address in METRICS_ALLOWED_IPS
(addresses or networks; loopback by default), the address as the API throttles see it
(NUM_PROXIES). Anyone else gets a 404, as if there were no such page.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from shop import queues
from shop.auth import client_ip

logger = logging.getLogger(__name__)

# Seconds; storefront pages answer in milliseconds, a slow checkout in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUEST_LATENCY = Histogram(
    "emporium_request_duration_seconds",
    "Time to answer a request, per view (URL name), method and status class.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

MetricSource = Callable[[], Iterable]
_sources: dict[str, MetricSource] = {}


def register_metric_source(name: str, source: MetricSource) -> None:
    """Add (or replace, by `name`) a function returning prometheus_client metric families,
    called at each scrape. It should cost a few grouped queries, never a scan per row."""
    _sources[name] = source


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def view_label(request) -> str:
    """The resolved URL's name (`storefront:product`), else its route, else `unresolved` (a
    404 before any view): a small, fixed set of labels, never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or match.route or "unresolved"


class RequestMetricsMiddleware:
    """Time every request into REQUEST_LATENCY. First in MIDDLEWARE, so the time includes the
    other middleware (sessions, CSRF, the market)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(
            view=view_label(request), method=method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        return response


def metrics_allowed(request) -> bool:
    """A staff session, or a client address in METRICS_ALLOWED_IPS."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _source_up(name: str, up: bool) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "emporium_metrics_source_up", "1 when the source answered this scrape.", labels=["source"]
    )
    family.add_metric([name], 1 if up else 0)
    return family


class BusinessCollector:
    """Runs every registered source at scrape time; a failing source is reported, not fatal."""

    def collect(self):
        for name, source in sorted(_sources.items()):
            try:
                families = list(source())
            except Exception:  # noqa: BLE001 - one broken figure must not hide the others
                logger.exception("metrics source %s failed", name)
                yield _source_up(name, False)
                continue
            yield from families
            yield _source_up(name, True)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    if multiprocess_dir():
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    return generate_latest(requests) + generate_latest(business), CONTENT_TYPE_LATEST


# --- The shop's own sources ---


def queue_figures():
    depth = GaugeMetricFamily(
        "emporium_queue_depth",
        "Tasks waiting in each Celery queue (broker list length).",
        labels=["queue"],
    )
    cap = GaugeMetricFamily(
        "emporium_queue_cap",
        "Each queue's cap (0: none); see docs/deployment.md.",
        labels=["queue"],
    )
    depths = queues.read_depths()
    for queue in queues.QUEUES:
        depth.add_metric([queue], depths.get(queue, 0))
        cap.add_metric([queue], queues.cap(queue))
    return [depth, cap]


def deferred_figures():
    from django.db.models import Count

    from shop.models import DeferredTask

    family = GaugeMetricFamily(
        "emporium_deferred_tasks",
        "Tasks kept in PostgreSQL until the broker or their queue has room, per queue.",
        labels=["queue"],
    )
    per_queue = dict.fromkeys(queues.QUEUES, 0)
    for row in DeferredTask.objects.values("task").annotate(n=Count("pk")):
        per_queue[queues.queue_for(row["task"])] += row["n"]
    for queue, count in per_queue.items():
        family.add_metric([queue], count)
    return [family]


def cache_figures():
    """Redis's own hit and miss counters (the whole server: cache and broker alike)."""
    from django.core.cache import cache

    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        return []  # local-memory cache (the embedded demo) keeps no counts
    stats = client_of(None, write=False).info("stats")
    hits = CounterMetricFamily("emporium_cache_hits", "Redis keyspace hits.")
    hits.add_metric([], stats.get("keyspace_hits", 0))
    misses = CounterMetricFamily("emporium_cache_misses", "Redis keyspace misses.")
    misses.add_metric([], stats.get("keyspace_misses", 0))
    return [hits, misses]


register_metric_source("queues", queue_figures)
register_metric_source("deferred_tasks", deferred_figures)
register_metric_source("cache", cache_figures)
