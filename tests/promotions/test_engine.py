"""The rule engine, table-driven and without the database."""

from datetime import UTC, datetime

import pytest
import yaml

from promotions.engine import RuleError, evaluate, parse_rule, rule_to_entry
from tests.promotions.rules_fixtures import (
    SPRING_YAML,
    cart,
    free_shipping,
    line,
    rule,
    spring,
)

HOODIE = ("hoodies", "apparel")


def hoodie(qty=1, price=3000, key="l1", sku="sku_hoodie_m"):
    return line(key, sku, qty, price, categories=HOODIE)


# --- the issue's spring entry ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "applies"),
    [
        (datetime.fromisoformat("2026-03-01T00:00:00-05:00"), True),
        (datetime.fromisoformat("2026-03-15T23:59:59-05:00"), True),
        (datetime.fromisoformat("2026-03-16T04:59:59+00:00"), True),
        (datetime.fromisoformat("2026-03-16T05:00:00+00:00"), False),
        (datetime.fromisoformat("2026-03-01T04:59:59+00:00"), False),
    ],
)
def test_spring_window_is_inclusive_and_time_zone_aware(now, applies):
    result = evaluate(cart(hoodie(2), now=now), [spring()])
    assert (result.applied_ids == ("promo_2026_spring_15off",)) is applies
    if not applies:
        assert result.reason_of("promo_2026_spring_15off") == "outside_window"


def test_spring_takes_15_percent_off_hoodies_and_tees_only():
    lines = [
        hoodie(2, 3000, "l1"),
        line("l2", "sku_tee_s", 1, 1999, categories=("tees",)),
        line("l3", "sku_mug", 1, 1500, categories=("kitchen",)),
    ]
    result = evaluate(cart(*lines), [spring()])
    # 15% of 7,999 matching cents = 1,199.85 -> 1,200, spread by largest remainder.
    assert result.line_discounts() == {"l1": 900, "l2": 300}
    assert result.lines_discount_cents == 1200


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"market": "DE", "currency": "EUR"}, "market_not_eligible"),
        ({"channel": "pos"}, "channel_not_eligible"),
        ({"segments": frozenset({"wholesale"})}, "segment_not_eligible"),
        ({"switched_off": frozenset({"promo_2026_spring_15off"})}, "switched_off"),
        ({"limit_reached": frozenset({"promo_2026_spring_15off"})}, "limit_reached"),
    ],
)
def test_spring_refusals_say_why(change, reason):
    result = evaluate(cart(hoodie(2), **change), [spring()])
    assert result.applied == ()
    assert result.reason_of("promo_2026_spring_15off") == reason


@pytest.mark.parametrize("segment", ["new", "returning"])
def test_spring_applies_to_new_and_returning(segment):
    ctx = cart(
        hoodie(2), segments=frozenset({segment}), market="CA", currency="CAD", channel="ios"
    )
    assert evaluate(ctx, [spring()]).applied_ids == ("promo_2026_spring_15off",)


def test_spring_needs_50_of_matching_lines_and_says_how_much_more():
    result = evaluate(cart(hoodie(1, 3800), line("l2", "sku_mug", 3, 2000)), [spring()])
    (miss,) = result.not_applied
    assert miss.reason == "min_subtotal_not_met"
    assert miss.amount_needed_cents == 1200
    assert miss.hint("USD") == "Add $12.00 more to get 15% off hoodies and tees"


def test_spring_never_discounts_excluded_skus_and_they_do_not_count():
    lines = [
        hoodie(1, 3000),
        line("g", "sku_giftcard_50", 1, 5000, categories=HOODIE),
        line("c", "sku_clearance_hoodie", 1, 4000, categories=HOODIE),
    ]
    result = evaluate(cart(*lines), [spring()])
    assert result.reason_of("promo_2026_spring_15off") == "min_subtotal_not_met"
    result = evaluate(cart(hoodie(2, 3000), *lines[1:]), [spring()])
    assert result.line_discounts() == {"l1": 900}


def test_only_excluded_lines_named_is_reason_excluded():
    result = evaluate(cart(line("g", "sku_giftcard_99", 2, 5000, categories=HOODIE)), [spring()])
    assert result.reason_of("promo_2026_spring_15off") == "excluded"


