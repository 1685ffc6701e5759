"""Catalog reads, split along who reads them.

`storefront`: what customers may see (active products, sellable variants, availability), used by
the storefront pages and the public API; `staff`: products in any status for staff reads and the
API's writes. Callers use `from catalog import selectors` and the names below.
"""

from catalog.selectors.search import count_search_results, search_product_ids
from catalog.selectors.staff import get_product, get_product_for_staff, get_product_variant
from catalog.selectors.storefront import (
    CARD_BATCH,
    SORTS,
    CardProduct,
    LocalizedCopy,
    get_available_quantities,
    get_category,
    get_in_stock_product_ids,
    get_localized_copy,
    get_storefront_product,
    get_variant_prices,
    in_stock_product_ids,
    list_active_variant_ids,
    list_card_products,
    list_category_tree,
    list_products_in_order,
    list_storefront_products,
)

__all__ = [
    "CARD_BATCH",
    "SORTS",
    "CardProduct",
    "LocalizedCopy",
    "count_search_results",
    "get_available_quantities",
    "get_category",
    "get_in_stock_product_ids",
    "get_localized_copy",
    "get_product",
    "get_product_for_staff",
    "get_product_variant",
    "get_storefront_product",
    "get_variant_prices",
    "in_stock_product_ids",
    "list_active_variant_ids",
    "list_card_products",
    "list_category_tree",
    "list_products_in_order",
    "list_storefront_products",
    "search_product_ids",
]
