"""Catalog writes: create and edit products, their options and variants.

products.py holds the API's services (a JSON write body), variants.py the admin's (options,
variant rows, a variant's prices and identifiers); validation.py holds the rules both apply and
writing.py the row writers both use.
Publishing (draft/active/archived for many products at once) lives in catalog.publishing.
"""

from catalog.services.products import (
    create_product,
    create_variant,
    update_product,
    update_variant,
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
    "change_variant_identifiers",
    "create_product",
    "create_variant",
    "save_product_options",
    "save_product_variants",
    "set_variant_prices",
    "update_product",
    "update_variant",
    "update_variant_details",
]
