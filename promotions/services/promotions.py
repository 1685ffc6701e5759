"""Creating and changing promotions: every write validates the rule first, all or nothing."""

from __future__ import annotations

from django.db import transaction

from promotions.engine import Rule, RuleError, parse_rule, rule_to_entry
from promotions.exceptions import PromotionImportFailed
from promotions.models import Coupon, Promotion, PromotionStatus
from promotions.services.coupons import create_generated_codes, normalize_code
from shop.cache_versions import PROMOTIONS, bump_versions
from shop.models import Market

MAX_ENTRIES = 1_000


def market_currencies() -> dict[str, str]:
    return dict(Market.objects.values_list("code", "currency"))


@transaction.atomic
def import_promotions(entries: list, *, actor=None) -> list[Promotion]:
    """Create or update (by id) every entry, or none: the first problem anywhere rolls back
    the lot and PromotionImportFailed lists every problem found, entry by entry."""
    if len(entries) > MAX_ENTRIES:
        raise PromotionImportFailed([f"file: at most {MAX_ENTRIES} promotions at once"])
    currencies = market_currencies()
    rules, errors = [], []
    for index, entry in enumerate(entries):
        label = entry.get("id") if isinstance(entry, dict) else None
        try:
            rules.append(parse_rule(entry, market_currencies=currencies))
        except RuleError as exc:
            errors += [f"entry {index + 1} ({label or 'no id'}): {e}" for e in exc.errors]
    ids = [r.id for r in rules]
    errors += [
        f"id {i}: appears twice in the file" for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    codes = [c for r in rules for c in r.coupons.codes]
    errors += [
        f"coupon {c}: appears twice in the file"
        for c in sorted({c for c in codes if codes.count(c) > 1})
    ]
    if errors:
        raise PromotionImportFailed(errors)
    taken = dict(
        Coupon.objects.filter(code__in=codes)
        .exclude(promotion_id__in=ids)
        .values_list("code", "promotion_id")
    )
    if taken:
        raise PromotionImportFailed(
            [f"coupon {c}: already used by promotion {p}" for c, p in sorted(taken.items())]
        )
    saved = [_write(rule) for rule in rules]
    bump_versions([PROMOTIONS])
    return saved


def save_promotion(entry: dict, *, actor=None) -> Promotion:
    """Create or update one promotion from its entry (the admin editor's and import's write)."""
    return import_promotions([entry], actor=actor)[0]


def _write(rule: Rule) -> Promotion:
    existing = Promotion.objects.select_for_update().filter(pk=rule.id).first()
    fields = {
        "name": rule.name,
        "status": rule.status,
        "priority": rule.priority,
        "starts_at": rule.starts_at,
        "ends_at": rule.ends_at,
        "rule": rule_to_entry(rule),
        "total_uses": rule.limits.total_uses,
        "per_customer": rule.limits.per_customer,
        "budget_cents": rule.limits.budget_cents,
    }
    if (
        existing
        and rule.limits.total_uses is not None
        and existing.uses_count > rule.limits.total_uses
    ):
        raise PromotionImportFailed(
            [
                f"{rule.id}: limits.total_uses {rule.limits.total_uses} is below "
                f"the {existing.uses_count} uses so far"
            ]
        )
    if existing:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        promotion = existing
    else:
        promotion = Promotion.objects.create(id=rule.id, **fields)
    have = set(Coupon.objects.filter(promotion=promotion).values_list("code", flat=True))
    Coupon.objects.bulk_create(
        Coupon(
            promotion=promotion, code=normalize_code(code), uses_allowed=rule.coupons.uses_per_code
        )
        for code in rule.coupons.codes
        if code not in have
    )
    if existing is None and rule.coupons.generate_count:
        create_generated_codes(
            promotion,
            rule.coupons.generate_count,
            rule.coupons.generate_pattern,
            rule.coupons.uses_per_code,
        )
    return promotion


@transaction.atomic
def set_promotion_status(*, promotion: Promotion, status: str, actor=None) -> Promotion:
    if status not in PromotionStatus.values:
        raise PromotionImportFailed(
            [f"status: must be one of {', '.join(PromotionStatus.values)}"]
        )
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    promotion.status = status
    promotion.rule = {**promotion.rule, "status": status}
    promotion.save(update_fields=["status", "rule", "updated_at"])
    bump_versions([PROMOTIONS])
    return promotion
