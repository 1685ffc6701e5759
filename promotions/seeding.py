"""Demo promotions for `manage.py seed_demo` (through the import service; idempotent)."""

from __future__ import annotations

from promotions.models import Promotion
from promotions.services import import_promotions

DEMO_PROMOTIONS = [
    {
        "id": "demo_hoodies_tees_15",
        "name": "15% off hoodies and tees over 50",
        "priority": 100,
        "stacks_with": ["demo_free_shipping", "demo_welcome_10"],
        "conditions": {
            "cart_contains": {"any_of_categories": ["hoodies", "tees"]},
            "min_subtotal_cents": 5000,
        },
        "action": {"type": "percent_off", "value": 15},
        "exclusions": {"sale_items": True},
    },
    {
        "id": "demo_free_shipping",
        "name": "Free shipping over 75",
        "priority": 10,
        "stacks_with": ["demo_hoodies_tees_15", "demo_welcome_10"],
        "conditions": {"min_subtotal_cents": 7500, "min_subtotal_of": "cart"},
        "action": {"type": "free_shipping"},
    },
    {
        "id": "demo_welcome_10",
        "name": "WELCOME10: 10% off a first order",
        "priority": 50,
        "stacks_with": ["demo_hoodies_tees_15", "demo_free_shipping"],
        "conditions": {"first_order_only": True, "coupon_required": True},
        "action": {"type": "percent_off", "value": 10, "applies_to": "order"},
        "limits": {"per_customer": 1},
        "coupons": {"codes": ["WELCOME10"]},
    },
]


def seed_demo_promotions() -> dict:
    missing = [e for e in DEMO_PROMOTIONS if not Promotion.objects.filter(pk=e["id"]).exists()]
    if missing:
        import_promotions(missing)
    return {"promotions_created": len(missing)}