def test_spring_stacks_with_free_shipping_over_50_and_nothing_else():
    other = rule(id="ten_off_everything", priority=50, action={"type": "percent_off", "value": 10})
    result = evaluate(cart(hoodie(2), shipping_cents=800), [spring(), free_shipping(), other])
    assert result.applied_ids == ("promo_2026_spring_15off", "free_shipping_over_50")
    assert result.reason_of("ten_off_everything") == "not_stackable_with:promo_2026_spring_15off"
    assert result.free_shipping
    assert result.applied[1].shipping_discount_cents == 800


def test_spring_entry_round_trips_through_export():
    entry = rule_to_entry(spring())
    assert parse_rule(entry) == spring()
    assert entry["exclusions"] == yaml.safe_load(SPRING_YAML)["exclusions"]


# --- stacking: a table of conflicting promotions and the documented winner set ---------------


def _p(pid, priority, stacks=(), pct=10):
    return rule(
        id=pid,
        priority=priority,
        stacks_with=list(stacks),
        action={"type": "percent_off", "value": pct},
    )


STACKING_TABLE = [
    # (promotions, winners)
    ([_p("a", 10), _p("b", 5)], ("a",)),
    ([_p("a", 5), _p("b", 10)], ("b",)),
    # equal priority: the larger discount wins; equal too: id order
    ([_p("a", 10, pct=5), _p("b", 10, pct=20)], ("b",)),
    ([_p("b", 10), _p("a", 10)], ("a",)),
    # one-sided stacks_with does not stack
    ([_p("a", 10, ["b"]), _p("b", 5)], ("a",)),
    # mutual: both apply
    ([_p("a", 10, ["b"]), _p("b", 5, ["a"])], ("a", "b")),
    # a stacks with b and c, but b and c do not with each other: higher priority b joins
    ([_p("a", 10, ["b", "c"]), _p("b", 5, ["a"]), _p("c", 7, ["a"])], ("a", "c")),
    # a clique of three plus an outsider of top priority: the outsider alone
    ([_p("x", 99), _p("a", 10, "bc"), _p("b", 9, "ac"), _p("c", 8, "ab")], ("x",)),
    ([_p("a", 10, "bc"), _p("b", 9, "ac"), _p("c", 8, "ab")], ("a", "b", "c")),
]


@pytest.mark.parametrize(("promotions", "winners"), STACKING_TABLE)
def test_stacking_table(promotions, winners):
    result = evaluate(cart(hoodie(4, 2500)), promotions)
    assert result.applied_ids == winners
    for miss in result.not_applied:
        assert miss.reason.startswith("not_stackable_with:")
        assert miss.reason.split(":")[1] in winners


def test_evaluation_is_deterministic_whatever_the_input_order():
    promotions = [p for p, _ in STACKING_TABLE[6:7]][0]
    first = evaluate(cart(hoodie(4, 2500)), promotions)
    assert evaluate(cart(hoodie(4, 2500)), list(reversed(promotions))) == first


# --- conditions ------------------------------------------------------------------------------

CONDITION_TABLE = [
    ({"customer_segment": ["vip"]}, {"segments": frozenset({"returning", "vip"})}, None),
    (
        {"customer_segment": ["vip"]},
        {"segments": frozenset({"returning"})},
        "segment_not_eligible",
    ),
    ({"first_order_only": True}, {"is_first_order": False}, "first_order_only"),
    ({"first_order_only": True}, {}, None),
    ({"coupon_required": True}, {}, "coupon_required"),
    ({"coupon_required": True}, {"coupon_promotions": frozenset({"p"})}, None),
    ({"cart_contains": {"any_of_skus": ["sku_hoodie_*"]}}, {}, None),
    ({"cart_contains": {"any_of_skus": ["sku_tee_*"]}}, {}, "cart_contains_not_met"),
    (
        {"cart_contains": {"any_of_products": ["hoodie"], "min_quantity": 3}},
        {},
        "min_quantity_not_met",
    ),
    ({"cart_contains": {"any_of_products": ["hoodie"], "min_quantity": 2}}, {}, None),
    ({"cart_contains": {"all_of_categories": ["hoodies", "tees"]}}, {}, "cart_contains_not_met"),
    ({"cart_contains": {"all_of_categories": ["hoodies", "apparel"]}}, {}, None),
    ({"min_subtotal_cents": 6001}, {}, "min_subtotal_not_met"),
    ({"min_subtotal_cents": 6000}, {}, None),
    (
        {
            "min_subtotal_cents": 7000,
            "min_subtotal_of": "cart",
            "cart_contains": {"any_of_products": ["hoodie"]},
        },
        {"extra_line": True},
        None,
    ),
    (
        {"min_subtotal_cents": 7000, "cart_contains": {"any_of_products": ["hoodie"]}},
        {"extra_line": True},
        "min_subtotal_not_met",
    ),
]


