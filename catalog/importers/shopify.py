"""Shopify's product CSV, as a merchant downloads it from the Shopify admin.

Shopify's habits (see shared/fixtures/shopify/README.md): one row per variant, continuation
rows leave product columns blank, rows with only an image add an image, `Title / Default Title`
means "no options", grams may be fractional, prices are decimals in the shop currency and
`Variant Barcode` is free text that often fails its check digit.
"""

from __future__ import annotations

import html
import re

from django.utils.html import strip_tags

from catalog.identifiers import InvalidIdentifier, classify_barcode
from catalog.importers.base import (
    ImportResult,
    MediaSpec,
    ProductSpec,
    Table,
    VariantSpec,
    claim_sku,
    missing_columns,
    parse_grams,
    parse_int,
    parse_price,
    split_list,
    stated_currency,
)
from catalog.models import ProductStatus
from shop.money import MACHINE_LOCALE

REQUIRED_COLUMNS = ("Handle", "Variant SKU")
MAX_OPTIONS = 3
VARIANT_CELLS = ("Option1 Value", "Variant SKU", "Variant Price", "Variant Grams")
_BLOCK_END = re.compile(r"</(p|div|li|h[1-6])>|<br\s*/?>", re.IGNORECASE)


def parse(
    table: Table,
    result: ImportResult,
    *,
    currency: str | None = None,
    default_currency: str = "USD",
    locales: dict[str, str] | None = None,
    strict: bool = False,
    **_o,
) -> list[ProductSpec]:
    """Turn Shopify rows into product specs; barcode problems are warnings unless `strict`.

    Shopify writes prices without a currency. They are in `currency` when the import says so;
    else in the one currency the cells state ("EUR 26,50"), else in `default_currency`. A cell
    stating another currency than the import's is a row error, as is a file stating several.
    Cells are read in the locale of the market using the currency (`locales`).
    """
    missing = missing_columns(table, REQUIRED_COLUMNS)
    if missing:
        result.file_errors.append(f"Required columns are missing: {', '.join(missing)}.")
        return []
    columns = {h.lower(): h for h in table.headers}
    currency = currency or _file_currency(table, columns, result) or default_currency
    result.currency = currency
    locale = (locales or {}).get(currency, MACHINE_LOCALE)
    if result.file_errors:
        return []
    products: dict[str, ProductSpec] = {}
    seen_skus: dict[str, int] = {}
    for line, raw in table.rows:
        row = _Row(raw, columns)
        handle = row["Handle"]
        result.row(line, handle=handle, sku=row["Variant SKU"])
        if not handle:
            result.error(line, "Handle", "A handle is required on every row.")
            continue
        spec = products.get(handle)
        if spec is None:
            spec = products[handle] = ProductSpec(line=line, handle=handle)
        spec.lines.append(line)
        if row["Title"] and not spec.fields:
            _product_fields(spec, line, row, result)
        if row["Image Src"]:
            position = _image_position(line, row, spec, result)
            spec.media.append(MediaSpec(line, row["Image Src"], row["Image Alt Text"], position))
        if not any(row[name] for name in VARIANT_CELLS):
            continue  # an image-only (or empty) continuation row
        sku = row["Variant SKU"]
        missing = "Emporium needs a SKU for every variant."
        if not claim_sku(result, line, "Variant SKU", sku, seen_skus, missing=missing):
            continue
        variant = _variant(line, sku, row, spec, (currency, locale), strict, result)
        variant.position = len(spec.variants)
        spec.variants.append(variant)
        if row["Variant Image"]:
            spec.media.append(MediaSpec(line, row["Variant Image"], "", 0, variant_sku=sku))
    for spec in products.values():
        if not spec.fields:
            result.error(spec.line, "Title", f"No row of handle {spec.handle} has a Title.")
    return list(products.values())


class _Row:
    """Case-insensitive, missing-column-tolerant access to one row's cells."""

    def __init__(self, raw: dict[str, str], columns: dict[str, str]):
        self.raw, self.columns = raw, columns

    def __getitem__(self, name: str) -> str:
        header = self.columns.get(name.lower())
        return self.raw.get(header, "") if header else ""

    def has(self, name: str) -> bool:
        return name.lower() in self.columns


