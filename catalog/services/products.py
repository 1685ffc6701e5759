"""Catalog writes: create and edit products and their variants (the API's write body).

The body is validated first (catalog.services.validation: every problem at once, as
ValidationFailed, nothing written); then the rows are written in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE
from django.db import transaction

from catalog.models import (
    Category,
    Media,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductStatus,
    ProductTranslation,
    Variant,
    unique_handle,
)
from catalog.services import publishing
from catalog.services.brands import get_or_create_brand
from catalog.services.search_index import refresh_search_documents
from catalog.services.storefront_versions import bump_product_versions
from catalog.services.validation import (
    Errors,
    check_catalog,
    check_combination,
    check_live,
    clean_handle,
    clean_options,
    clean_product,
    clean_variant,
    clean_variant_list,
)
from catalog.services.writing import (
    HANDLE,
    audit,
    option_lookup,
    options_of,
    unique_or_conflict,
    write_variant,
)
from shop.exceptions import Conflict

logger = logging.getLogger(__name__)

# Rows of a product edited beside it on its page, each only about that product.
CONTENT_MODELS = (ProductTranslation, ProductAttributeValue, Media)


@transaction.atomic
def create_product(*, data: Any, actor=None) -> Product:
    """Create a product with its options, variants, prices and identifiers from the write body.

    The brand is found by name or slug and created when missing; categories must exist. Takes
    no locks: uniqueness (handle, SKU, identifier) is checked first and enforced by the database;
    a concurrent duplicate raises Conflict. Raises ValidationFailed naming every problem; nothing
    is written then.
    """
    errors = Errors()
    clean = clean_product(data, errors, product=None)
    options = clean_options(data.get("options", []) if isinstance(data, dict) else [], errors)
    variants = clean_variant_list(data, errors, options=options)
    errors.raise_if_any()
    categories = clean.pop("categories", [])
    clean.setdefault("status", ProductStatus.DRAFT)
    clean["handle"] = clean.get("handle") or unique_handle(clean["title"])
    clean["brand"] = get_or_create_brand(clean.get("brand"))
    product = Product(**clean)
    if product.status == ProductStatus.ACTIVE:
        publishing.mark_published(product)
    with unique_or_conflict():
        product.save(force_insert=True)
        product.categories.set(categories)
        lookup = _create_options(product, options)
        for position, variant in enumerate(variants):
            write_variant(product, {**variant, "position": position}, lookup)
    refresh_search_documents(product_ids=[product.pk])
    bump_product_versions(product_ids=[product.pk])
    audit(actor, product, ADDITION, f"Created with {len(variants)} variant(s) via the API.")
    return product


@transaction.atomic
def update_product(*, product: Product, data: Any, actor=None) -> Product:
    """Change a product's handle, copy, status, brand, categories, SEO fields or tags (PATCH).

    Locks the product row and re-reads it. Becoming active or archived goes through
    catalog.publishing (as the admin actions do), in this transaction; becoming active stamps
    `published_at` once. Raises ValidationFailed (nothing written), Conflict on a concurrent
    duplicate handle.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    errors = Errors()
    clean = clean_product(data, errors, product=product)
    errors.raise_if_any()
    categories = clean.pop("categories", None)
    status = clean.pop("status", product.status)
    if "brand" in clean:
        clean["brand"] = get_or_create_brand(clean["brand"])
    changed = [field for field, value in clean.items() if getattr(product, field) != value]
    categories_before = [c.pk for c in product.categories.all()]
    for field in changed:
        setattr(product, field, clean[field])
    with unique_or_conflict():
        if changed:
            product.save(update_fields=[*changed, "updated_at"])
        if categories is not None and set(categories) != set(product.categories.all()):
            product.categories.set(categories)
            changed.append("categories")
    if status != product.status:
        changed += _change_status(product, status, actor=actor)
    if changed:
        refresh_search_documents(product_ids=[product.pk])
        bump_product_versions(product_ids=[product.pk], category_ids=categories_before)
        audit(actor, product, CHANGE, f"Changed {', '.join(changed)} via the API.")
    return product


