"""The rule shape of API.md ("Promotion rule entry") as frozen dataclasses, and its parser.

`parse_rule(entry)` turns one entry (a dict from YAML or JSON) into a Rule or raises RuleError
listing every problem with its path ("action.value: ..."). Unknown keys are errors.
`rule_to_entry(rule)` is the inverse (export), so parse_rule(rule_to_entry(r)) == r.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

STATUSES = ("draft", "active", "paused", "ended")
ACTION_TYPES = (
    "percent_off",
    "fixed_off",
    "fixed_price",
    "buy_x_get_y",
    "free_shipping",
    "free_gift",
)
APPLIES_TO = ("matching_lines", "order", "shipping")
SUBTOTAL_OF = ("matching_lines", "cart")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,99}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
PATTERN_RE = re.compile(r"^[A-Za-z0-9_\-?]{4,64}$")
MAX_GENERATE = 10_000


class RuleError(ValueError):
    """A promotion entry that cannot be used; `errors` lists each problem with its path."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class CartContains:
    any_of_categories: tuple[str, ...] = ()
    all_of_categories: tuple[str, ...] = ()
    any_of_products: tuple[str, ...] = ()
    all_of_products: tuple[str, ...] = ()
    any_of_skus: tuple[str, ...] = ()  # exact SKUs or globs
    all_of_skus: tuple[str, ...] = ()
    min_quantity: int = 1  # of matching lines

    @property
    def selects_lines(self) -> bool:
        return bool(
            self.any_of_categories
            or self.all_of_categories
            or self.any_of_products
            or self.all_of_products
            or self.any_of_skus
            or self.all_of_skus
        )


@dataclass(frozen=True)
class Conditions:
    customer_segment: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    cart_contains: CartContains = field(default_factory=CartContains)
    min_subtotal_cents: int | None = None
    min_subtotal_of: str = "matching_lines"
    first_order_only: bool = False
    coupon_required: bool = False


@dataclass(frozen=True)
class Action:
    type: str
    value: int | None = None
    values_by_currency: tuple[tuple[str, int], ...] = ()  # fixed_off / fixed_price per currency
    applies_to: str = "matching_lines"
    max_discount_cents: int | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    get_percent_off: int | None = None
    gift_sku: str | None = None
    shipping_methods: tuple[str, ...] = ()  # free_shipping: only these methods (empty: any)

    def amount_in(self, currency: str) -> int | None:
        """fixed_off / fixed_price amount in `currency` (None: not offered in it)."""
        if self.values_by_currency:
            return dict(self.values_by_currency).get(currency)
        return self.value


@dataclass(frozen=True)
class Exclusions:
    variants: tuple[str, ...] = ()  # SKU globs
    categories: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    sale_items: bool = False
    count_towards_conditions: bool = False


@dataclass(frozen=True)
class Limits:
    total_uses: int | None = None
    per_customer: int | None = None
    budget_cents: int | None = None


@dataclass(frozen=True)
class CouponSpec:
    codes: tuple[str, ...] = ()
    generate_count: int | None = None
    generate_pattern: str | None = None
    uses_per_code: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    action: Action
    status: str = "active"
    priority: int = 0
    stacks_with: tuple[str, ...] = ()
    conditions: Conditions = field(default_factory=Conditions)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    exclusions: Exclusions = field(default_factory=Exclusions)
    limits: Limits = field(default_factory=Limits)
    coupons: CouponSpec = field(default_factory=CouponSpec)

    def __post_init__(self) -> None:
        # Precompiled line matchers (not fields: equality and export ignore them).
        object.__setattr__(self, "matcher", LineMatcher(self))

    def stacks(self, other: Rule) -> bool:
        """Symmetric: both must name each other."""
        return other.id in self.stacks_with and self.id in other.stacks_with

    def live_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now <= self.ends_at
        )


