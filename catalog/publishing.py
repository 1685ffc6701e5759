"""Publishing: moving products between draft, active (on the storefront) and archived."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, ProductStatus

logger = logging.getLogger(__name__)


@transaction.atomic
def publish_products(*, products: Iterable[Product], actor=None, audit: bool = True) -> int:
    """Make products active (visible on the storefront); return how many changed.

    Stamps `published_at` the first time a product goes live. Locks the product rows.
    Already active products are left alone, so repeating the action is harmless. Each change
    gets a row in the product's admin history, unless `audit` is False (a caller that writes
    its own row, such as update_product).
    """
    ids = [p.pk for p in products]
    now = timezone.now()
    changed = []
    for product in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if product.status == ProductStatus.ACTIVE:
            continue
        product.status = ProductStatus.ACTIVE
        product.published_at = product.published_at or now
        product.save(update_fields=["status", "published_at", "updated_at"])
        changed.append(product)
    logger.info("%s published %d product(s)", actor, len(changed))
    if audit:
        _audit(actor, changed, "Published.")
    return len(changed)


@transaction.atomic
def archive_products(*, products: Iterable[Product], actor=None, audit: bool = True) -> int:
    """Archive products (off the storefront, kept for orders and reports); return how many.

    Locks the product rows. Variants and SKUs stay: a SKU is never reused. History rows as
    for publish_products.
    """
    ids = [p.pk for p in products]
    changed = []
    for product in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if product.status == ProductStatus.ARCHIVED:
            continue
        product.status = ProductStatus.ARCHIVED
        product.save(update_fields=["status", "updated_at"])
        changed.append(product)
    logger.info("%s archived %d product(s)", actor, len(changed))
    if audit:
        _audit(actor, changed, "Archived.")
    return len(changed)


def _audit(actor, products: list[Product], message: str) -> None:
    """Who published or archived what, in each product's admin history (ops read it there)."""
    if products and actor is not None and getattr(actor, "pk", None):
        LogEntry.objects.log_actions(
            user_id=actor.pk, queryset=products, action_flag=CHANGE, change_message=message
        )
