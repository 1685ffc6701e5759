"""What the drill reads from the shop's side: the database it shares with the server (the
plan, the payment authorizations of the drill's own orders) and Redis (cache hits and misses,
Celery queue lengths). Read only: nothing here writes.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from django.conf import settings

from shop import redis_urls
from storefront.drill.load import Plan
from storefront.drill.profile import ProfileError

PLAN_PRODUCTS = 40


def build_plan(market_code: str, plan_file: Path | None = None) -> Plan:
    """The products, category paths and search words the visitors use.

    From `plan_file` (tests/load/checkout_mix.py prepare's output) when given, otherwise read
    from the catalog: active products with a price in the market's currency, units the market
    can sell and no reservation policy of their own (drops are not what this drill is about).
    Raises ProfileError when there is nothing to buy.
    """
    from catalog.models import Category, ProductStatus, Variant, VariantStatus
    from inventory.models import ReservationPolicy
    from inventory.selectors import available_quantities
    from shop.selectors import find_market

    market = find_market(market_code)
    if market is None:
        raise ProfileError(f"market {market_code} is not an active market of this shop.")
    categories = list(Category.objects.values_list("path", flat=True)[:50])
    if plan_file is not None:
        try:
            products = json.loads(Path(plan_file).read_text(encoding="utf-8"))["mix"]
            products = [{"sku": str(p["sku"]), "handle": str(p["handle"])} for p in products]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ProfileError(f"Cannot read the plan {plan_file}: {exc}") from None
    else:
        with_policy = ReservationPolicy.objects.values_list("product_id", flat=True)
        variants = list(
            Variant.objects.filter(
                status=VariantStatus.ACTIVE,
                product__status=ProductStatus.ACTIVE,
                prices__currency=market.currency,
            )
            .exclude(product_id__in=with_policy)
            .select_related("product")
            .order_by("product__handle", "sku")[:1000]
        )
        atp = available_quantities(variant_ids=[v.pk for v in variants], market=market)
        chosen: dict[int, Variant] = {}
        for variant in sorted(variants, key=lambda v: -atp.get(v.pk, 0)):
            if atp.get(variant.pk, 0) > 0 and len(chosen) < PLAN_PRODUCTS:
                chosen.setdefault(variant.product_id, variant)
        products = [{"sku": v.sku, "handle": v.product.handle} for v in chosen.values()]
    if not products:
        raise ProfileError(
            f"Nothing to buy in market {market.code}: no active product with a "
            f"{market.currency} price and stock (seed or stock the shop, or pass --plan)."
        )
    return Plan(products, categories, _search_terms(products), market.code)


def _search_terms(products: list[dict]) -> list[str]:
    words = []
    for product in products:
        for word in re.split(r"[-_\s]+", product["handle"]):
            if len(word) >= 4 and word.isalpha() and word not in words:
                words.append(word)
    return words[:30] or ["shirt"]


def payment_authorizations_ms(run_id: str) -> list[float]:
    """Milliseconds from each drill order's creation (pending_payment, stock held) to the
    gateway's answer being recorded (its authorization PaymentTransaction): the fraud check,
    the gateway call and the settling transaction, as the server recorded them."""
    from orders.models import PaymentTransaction, TransactionKind

    rows = PaymentTransaction.objects.filter(
        kind=TransactionKind.AUTHORIZE, order__email__startswith=f"drill-{run_id}-"
    ).values_list("created_at", "order__created_at")
    return [(answered - created).total_seconds() * 1000 for answered, created in rows]


def drill_orders(run_id: str) -> dict[str, int]:
    """The drill's orders in the database by status (0 of all: not the server's database)."""
    from django.db.models import Count

    from orders.models import Order

    rows = (
        Order.objects.filter(email__startswith=f"drill-{run_id}-")
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def _redis(url: str | None):
    url = redis_urls.client_url(url or "")
    if url is None:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def cache_redis_url() -> str | None:
    """The default cache's Redis URL (None when the cache is not Redis)."""
    cache = settings.CACHES.get("default", {})
    if "redis" not in cache.get("BACKEND", "").lower():
        return None
    location = cache.get("LOCATION")
    return location[0] if isinstance(location, list | tuple) else location


def queue_names(extra=()) -> list[str]:
    """The Celery queues the settings name (default, declared, routed) and the profile's."""
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") or "celery"]
    for declared in getattr(settings, "CELERY_TASK_QUEUES", None) or []:
        names.append(
            getattr(
                declared, "name", declared.get("name") if isinstance(declared, dict) else declared
            )
        )
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        names += [r.get("queue") for r in routes.values() if isinstance(r, dict)]
    names += list(extra)
    return list(dict.fromkeys(str(n) for n in names if n))


class RedisWatch:
    """Cache hits/misses (Redis INFO, server-wide) at start and end, and the Celery queues'
    lengths sampled once a second in a thread. Any Redis failure is recorded, never raised."""

    def __init__(self, queues: list[str]):
        self.queues = queues
        self.cache = _redis(cache_redis_url())
        self.broker = _redis(getattr(settings, "CELERY_BROKER_URL", None))
        self.errors: list[str] = []
        self.depths: dict[str, dict] = {
            q: {"start": None, "max": None, "end": None} for q in queues
        }
        self.stats_start = self.stats_end = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_loop, daemon=True)

    def _stats(self):
        if self.cache is None:
            return None
        try:
            info = self.cache.info("stats")
            return int(info.get("keyspace_hits", 0)), int(info.get("keyspace_misses", 0))
        except Exception as exc:  # noqa: BLE001
            self.errors.append(f"cache INFO: {exc}")
            return None

    def _sample(self, when: str) -> None:
        if self.broker is None:
            return
        for name in self.queues:
            try:
                depth = int(self.broker.llen(name))
            except Exception as exc:  # noqa: BLE001
                self.errors.append(f"LLEN {name}: {exc}")
                return
            entry = self.depths[name]
            entry["max"] = depth if entry["max"] is None else max(entry["max"], depth)
            if when in ("start", "end"):
                entry[when] = depth

    def _sample_loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sample("during")

    def start(self) -> None:
        self.stats_start = self._stats()
        self._sample("start")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample("end")
        self.stats_end = self._stats()

    def cache_figures(self) -> dict:
        if self.stats_start is None or self.stats_end is None:
            return {"hits": None, "misses": None, "hit_rate": None}
        hits = self.stats_end[0] - self.stats_start[0]
        misses = self.stats_end[1] - self.stats_start[1]
        rate = hits / (hits + misses) if hits + misses > 0 else None
        return {"hits": hits, "misses": misses, "hit_rate": rate}
