"""Writing spreadsheets safely: formula neutralisation, the error workbook, the templates.

Every export of user data goes through `neutralise()` (or `SafeSheet.write`): a text that starts
with =, +, -, @ (or a tab or carriage return) gets an apostrophe in front, so that no spreadsheet
program runs it as a formula (CSV/formula injection). Imports strip that apostrophe again.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import xlsxwriter
from django.utils.translation import gettext as _

from dantoc.core.imports.columns import FORMULA_PREFIXES, Choice
from dantoc.core.imports.reading import Source, Workbook

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from dantoc.core.imports.base import ImportKind
    from dantoc.core.imports.engine import ImportResult


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """For csv writers: every cell of a row through `neutralise`."""
    return [neutralise(v) for v in values]


class SafeSheet:
    """Writes cells by type (numbers as numbers, dates as dates, text as text, never a formula)."""

    def __init__(self, workbook: xlsxwriter.Workbook, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        self.datetime_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self._date_formats: dict[int, Format] = {}
        self.workbook = workbook

    def _with_date(self, fmt: Format | None, datetime: bool) -> Format:
        if fmt is None:
            return self.datetime_format if datetime else self.date_format
        key = id(fmt) * 2 + datetime
        found = self._date_formats.get(key)
        if found is None:
            found = self.workbook.add_format(
                {
                    "num_format": "dd/mm/yyyy hh:mm" if datetime else "dd/mm/yyyy",
                    "bg_color": "#F8C9C5",
                    "border": 1,
                    "border_color": "#B3261E",
                }
            )
            self._date_formats[key] = found
        return found

    def write(self, row: int, col: int, value: Any, fmt: Format | None = None) -> None:
        if value is None or value == "":
            if fmt is not None:
                self.sheet.write_blank(row, col, None, fmt)
            return
        if isinstance(value, bool):
            self.sheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, int | float | Decimal):
            self.sheet.write_number(row, col, float(value), fmt)
        elif isinstance(value, dt.datetime):
            self.sheet.write_datetime(row, col, value, self._with_date(fmt, True))
        elif isinstance(value, dt.date):
            self.sheet.write_datetime(
                row, col, dt.datetime(value.year, value.month, value.day), self._with_date(fmt, False)
            )
        else:
            self.sheet.write_string(row, col, neutralise(str(value)), fmt)


def _sheet_title(name: str) -> str:
    bad = "[]:*?/\\"
    clean = "".join("_" if ch in bad else ch for ch in name).strip("'") or "Sheet1"
    return clean[:31]


def error_workbook(source: Source, result: ImportResult, filename: str | None = None) -> bytes:
    """The user's own sheet again, with an error column and the bad cells highlighted (xlsx)."""
    layout = result.layout
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bad = book.add_format({"bg_color": "#F8C9C5", "border": 1, "border_color": "#B3261E"})
    error_fmt = book.add_format({"font_color": "#B3261E", "text_wrap": True, "valign": "top"})
    error_head = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#B3261E", "text_wrap": True}
    )
    sheet = book.add_worksheet(_sheet_title(layout.get("sheet") or "Sheet1"))
    safe = SafeSheet(book, sheet)

    by_row: dict[int | None, list[tuple[int | None, str]]] = defaultdict(list)
    for row, cell, message in result.cells:
        by_row[row].append((cell, message))
    bad_cells = {(row, cell) for row, cell, _m in result.cells if row is not None and cell is not None}
    offset = int(layout.get("col_offset") or 0)
    header_rows = layout.get("header_rows") or []
    header_row = header_rows[0] if header_rows else 1
    columns = layout.get("columns") or {}
    names = {idx: layout.get("headers", {}).get(key, key) for key, idx in columns.items()}

    workbook = Workbook(source, filename)
    try:
        src = workbook.sheet(layout.get("sheet") if workbook.kind != "csv" else None)
        width = max(int(layout.get("width") or 0), _max_col(columns) + 1)
        err_col = offset + width
        covered: set[tuple[int, int]] = set()
        # Every merge is kept: a commune merged down over its rows must still name them when the fixed
        # file comes back.
        merges = list(src.merged)
        for (r0, c0), (r1, c1) in merges:
            covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
        merge_at = {(r0, c0): (r1, c1) for (r0, c0), (r1, c1) in merges}
        for number, cells in src.rows:
            for j, value in enumerate(cells):
                r, c = number - 1, offset + j
                if (r, c) in covered:
                    continue
                if j >= width and value in ("", None):
                    continue
                fmt = bad if (number, j) in bad_cells else None
                if (r, c) in merge_at:
                    r1, c1 = merge_at[(r, c)]
                    sheet.merge_range(r, c, r1, c1, "", fmt)
                safe.write(r, c, value, fmt)
            messages = by_row.get(number)
            if messages:
                text = "\n".join(
                    f"{names.get(cell, '')}: {m}" if cell is not None and names.get(cell) else m
                    for cell, m in messages
                )
                sheet.write_string(number - 1, err_col, text, error_fmt)
                for cell, m in messages:
                    if cell is not None and number is not None:
                        sheet.write_comment(
                            number - 1, offset + cell, m[:2000], {"x_scale": 2, "y_scale": 1.5}
                        )
    finally:
        workbook.close()
    sheet.write_string(header_row - 1, err_col, _("Lỗi / Errors"), error_head)
    sheet.set_column(err_col, err_col, 60)
    general = [m for _cell, m in by_row.get(None, [])]
    if general:  # file-level errors: in the header row's error cell
        sheet.write_string(header_row - 1, err_col, "\n".join([_("Lỗi / Errors"), *general]), error_head)
    if header_rows:
        sheet.freeze_panes(header_rows[-1], 0)
    _error_list(book, result)
    book.close()
    return out.getvalue()


