"""Catalog writes: create and edit products, their options and variants, and publish them.

products.py holds the product services (the API's JSON write body, the admin's product form),
variants.py the admin's (options, variant rows, a variant's prices and identifiers),
publishing.py every status change of a product; validation.py holds the rules all of them
apply and writing.py the row writers they share.
"""

from catalog.services.products import (
    create_product,
    create_variant,
    delete_product,
    save_product_content,
    save_product_details,
    update_product,
    update_variant,
)
from catalog.services.publishing import (
    archive_products,
    change_product_status,
    publish_products,
    unpublish_products,
)
from catalog.services.variants import (
    OptionInput,
    VariantInput,
    change_variant_identifiers,
    save_product_options,
    save_product_variants,
    set_variant_prices,
    update_variant_details,
)

__all__ = [
    "OptionInput",
    "VariantInput",
    "archive_products",
    "change_product_status",
    "change_variant_identifiers",
    "create_product",
    "create_variant",
    "delete_product",
    "publish_products",
    "save_product_content",
    "save_product_details",
    "save_product_options",
    "save_product_variants",
    "set_variant_prices",
    "unpublish_products",
    "update_product",
    "update_variant",
    "update_variant_details",
]
