"""Reading promotions: the live set (cached by the `promotions` cache version), the codes on
a cart, a customer's segments and uses, and evaluate with a result cache.

The live set is parsed once per process per version: `read_versions` gives the current
versions of the PROMOTIONS scope (every promotion or coupon write, and a redemption that
spends a limit or budget, bumps it on commit) and of the PRICES scope (every catalog write
that may change a price, catalog.services.storefront_versions), in one round trip; a
process-local dict keeps the parsed rules of that promotions version.

Results of evaluate live in the shared cache (Redis in production, so every web process and
worker shares them), under `versioned_key("promo-result", (window epoch, the cart's
fingerprint), {promotions, prices})`: the key is the hash of the cart's contents, segments,
market, channel, codes and limits (CartContext.fingerprint) plus the two versions, so an
edit to a promotion, coupon or price in any process makes every other process miss and
evaluate afresh; nothing is deleted. The window epoch (how many windows had opened and closed
at `now`) changes exactly when a window does. A small process-local LRU in front holds results
under the same versioned keys (it can only answer for the versions just read from Redis).
With the cache down, versions are unreadable and everything is read and evaluated afresh.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import JSONObject
from django.utils import timezone

from promotions.engine import CartContext, PromotionResult, Rule, evaluate, parse_rule
from promotions.engine import results as R
from promotions.models import (
    CartCoupon,
    CustomerSegment,
    Promotion,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)
from shop import kill_switches
from shop.cache_versions import (
    PRICES,
    PROMOTIONS,
    read_versions,
    report_cache_failure,
    versioned_key,
)
from shop.compiled import CompiledQuery
from shop.models import KillSwitchKind

RESULT_CACHE_SIZE = 2048  # process-local LRU in front of the shared cache


@dataclass(frozen=True)
class LiveSet:
    version: object  # {promotions, prices} versions (None: cache down, nothing cached)
    rules: tuple[Rule, ...]
    exhausted: frozenset[str]  # total uses or budget spent
    per_customer_ids: frozenset[str]  # promotions with a per-customer limit
    budget_left: tuple[tuple[str, int], ...] = ()
    starts: tuple[datetime, ...] = ()
    ends: tuple[datetime, ...] = ()

    def epoch(self, now: datetime) -> tuple[int, int]:
        return bisect_right(self.starts, now), bisect_left(self.ends, now)


_lock = threading.Lock()
_live: dict[object, LiveSet] = {}
_results: OrderedDict = OrderedDict()


def _load(version) -> LiveSet:
    now = timezone.now()
    rows = list(
        Promotion.objects.filter(status=PromotionStatus.ACTIVE)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gte=now))
        .order_by("-priority", "pk")
    )
    rules = tuple(parse_rule(row.rule) for row in rows)
    return LiveSet(
        version=version,
        rules=rules,
        exhausted=frozenset(row.pk for row in rows if row.exhausted),
        per_customer_ids=frozenset(row.pk for row in rows if row.per_customer),
        budget_left=tuple(
            (row.pk, row.budget_cents - row.discount_given_cents)
            for row in rows
            if row.budget_cents is not None
        ),
        starts=tuple(sorted(r.starts_at for r in rules if r.starts_at)),
        ends=tuple(sorted(r.ends_at for r in rules if r.ends_at)),
    )


def live_promotions() -> LiveSet:
    """Active promotions not yet ended (those not started yet too: the engine says so)."""
    versions = read_versions([PROMOTIONS, PRICES])
    if versions is None:
        return _load(None)
    version = versions[PROMOTIONS]
    found = _live.get(version)
    if found is None:
        found = _load(version)
        with _lock:
            _live.clear()
            _live[version] = found
    # The result cache keys on both versions; the parsed rules only on the promotions one.
    return replace(found, version=versions)


def forget() -> None:
    """Drop this process's parsed rules and results (tests, benchmarks)."""
    with _lock:
        _live.clear()
        _results.clear()


def for_cart(result: PromotionResult, ctx: CartContext) -> PromotionResult:
    """The result as a cart reads it: every applied promotion, and of the others only those a
    cart shows (a reason the shopper can act on, a stacking conflict, or a code on the cart).

    With 1,000 live promotions the rest is ~1,000 entries ("market_not_eligible"…) that no cart
    page reads; leaving them out keeps a shared-cache entry small and quick to load. The admin's
    simulate page calls evaluate itself and shows them all."""
    kept = tuple(
        miss
        for miss in result.not_applied
        if miss.reason in R.ACTIONABLE
        or miss.reason.startswith(R.NOT_STACKABLE_PREFIX)
        or miss.promotion_id in ctx.coupon_promotions
    )
    return PromotionResult(applied=result.applied, not_applied=kept)


def evaluate_live(ctx: CartContext, live: LiveSet | None = None) -> PromotionResult:
    """evaluate(ctx) against the live set, trimmed for the cart (for_cart), from the result
    cache when the same cart was evaluated against the same promotion and price versions in
    the same window epoch (by any process: the cache is shared)."""
    live = live or live_promotions()
    if not isinstance(live.version, dict):
        return for_cart(evaluate(ctx, live.rules), ctx)
    key = versioned_key("promo-result", (live.epoch(ctx.now), ctx.fingerprint()), live.version)
    with _lock:
        found = _results.get(key)
        if found is not None:
            _results.move_to_end(key)
            return found
    found = _shared_get(key)
    if found is None:
        found = for_cart(evaluate(ctx, live.rules), ctx)
        _shared_set(key, found)
    with _lock:
        _results[key] = found
        while len(_results) > RESULT_CACHE_SIZE:
            _results.popitem(last=False)
    return found


