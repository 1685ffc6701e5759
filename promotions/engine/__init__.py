"""The promotions rule engine: pure functions over dataclasses, no database.

    rules.parse_rule(entry) -> Rule          (the rule shape of API.md, validated)
    evaluate(context, rules) -> PromotionResult

Modules: context (what a cart looks like to the engine), rules (the rule shape),
conditions (does a rule hold, and if not why), actions (how much a rule takes off),
stacking (which rules combine), allocation (cents onto lines), results.
See docs/promotions.md.
"""

from promotions.engine.context import CartContext, ContextLine
from promotions.engine.evaluate import evaluate
from promotions.engine.results import AppliedPromotion, NotApplied, PromotionResult
from promotions.engine.rules import Rule, RuleError, parse_rule, rule_to_entry

__all__ = [
    "AppliedPromotion",
    "CartContext",
    "ContextLine",
    "NotApplied",
    "PromotionResult",
    "Rule",
    "RuleError",
    "evaluate",
    "parse_rule",
    "rule_to_entry",
]
