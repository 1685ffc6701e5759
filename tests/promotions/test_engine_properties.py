"""Random carts x random promotion sets keep every money invariant (Hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.promotions import adjustments_of
from orders.providers.shipping.base import ShippingOption
from orders.quote import Destination, QuoteInput, QuoteLine, build_quote
from promotions.engine import evaluate, parse_rule
from tests.promotions.rules_fixtures import cart, line

SKUS = ["sku_a", "sku_b", "sku_clearance_c", "sku_giftcard_d", "sku_e"]
CATEGORIES = ["hoodies", "tees", "mugs"]
IDS = [f"p{i}" for i in range(6)]

actions = st.one_of(
    st.builds(
        lambda v, cap: {"type": "percent_off", "value": v, "max_discount_cents": cap},
        st.integers(1, 100),
        st.none() | st.integers(1, 20000),
    ),
    st.builds(
        lambda v, to: {"type": "fixed_off", "value": v, "applies_to": to},
        st.integers(1, 50000),
        st.sampled_from(["matching_lines", "order", "shipping"]),
    ),
    st.builds(lambda v: {"type": "fixed_price", "value": v}, st.integers(0, 5000)),
    st.builds(
        lambda b, g, pct: {
            "type": "buy_x_get_y",
            "buy_quantity": b,
            "get_quantity": g,
            "get_percent_off": pct,
        },
        st.integers(1, 3),
        st.integers(1, 2),
        st.integers(1, 100),
    ),
    st.just({"type": "free_shipping"}),
    st.just({"type": "free_gift", "gift_sku": "sku_e"}),
)


@st.composite
def promotion_sets(draw):
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True))
    rules = []
    for pid in ids:
        entry = {
            "id": pid,
            "priority": draw(st.integers(0, 3)),
            "stacks_with": draw(st.lists(st.sampled_from(IDS), max_size=5, unique=True)),
            "action": draw(actions),
            "conditions": draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "min_subtotal_cents": st.integers(1, 20000),
                        "cart_contains": st.fixed_dictionaries(
                            {
                                "any_of_categories": st.lists(
                                    st.sampled_from(CATEGORIES), min_size=1, max_size=2
                                )
                            }
                        ),
                    },
                )
            ),
            "exclusions": draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "variants": st.just(["sku_clearance_*", "sku_giftcard_*"]),
                        "sale_items": st.booleans(),
                    },
                )
            ),
        }
        rules.append(parse_rule(entry))
    return rules


@st.composite
def carts(draw):
    n = draw(st.integers(0, 8))
    lines = [
        line(
            f"l{i}",
            draw(st.sampled_from(SKUS)),
            draw(st.integers(1, 5)),
            draw(st.integers(0, 20000)),
            categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)),
            compare_at=draw(st.none() | st.integers(0, 30000)),
        )
        for i in range(n)
    ]
    return cart(
        *lines,
        shipping_cents=draw(st.none() | st.integers(0, 3000)),
        max_combined_discount_cents=draw(st.none() | st.integers(0, 30000)),
        budget_left=tuple(
            (pid, draw(st.integers(0, 20000)))
            for pid in draw(st.lists(st.sampled_from(IDS), max_size=3, unique=True))
        ),
    )


@settings(max_examples=300, deadline=None)
@given(ctx=carts(), rules=promotion_sets())
def test_money_invariants(ctx, rules):
    result = evaluate(ctx, rules)
    amounts = {ln.key: ln.amount_cents for ln in ctx.lines}
    per_line = result.line_discounts()
    for key, cents in per_line.items():
        assert 0 < cents <= amounts[key]  # never a negative line, never above the line
    for promo in result.applied:
        assert all(c > 0 for _, c in promo.line_discounts)
        assert promo.shipping_discount_cents >= 0
        if ctx.shipping_cents is not None:
            assert promo.shipping_discount_cents <= ctx.shipping_cents
    assert result.lines_discount_cents == sum(per_line.values()) <= ctx.subtotal_cents
    for pid, left in ctx.budget_left:
        assert sum(p.amount_cents for p in result.applied if p.promotion_id == pid) <= left
    if ctx.max_combined_discount_cents is not None:
        assert result.lines_discount_cents <= ctx.max_combined_discount_cents
    # every promotion answered exactly once
    answered = [p.promotion_id for p in result.applied] + [
        m.promotion_id for m in result.not_applied
    ]
    assert sorted(answered) == sorted(r.id for r in rules)
    # winners pairwise stack (both name each other): unbounded stacking is impossible
    by_id = {r.id: r for r in rules}
    winners = [by_id[i] for i in result.applied_ids]
    for i, a in enumerate(winners):
        for b in winners[i + 1 :]:
            assert a.stacks(b)
    # deterministic whatever the order the promotions come in
    assert evaluate(ctx, list(reversed(rules))) == result


class _FlatRate:
    name = "flat"

    def __init__(self, cents):
        self.cents = cents

    def rates(self, request):
        return [ShippingOption("standard", "Standard", self.cents, request.currency)]


@settings(max_examples=150, deadline=None)
@given(ctx=carts(), rules=promotion_sets(), shipping=st.integers(0, 3000))
def test_the_quote_reconciles_whatever_the_promotions_grant(ctx, rules, shipping):
    """The engine's answer through orders.quote: totals add up, nothing negative, shipping
    discount never above the shipping price."""
    result = evaluate(ctx, rules)
    quote_input = QuoteInput(
        currency="USD",
        market="US",
        channel="web",
        lines=tuple(
            QuoteLine(ln.key, ln.sku, ln.quantity, ln.unit_price_cents) for ln in ctx.lines
        ),
        destination=Destination(country="US"),
        shipping_method="standard",
    )
    quote = build_quote(
        quote_input,
        shipping_provider=_FlatRate(shipping),
        promotions=lambda _qi: adjustments_of(result),
    )
    assert quote.total_cents == (
        quote.subtotal_cents
        - quote.discount_total_cents
        + quote.shipping_total_cents
        + quote.tax_total_cents
    )
    assert 0 <= quote.shipping_discount_cents <= quote.shipping_total_cents == shipping
    assert quote.total_cents >= 0
    for quoted in quote.lines:
        assert 0 <= quoted.discount_cents <= quoted.amount_cents
        assert sum(c for _, c in quoted.discounts) == quoted.discount_cents
    taken = sum(a.amount_cents for a in quote.adjustments if a.applies_to == "shipping")
    assert taken == quote.shipping_discount_cents
