"""Catalog writes: create and edit products and their variants (the API's write body).

products.py holds the services, validation.py the checks of the write body they share.
Publishing (draft/active/archived for many products at once) lives in catalog.publishing.
"""

from catalog.services.products import (
    create_product,
    create_variant,
    update_product,
    update_variant,
)

__all__ = [
    "create_product",
    "create_variant",
    "update_product",
    "update_variant",
]
