"""The product page's document: everything the page shows except availability, cached.

`get_product_document` reads it from the versioned cache (per product, market, locale and the
versions of the product, the market and the promotion set) or builds it from the catalog;
`with_availability` adds the one live part, read fresh (usually kept, see
inventory.availability_cache) whenever the page is rendered, or checked past its stock
versions' trust (storefront.html_cache).
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Product
from shop import cache_versions
from shop.cache_versions import (
    NAV,
    PROMOTIONS,
    read_versions,
    read_versions_and_stock,
    versioned_key,
)
from shop.models import Market
from shop.money import Money
from storefront import page_cache

ANONYMOUS = "anonymous"  # the customer segment every storefront price is for, for now


def _handle_key(handle: str) -> str:
    """The key of the handle's (product id, variant ids): what the page reads first."""
    return "sf:product-handle:" + hashlib.blake2b(handle.encode(), digest_size=16).hexdigest()


def product_scopes(product_id: int, market: Market) -> list[str]:
    return [
        cache_versions.product_scope(product_id),
        cache_versions.market_scope(market.code),
        PROMOTIONS,
    ]


def get_product_document(*, request, handle: str, market: Market) -> dict:
    """The product page's document for `handle` in `market`. Raises Http404.

    Warm: the handle's product and variant ids, usually from this process's copy, then the
    versions with the variants' stock versions (which the availability read after it uses) in
    one cache round trip; the document itself usually from this process's copy. Cold: the
    catalog's prefetched product read.
    """
    handle_entry = page_cache.fetch([_handle_key(handle)]).get(_handle_key(handle))
    if handle_entry is not None:
        product_id, variant_ids = handle_entry
        versions = read_versions_and_stock(
            [*product_scopes(product_id, market), NAV], list(variant_ids)
        )
        if versions is not None:
            page_cache.get_category_tree(request, versions)
            key = _document_key(product_id, market, versions)
            document = page_cache.fetch([key]).get(key)
            if document is not None and document["handle"] == handle:
                return document
    product = catalog_selectors.get_storefront_product(handle=handle, market=market)
    versions = read_versions(product_scopes(product.pk, market))
    document = build_product_document(product=product, market=market)
    if versions is not None:
        key = _document_key(product.pk, market, versions)
        document["version_key"] = key
        variant_ids = tuple(v["variant_id"] for v in document["variants"])
        page_cache.store({_handle_key(handle): (product.pk, variant_ids), key: document})
    return document


def _document_key(product_id: int, market: Market, versions: dict) -> str:
    scoped = {scope: versions[scope] for scope in product_scopes(product_id, market)}
    return versioned_key("product", [product_id, market.code, market.default_locale], scoped)


def build_product_document(*, product: Product, market: Market) -> dict:
    """What the product page shows of `product` in `market`, as plain data (no availability)."""
    locale = market.default_locale
    copy = catalog_selectors.get_localized_copy(product=product, locale=locale)
    priced = [v for v in product.sellable_variants if v.prices.all()]
    images = _variant_images(product, priced, locale)
    variants = []
    for variant in priced:
        price = variant.prices.all()[0]
        values = list(variant.option_values.all())
        variants.append(
            {
                "variant_id": variant.pk,
                "sku": variant.sku,
                "label": " / ".join(v.value for v in values) or variant.title or variant.sku,
                "options": {v.option.name: v.value for v in values},
                "price_cents": price.amount_cents,
                "currency": price.currency,
                "segment": ANONYMOUS,
                "price": str(Money(price.amount_cents, price.currency)),
                "compare_at": (
                    str(Money(price.compare_at_cents, price.currency)) if price.is_on_sale else ""
                ),
                "image": images.get(variant.pk),
            }
        )
    media = [{"url": m.url, "alt": m.alt_for(locale)} for m in product.media.all()]
    category = next(iter(product.categories.all()), None)
    return {
        "version_key": None,  # the cache key it is stored under: what the rendered page keys on
        "product_id": product.pk,
        "handle": product.handle,
        "url": product.get_absolute_url(),
        "copy": copy,
        "brand": {"name": product.brand.name} if product.brand_id else None,
        "category_id": category.pk if category else None,
        "media": media,
        "variants": variants,
        "options": _option_rows(product, variants),
        "specs": [
            {"name": v.attribute.name_for(locale), "value": v.display_value(locale)}
            for v in product.attribute_values.all()
        ],
    }


def stock_stamp(document: dict) -> tuple | None:
    """What the availability of the document's variants is read under now (see
    shop.cache_versions.read_stock_stamp); None when it cannot be told."""
    return cache_versions.read_stock_stamp([v["variant_id"] for v in document["variants"]])


class AvailabilityNow:
    """The document's variants with today's availability, read once, when first asked (a kept
    page whose stock versions vouch for it never asks)."""

    def __init__(self, document: dict, market: Market):
        self._document, self._market = document, market

    @functools.cached_property
    def variants(self) -> list[dict]:
        return _available_variants(self._document, self._market)

    def shown(self) -> tuple:
        """Each variant's availability as the page shows it (status and label)."""
        return tuple((v["status"], v["availability"]) for v in self.variants)