def _max_col(columns: dict[str, int]) -> int:
    return max(columns.values(), default=-1)


def _error_list(book: xlsxwriter.Workbook, result: ImportResult) -> None:
    sheet = book.add_worksheet(_sheet_title(_("Danh sách lỗi")))
    head = book.add_format({"bold": True, "bg_color": "#EEF1F4", "border": 1})
    safe = SafeSheet(book, sheet)
    for j, title in enumerate((_("Dòng / Row"), _("Cột / Column"), _("Lỗi / Error"))):
        sheet.write_string(0, j, title, head)
    for i, error in enumerate(result.errors, start=1):
        safe.write(i, 0, error["row"])
        safe.write(i, 1, error["column"])
        safe.write(i, 2, error["message"])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 100)
    sheet.freeze_panes(1, 0)


def template_workbook(kind: ImportKind) -> bytes:
    """A blank workbook for `kind`: Vietnamese headers, and a notes sheet with columns and aliases."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format(
        {
            "bold": True,
            "bg_color": "#A3171C",
            "font_color": "#FFFFFF",
            "border": 1,
            "text_wrap": True,
            "valign": "vcenter",
            "align": "center",
        }
    )
    optional = book.add_format(
        {
            "bold": True,
            "bg_color": "#EEF1F4",
            "border": 1,
            "text_wrap": True,
            "valign": "vcenter",
            "align": "center",
        }
    )
    text_fmt = book.add_format({"num_format": "@"})
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    data = book.add_worksheet(_sheet_title(_("Dữ liệu")))
    from dantoc.core.imports.columns import Code, Date, Money, Text

    for j, column in enumerate(kind.columns):
        data.write_string(0, j, column.label, head if column.required else optional)
        data.write_comment(0, j, _column_note(column), {"x_scale": 2.5, "y_scale": 2})
        width = max(14, min(40, len(column.label) + 4))
        fmt = date_fmt if isinstance(column, Date) else text_fmt if isinstance(column, Code | Text) else None
        data.set_column(j, j, width, fmt)
        if isinstance(column, Choice):
            labels = column.choice_labels()
            if sum(len(x) + 1 for x in labels) < 250:
                data.data_validation(
                    1,
                    j,
                    5000,
                    j,
                    {"validate": "list", "source": labels, "error_type": "warning", "ignore_blank": True},
                )
        if isinstance(column, Money):
            data.set_column(j, j, width, book.add_format({"num_format": "#,##0"}))
    data.set_row(0, 36)
    data.freeze_panes(1, 0)

    notes = book.add_worksheet(_sheet_title(_("Hướng dẫn")))
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    safe = SafeSheet(book, notes)
    notes.write_string(0, 0, str(kind.label), book.add_format({"bold": True, "font_size": 14}))
    notes.write_string(1, 0, str(kind.description), wrap)
    notes.write_string(
        2,
        0,
        _(
            "Dòng tiêu đề có thể nằm dưới các dòng tên cơ quan, tên bảng; tên cột không phân biệt hoa thường, dấu, "
            "khoảng trắng. Cột số tiền theo đơn vị ghi ở tiêu đề: (đồng), (nghìn đồng), (triệu đồng), (tỷ đồng). "
            "Ngày ghi dd/mm/yyyy hoặc chỉ ghi năm. Chữ gõ bằng phông TCVN3 (.VnTime) hoặc VNI được tự chuyển sang Unicode. "
            "/ The header row may sit below title rows; headers ignore case, tone marks and spacing. Money columns use "
            "the unit their header states. Dates are dd/mm/yyyy or a bare year. TCVN3 and VNI text is converted."
        ),
        wrap,
    )
    titles = (
        _("Cột / Column"),
        _("Bắt buộc / Required"),
        _("Kiểu / Type"),
        _("Tên cột khác được chấp nhận / Also accepted"),
        _("Ghi chú / Notes"),
        _("Ví dụ / Example"),
    )
    for j, title in enumerate(titles):
        notes.write_string(4, j, title, head)
    for i, column in enumerate(kind.columns, start=5):
        safe.write(i, 0, column.label, bold)
        safe.write(i, 1, _("Có") if column.required else _("Không"))
        safe.write(i, 2, str(column.type_label))
        safe.write(i, 3, "; ".join(column.aliases), wrap)
        safe.write(i, 4, column.describe(), wrap)
        safe.write(i, 5, column.example)
    line = 6 + len(kind.columns)
    if kind.options:
        notes.write_string(line, 0, _("Thông tin nhập kèm tệp / Given with the file"), bold)
        for k, option in enumerate(kind.options, start=line + 1):
            safe.write(k, 0, option.column.label, bold)
            safe.write(k, 4, option.column.describe(), wrap)
        line += len(kind.options) + 2
    if kind.examples:
        notes.write_string(line, 0, _("Ví dụ các dòng dữ liệu / Example rows"), bold)
        for j, column in enumerate(kind.columns):
            notes.write_string(line + 1, j, column.label, optional)
        for i, example in enumerate(kind.examples, start=line + 2):
            for j, value in enumerate(example):
                safe.write(i, j, value)
    for j, width in enumerate((28, 12, 18, 50, 60, 22)):
        notes.set_column(j, j, width)
    book.close()
    return out.getvalue()


def _column_note(column: Any) -> str:
    parts = [column.describe() or column.label]
    if column.aliases:
        parts.append(_("Tên khác: %(aliases)s") % {"aliases": "; ".join(column.aliases)})
    if column.example:
        parts.append(_("Ví dụ: %(example)s") % {"example": column.example})
    return "\n".join(parts)
