"""Spreadsheet import/export wiring for the product admin (placeholder, filled by its owner)."""


class CatalogImportExportMixin:
    pass
