"""Publishing: moving products between draft, active (on the storefront) and archived."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from catalog.models import Product, ProductStatus

logger = logging.getLogger(__name__)


@transaction.atomic
def publish_products(*, products: Iterable[Product], actor=None) -> int:
    """Make products active (visible on the storefront); return how many changed.

    Stamps `published_at` the first time a product goes live. Locks the product rows.
    Already active products are left alone, so repeating the action is harmless.
    """
    ids = [p.pk for p in products]
    now = timezone.now()
    changed = 0
    for product in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if product.status == ProductStatus.ACTIVE:
            continue
        product.status = ProductStatus.ACTIVE
        product.published_at = product.published_at or now
        product.save(update_fields=["status", "published_at", "updated_at"])
        changed += 1
    logger.info("%s published %d product(s)", actor, changed)
    return changed


@transaction.atomic
def archive_products(*, products: Iterable[Product], actor=None) -> int:
    """Archive products (off the storefront, kept for orders and reports); return how many.

    Locks the product rows. Variants and SKUs stay: a SKU is never reused.
    """
    ids = [p.pk for p in products]
    changed = 0
    for product in Product.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if product.status == ProductStatus.ARCHIVED:
            continue
        product.status = ProductStatus.ARCHIVED
        product.save(update_fields=["status", "updated_at"])
        changed += 1
    logger.info("%s archived %d product(s)", actor, changed)
    return changed
