"""Reading uploaded spreadsheets (CSV, XLSX) within bounds, for every import (catalog, stock, and
later promotions and deliveries).

A workbook is a zip of XML that says how big it is, and readers believe it: a 5 KB XLSX that
declares the sheet A1:XFD1048576 made openpyxl pad every row to 16,384 cells and every gap to
a row, 3 GB before the first line was read. Here:

- the declared dimension is ignored: rows are read as the sheet's XML has them, one at a time
  (openpyxl's read-only parser), without padding rows or filling gaps;
- data rows are cut at the header's width, so a stray cell at XFD costs nothing;
- at most SPREADSHEET_MAX_ROWS data rows (default 200,000) are kept; a file with data past
  that row is refused with a sentence saying so, before anything is written;
- a workbook that is not a readable zip of well-formed XML, or that declares XML entities
  (defusedxml, which openpyxl uses when it is installed, refuses them: no "billion laughs"),
  is a SpreadsheetError, which every form shows as its error instead of a 500.

CSV files are bounded the same way (rows; the header's width is the caller's rule).
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings

XLSX_MAGIC = b"PK\x03\x04"


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; the message is a sentence for the person."""


DEFAULT_MAX_ROWS = 200_000


def max_rows() -> int:
    """SPREADSHEET_MAX_ROWS: the most data rows an uploaded spreadsheet may have."""
    return getattr(settings, "SPREADSHEET_MAX_ROWS", DEFAULT_MAX_ROWS)


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)


def _too_many_rows(limit: int) -> SpreadsheetError:
    return SpreadsheetError(
        f"The file has more than {limit:,} rows; the largest accepted has {limit:,} "
        "(SPREADSHEET_MAX_ROWS). Split it into several files."
    )


def read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header cells, [(spreadsheet row number, cells)]) of the first sheet, as text.

    Data rows have at most as many cells as the header. Raises SpreadsheetError.
    """
    import openpyxl  # imported here: only spreadsheets need it

    limit = max_rows()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not book.worksheets:
                raise SpreadsheetError("The workbook has no sheet.")
            header, records = _read_sheet(book.worksheets[0], limit)
        finally:
            book.close()
    except SpreadsheetError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        OSError,
        ParseError,
        SyntaxError,
        ValueError,  # defusedxml's refusals of entities and DTDs are ValueErrors
        IndexError,
        TypeError,
        AttributeError,
    ) as exc:
        raise SpreadsheetError(
            f"The file is not a readable XLSX workbook ({exc.__class__.__name__}). "
            "Save it again from your spreadsheet as .xlsx or as CSV UTF-8."
        ) from None
    return header, records


def _read_sheet(sheet, limit: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The rows the sheet's XML has, with their row numbers; no padding, no gap rows.

    Worksheet.iter_rows fills every gap with an empty row (a stray cell at row 1,048,576 meant
    a million of them) and pads rows to the declared width; the read-only sheet's own parser
    yields only the rows present. `_get_row` cuts each at the header's width. (openpyxl 3.1's
    read-only internals, pinned in requirements.lock.)
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    header: list[str] = []
    records: list[tuple[int, list[str]]] = []
    width = None
    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=book.data_only,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if width is None:  # the first row present is the header when it is row 1
                width = 0
                if number == 1:
                    header = [cell_text(v) for v in sheet._get_row(cells, values_only=True)]
                    while header and not header[-1].strip():
                        header.pop()  # trailing empty header cells are common
                    width = len(header)
                    continue
            values = sheet._get_row(cells, 1, max(width, 1), values_only=True)
            if all(value is None for value in values):
                continue
            if number > limit + 1:
                raise _too_many_rows(limit)
            records.append((number, [cell_text(value) for value in values]))
    return header, records


def read_csv_text(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header cells, [(line number, cells)]) of CSV text, at most SPREADSHEET_MAX_ROWS rows.

    Raises SpreadsheetError for malformed CSV or too many rows.
    """
    limit = max_rows()
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, [])
        records = []
        for number, row in enumerate(reader, start=2):
            if len(records) >= limit:
                if any(cell.strip() for cell in row):
                    raise _too_many_rows(limit)
                continue
            records.append((number, row))
    except csv.Error as exc:
        raise SpreadsheetError(f"The CSV is malformed: {exc}.") from None
    return header, records


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: whole floats without ".0", booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)  # repr of a float is its shortest round-trip form: 19.99 stays "19.99"


def iter_dicts(
    header: list[str], records: list[tuple[int, list[str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each record as {header: cell}, cut at the header's width."""
    for number, cells in records:
        yield number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
