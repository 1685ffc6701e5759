"""Catalog writes: create and edit products and their variants (the API's write body).

The body is validated first (catalog.services.validation: every problem at once, as
ValidationFailed, nothing written); then the rows are written in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE
from django.db import transaction
from django.utils import timezone

from catalog import publishing
from catalog.models import Option, OptionValue, Product, ProductStatus, Variant, unique_handle
from catalog.services.brands import get_or_create_brand
from catalog.services.validation import (
    Errors,
    check_catalog,
    check_combination,
    clean_options,
    clean_product,
    clean_variant,
    clean_variant_list,
)
from catalog.services.writing import (
    audit,
    option_lookup,
    options_of,
    unique_or_conflict,
    write_variant,
)


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
    if clean["status"] == ProductStatus.ACTIVE:
        clean["published_at"] = timezone.now()
    with unique_or_conflict():
        product = Product.objects.create(**clean)
        product.categories.set(categories)
        lookup = _create_options(product, options)
        for position, variant in enumerate(variants):
            write_variant(product, {**variant, "position": position}, lookup)
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
        audit(actor, product, CHANGE, f"Changed variant {variant.sku}: {', '.join(changed)}.")
    return variant


# --- writing ---------------------------------------------------------------------------------


def _change_status(product: Product, status: str, *, actor) -> list[str]:
    """Move the (locked) product to `status`; return the fields that changed.

    Publishing and archiving use catalog.publishing, the service the admin actions call;
    back to draft has no side effects and is set here.
    """
    published_at = product.published_at
    if status == ProductStatus.ACTIVE:
        publishing.publish_products(products=[product], actor=actor, audit=False)
    elif status == ProductStatus.ARCHIVED:
        publishing.archive_products(products=[product], actor=actor, audit=False)
    else:
        product.status = status
        product.save(update_fields=["status", "updated_at"])
    product.refresh_from_db(fields=["status", "published_at", "updated_at"])
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
