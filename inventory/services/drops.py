"""Drop mode's writes: schedule (or change) a drop, end it, resync its gate tokens.

A drop puts a product (all its variants) or one variant behind the Redis admission gate
(inventory.drop_gate) from its start time, with optional purchase limits. Bad input is a
ValidationFailed (InvalidDrop) naming the field, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, Variant
from inventory import drop_gate, selectors
from inventory.exceptions import InvalidDrop
from inventory.models import Drop

MAX_DROP_LEAD = timedelta(days=365)
# A start time typed as "now" is a few seconds old when the form arrives.
START_GRACE = timedelta(seconds=60)


def _check_limit(value, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDrop(f"{field} must be a whole number.", fields={field: ["Not a number."]})
    if not 1 <= value <= settings.INVENTORY_MAX_QUANTITY:
        message = (
            f"{field.replace('_', ' ').capitalize()} must be at least 1 (or empty for no limit)"
            f" and at most {settings.INVENTORY_MAX_QUANTITY}, not {value}."
        )
        raise InvalidDrop(message, fields={field: [message]})
    return value


def _check_start(starts_at, *, now) -> datetime:
    if not isinstance(starts_at, datetime) or timezone.is_naive(starts_at):
        raise InvalidDrop(
            "The start time must be a date and time with a time zone.",
            fields={"starts_at": ["Invalid."]},
        )
    if starts_at < now - START_GRACE:
        message = "The start time is in the past."
        raise InvalidDrop(message, fields={"starts_at": [message]})
    if starts_at > now + MAX_DROP_LEAD:
        message = "The start time is more than a year ahead."
        raise InvalidDrop(message, fields={"starts_at": [message]})
    return starts_at


def _check_target(product, variant) -> tuple[Product | None, Variant | None]:
    if (product is None) == (variant is None):
        raise InvalidDrop(
            "A drop is for a product or for one variant, not both or neither.",
            fields={"variant": ["Choose a product or a variant."]},
        )
    if product is not None and (not isinstance(product, Product) or product.pk is None):
        raise InvalidDrop("Unknown product.", fields={"product": ["Unknown."]})
    if variant is not None and (not isinstance(variant, Variant) or variant.pk is None):
        raise InvalidDrop("Unknown variant.", fields={"variant": ["Unknown."]})
    return product, variant


@transaction.atomic
def schedule_drop(
    *,
    starts_at,
    product=None,
    variant=None,
    per_order_limit: int | None = None,
    per_customer_limit: int | None = None,
    drop: Drop | None = None,
    actor=None,
) -> Drop:
    """Put a product or variant in drop mode from `starts_at`, or change an open drop.

    The start time may not be in the past (a live drop keeps its past start while it is not
    changed) nor more than a year ahead; limits are empty or at least 1. Locks the drop row
    (a change). Raises InvalidDrop (400) with `fields`; nothing is written on a refusal.
    Every process sees the change within DROP_RULES_TTL_SECONDS.
    """
    now = timezone.now()
    per_order_limit = _check_limit(per_order_limit, "per_order_limit")
    per_customer_limit = _check_limit(per_customer_limit, "per_customer_limit")
    if drop is not None:
        drop = Drop.objects.select_for_update().filter(pk=drop.pk).first()
        if drop is None or drop.ended_at is not None:
            raise InvalidDrop("That drop has ended.", fields={"drop": ["Ended."]})
        if starts_at != drop.starts_at:
            _check_start(starts_at, now=now)
    else:
        product, variant = _check_target(product, variant)
        _check_start(starts_at, now=now)
        clash = Drop.objects.live_or_scheduled().filter(
            product=product, variant=variant
        )  # the partial unique constraints back this up
        if clash.exists():
            raise InvalidDrop(
                "That product or variant is already in an open drop: change that one.",
                fields={"variant" if variant else "product": ["Already in a drop."]},
            )
        drop = Drop(product=product, variant=variant)
    drop.starts_at = starts_at
    drop.per_order_limit, drop.per_customer_limit = per_order_limit, per_customer_limit
    drop.save()
    transaction.on_commit(drop_gate.forget_rules)
    if starts_at <= now + START_GRACE:
        # Live now: load the gate's tokens now rather than on the first buyer's knock.
        transaction.on_commit(lambda: _load_quietly(drop))
    return drop


def _load_quietly(drop: Drop) -> None:
    try:
        resync_drop_tokens(drop=drop, replace=False)
    except Exception:  # noqa: BLE001 - Redis down: the first buyer's knock loads them
        drop_gate.forget_rules()


@transaction.atomic
def end_drop(*, drop: Drop, actor=None) -> Drop:
    """Take the product or variant out of drop mode (add-to-cart goes straight to the database
    again) and delete its gate tokens after commit. Idempotent. Locks the drop row."""
    drop = Drop.objects.select_for_update().get(pk=drop.pk)
    if drop.ended_at is not None:
        return drop
    rules = [
        (r.drop_id, r.variant_id) for r in selectors.list_drop_rules() if r.drop_id == drop.pk
    ]
    drop.ended_at = timezone.now()
    drop.save(update_fields=["ended_at", "updated_at"])
    transaction.on_commit(drop_gate.forget_rules)
    transaction.on_commit(lambda: drop_gate.forget_tokens(rules))
    return drop


def resync_drop_tokens(*, drop: Drop, replace: bool = True) -> dict[str, int]:
    """Set every SKU's gate tokens of an open drop to its ATP now (after a Redis outage or a
    stock count during the drop). Returns {sku: tokens}. Raises ConnectionError if Redis is
    down. Writes Redis only."""
    drop_gate.forget_rules()
    return {
        rule.sku: drop_gate.load_tokens(rule, replace=replace)
        for rule in selectors.list_drop_rules()
        if rule.drop_id == drop.pk
    }