def _shared_get(key: str) -> PromotionResult | None:
    try:
        found = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure: evaluate afresh
        report_cache_failure("promotion results unreadable; evaluated")
        return None
    return found if isinstance(found, PromotionResult) else None


def _shared_set(key: str, result: PromotionResult) -> None:
    try:
        cache.set(key, result, timeout=settings.STOREFRONT_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the result is right; it is just not shared
        report_cache_failure("promotion results not stored")


def switched_off_promotions() -> frozenset[str]:
    return frozenset(kill_switches.off_targets(KillSwitchKind.PROMOTION))


# Every pricing of a cart reads these: compiled once per connection (shop.compiled).
_CART_COUPONS = CompiledQuery(
    lambda cart_ref: (
        CartCoupon.objects.filter(cart_ref=cart_ref)
        .order_by("added_at", "pk")
        .values_list(
            "coupon__code",
            "coupon__promotion_id",
            "coupon__is_active",
            "coupon__uses_allowed",
            "coupon__uses_count",
        )
    ),
    cart_ref=str,
)


def cart_coupons(cart_ref: str) -> list[tuple[str, str, bool]]:
    """[(code, promotion id, used up)] on the cart, in the order they were added."""
    return coupons_of(_CART_COUPONS.rows(cart_ref=cart_ref))


def coupons_of(rows) -> list[tuple[str, str, bool]]:
    """cart_coupons' answer for rows of (code, promotion id, active, uses allowed, used)."""
    return [
        (code, pid, not active or (allowed is not None and used >= allowed))
        for code, pid, active, allowed, used in rows
    ]


def buyer_facts(*, cart_ref, customer_id, email) -> dict:
    """Annotations for a query of carts (PostgreSQL) with what their promotions read about
    them: `coupon_rows` (the codes on the cart, as coupons_of takes them) and `counted_uses`
    ([[promotion id, uses]] of the buyer's counted redemptions, as limit_reached_for takes
    them). `cart_ref`, `customer_id`, `email`: OuterRefs to the cart's columns.

    A pricing read them in two statements of its own, every checkout step and answer; read
    with the cart, they cost no round trip."""
    coupons = CartCoupon.objects.filter(cart_ref=cart_ref).order_by("added_at", "pk")
    # As limit_reached_for counts: by customer, or by a non-empty e-mail, or both.
    who = Q(customer_id=customer_id) | Q(email__iexact=email, email__gt="")
    return {
        "coupon_rows": ArraySubquery(
            coupons.values(
                row=JSONObject(
                    code="coupon__code",
                    pid="coupon__promotion_id",
                    active="coupon__is_active",
                    allowed="coupon__uses_allowed",
                    used="coupon__uses_count",
                )
            )
        ),
        "counted_uses": ArraySubquery(
            _counted_uses(who).values(row=JSONObject(pid="promotion_id", n="n"))
        ),
    }


def customer_segments(customer_id) -> frozenset[str]:
    if not customer_id:
        return frozenset()
    return frozenset(
        CustomerSegment.objects.filter(customer_id=customer_id).values_list("segment", flat=True)
    )


def _who(customer_id, email: str) -> Q | None:
    if not customer_id and not email:
        return None
    who = Q(customer_id=customer_id) if customer_id else Q(pk__in=[])
    if email:
        who |= Q(email__iexact=email)
    return who


def customer_uses(promotion_id: str, customer_id, email: str) -> int:
    who = _who(customer_id, email)
    if who is None:
        return 0
    return Redemption.objects.filter(
        who, promotion_id=promotion_id, status=RedemptionStatus.COUNTED
    ).count()


def _counted_uses(who: Q):
    return (
        Redemption.objects.filter(who, status=RedemptionStatus.COUNTED)
        .values("promotion_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("promotion_id", "n")
    )


# A buyer's counted uses per promotion, for each way a buyer is known (shop.compiled).
_USES_BY_CUSTOMER = CompiledQuery(
    lambda customer_id: _counted_uses(Q(customer_id=customer_id)), customer_id=int
)
_USES_BY_EMAIL = CompiledQuery(lambda email: _counted_uses(Q(email__iexact=email)), email=str)
_USES_BY_EITHER = CompiledQuery(
    lambda customer_id, email: _counted_uses(Q(customer_id=customer_id) | Q(email__iexact=email)),
    customer_id=int,
    email=str,
)


def _buyer_uses(customer_id, email: str):
    if customer_id and email:
        return _USES_BY_EITHER.rows(customer_id=customer_id, email=email)
    if customer_id:
        return _USES_BY_CUSTOMER.rows(customer_id=customer_id)
    return _USES_BY_EMAIL.rows(email=email)


def limit_reached_for(live: LiveSet, customer_id, email: str, *, used=None) -> frozenset[str]:
    """Live promotions this customer may not get: spent in total, or by them (one query,
    only when a live promotion has a per-customer limit). `used`: the buyer's counted uses
    as [(promotion id, uses)], when already read (buyer_facts); then no query."""
    reached = set(live.exhausted)
    if not live.per_customer_ids or not (customer_id or email):
        return frozenset(reached)
    limits = {r.id: r.limits.per_customer for r in live.rules if r.id in live.per_customer_ids}
    # All of the buyer's counted uses, kept to the limited promotions here: one statement
    # shape whatever the promotions are, so it is compiled once.
    if used is None:
        used = _buyer_uses(customer_id, email)
    reached |= {pid for pid, n in used if pid in limits and n >= limits[pid]}
    return frozenset(reached)


def rule_of(promotion: Promotion) -> Rule:
    return parse_rule(promotion.rule)
