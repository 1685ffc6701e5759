"""Brands found or created by name, as spreadsheets and the API name them (Shopify's Vendor),
and edited in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from catalog.models import Brand
from catalog.services.search_index import lock_products, refresh_search_documents
from catalog.services.storefront_versions import bump_product_versions
from shop.exceptions import Conflict, ValidationFailed


@transaction.atomic
def save_brand(*, brand: Brand, actor=None) -> Brand:
    """Create or rename a brand as edited in the admin. Its products' search documents and
    storefront pages follow a new name. Raises ValidationFailed (a taken name or slug, nothing
    written), Conflict when a concurrent writer took it meanwhile."""
    old_name = None
    if brand.pk:
        old_name = Brand.objects.select_for_update().filter(pk=brand.pk)
        old_name = old_name.values_list("name", flat=True).first()
    try:
        brand.full_clean()
    except ValidationError as exc:
        first = next(iter(exc.message_dict.values()))[0]
        raise ValidationFailed(first, fields=exc.message_dict) from exc
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError as exc:
        raise Conflict(f"A concurrent change took the brand {brand.name}; reload.") from exc
    if old_name is not None and old_name != brand.name:
        product_ids = lock_products(brand.products.values_list("pk", flat=True))
        refresh_search_documents(product_ids=product_ids)
        bump_product_versions(product_ids=product_ids)
    return brand


def get_or_create_brand(name: str | None) -> Brand | None:
    """The brand called `name` (any case) or with that slug; created with a free slug if missing.

    Takes no lock: callers run inside their own transaction, and Brand.name is unique, so a
    concurrent creator of the same brand makes this raise IntegrityError (the callers turn it
    into a conflict or a row error).
    """
    if not name:
        return None
    brand = Brand.objects.filter(name__iexact=name).first()
    brand = brand or Brand.objects.filter(slug=name).first()
    if brand is not None:
        return brand
    base = slugify(name)[:130] or "brand"
    slug, n = base, 2
    while Brand.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Brand.objects.create(name=name, slug=slug)
