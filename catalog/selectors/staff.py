"""Catalog reads for staff and the API's write endpoints: products in any status, every variant."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from catalog.models import OptionValue, Product, Variant, VariantPrice
from shop.models import Market


def get_product(*, handle: str) -> Product:
    """The product with `handle` whatever its status (staff reads and writes). Raises Http404."""
    product = Product.objects.filter(handle=handle).first()
    if product is None:
        raise Http404("No such product")
    return product


def get_product_for_staff(*, handle: str, market: Market) -> Product:
    """One product in any status with every variant, shaped like get_storefront_product.

    For staff who may see drafts and inactive variants. Raises Http404.
    """
    variants = Variant.objects.prefetch_related(
        Prefetch("prices", queryset=VariantPrice.objects.filter(currency=market.currency)),
        Prefetch("option_values", queryset=OptionValue.objects.select_related("option")),
        "identifiers",
    ).order_by("position", "pk")
    product = (
        Product.objects.select_related("brand")
        .prefetch_related(
            "options__values",
            "categories",
            Prefetch("variants", queryset=variants, to_attr="sellable_variants"),
        )
        .filter(handle=handle)
        .first()
    )
    if product is None:
        raise Http404("No such product")
    return product


def get_product_variant(*, product: Product, sku: str) -> Variant:
    """The product's variant with `sku`, whatever its status. Raises Http404."""
    variant = Variant.objects.filter(product=product, sku=sku).first()
    if variant is None:
        raise Http404("No such variant")
    return variant