@lru_cache(maxsize=4096)
def glob_regex(patterns: tuple[str, ...]):
    """One compiled regex matching any of the SKU globs (None: no globs)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


class LineMatcher:
    """Which lines a rule excludes and which its cart_contains names, without re-reading the
    rule's tuples for every line (the engine asks 50 lines x 1,000 rules)."""

    __slots__ = (
        "ex_sku",
        "ex_products",
        "ex_categories",
        "ex_sale",
        "selects",
        "sel_sku",
        "sel_products",
        "sel_categories",
        "sel_key",
        "ex_key",
    )

    def __init__(self, rule: Rule):
        ex, cc = rule.exclusions, rule.conditions.cart_contains
        self.ex_sku = glob_regex(ex.variants)
        self.ex_products = frozenset(ex.products)
        self.ex_categories = frozenset(ex.categories)
        self.ex_sale = ex.sale_items
        self.selects = cc.selects_lines
        self.sel_sku = glob_regex(cc.any_of_skus + cc.all_of_skus)
        self.sel_products = frozenset(cc.any_of_products + cc.all_of_products)
        self.sel_categories = frozenset(cc.any_of_categories + cc.all_of_categories)
        # Rules with equal keys select (exclude) the same lines of any cart.
        self.sel_key = (
            self.selects,
            self.sel_categories,
            self.sel_products,
            cc.any_of_skus + cc.all_of_skus,
        )
        self.ex_key = (ex.variants, self.ex_products, self.ex_categories, self.ex_sale)

    def excluded(self, line) -> bool:
        return bool(
            (self.ex_sku is not None and self.ex_sku.match(line.sku))
            or (self.ex_products and line.product in self.ex_products)
            or (self.ex_categories and not self.ex_categories.isdisjoint(line.categories))
            or (self.ex_sale and line.on_sale)
        )

    def selected(self, line) -> bool:
        if not self.selects:
            return True
        return bool(
            (self.sel_categories and not self.sel_categories.isdisjoint(line.categories))
            or (self.sel_products and line.product in self.sel_products)
            or (self.sel_sku is not None and self.sel_sku.match(line.sku))
        )


# --- parsing -------------------------------------------------------------------------------

_TOP = {
    "id",
    "name",
    "status",
    "priority",
    "stacks_with",
    "conditions",
    "time_window",
    "action",
    "exclusions",
    "limits",
    "coupons",
}
_CONDITIONS = {
    "customer_segment",
    "markets",
    "channels",
    "cart_contains",
    "min_subtotal_cents",
    "min_subtotal_of",
    "first_order_only",
    "coupon_required",
}
_CONTAINS = {
    "any_of_categories",
    "all_of_categories",
    "any_of_products",
    "all_of_products",
    "any_of_skus",
    "all_of_skus",
    "min_quantity",
}
_ACTION = {
    "type",
    "value",
    "applies_to",
    "max_discount_cents",
    "buy_quantity",
    "get_quantity",
    "get_percent_off",
    "gift_sku",
    "shipping_methods",
}
_EXCLUSIONS = {"variants", "categories", "products", "sale_items", "count_towards_conditions"}
_LIMITS = {"total_uses", "per_customer", "budget_cents"}
_COUPONS = {"codes", "generate", "uses_per_code"}
_WINDOW = {"starts_at", "ends_at"}