@pytest.mark.parametrize(("conditions", "context", "reason"), CONDITION_TABLE)
def test_conditions_table(conditions, context, reason):
    lines = [line("l1", "sku_hoodie_m", 2, 3000, categories=HOODIE, product="hoodie")]
    if context.pop("extra_line", False):
        lines.append(line("l2", "sku_mug", 1, 1000, product="mug"))
    result = evaluate(cart(*lines, **context), [rule(id="p", conditions=conditions)])
    assert result.reason_of("p") == reason
    assert bool(result.applied) is (reason is None)


# --- actions ---------------------------------------------------------------------------------

ACTION_TABLE = [
    ({"type": "percent_off", "value": 100}, {"a": 6000, "b": 1000}),
    ({"type": "percent_off", "value": 10, "max_discount_cents": 500}, {"a": 429, "b": 71}),
    ({"type": "fixed_off", "value": 700}, {"a": 600, "b": 100}),
    ({"type": "fixed_off", "value": {"USD": 700, "CAD": 900}}, {"a": 600, "b": 100}),
    ({"type": "fixed_off", "value": 99999}, {"a": 6000, "b": 1000}),
    ({"type": "fixed_price", "value": 2500}, {"a": 1000}),
    ({"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1}, {"b": 1000}),
    (
        {"type": "buy_x_get_y", "buy_quantity": 1, "get_quantity": 1, "get_percent_off": 50},
        {"b": 500},  # 3 units, one pair: the cheapest at half price
    ),
]


@pytest.mark.parametrize(("action", "discounts"), ACTION_TABLE)
def test_actions_table(action, discounts):
    lines = [line("a", "sku_a", 2, 3000), line("b", "sku_b", 1, 1000)]
    result = evaluate(cart(*lines), [rule(id="p", action=action)])
    assert result.line_discounts() == discounts


def test_fixed_off_not_offered_in_the_carts_currency():
    result = evaluate(
        cart(hoodie(), currency="CAD", market="CA"),
        [rule(id="p", action={"type": "fixed_off", "value": {"USD": 500}})],
    )
    assert result.reason_of("p") == "currency_not_offered"


def test_free_shipping_only_for_named_methods():
    promo = rule(id="p", action={"type": "free_shipping", "shipping_methods": ["standard"]})
    assert evaluate(cart(hoodie(), shipping_method="standard"), [promo]).free_shipping
    result = evaluate(cart(hoodie(), shipping_method="express"), [promo])
    assert result.reason_of("p") == "shipping_method_not_eligible"


def test_buy_x_get_y_short_says_how_many_more():
    promo = rule(id="p", action={"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1})
    (miss,) = evaluate(cart(hoodie(2)), [promo]).not_applied
    assert (miss.reason, miss.quantity_needed) == ("min_quantity_not_met", 1)


def test_sale_items_excluded_when_configured():
    promo = rule(id="p", exclusions={"sale_items": True})
    lines = [line("a", "sku_a", 1, 1000, compare_at=1500), line("b", "sku_b", 1, 1000)]
    assert evaluate(cart(*lines), [promo]).line_discounts() == {"b": 100}


def test_excluded_lines_count_towards_conditions_when_configured():
    entry = {
        "id": "p",
        "conditions": {"min_subtotal_cents": 2000},
        "exclusions": {"variants": ["sku_a"], "count_towards_conditions": True},
    }
    lines = [line("a", "sku_a", 1, 1000), line("b", "sku_b", 1, 1000)]
    assert evaluate(cart(*lines), [rule(**entry)]).line_discounts() == {"b": 100}


def test_combined_cap_per_order():
    promos = [_p("a", 10, "b", pct=50), _p("b", 5, "a", pct=50)]
    result = evaluate(cart(hoodie(1, 10000), max_combined_discount_cents=6000), promos)
    assert result.lines_discount_cents == 6000
    assert [p.lines_cents for p in result.applied] == [5000, 1000]


def test_stacked_discounts_never_exceed_the_line():
    promos = [_p("a", 10, "b", pct=100), _p("b", 5, "a", pct=100)]
    result = evaluate(cart(hoodie(1, 999)), promos)
    assert result.line_discounts() == {"l1": 999}
    assert result.reason_of("b") == "nothing_to_discount"


def test_draft_and_paused_never_apply():
    for status in ("draft", "paused", "ended"):
        result = evaluate(cart(hoodie()), [rule(id="p", status=status)])
        assert result.reason_of("p") == "not_active"


# --- bad entries -----------------------------------------------------------------------------

BAD_ENTRIES = [
    ({"id": "p", "action": {"type": "half_off"}}, "unknown action 'half_off'"),
    (
        {"id": "p", "action": {"type": "percent_off", "value": 150}},
        "action.value: must be at most 100",
    ),
    (
        {"id": "p", "action": {"type": "percent_off", "value": 10}, "colour": "red"},
        "colour: unknown key",
    ),
    (
        {
            "id": "p",
            "action": {"type": "percent_off", "value": 10},
            "time_window": {
                "starts_at": "2026-03-02T00:00:00Z",
                "ends_at": "2026-03-01T00:00:00Z",
            },
        },
        "ends before the promotion starts",
    ),
    (
        {
            "id": "p",
            "action": {"type": "percent_off", "value": 10},
            "time_window": {"starts_at": "2026-03-02T00:00:00"},
        },
        "needs a UTC offset",
    ),
    ({"id": "Bad Id", "action": {"type": "percent_off", "value": 10}}, "id: required"),
    ({"id": "p"}, "action: is required"),
    (
        {
            "id": "p",
            "action": {"type": "percent_off", "value": 10},
            "coupons": {"generate": {"count": 10001, "pattern": "SPR-????"}},
        },
        "at most 10000",
    ),
]


@pytest.mark.parametrize(("entry", "message"), BAD_ENTRIES)
def test_bad_entries_are_refused_with_the_path(entry, message):
    with pytest.raises(RuleError) as caught:
        parse_rule(entry)
    assert message in str(caught.value)


def test_fixed_off_in_a_currency_the_market_does_not_use():
    entry = {
        "id": "p",
        "conditions": {"markets": ["US"]},
        "action": {"type": "fixed_off", "value": {"EUR": 500}},
    }
    with pytest.raises(RuleError, match="EUR, a currency none of the promotion's markets uses"):
        parse_rule(entry, market_currencies={"US": "USD", "DE": "EUR"})


def test_fixed_off_as_one_number_across_currencies_is_ambiguous():
    entry = {
        "id": "p",
        "conditions": {"markets": ["US", "CA"]},
        "action": {"type": "fixed_off", "value": 500},
    }
    with pytest.raises(RuleError, match="ambiguous"):
        parse_rule(entry, market_currencies={"US": "USD", "CA": "CAD"})
    assert parse_rule(
        {**entry, "conditions": {"markets": ["US"]}}, market_currencies={"US": "USD", "CA": "CAD"}
    )


def test_window_accepts_z_and_offsets():
    r = rule(id="p", time_window={"starts_at": "2026-03-01T05:00:00Z"})
    assert r.starts_at == datetime(2026, 3, 1, 5, tzinfo=UTC)


def test_a_budget_caps_the_discount_to_what_is_left():
    promo = _p("a", 10, pct=50)
    result = evaluate(cart(hoodie(1, 10000), budget_left=(("a", 1234),)), [promo])
    assert result.lines_discount_cents == 1234
    spent = evaluate(cart(hoodie(1, 10000), budget_left=(("a", 0),)), [promo])
    assert spent.reason_of("a") == "limit_reached"


def test_free_gift_is_earned_without_the_gift_in_the_cart_and_discounts_no_line():
    promo = rule(
        id="gift",
        conditions={"min_subtotal_cents": 5000},
        action={"type": "free_gift", "gift_sku": "sku_tote"},
    )
    tote = line("t", "sku_tote", 2, 1500)
    # A tote the buyer pays for does not count towards what earns the free one.
    short = evaluate(cart(hoodie(1, 4000), tote), [promo])
    assert short.reason_of("gift") == "min_subtotal_not_met"
    assert short.not_applied[0].hint("USD") == "Add $10.00 more to get a free gift"

    result = evaluate(cart(hoodie(2, 3000)), [promo])

    (applied,) = result.applied
    assert (applied.promotion_id, applied.gift_sku) == ("gift", "sku_tote")
    assert applied.line_discounts == ()
    assert applied.amount_cents == 0
    assert result.line_discounts() == {}
