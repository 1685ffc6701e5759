"""The `emporium` format: exactly the columns `catalog.resources.CatalogResource` exports.

One row per variant; product columns repeat on each row of a handle (or stay blank on
continuation rows). Columns that are absent leave the matching data alone, so a file with only
`handle,sku,price_USD` re-prices without touching anything else.
"""

from __future__ import annotations

import re

from catalog.identifiers import KINDS, InvalidIdentifier, normalize_identifier
from catalog.importers.base import (
    ImportResult,
    ProductSpec,
    Table,
    VariantSpec,
    claim_sku,
    missing_columns,
    parse_grams,
    parse_price,
    split_list,
)
from catalog.models import SETTABLE_VARIANT_STATUSES, ProductStatus
from shop.money import MACHINE_LOCALE, is_known_currency

PRODUCT_COLUMNS = (
    "handle",
    "title",
    "description",
    "brand",
    "categories",
    "product_type",
    "tags",
    "status",
    "seo_title",
    "seo_description",
)
MAX_OPTIONS = 3
OPTION_COLUMNS = tuple(
    f"option{n}_{part}" for n in range(1, MAX_OPTIONS + 1) for part in ("name", "value")
)
VARIANT_COLUMNS = ("sku", "weight_grams", "variant_status")
IDENTIFIER_COLUMNS = KINDS
REQUIRED_COLUMNS = ("handle", "sku")
LIST_SEPARATOR = "|"  # categories and several identifiers of one kind in one cell
PRICE_COLUMN = re.compile(r"^(price|compare_at)_([A-Za-z]{3})$")
TEXT_FIELDS = ("title", "description", "product_type", "seo_title", "seo_description")


def price_columns(currency: str) -> tuple[str, str]:
    return f"price_{currency}", f"compare_at_{currency}"


def parse(
    table: Table,
    result: ImportResult,
    *,
    currency: str | None = None,
    locales: dict[str, str] | None = None,
    **_options,
) -> list[ProductSpec]:
    """Turn the rows into product specs; record problems in `result`.

    Each price column states its currency (price_EUR); its cells are read in the locale of the
    market using that currency (`locales`). With `currency` (the one the import is for), a file
    with price columns must have that currency's.
    """
    missing = missing_columns(table, REQUIRED_COLUMNS)
    if missing:
        hint = ""
        if {"Handle", "Variant SKU"} <= set(table.headers):
            hint = " This looks like a Shopify export: choose the shopify format."
        result.file_errors.append(f"Required columns are missing: {', '.join(missing)}.{hint}")
        return []
    columns = {h.lower(): h for h in table.headers}
    currencies = _currencies(table, result)
    if currency and currencies and currency not in currencies:
        result.file_errors.append(
            f"The file's prices are in {', '.join(currencies)}; this import is for {currency}. "
            f"Add price_{currency} or import it for {currencies[0]}."
        )
    result.currency = currency or (currencies[0] if currencies else "")
    known = {*PRODUCT_COLUMNS, *OPTION_COLUMNS, *VARIANT_COLUMNS, *IDENTIFIER_COLUMNS}
    unknown = [h for h in table.headers if h.lower() not in known and not PRICE_COLUMN.match(h)]
    if unknown:
        result.warning(1, "", f"Ignored unknown columns: {', '.join(unknown)}.")
    if result.file_errors:
        return []

    products: dict[str, ProductSpec] = {}
    seen_skus: dict[str, int] = {}
    for line, raw in table.rows:
        row = {name: raw[header] for name, header in columns.items()}
        handle, sku = row["handle"], row["sku"]
        result.row(line, handle=handle, sku=sku)
        if not handle:
            result.error(line, "handle", "A handle is required on every row.")
            continue
        spec = products.get(handle)
        if spec is None:
            spec = products[handle] = _product_spec(line, handle, row, result)
        else:
            _check_repeated_product_cells(spec, line, row, result)
        spec.lines.append(line)
        if not claim_sku(
            result, line, "sku", sku, seen_skus, missing="A SKU is required on every row."
        ):
            continue
        variant = _variant_spec(line, sku, row, spec, currencies, locales or {}, result)
        if variant:
            variant.position = len(spec.variants)
            spec.variants.append(variant)
    return list(products.values())


def _currencies(table: Table, result: ImportResult) -> list[str]:
    currencies = []
    for header in table.headers:
        match = PRICE_COLUMN.match(header)
        if not match:
            continue
        code = match.group(2).upper()
        if not is_known_currency(code):
            result.file_errors.append(
                f"Column {header}: '{code}' is not an ISO 4217 currency code."
            )
        elif code not in currencies:
            currencies.append(code)
    return currencies


