"""What every catalog import format shares: reading the file, the parsed plan, the result.

A format parser (emporium, shopify) turns a `Table` into `ProductSpec`s, recording row errors and
warnings in an `ImportResult`; `catalog.importing` then writes the specs in one transaction.
Parsers never touch the database, so a file with a malformed cell is refused before any query.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

from catalog.identifiers import InvalidIdentifier, normalize_sku

# The parsed plan's types are the batch writer's input; the formats import them from here.
from catalog.services.batch_writing import MediaSpec, ProductSpec, VariantSpec  # noqa: F401
from shop.money import (
    MACHINE_LOCALE,
    AmountInputError,
    is_known_currency,
    minor_unit_exponent,
    parse_money_input,
)
from shop.spreadsheets import SpreadsheetError, is_xlsx, read_csv_text, read_xlsx


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message is a sentence for the merchandiser."""


@dataclass
class Table:
    """Rows of a spreadsheet as {header: text}, each with its spreadsheet row number."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


ROW_ACTIONS = ("error", "create", "update", "skip")  # strongest first


@dataclass
class RowReport:
    line: int
    handle: str = ""
    sku: str = ""
    action: str = "skip"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import did or would do, row by row; nothing is written when `has_errors`."""

    format: str
    dry_run: bool
    file_errors: list[str] = field(default_factory=list)
    rows: dict[int, RowReport] = field(default_factory=dict)
    # Stock counts from the file (Shopify's Variant Inventory Qty), by SKU.
    inventory: dict[str, int] = field(default_factory=dict)
    committed: bool = False
    stock_counts_applied: bool = False
    currency: str = ""  # the currency the file's prices are in (Shopify), once known

    def row(self, line: int, *, handle: str = "", sku: str = "") -> RowReport:
        report = self.rows.setdefault(line, RowReport(line=line))
        report.handle = report.handle or handle
        report.sku = report.sku or sku
        return report

    def error(self, line: int, column: str, message: str) -> None:
        report = self.row(line)
        report.errors.append(f"{column}: {message}" if column else message)
        report.action = "error"

    def warning(self, line: int, column: str, message: str) -> None:
        self.row(line).warnings.append(f"{column}: {message}" if column else message)

    def mark(self, line: int, action: str) -> None:
        report = self.row(line)
        if ROW_ACTIONS.index(action) < ROW_ACTIONS.index(report.action):
            report.action = action

    def failed(self, line: int) -> bool:
        report = self.rows.get(line)
        return bool(report and report.errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(r.errors for r in self.rows.values())

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "updated", "skipped", "warnings", "errors"), 0)
        names = {"create": "created", "update": "updated", "skip": "skipped"}
        for report in self.rows.values():
            if report.action in names:
                counts[names[report.action]] += 1
            counts["warnings"] += len(report.warnings)
            counts["errors"] += len(report.errors)
        counts["errors"] += len(self.file_errors)
        return counts

    def summary(self) -> str:
        counts = self.counts
        return ", ".join(f"{counts[k]} {k}" for k in counts)

    def as_json(self, *, max_rows: int = 1000) -> dict:
        """What a status page shows: the outcome, the counts and the rows with messages (at
        most `max_rows` of them; a 100,000-row file's every row would not help anyone)."""
        noted = [r for _, r in sorted(self.rows.items()) if r.errors or r.warnings]
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "has_errors": self.has_errors,
            "summary": self.summary(),
            "currency": self.currency,
            "stock_counts": len(self.inventory),
            "stock_counts_applied": self.stock_counts_applied,
            "file_errors": list(self.file_errors),
            "rows": [
                {
                    "line": r.line,
                    "handle": r.handle,
                    "sku": r.sku,
                    "action": r.action,
                    "errors": r.errors,
                    "warnings": r.warnings,
                }
                for r in noted[:max_rows]
            ],
            "more_rows": max(len(noted) - max_rows, 0),
        }

    def messages(self) -> list[str]:
        """Every error and warning as one line each, file-level errors first."""
        lines = list(self.file_errors)
        for line in sorted(self.rows):
            report = self.rows[line]
            lines += [f"Row {line}: error: {m}" for m in report.errors]
            lines += [f"Row {line}: warning: {m}" for m in report.warnings]
        return lines


# --- Reading the file -------------------------------------------------------------------------


