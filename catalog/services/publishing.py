"""Publishing: moving products between draft, active (on the storefront) and archived.

Every status change of a product goes through here, whoever asks (the admin's form and
actions, the API, imports): publishing stamps `published_at` (mark_published is the only code
that sets it), and each change leaves a row in the product's admin history saying who did it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from catalog.models import Product, ProductStatus
from catalog.services.search_index import refresh_search_documents
from catalog.services.storefront_versions import bump_product_versions

logger = logging.getLogger(__name__)


def mark_published(product: Product, *, now: datetime | None = None) -> bool:
    """Make `product` active in memory, stamping `published_at` the first time it goes live.

    The one place `published_at` is set ("featured" sorts on it; PostgreSQL puts NULLs first,
    so an active product without it would top every listing). Writers that build many rows at
    once (seeding, imports) call it before their bulk write; everyone else calls
    publish_products. Returns whether the product changed.
    """
    changed = product.status != ProductStatus.ACTIVE or product.published_at is None
    product.status = ProductStatus.ACTIVE
    product.published_at = product.published_at or now or timezone.now()
    return changed


@transaction.atomic
def publish_products(*, products: Iterable[Product], actor=None, audit: bool = True) -> int:
    """Make products active (visible on the storefront); return how many changed.

    Stamps `published_at` the first time a product goes live. Locks the product rows.
    Already active products are left alone, so repeating the action is harmless. Each change
    gets a row in the product's admin history, unless `audit` is False (a caller that writes
    its own row, such as update_product).
    """
    now = timezone.now()
    changed = []
    for product in _locked(products):
        if product.status == ProductStatus.ACTIVE:
            continue
        mark_published(product, now=now)
        product.save(update_fields=["status", "published_at", "updated_at"])
        changed.append(product)
    refresh_search_documents(product_ids=[p.pk for p in changed])
    bump_product_versions(product_ids=[p.pk for p in changed])
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
    return _move(products, ProductStatus.ARCHIVED, actor, audit, "Archived.")


@transaction.atomic
def unpublish_products(*, products: Iterable[Product], actor=None, audit: bool = True) -> int:
    """Move products back to draft (off the storefront, still being edited); return how many.

    `published_at` keeps the first publication. Locks the product rows. History rows as for
    publish_products.
    """
    return _move(products, ProductStatus.DRAFT, actor, audit, "Moved back to draft.")


def change_product_status(
    *, product: Product, status: str, actor=None, audit: bool = True
) -> bool:
    """Move one product to `status` through the service for it; return whether it changed."""
    move = {
        ProductStatus.ACTIVE: publish_products,
        ProductStatus.ARCHIVED: archive_products,
        ProductStatus.DRAFT: unpublish_products,
    }[ProductStatus(status)]
    changed = move(products=[product], actor=actor, audit=audit)
    product.refresh_from_db(fields=["status", "published_at", "updated_at"])
    return bool(changed)


def _locked(products: Iterable[Product]):
    ids = [p.pk for p in products]
    return Product.objects.select_for_update().filter(pk__in=ids).order_by("pk")


def _move(products, status: str, actor, audit: bool, message: str) -> int:
    changed = []
    for product in _locked(products):
        if product.status == status:
            continue
        product.status = status
        product.save(update_fields=["status", "updated_at"])
        changed.append(product)
    refresh_search_documents(product_ids=[p.pk for p in changed])
    bump_product_versions(product_ids=[p.pk for p in changed])
    logger.info("%s moved %d product(s) to %s", actor, len(changed), status)
    if audit:
        _audit(actor, changed, message)
    return len(changed)


def _audit(actor, products: list[Product], message: str) -> None:
    """Who published or archived what, in each product's admin history (ops read it there)."""
    if products and actor is not None and getattr(actor, "pk", None):
        LogEntry.objects.log_actions(
            user_id=actor.pk, queryset=products, action_flag=CHANGE, change_message=message
        )
