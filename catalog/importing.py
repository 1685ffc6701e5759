"""Catalog spreadsheet import and export: the one service the admin, the commands and tests use.

An import is all or nothing per file: it parses every row, writes inside one transaction
through the batched catalog writer (catalog.services.batch_writing: the models' validation,
unique SKUs, identifiers and option combinations) and hands the file's stock counts to the
stock app (catalog.ports) in the same transaction; it rolls everything back when any row has an
error, the stock counts are refused, or it is a dry run. The result lists each row's outcome,
errors and warnings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
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
from shop.exceptions import DomainError
from shop.models import Market
from shop.money import MACHINE_LOCALE, is_known_currency

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


def import_catalog(
    *,
    data: bytes,
    filename: str = "",
    format: str = "emporium",  # noqa: A002 - the word merchandisers and the CLI use
    dry_run: bool = False,
    strict: bool = False,
    currency: str | None = None,
    location: str | None = None,
    actor=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a catalog CSV/XLSX file; write nothing if any row has an error or `dry_run`.

    `format` is "emporium" (our export's columns) or "shopify"; `strict` turns barcode warnings
    into errors. `currency` is the currency the import is for: a Shopify file's prices are in
    it (None: the currency the cells state, else the default market's), and cells stating
    another currency are refused; an Emporium file must have that currency's price columns.
    Prices are read in the locale of the market using each currency (shop.money).

    Stock counts in the file (Shopify's Variant Inventory Qty) go to the registered stock-count
    writer (catalog.ports) inside the same transaction, at `location` (a code) or, when None,
    at the location serving the market of the file's currency; a refusal there (no such
    location, or several) refuses the file. Without a stock app the counts stay in
    `result.inventory`. Locks the existing products the file changes.
    """
    result = ImportResult(format=format, dry_run=dry_run)
    if format not in FORMATS:
        result.file_errors.append(f"Unknown format '{format}'; use {' or '.join(FORMATS)}.")
    if currency is not None and not is_known_currency(currency):
        result.file_errors.append(f"'{currency}' is not an ISO 4217 currency code.")
    if result.file_errors:
        return result
    try:
        table = read_table(data, filename)
    except ImportFileError as exc:
        result.file_errors.append(str(exc))
        return result
    module = FORMATS[format]
    specs = module.parse(
        table,
        result,
        currency=currency,
        default_currency=_default_currency(),
        locales=market_locales(),
        strict=strict,
    )
    if result.file_errors:
        return result
    _check_plan(specs, result)
    # Rows are written even when parsing found errors, so the preview shows database-level
    # problems too (a SKU owned by another product); everything is rolled back in that case.
    try:
        with transaction.atomic():
            Writer(result, module.COLUMN_NAMES, progress, actor=actor).write(specs)
            applied = False if result.has_errors else _apply_stock_counts(result, actor, location)
            if dry_run or result.has_errors:
                transaction.set_rollback(True)
            else:
                result.committed, result.stock_counts_applied = True, applied
    except IntegrityError:
        logger.info("catalog import lost a race", exc_info=True)
        result.file_errors.append(
            "Someone else saved one of these handles, SKUs or barcodes while the file was being "
            "imported; nothing was written. Import the file again."
        )
    if result.committed:
        logger.info("catalog import by %s: %s", actor, result.summary())
    return result


def market_locales() -> dict[str, str]:
    """{currency: locale of the first active market using it}: how that currency is typed."""
    locales: dict[str, str] = {}
    for currency, locale in Market.objects.filter(is_active=True).values_list(
        "currency", "default_locale"
    ):
        locales.setdefault(currency, locale or MACHINE_LOCALE)
    return locales


def _default_currency() -> str:
    market = Market.objects.filter(code=settings.DEFAULT_MARKET).first()
    return market.currency if market else "USD"


def _apply_stock_counts(result: ImportResult, actor, location: str | None) -> bool:
    """Hand the file's stock counts to the stock app, in the import's transaction.

    The catalog never imports inventory (dependencies point one way): inventory registers a
    writer on catalog.ports; it returns None when the shop has nowhere to put them. Returns
    whether the counts were applied; a refusal becomes a file error (and rolls back).
    """
    writer = ports.stock_counts()
    if writer is None or not result.inventory:
        return False
    try:
        applied = writer(
            counts=dict(result.inventory),
            actor=actor,
            location=location or None,
            currency=result.currency or None,
        )
    except DomainError as exc:
        result.file_errors.append(f"Stock counts: {exc}")
        return False
    return applied is not None


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