def _product_spec(line: int, handle: str, row: dict, result: ImportResult) -> ProductSpec:
    spec = ProductSpec(line=line, handle=handle)
    for name in TEXT_FIELDS:
        if name in row:
            spec.fields[name] = row[name]
    if "tags" in row:
        spec.fields["tags"] = split_list(row["tags"])
    if "status" in row and row["status"]:
        status = row["status"].lower()
        if status in ProductStatus.values:
            spec.fields["status"] = status
        else:
            allowed = ", ".join(ProductStatus.values)
            result.error(line, "status", f"'{row['status']}' is not a status ({allowed}).")
    if "brand" in row:
        spec.has_brand, spec.brand = True, row["brand"] or None
    if "categories" in row:
        spec.categories = split_list(row["categories"], LIST_SEPARATOR)
    names = [row.get(f"option{n}_name", "") for n in range(1, MAX_OPTIONS + 1)]
    spec.has_options = any(f"option{n}_name" in row for n in range(1, MAX_OPTIONS + 1))
    while names and not names[-1]:
        names.pop()
    if "" in names:
        result.error(line, "option_name", "Option names must be filled from option1 on.")
    spec.options = [(name, []) for name in names if name]
    return spec


def _check_repeated_product_cells(spec: ProductSpec, line: int, row: dict, result) -> None:
    first = {
        **{k: v for k, v in spec.fields.items() if k in TEXT_FIELDS},
        "status": spec.fields.get("status", ""),
        "brand": spec.brand or "",
        "tags": ", ".join(spec.fields.get("tags", [])),
        "categories": LIST_SEPARATOR.join(spec.categories or []),
    }
    for name, value in first.items():
        cell = row.get(name, "")
        if cell and cell != value and not (name == "status" and cell.lower() == value):
            result.error(line, name, f"Differs from row {spec.line} of the same handle.")
    for n, (option_name, _values) in enumerate(spec.options, start=1):
        cell = row.get(f"option{n}_name", "")
        if cell and cell != option_name:
            result.error(line, f"option{n}_name", f"Differs from row {spec.line}.")


def _variant_spec(
    line, sku, row, spec: ProductSpec, currencies, locales, result
) -> VariantSpec | None:
    errors_before = len(result.row(line).errors)
    variant = VariantSpec(line=line, sku=sku, values=[])
    for n in range(1, MAX_OPTIONS + 1):
        value = row.get(f"option{n}_value", "")
        if n <= len(spec.options):
            name, values = spec.options[n - 1]
            if not value:
                result.error(line, f"option{n}_value", f"A value for option {name} is required.")
                continue
            canonical = next((v for v in values if v.lower() == value.lower()), None)
            if canonical is None:
                values.append(value)
            variant.values.append(canonical or value)
        elif value:
            result.error(line, f"option{n}_value", f"'{value}' has no option{n}_name.")
    if row.get("weight_grams"):
        try:
            variant.fields["weight_grams"] = parse_grams(row["weight_grams"])
        except ValueError as exc:
            result.error(line, "weight_grams", str(exc))
    elif "weight_grams" in row:
        variant.fields["weight_grams"] = None
    if row.get("variant_status"):
        status = row["variant_status"].lower()
        if status in SETTABLE_VARIANT_STATUSES:
            variant.fields["status"] = status
        else:
            allowed = ", ".join(SETTABLE_VARIANT_STATUSES)
            result.error(line, "variant_status", f"'{status}' is not a status ({allowed}).")
    for currency in currencies:
        _parse_prices(line, row, currency, locales.get(currency, MACHINE_LOCALE), variant, result)
    for kind in IDENTIFIER_COLUMNS:
        if kind in row:
            variant.identifiers[kind] = _parse_identifiers(line, kind, row[kind], result)
    return variant if len(result.row(line).errors) == errors_before else None


def _parse_prices(line, row, currency, locale, variant: VariantSpec, result) -> None:
    price_col, compare_col = price_columns(currency)
    cells = row.get(price_col.lower(), ""), row.get(compare_col.lower(), "")
    parsed = []
    for column, cell in zip((price_col, compare_col), cells, strict=True):
        try:
            parsed.append(parse_price(cell, currency, locale) if cell else None)
        except ValueError as exc:
            result.error(line, column, str(exc))
            return
    if parsed[0] is None and parsed[1] is not None:
        result.error(line, compare_col, f"A compare-at price needs a {price_col}.")
        return
    variant.prices[currency] = (parsed[0], parsed[1])


def _parse_identifiers(line, kind, cell, result) -> list[str]:
    values = []
    for raw in split_list(cell, LIST_SEPARATOR):
        try:
            values.append(normalize_identifier(kind, raw))
        except InvalidIdentifier as exc:
            result.error(line, kind, str(exc))
    return values


# How the writer names a model field in its messages: the column the merchandiser typed into.
COLUMN_NAMES = {"status_variant": "variant_status", "external_url": "image"}