def with_availability(document: dict, *, availability_now: AvailabilityNow, sku: str) -> dict:
    """The page's context: the document plus today's availability of every variant (one
    query), the chosen variant and the option picker's data. The document is not changed."""
    variants = availability_now.variants
    selected = _pick_variant(variants, sku)
    media = document["media"]
    main_image = (selected and selected["image"]) or (media[0] if media else None)
    current = (selected or {}).get("options", {})
    return {
        "product": document,
        "copy": document["copy"],
        "brand": document["brand"],
        "media": media,
        "main_image": main_image,
        "options": [
            {**row, "current": current.get(row["name"], "")} for row in document["options"]
        ],
        "variants": variants,
        "selected": selected,
        "specs": document["specs"],
        "variant_data": [_public_variant(v) for v in variants],
    }


def _available_variants(document: dict, market: Market) -> list[dict]:
    """The document's variants with today's availability (one read for all of them)."""
    quantities = catalog_selectors.get_available_quantities(
        variant_ids=[v["variant_id"] for v in document["variants"]], market=market
    )
    labels = _availability_labels()  # once per page: the language and a setting, read once
    variants = []
    for row in document["variants"]:
        quantity = None if quantities is None else quantities[row["variant_id"]]
        status, label = availability(quantity, labels)
        variants.append(
            {**row, "status": status, "availability": label, "can_buy": status != "out_of_stock"}
        )
    return variants


def availability(quantity: int | None, labels: tuple | None = None) -> tuple[str, str]:
    """(status, customer-facing label); no claim at all when there is no stock backend.
    `labels`: _availability_labels() when the caller already has them."""
    if quantity is None:
        return "unknown", ""
    out_of_stock, only_left, in_stock, low_stock_threshold = labels or _availability_labels()
    if quantity <= 0:
        return "out_of_stock", out_of_stock
    if quantity <= low_stock_threshold:
        return "low_stock", only_left % {"count": quantity}
    return "in_stock", in_stock


_LABELS: dict[str | None, tuple[str, str, str]] = {}


def _availability_labels() -> tuple[str, str, str, int]:
    """The labels in the active language (translated once per process: gettext finds the
    active catalog on every call) and the low-stock threshold."""
    language = translation.get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = (_("Out of stock"), _("Only %(count)d left"), _("In stock"))
    return (*labels, settings.LOW_STOCK_THRESHOLD)


def _variant_images(product: Product, variants: list, locale: str) -> dict[int, dict]:
    """{variant id: image}: its own image, else one of a variant with the same value of the
    first option (a photo attached to Rust/S also shows for Rust/L)."""
    own = {}
    for item in product.media.all():
        if item.variant_id and item.variant_id not in own:
            own[item.variant_id] = {"url": item.url, "alt": item.alt_for(locale)}
    first_option = next(iter(product.options.all()), None)
    leading = {
        v.pk: next((ov.value for ov in v.option_values.all() if ov.option == first_option), None)
        for v in variants
    }
    by_leading = {}
    for variant in variants:
        if variant.pk in own and leading[variant.pk] is not None:
            by_leading.setdefault(leading[variant.pk], own[variant.pk])
    return {
        v.pk: own.get(v.pk) or by_leading.get(leading[v.pk])
        for v in variants
        if v.pk in own or leading[v.pk] in by_leading
    }


def _pick_variant(variants: list[dict], sku: str) -> dict | None:
    """The variant named in `?sku=`, else the first one a customer can buy, else the first."""
    by_sku = {v["sku"]: v for v in variants}
    if sku in by_sku:
        return by_sku[sku]
    return next((v for v in variants if v["can_buy"]), variants[0] if variants else None)


def _option_rows(product: Product, variants: list[dict]) -> list[dict]:
    """One selector per option, listing only values some sellable variant has."""
    used = {(name, value) for v in variants for name, value in v["options"].items()}
    rows = []
    for index, option in enumerate(product.options.all()):
        values = [ov.value for ov in option.values.all() if (option.name, ov.value) in used]
        if values:
            rows.append({"name": option.name, "id": f"option-{index}", "values": values})
    return rows


def _public_variant(row: dict) -> dict:
    """The JSON the option picker reads: no database ids, no identifiers."""
    keys = ("sku", "options", "price", "compare_at", "status", "availability", "can_buy", "image")
    return {key: row[key] for key in keys}


def breadcrumbs(request, document: dict) -> list:
    """The product's category and its ancestors, root first, from the cached category tree."""
    if document["category_id"] is None:
        return []
    tree = page_cache.get_category_tree(request)
    category = next((c for c in tree.categories if c.pk == document["category_id"]), None)
    return tree.ancestors(category) if category else []
