"""Ops edit a market's return policy (the admin's policy page saves through these)."""

from __future__ import annotations

from django.db import transaction

from returns.models import FEE_EXEMPT_REASONS, ReturnPolicy
from shop.exceptions import ValidationFailed


@transaction.atomic
def save_return_policy(*, policy: ReturnPolicy) -> ReturnPolicy:
    """Validate and save the policy's own fields. Raises ValidationFailed."""
    from django.core.exceptions import ValidationError

    try:
        policy.full_clean(exclude=["non_returnable_categories", "non_returnable_products"])
    except ValidationError as exc:
        raise ValidationFailed("The policy is not valid.", fields=exc.message_dict) from None
    policy.save()
    return policy


@transaction.atomic
def set_return_policy_rules(
    *,
    policy: ReturnPolicy,
    non_returnable_categories=(),
    non_returnable_products=(),
    category_windows=(),
    restocking_fees=(),
) -> ReturnPolicy:
    """Replace the policy's lists: non-returnable categories and products, category windows
    [(category, days)] and restocking fees [(reason, percent_bp, fixed_cents_per_unit)].
    Raises ValidationFailed for a fee on damaged or wrong items, or a repeated entry."""
    fees = list(restocking_fees)
    bad = [reason for reason, _p, _f in fees if reason in FEE_EXEMPT_REASONS]
    if bad:
        raise ValidationFailed(
            "Damaged or wrong items never carry a restocking fee.",
            fields={"restocking_fees": [f"No fee for {reason}." for reason in bad]},
        )
    windows = list(category_windows)
    for name, keys in (
        ("restocking_fees", [f[0] for f in fees]),
        ("category_windows", [w[0] for w in windows]),
    ):
        if len(keys) != len(set(keys)):
            raise ValidationFailed("Each entry once.", fields={name: ["Listed twice."]})
    policy.non_returnable_categories.set(list(non_returnable_categories))
    policy.non_returnable_products.set(list(non_returnable_products))
    policy.category_windows.all().delete()
    for category, days in windows:
        policy.category_windows.create(category=category, window_days=days)
    policy.restocking_fees.all().delete()
    for reason, percent_bp, fixed in fees:
        policy.restocking_fees.create(
            reason=reason, percent_bp=percent_bp, fixed_cents_per_unit=fixed
        )
    return policy
