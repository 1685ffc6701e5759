"""Catalog spreadsheet import and export: the one service the admin, the commands and tests use.

An import is all or nothing per file: it parses every row, writes inside one transaction with
the same model validation the admin forms run (`full_clean`: identifier check digits, prices,
currencies, unique SKU and option combination), and rolls everything back when any row has an
error, or when it is a dry run. The result lists each row's outcome, errors and warnings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from import_export.formats.base_formats import CSV, XLSX

from catalog import ports
from catalog.import_writer import Writer
from catalog.importers import FORMATS
from catalog.importers.base import (
    ImportFileError,
    ImportResult,
    ProductSpec,
    read_table,
)
from catalog.resources import CatalogResource
from shop.money import is_known_currency

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


def import_catalog(
    *,
    data: bytes,
    filename: str = "",
    format: str = "emporium",  # noqa: A002 - the word merchandisers and the CLI use
    dry_run: bool = False,
    strict: bool = False,
    currency: str = "USD",
    actor=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a catalog CSV/XLSX file; write nothing if any row has an error or `dry_run`.

    `format` is "emporium" (our export's columns) or "shopify"; `currency` is the currency of
    Shopify's decimal prices; `strict` turns barcode warnings into errors. Takes no locks beyond
    the rows it writes. Stock counts found in the file are handed to the registered
    stock-count writer (catalog.ports) after commit when there is one; otherwise they stay in
    `result.inventory`.
    """
    result = ImportResult(format=format, dry_run=dry_run)
    if format not in FORMATS:
        result.file_errors.append(f"Unknown format '{format}'; use {' or '.join(FORMATS)}.")
    if not is_known_currency(currency):
        result.file_errors.append(f"'{currency}' is not an ISO 4217 currency code.")
    if result.file_errors:
        return result
    try:
        table = read_table(data, filename)
    except ImportFileError as exc:
        result.file_errors.append(str(exc))
        return result
    module = FORMATS[format]
    specs = module.parse(table, result, currency=currency, strict=strict)
    if result.file_errors:
        return result
    _check_plan(specs, result)
    # Rows are written even when parsing found errors, so the preview shows database-level
    # problems too (a SKU owned by another product); everything is rolled back in that case.
    with transaction.atomic():
        Writer(result, module.COLUMN_NAMES, progress).write(specs)
        if dry_run or result.has_errors:
            transaction.set_rollback(True)
        else:
            result.committed = True
    if result.committed:
        logger.info("catalog import by %s: %s", actor, result.summary())
        _hand_over_stock_counts(result, actor)
    return result


EXPORT_FORMATS = ("csv", "xlsx")


def export_catalog(*, file_format: str = "csv", products=None) -> bytes:
    """Export every variant (or those of `products`) as CSV or XLSX bytes, one row each.

    Importing the result again with the emporium format changes nothing.
    """
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format '{file_format}'; use csv or xlsx.")
    dataset = CatalogResource().export(products=products)
    data = (CSV if file_format == "csv" else XLSX)().export_data(dataset)
    return data.encode("utf-8") if isinstance(data, str) else data


def _hand_over_stock_counts(result: ImportResult, actor) -> None:
    # The catalog never imports inventory (dependencies point one way): inventory registers a
    # writer on catalog.ports instead; it returns None when it had nowhere to put them.
    writer = ports.stock_counts()
    if writer is not None and result.inventory:
        applied = writer(counts=dict(result.inventory), actor=actor)
        result.stock_counts_applied = applied is not None


def _check_plan(specs: list[ProductSpec], result: ImportResult) -> None:
    """Refuse what the file contradicts itself on: option combinations and identifiers."""
    identifiers: dict[tuple[str, str], int] = {}
    for spec in specs:
        combos: dict[tuple[str, ...], int] = {}
        for variant in spec.variants:
            combo = tuple(v.lower() for v in variant.values)
            if combo in combos:
                label = " / ".join(variant.values) or "no options"
                if not spec.options:
                    label += "; a product without options has a single variant"
                result.error(
                    variant.line, "options", f"Same options ({label}) as row {combos[combo]}."
                )
            combos.setdefault(combo, variant.line)
            for kind, values in variant.identifiers.items():
                for value in values:
                    first = identifiers.setdefault((kind, value), variant.line)
                    if first != variant.line:
                        result.error(
                            variant.line, kind, f"{kind.upper()} {value} is also on row {first}."
                        )