@transaction.atomic
def create_variant(*, product: Product, data: Any, actor=None) -> Variant:
    """Add one variant (SKU) to a product, using the product's existing options and values.

    Locks the product row so two concurrent additions cannot take the same option combination.
    Raises ValidationFailed (nothing written), Conflict on a concurrent duplicate SKU.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    lookup = option_lookup(product)
    errors = Errors()
    clean = clean_variant(data, errors, (), options=options_of(lookup), partial=False)
    if clean is not None:
        check_catalog(errors, [((), clean)])
        check_combination(errors, (), clean, product=product, lookup=lookup, exclude=None)
    errors.raise_if_any()
    position = max(product.variants.values_list("position", flat=True), default=-1) + 1
    with unique_or_conflict():
        variant, _ = write_variant(product, {**clean, "position": position}, lookup)
    refresh_search_documents(product_ids=[product.pk])
    bump_product_versions(product_ids=[product.pk])
    audit(actor, product, CHANGE, f"Added variant {variant.sku} via the API.")
    return variant


@transaction.atomic
def update_variant(*, variant: Variant, data: Any, actor=None) -> Variant:
    """Change a variant's option values, prices, identifiers, weight, title or status (PATCH).

    `sku` may be repeated but never changed. `prices` and `identifiers`, when given, replace the
    variant's whole set. Locks the product row, then the variant row (the order create_variant
    uses). Raises ValidationFailed (nothing written), Conflict on a concurrent duplicate.
    """
    product = Product.objects.select_for_update().get(pk=variant.product_id)
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    lookup = option_lookup(product)
    errors = Errors()
    check_live(errors, (), variant)
    errors.raise_if_any()
    clean = clean_variant(
        data, errors, (), options=options_of(lookup), partial=True, sku=variant.sku
    )
    if clean is not None:
        check_catalog(errors, [((), clean)], exclude=variant)
        if "option_values" in clean:
            check_combination(errors, (), clean, product=product, lookup=lookup, exclude=variant)
    errors.raise_if_any()
    with unique_or_conflict():
        variant, changed = write_variant(product, clean, lookup, variant=variant)
    if changed:
        refresh_search_documents(product_ids=[product.pk])
        bump_product_versions(product_ids=[product.pk])
        audit(actor, product, CHANGE, f"Changed variant {variant.sku}: {', '.join(changed)}.")
    return variant


@transaction.atomic
def save_product_details(
    *, product: Product, status: str, categories: Iterable[Category] | None = None, actor
) -> Product:
    """Save a product's own fields and categories as edited on its admin page, then move it to
    `status`.

    `product` carries the edited values (the admin's form put them there); `categories` None
    leaves them. Its status and
    `published_at` stay the database's: a changed status goes through
    catalog.services.publishing like the publish and archive actions (publishing stamps
    `published_at` and writes a history row naming `actor`). A new product is saved as a draft
    first. Locks the product row. Raises ValidationFailed for a handle of the wrong shape or
    another product's, Conflict (under `handle`) when a concurrent writer takes it meanwhile.
    """
    errors = Errors()
    clean_handle(errors, product.handle, product=product if product.pk else None)
    errors.raise_if_any()
    if product.pk is None:
        product.status, product.published_at = ProductStatus.DRAFT, None
    else:
        saved = Product.objects.select_for_update().only("status", "published_at")
        saved = saved.get(pk=product.pk)
        product.status, product.published_at = saved.status, saved.published_at
    with unique_or_conflict(HANDLE):
        product.save()
    categories_before = []
    if categories is not None:
        categories_before = list(product.categories.values_list("pk", flat=True))
        product.categories.set(categories)
    publishing.change_product_status(product=product, status=status, actor=actor)
    refresh_search_documents(product_ids=[product.pk])
    bump_product_versions(product_ids=[product.pk], category_ids=categories_before)
    return product


@transaction.atomic
def save_product_content(
    *,
    product: Product,
    rows: Iterable[ProductTranslation | ProductAttributeValue | Media],
    removed: Iterable[ProductTranslation | ProductAttributeValue | Media] = (),
    actor,
) -> None:
    """Save a product's translations, attribute values and images as edited on its page.

    `rows` are new or changed rows already validated by the admin's forms; `removed` are
    deleted. Every row must belong to `product` (an image's variant too). Locks the product
    row. Raises ValidationFailed naming a row of another product (nothing written).
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    rows, removed = list(rows), list(removed)
    errors = Errors()
    for row in [*rows, *removed]:
        if not isinstance(row, CONTENT_MODELS) or row.product_id != product.pk:
            errors.add((), f"{row!r} is not content of {product.title}.")
        elif isinstance(row, Media) and row.variant_id and row.variant.product_id != product.pk:
            errors.add((), "That variant belongs to another product.")
    errors.raise_if_any()
    for row in removed:
        row.delete()
    for row in rows:
        row.save()
    refresh_search_documents(product_ids=[product.pk])  # a translated title or description
    bump_product_versions(product_ids=[product.pk])
    logger.info("%s saved %d content row(s) of %s", actor, len(rows) + len(removed), product)


@transaction.atomic
def delete_product(*, product: Product, actor) -> None:
    """Delete a product that has no variants (a draft made by mistake).

    A product with variants is archived instead, never deleted: its SKUs are never reused.
    Locks the product row. Raises Conflict saying so (nothing deleted).
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    count = product.variants.count()
    if count:
        raise Conflict(
            f"{product.title} has {count} variant(s), so it cannot be deleted (SKUs are never "
            "reused); archive it instead.",
            code="product_has_variants",
        )
    # Without variants it was never listed; its handle may still be cached as a 404's cause.
    bump_product_versions(product_ids=[product.pk])
    with unique_or_conflict():
        product.delete()
    logger.info("%s deleted product %s", actor, product.handle)


# --- writing ---------------------------------------------------------------------------------


def _change_status(product: Product, status: str, *, actor) -> list[str]:
    """Move the (locked) product to `status` through catalog.services.publishing (the service
    the admin uses too); return the fields that changed. update_product writes the history."""
    published_at = product.published_at
    publishing.change_product_status(product=product, status=status, actor=actor, audit=False)
    return ["status"] + (["published_at"] if product.published_at != published_at else [])


def _create_options(product: Product, options: dict[str, list[str]]) -> dict:
    lookup = {}
    for position, (name, values) in enumerate(options.items()):
        option = Option.objects.create(product=product, name=name, position=position)
        for i, value in enumerate(values):
            lookup[(name, value)] = OptionValue.objects.create(
                option=option, value=value, position=i
            )
    return lookup
