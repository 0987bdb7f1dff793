"""Helpers shared by the import tests: real workbooks built in memory (no tests here)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter
from python_calamine import CalamineWorkbook

Cell = Any


def xlsx(
    rows: Sequence[Sequence[Cell]],
    *,
    merges: Sequence[tuple[str, Cell]] = (),
    sheet: str = "Sheet1",
    start: tuple[int, int] = (0, 0),
    extra_sheets: Sequence[str] = (),
    date_format: str = "dd/mm/yyyy",
    text_cells: bool = False,
) -> bytes:
    """An xlsx with `rows` written from `start` (row, col); dates as real dates; `merges` as ("A1:D1", value)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    for name in extra_sheets:
        book.add_worksheet(name).write_string(0, 0, "Ghi chú")
    ws = book.add_worksheet(sheet)
    date_fmt = book.add_format({"num_format": date_format})
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            r, c = start[0] + i, start[1] + j
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
            elif isinstance(value, int | float) and not isinstance(value, bool) and not text_cells:
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, str(value))
    for ref, value in merges:
        ws.merge_range(ref, value)
    book.close()
    return out.getvalue()


def openpyxl_xlsx(rows: Sequence[Sequence[Cell]], merges: Sequence[str] = ()) -> bytes:
    """An xlsx written by openpyxl (another writer, with merged ranges over existing values)."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    for row in rows:
        ws.append(list(row))
    for ref in merges:
        ws.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods(rows: Sequence[Sequence[Cell]]) -> bytes:
    """A minimal OpenDocument spreadsheet written by hand (no odfpy needed)."""
    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None or value == "":
                cells.append("<table:table-cell/>")
            elif isinstance(value, dt.date):
                cells.append(
                    f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value:%d/%m/%Y}</text:p></table:table-cell>"
                )
            elif isinstance(value, int | float):
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>"
                )
            else:
                cells.append(
                    f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
                    "</table:table-cell>"
                )
        body.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        + "".join(body)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return out.getvalue()


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: â ê ô ă ơ ư đ precomposed, tones as combining marks."""
    import unicodedata

    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += base.encode("cp1258") + "".join(c for c in parts if c in _TONES).encode("cp1258")
    return bytes(out)


def csv_bytes(rows: Sequence[Sequence[Cell]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    text = buf.getvalue()
    return cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def read_back(data: bytes, sheet: int | str = 0) -> list[list[Cell]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ws = book.get_sheet_by_index(sheet) if isinstance(sheet, int) else book.get_sheet_by_name(sheet)
    return ws.to_python(skip_empty_area=False)


def error_of(result: Any, row: int) -> list[dict[str, Any]]:
    return [e for e in result.errors if e["row"] == row]


# TCVN3 and VNI spellings, as the bytes of .VnTime / VNI-Times fonts read in Windows-1252.
TCVN3 = {
    "UBND Tỉnh Lạng Sơn": "UBND TØnh L¹ng S¬n",
    "Lộc Bình": "Léc B×nh",
    "Xã Lộc Bình": "X· Léc B×nh",
    "Thôn Nà Pàn": "Th«n Nµ Pµn",
    "Bản Khiếng": "B¶n KhiÕng",
    "Đồng Bục": "§ång Bôc",
    "Tên thôn": "Tªn th«n",
    "Nà Pàn": "Nµ Pµn",
}
VNI = {
    "Lạng Sơn": "Laïng Sôn",
    "Xã Đồng Bục": "Xaõ Ñoàng Buïc",
    "Thôn Nà Pàn": "Thoân Naø Paøn",
    "Bản Khiếng": "Baûn Khieáng",
    "Số hộ nghèo": "Soá hoä ngheøo",
}
