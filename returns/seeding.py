"""Demo return policies: one per active market, through the services (idempotent)."""

from __future__ import annotations

from returns import services
from returns.models import ReturnPolicy
from shop.models import Market


def seed_return_policies() -> dict:
    """Every active market without a policy gets the defaults (30 days, auto-approve under
    100.00, free return label, refund after inspection) and a 10% fee for a changed mind."""
    created = 0
    for market in Market.objects.filter(is_active=True):
        if ReturnPolicy.objects.filter(market=market).exists():
            continue
        policy = services.save_return_policy(policy=ReturnPolicy(market=market))
        services.set_return_policy_rules(
            policy=policy, restocking_fees=[("changed_mind", 1000, 0)]
        )
        created += 1
    return {"policies_created": created}
