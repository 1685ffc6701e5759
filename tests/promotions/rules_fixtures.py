"""Rule entries the promotion tests share (the issue's spring entry verbatim)."""

from datetime import UTC, datetime

import yaml

from promotions.engine import CartContext, ContextLine, parse_rule

SPRING_YAML = """\
id: promo_2026_spring_15off
priority: 100
stacks_with: [free_shipping_over_50]
conditions:
  customer_segment: [new, returning]
  markets: [US, CA]
  channels: [web, ios]
  cart_contains:
    any_of_categories: [hoodies, tees]
  min_subtotal_cents: 5000
time_window:
  starts_at: "2026-03-01T00:00:00-05:00"
  ends_at: "2026-03-15T23:59:59-05:00"
action:
  type: percent_off
  value: 15
  applies_to: matching_lines
exclusions:
  variants: [sku_giftcard_*, sku_clearance_*]
"""

FREE_SHIPPING_YAML = """\
id: free_shipping_over_50
priority: 10
stacks_with: [promo_2026_spring_15off]
conditions:
  min_subtotal_cents: 5000
  min_subtotal_of: cart
action:
  type: free_shipping
"""

IN_WINDOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def spring():
    return parse_rule(yaml.safe_load(SPRING_YAML))


def free_shipping():
    return parse_rule(yaml.safe_load(FREE_SHIPPING_YAML))


def rule(**entry):
    entry.setdefault("action", {"type": "percent_off", "value": 10})
    return parse_rule(entry)


def line(key, sku, qty, price, *, categories=(), product="", compare_at=None):
    return ContextLine(
        key=key,
        sku=sku,
        quantity=qty,
        unit_price_cents=price,
        product=product,
        categories=frozenset(categories),
        compare_at_cents=compare_at,
    )


def cart(*lines, **kw):
    kw.setdefault("market", "US")
    kw.setdefault("currency", "USD")
    kw.setdefault("channel", "web")
    kw.setdefault("now", IN_WINDOW)
    return CartContext(lines=tuple(lines), **kw)
