"""Hostile spreadsheets for the import tests: generated here, a few KB each."""

import io
import zipfile

import openpyxl


def workbook(rows: list[list], *, stray: str | None = None) -> bytes:
    """An XLSX of `rows`; `stray` puts one cell at that address (its declared dimension grows
    to cover it: A1:XFD1048576 for "XFD1048576")."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if stray:
        book.active[stray] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_entities(data: bytes) -> bytes:
    """The workbook with a "billion laughs" entity declaration in its first sheet."""
    laughs = '<!DOCTYPE lolz [<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    laughs += "]>"
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                at = body.index(b"<worksheet")
                body = body[:at] + laughs.encode() + body[at:]
            target.writestr(item, body)
    return out.getvalue()
