"""Brands found or created by name, as spreadsheets and the API name them (Shopify's Vendor)."""

from __future__ import annotations

from django.utils.text import slugify

from catalog.models import Brand


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
