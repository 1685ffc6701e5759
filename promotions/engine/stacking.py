"""Which eligible promotions combine.

The rule (docs/promotions.md): two promotions combine only if EACH names the other in
`stacks_with` (symmetric). Eligible promotions are ranked by priority (higher first), then by
the discount each would give on its own (larger first), then by id; walking that ranking, a
promotion joins the winners if it stacks with every winner so far, otherwise it is reported
as `not_stackable_with:<the first winner it conflicts with>`. So the highest-priority
eligible promotion always applies, the result is deterministic, and since every pair of
winners named each other, no promotion can ride along unless explicitly allowed.
"""

from __future__ import annotations

from promotions.engine.rules import Rule


def rank_key(rule: Rule, standalone_cents: int) -> tuple:
    return (-rule.priority, -standalone_cents, rule.id)


def choose(ranked: list[Rule]) -> tuple[list[Rule], dict[str, str]]:
    """Winners in ranked order, and {loser id: first winner id it conflicts with}."""
    winners: list[Rule] = []
    conflicts: dict[str, str] = {}
    for rule in ranked:
        clash = next((w for w in winners if not rule.stacks(w)), None)
        if clash is None:
            winners.append(rule)
        else:
            conflicts[rule.id] = clash.id
    return winners, conflicts