def _product_fields(spec: ProductSpec, line: int, row: _Row, result: ImportResult) -> None:
    spec.fields.update(
        title=row["Title"],
        description=html_to_text(row["Body (HTML)"]),
        product_type=row["Type"],
        tags=split_list(row["Tags"]),
        seo_title=row["SEO Title"],
        seo_description=row["SEO Description"],
    )
    spec.has_brand, spec.brand = True, row["Vendor"] or None
    status = row["Status"].lower()
    if status and status not in ProductStatus.values:
        allowed = ", ".join(ProductStatus.values)
        result.error(line, "Status", f"'{row['Status']}' is not a status ({allowed}).")
    elif status:
        spec.fields["status"] = status
    elif row["Published"]:
        # Older exports have no Status column: an unpublished product is a draft.
        published = row["Published"].lower() == "true"
        spec.fields["status"] = ProductStatus.ACTIVE if published else ProductStatus.DRAFT
    names = [row[f"Option{n} Name"] for n in range(1, MAX_OPTIONS + 1)]
    names = [name for name in names if name]
    if names == ["Title"] and row["Option1 Value"] == "Default Title":
        names = []  # Shopify's marker for a product without options
    spec.has_options = True
    spec.options = [(name, []) for name in names]


def _variant(line, sku, row: _Row, spec, money, strict, result) -> VariantSpec:
    variant = VariantSpec(line=line, sku=sku, values=[])
    for n, (name, values) in enumerate(spec.options, start=1):
        value = row[f"Option{n} Value"]
        if not value:
            result.error(line, f"Option{n} Value", f"A value for option {name} is required.")
            continue
        canonical = next((v for v in values if v.lower() == value.lower()), None)
        if canonical is None:
            values.append(value)
        variant.values.append(canonical or value)
    if row["Variant Grams"]:
        try:
            variant.fields["weight_grams"] = parse_grams(row["Variant Grams"])
        except ValueError as exc:
            result.error(line, "Variant Grams", str(exc))
    _prices(line, row, money, variant, result)
    if row["Variant Barcode"]:
        try:
            kind, value = classify_barcode(row["Variant Barcode"])
            variant.identifiers[kind] = [value]
        except InvalidIdentifier as exc:
            report = result.error if strict else result.warning
            report(line, "Variant Barcode", f"{exc} It was not imported.")
    if row["Variant Inventory Qty"]:
        try:
            result.inventory[sku] = parse_int(row["Variant Inventory Qty"])
        except ValueError as exc:
            result.warning(line, "Variant Inventory Qty", str(exc))
    return variant


PRICE_COLUMNS = ("Variant Price", "Variant Compare At Price")


def _file_currency(table: Table, columns: dict[str, str], result: ImportResult) -> str | None:
    """The one currency the price cells state, if any; several is a file error."""
    stated: dict[str, int] = {}
    for line, raw in table.rows:
        row = _Row(raw, columns)
        for column in PRICE_COLUMNS:
            code = stated_currency(row[column]) if row[column] else None
            if code:
                stated.setdefault(code, line)
    if len(stated) > 1:
        found = ", ".join(f"{code} (row {line})" for code, line in stated.items())
        result.file_errors.append(
            f"The prices state several currencies: {found}. Import one currency per file."
        )
    return next(iter(stated), None)


def _prices(line, row: _Row, money, variant: VariantSpec, result) -> None:
    currency, locale = money
    amounts = []
    for column in PRICE_COLUMNS:
        try:
            amounts.append(parse_price(row[column], currency, locale) if row[column] else None)
        except ValueError as exc:
            result.error(line, column, str(exc))
            return
    if amounts[0] is not None:
        # Kept as given even when lower than the price: the storefront only shows a sale
        # when compare-at is higher (VariantPrice.is_on_sale).
        variant.prices[currency] = (amounts[0], amounts[1])
    elif amounts[1] is not None:
        result.warning(line, "Variant Compare At Price", "Ignored: the row has no Variant Price.")


def _image_position(line: int, row: _Row, spec: ProductSpec, result) -> int:
    if row["Image Position"]:
        try:
            return parse_int(row["Image Position"])
        except ValueError as exc:
            result.warning(line, "Image Position", str(exc))
    return max((m.position for m in spec.media), default=0) + 1


def html_to_text(markup: str) -> str:
    """Shopify's Body (HTML) as plain text: the storefront escapes merchant content."""
    text = _BLOCK_END.sub("\n", markup or "")
    text = html.unescape(strip_tags(text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


COLUMN_NAMES = {
    "handle": "Handle",
    "title": "Title",
    "description": "Body (HTML)",
    "brand": "Vendor",
    "product_type": "Type",
    "tags": "Tags",
    "status": "Status",
    "seo_title": "SEO Title",
    "seo_description": "SEO Description",
    "sku": "Variant SKU",
    "weight_grams": "Variant Grams",
    "amount_cents": "Variant Price",
    "compare_at_cents": "Variant Compare At Price",
    "value": "Variant Barcode",
    "external_url": "Image Src",
    "alt_text": "Image Alt Text",
}
