"""Catalog spreadsheet formats. Each parser maps a `Table` to `ProductSpec`s, nothing else."""

from catalog.importers import emporium, shopify

FORMATS = {"emporium": emporium, "shopify": shopify}