class _Parser:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def mapping(self, value, path: str, allowed: set[str]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.err(path, "must be a mapping")
            return {}
        for key in value:
            if key not in allowed:
                self.err(f"{path}.{key}" if path else str(key), "unknown key")
        return dict(value)

    def strings(self, value, path: str, *, upper: bool = False) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.err(path, "must be a list of strings")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.err(f"{path}[{i}]", "must be a non-empty string")
                continue
            out.append(item.strip().upper() if upper else item.strip())
        return tuple(out)

    def integer(
        self,
        value,
        path: str,
        *,
        minimum: int = 0,
        maximum: int | None = None,
        optional: bool = True,
    ) -> int | None:
        if value is None:
            if not optional:
                self.err(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(path, "must be a whole number")
            return None
        if value < minimum:
            self.err(path, f"must be at least {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.err(path, f"must be at most {maximum}")
            return None
        return value

    def boolean(self, value, path: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.err(path, "must be true or false")
            return False
        return value

    def when(self, value, path: str) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                self.err(path, f"{value!r} is not an ISO 8601 date and time")
                return None
        else:
            self.err(path, "must be an ISO 8601 date and time with an offset")
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.err(path, "needs a UTC offset (for example -05:00 or Z)")
            return None
        return parsed


def parse_rule(entry, *, market_currencies: Mapping[str, str] | None = None) -> Rule:
    """Validate one entry of the rule shape. `market_currencies` ({market code: currency}),
    when given, lets fixed amounts be checked against the currencies the markets use."""
    p = _Parser()
    top = p.mapping(entry, "", _TOP)
    if not isinstance(entry, Mapping):
        raise RuleError(["entry: must be a mapping"])
    rule_id = top.get("id")
    if not isinstance(rule_id, str) or not ID_RE.match(rule_id):
        p.err("id", "required: lowercase letters, digits, _ or -, at most 100")
        rule_id = "?"
    name = top.get("name") or rule_id
    if not isinstance(name, str) or len(name) > 200:
        p.err("name", "must be text of at most 200 characters")
        name = rule_id
    status = top.get("status", "active")
    if status not in STATUSES:
        p.err("status", f"must be one of {', '.join(STATUSES)}")
        status = "draft"
    priority = p.integer(top.get("priority", 0), "priority", minimum=-(10**6), maximum=10**6)
    stacks_with = p.strings(top.get("stacks_with"), "stacks_with")

    c = p.mapping(top.get("conditions"), "conditions", _CONDITIONS)
    cc = p.mapping(c.get("cart_contains"), "conditions.cart_contains", _CONTAINS)
    contains = CartContains(
        **{
            k: p.strings(cc.get(k), f"conditions.cart_contains.{k}")
            for k in _CONTAINS - {"min_quantity"}
        },
        min_quantity=p.integer(
            cc.get("min_quantity", 1), "conditions.cart_contains.min_quantity", minimum=1
        )
        or 1,
    )
    subtotal_of = c.get("min_subtotal_of", "matching_lines")
    if subtotal_of not in SUBTOTAL_OF:
        p.err("conditions.min_subtotal_of", "must be matching_lines or cart")
        subtotal_of = "matching_lines"
    markets = p.strings(c.get("markets"), "conditions.markets", upper=True)
    conditions = Conditions(
        customer_segment=p.strings(c.get("customer_segment"), "conditions.customer_segment"),
        markets=markets,
        channels=p.strings(c.get("channels"), "conditions.channels"),
        cart_contains=contains,
        min_subtotal_cents=p.integer(c.get("min_subtotal_cents"), "conditions.min_subtotal_cents"),
        min_subtotal_of=subtotal_of,
        first_order_only=p.boolean(c.get("first_order_only"), "conditions.first_order_only"),
        coupon_required=p.boolean(c.get("coupon_required"), "conditions.coupon_required"),
    )

    w = p.mapping(top.get("time_window"), "time_window", _WINDOW)
    starts_at = p.when(w.get("starts_at"), "time_window.starts_at")
    ends_at = p.when(w.get("ends_at"), "time_window.ends_at")
    if starts_at and ends_at and ends_at < starts_at:
        p.err("time_window.ends_at", "ends before the promotion starts")

    action = _parse_action(p, top.get("action"), markets, market_currencies)

    e = p.mapping(top.get("exclusions"), "exclusions", _EXCLUSIONS)
    exclusions = Exclusions(
        variants=p.strings(e.get("variants"), "exclusions.variants"),
        categories=p.strings(e.get("categories"), "exclusions.categories"),
        products=p.strings(e.get("products"), "exclusions.products"),
        sale_items=p.boolean(e.get("sale_items"), "exclusions.sale_items"),
        count_towards_conditions=p.boolean(
            e.get("count_towards_conditions"), "exclusions.count_towards_conditions"
        ),
    )
    lim = p.mapping(top.get("limits"), "limits", _LIMITS)
    limits = Limits(
        total_uses=p.integer(lim.get("total_uses"), "limits.total_uses", minimum=1),
        per_customer=p.integer(lim.get("per_customer"), "limits.per_customer", minimum=1),
        budget_cents=p.integer(lim.get("budget_cents"), "limits.budget_cents", minimum=1),
    )
    coupons = _parse_coupons(p, top.get("coupons"))
    if conditions.coupon_required and not (coupons.codes or coupons.generate_count):
        # Codes may also be generated later in the admin: allowed, but say nothing here.
        pass
    if p.errors:
        raise RuleError(p.errors)
    return Rule(
        id=rule_id,
        name=name,
        status=status,
        priority=priority or 0,
        stacks_with=stacks_with,
        conditions=conditions,
        starts_at=starts_at,
        ends_at=ends_at,
        action=action,
        exclusions=exclusions,
        limits=limits,
        coupons=coupons,
    )


def _parse_action(p: _Parser, raw, markets, market_currencies) -> Action:
    a = p.mapping(raw, "action", _ACTION)
    if raw is None:
        p.err("action", "is required")
    kind = a.get("type")
    if kind not in ACTION_TYPES:
        p.err("action.type", f"unknown action {kind!r}; one of {', '.join(ACTION_TYPES)}")
        return Action(type="percent_off", value=0)
    default_target = {"free_shipping": "shipping", "free_gift": "order"}.get(
        kind, "matching_lines"
    )
    applies_to = a.get("applies_to", default_target)
    if applies_to not in APPLIES_TO:
        p.err("action.applies_to", f"must be one of {', '.join(APPLIES_TO)}")
        applies_to = default_target
    value, by_currency = None, ()
    raw_value = a.get("value")
    if kind == "percent_off":
        value = p.integer(raw_value, "action.value", minimum=1, maximum=100, optional=False)
        if applies_to == "shipping":
            p.err(
                "action.applies_to",
                "percent_off applies to matching_lines or order "
                "(use free_shipping or fixed_off for shipping)",
            )
    elif kind in ("fixed_off", "fixed_price"):
        if isinstance(raw_value, Mapping):
            pairs = []
            for cur, cents in raw_value.items():
                if not isinstance(cur, str) or not re.fullmatch(r"[A-Z]{3}", cur):
                    p.err(f"action.value.{cur}", "keys are ISO 4217 currency codes")
                    continue
                amount = p.integer(
                    cents, f"action.value.{cur}", minimum=0 if kind == "fixed_price" else 1
                )
                if amount is not None:
                    pairs.append((cur, amount))
            by_currency = tuple(sorted(pairs))
            if not by_currency:
                p.err("action.value", "needs at least one currency amount")
        else:
            value = p.integer(
                raw_value,
                "action.value",
                minimum=0 if kind == "fixed_price" else 1,
                optional=False,
            )
        if market_currencies is not None:
            _check_currencies(p, kind, markets, by_currency, market_currencies)
        if kind == "fixed_price" and applies_to != "matching_lines":
            p.err("action.applies_to", "fixed_price applies to matching_lines")
    elif kind == "buy_x_get_y":
        if applies_to != "matching_lines":
            p.err("action.applies_to", "buy_x_get_y applies to matching_lines")
        if raw_value is not None:
            p.err("action.value", "buy_x_get_y takes buy_quantity, get_quantity, get_percent_off")
    elif kind == "free_shipping":
        if applies_to != "shipping":
            p.err("action.applies_to", "free_shipping applies to shipping")
        if raw_value is not None:
            p.err("action.value", "free_shipping takes no value")
    elif kind == "free_gift" and not a.get("gift_sku"):
        p.err("action.gift_sku", "free_gift needs gift_sku")
    buy = get = get_pct = None
    if kind == "buy_x_get_y":
        buy = p.integer(a.get("buy_quantity"), "action.buy_quantity", minimum=1, optional=False)
        get = p.integer(a.get("get_quantity"), "action.get_quantity", minimum=1, optional=False)
        get_pct = p.integer(
            a.get("get_percent_off", 100), "action.get_percent_off", minimum=1, maximum=100
        )
    gift = a.get("gift_sku")
    if gift is not None and (kind != "free_gift" or not isinstance(gift, str)):
        p.err("action.gift_sku", "only free_gift takes gift_sku (a SKU)")
    methods = p.strings(a.get("shipping_methods"), "action.shipping_methods")
    if methods and kind != "free_shipping":
        p.err("action.shipping_methods", "only free_shipping takes shipping_methods")
    return Action(
        type=kind,
        value=value,
        values_by_currency=by_currency,
        applies_to=applies_to,
        max_discount_cents=p.integer(
            a.get("max_discount_cents"), "action.max_discount_cents", minimum=1
        ),
        buy_quantity=buy,
        get_quantity=get,
        get_percent_off=get_pct,
        gift_sku=gift if isinstance(gift, str) else None,
        shipping_methods=methods,
    )


def _check_currencies(p, kind, markets, by_currency, market_currencies) -> None:
    for code in markets:
        if code not in market_currencies:
            p.err("conditions.markets", f"unknown market {code!r}")
    used = {market_currencies[m] for m in (markets or market_currencies) if m in market_currencies}
    if by_currency:
        for cur, _ in by_currency:
            if cur not in used:
                p.err(
                    f"action.value.{cur}",
                    f"{kind} in {cur}, a currency none of the promotion's markets uses "
                    f"({', '.join(sorted(used)) or 'none'})",
                )
    elif len(used) > 1:
        p.err(
            "action.value",
            f"{kind} as one number is ambiguous across currencies "
            f"{', '.join(sorted(used))}: give {{CURRENCY: amount}} per currency",
        )


def _parse_coupons(p: _Parser, raw) -> CouponSpec:
    c = p.mapping(raw, "coupons", _COUPONS)
    codes = p.strings(c.get("codes"), "coupons.codes", upper=True)
    for i, code in enumerate(codes):
        if not CODE_RE.match(code):
            p.err(f"coupons.codes[{i}]", "letters, digits, _ or -, at most 64")
    if len(codes) > MAX_GENERATE:
        p.err("coupons.codes", f"at most {MAX_GENERATE} codes in one entry")
    if len(set(codes)) != len(codes):
        p.err("coupons.codes", "a code appears twice (codes are case-insensitive)")
    gen = p.mapping(c.get("generate"), "coupons.generate", {"count", "pattern"})
    count = pattern = None
    if gen:
        count = p.integer(
            gen.get("count"),
            "coupons.generate.count",
            minimum=1,
            maximum=MAX_GENERATE,
            optional=False,
        )
        pattern = gen.get("pattern")
        if not isinstance(pattern, str) or not PATTERN_RE.match(pattern) or pattern.count("?") < 4:
            p.err(
                "coupons.generate.pattern",
                "letters, digits, - and at least four ? (random characters)",
            )
            pattern = None
    return CouponSpec(
        codes=codes,
        generate_count=count,
        generate_pattern=pattern,
        uses_per_code=p.integer(c.get("uses_per_code"), "coupons.uses_per_code", minimum=1),
    )


def rule_to_entry(rule: Rule) -> dict:
    """The rule in the shape of API.md (export); empty parts left out."""
    cc = rule.conditions.cart_contains
    contains = {
        k: list(getattr(cc, k)) for k in sorted(_CONTAINS - {"min_quantity"}) if getattr(cc, k)
    }
    if cc.min_quantity != 1:
        contains["min_quantity"] = cc.min_quantity
    cond = rule.conditions
    conditions = {
        "customer_segment": list(cond.customer_segment),
        "markets": list(cond.markets),
        "channels": list(cond.channels),
        "cart_contains": contains,
        "min_subtotal_cents": cond.min_subtotal_cents,
        "min_subtotal_of": cond.min_subtotal_of
        if cond.min_subtotal_of != "matching_lines"
        else None,
        "first_order_only": cond.first_order_only or None,
        "coupon_required": cond.coupon_required or None,
    }
    a = rule.action
    action = {
        "type": a.type,
        "value": dict(a.values_by_currency) if a.values_by_currency else a.value,
        "applies_to": a.applies_to,
        "max_discount_cents": a.max_discount_cents,
        "buy_quantity": a.buy_quantity,
        "get_quantity": a.get_quantity,
        "get_percent_off": a.get_percent_off,
        "gift_sku": a.gift_sku,
        "shipping_methods": list(a.shipping_methods),
    }
    ex = rule.exclusions
    exclusions = {
        "variants": list(ex.variants),
        "categories": list(ex.categories),
        "products": list(ex.products),
        "sale_items": ex.sale_items or None,
        "count_towards_conditions": ex.count_towards_conditions or None,
    }
    lim = rule.limits
    limits = {
        "total_uses": lim.total_uses,
        "per_customer": lim.per_customer,
        "budget_cents": lim.budget_cents,
    }
    cp = rule.coupons
    coupons = {
        "codes": list(cp.codes),
        "uses_per_code": cp.uses_per_code,
        "generate": {"count": cp.generate_count, "pattern": cp.generate_pattern}
        if cp.generate_count
        else None,
    }
    window = {
        "starts_at": rule.starts_at.isoformat() if rule.starts_at else None,
        "ends_at": rule.ends_at.isoformat() if rule.ends_at else None,
    }
    entry = {
        "id": rule.id,
        "name": rule.name,
        "status": rule.status,
        "priority": rule.priority,
        "stacks_with": list(rule.stacks_with),
        "conditions": _compact(conditions),
        "time_window": _compact(window),
        "action": _compact(action),
        "exclusions": _compact(exclusions),
        "limits": _compact(limits),
        "coupons": _compact(coupons),
    }
    return _compact(entry, keep={"id", "action"})


def _compact(d: dict, keep: set[str] = frozenset()) -> dict:
    return {k: v for k, v in d.items() if k in keep or v not in (None, [], {}, ())}