# A cell starting with one of these is run as a formula by spreadsheet programs (CSV/formula
# injection). Exports put an apostrophe in front; imports take it off again, so the round trip
# still changes nothing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """`value` made safe to open in a spreadsheet: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_formula(text: str) -> str:
    """Undo escape_formula on a cell read back from a file."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def check_file_size(size: int) -> None:
    """Raise ImportFileError when a file of `size` bytes is over CATALOG_IMPORT_MAX_BYTES."""
    limit = settings.CATALOG_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(
            f"The file is {size:,} bytes; the largest accepted is {limit:,} bytes. "
            "Split it into several files."
        )


def read_table(data: bytes, filename: str = "") -> Table:
    """Read CSV (UTF-8, with or without BOM) or XLSX bytes; raise ImportFileError if unreadable."""
    check_file_size(len(data))
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if is_xlsx(data, filename):
        headers, records = _read_xlsx(data)
    else:
        headers, records = _read_csv(data)
    headers = [h.strip() for h in headers]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty header cells are common in spreadsheets
    if not headers:
        raise ImportFileError("The first row must name the columns; it is empty.")
    duplicates = sorted(h for h, n in Counter(headers).items() if h and n > 1)
    if duplicates:
        raise ImportFileError(f"Columns appear more than once: {', '.join(duplicates)}.")
    rows = []
    for line, cells in records:
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
            raise ImportFileError(
                f"Row {line} has {len(cells)} cells but the header names only {len(headers)}."
            )
        values = {
            h: unescape_formula(cells[i].strip() if i < len(cells) else "")
            for i, h in enumerate(headers)
        }
        if any(values.values()):
            rows.append((line, values))
    if not rows:
        raise ImportFileError("The file has a header but no rows to import.")
    return Table(headers=headers, rows=rows)


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ImportFileError(
            "The file is UTF-16 or binary, not a UTF-8 CSV. In your spreadsheet choose "
            "'CSV UTF-8' (or upload an .xlsx workbook)."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02X} at position "
            f"{exc.start}). Save it as 'CSV UTF-8' and upload it again."
        ) from None
    try:
        return read_csv_text(text)
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from None


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        return read_xlsx(data)
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from None


def missing_columns(table: Table, required: tuple[str, ...]) -> list[str]:
    present = {h.lower() for h in table.headers}
    return [name for name in required if name.lower() not in present]


# --- Cell parsers shared by the formats and the admin forms -----------------------------------


# What exporters write (ours and Shopify's): digits, optionally "." and decimals; no grouping.
_MACHINE_AMOUNT = re.compile(r"^[0-9]{1,30}(?:\.([0-9]{1,30}))?$")


def parse_price(text: str, currency: str, locale: str = MACHINE_LOCALE) -> int:
    """Parse a price cell into minor units; raise ValueError with a sentence.

    An amount as exporters write it ("26.50", "1234", never grouped) is read exactly, so an
    export imports back unchanged; anything else is read as a person types it in `locale`, the
    locale of the market whose currency it is (shop.money.parse_money_input: "26,50" is 26.50
    in de but refused as ambiguous in en, never 2650.00; "$12" states the currency, "€12" in a
    USD column is refused as another currency).
    """
    if not is_known_currency(currency):
        raise ValueError(f"'{currency}' is not an ISO 4217 currency code.")
    match = _MACHINE_AMOUNT.match(text)
    exponent = minor_unit_exponent(currency)
    if match and len(match.group(1) or "") <= exponent:
        whole, _, fraction = text.partition(".")
        return int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)
    try:
        return parse_money_input(text, currency=currency, locale=locale)
    except AmountInputError as exc:
        raise ValueError(str(exc)) from None


# Symbols that name one currency wherever they are written; "$" alone (USD, CAD, AUD...) does
# not, and counts as a statement only for the import's own currency (parse_money_input).
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW", "₹": "INR", "US$": "USD", "CA$": "CAD"}
_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")


def stated_currency(text: str) -> str | None:
    """The currency a price cell names ("EUR 26,50", "€12", "25 usd"), if it names one."""
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            return code
    for match in _CODE.finditer(text):
        if is_known_currency(match.group(1).upper()):
            return match.group(1).upper()
    return None


def parse_grams(text: str) -> int:
    """Parse a weight in grams, rounding fractions half up (Shopify writes 226.796185)."""
    try:
        grams = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number of grams.") from None
    if not grams.is_finite() or grams < 0:
        raise ValueError(f"'{text}' is not a weight in grams (0 or more).")
    return int(grams.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_int(text: str) -> int:
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number.")
    return int(number)


def claim_sku(
    result: ImportResult, line: int, column: str, sku: str, seen: dict[str, int], *, missing: str
) -> bool:
    """Check one row's SKU as every interface does and against the file's earlier rows.

    Records the row error and returns False when the SKU is missing (`missing` says why it is
    needed), malformed or already on another row; else remembers it in `seen`.
    """
    if not sku:
        result.error(line, column, missing)
        return False
    try:
        normalize_sku(sku)
    except InvalidIdentifier as exc:
        result.error(line, column, str(exc))
        return False
    if sku in seen:
        result.error(line, column, f"SKU {sku} is also on row {seen[sku]}.")
        return False
    seen[sku] = line
    return True


def split_list(text: str, sep: str = ",") -> list[str]:
    return [part.strip() for part in (text or "").split(sep) if part.strip()]
