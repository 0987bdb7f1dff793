"""Exports: formula neutralisation, the error workbook, the templates."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from dantoc.core.imports import registry
from dantoc.core.imports.base import SystemActor
from dantoc.core.imports.engine import run_import
from dantoc.core.imports.export import error_workbook, neutralise, neutralise_row, template_workbook
from tests.core.test_imports_engine import Probe
from tests.core.test_imports_support import csv_bytes, read_back, xlsx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+84 912", "'+84 912"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Lộc Bình", "Lộc Bình"),
        ("a=b", "a=b"),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
        ("", ""),
    ],
)
def test_neutralise(value: Any, expected: Any) -> None:
    assert neutralise(value) == expected


def test_neutralise_row_for_csv_writers() -> None:
    assert neutralise_row(["=cmd|' /C calc'!A0", 1, "ok"]) == ["'=cmd|' /C calc'!A0", 1, "ok"]


def _bad_file() -> bytes:
    return xlsx(
        [
            ["UBND TỈNH LẠNG SƠN"],
            ["DANH SÁCH CÔNG TRÌNH"],
            ["STT", "Tên công trình", "Số hộ", "Ngày khởi công"],
            [1, "Đường tốt", 10, "01/02/2018"],
            [2, '=HYPERLINK("http://x")', "mười", "31/02/2018"],
            [3, "", 5, ""],
        ],
        merges=[("A1:D1", "UBND TỈNH LẠNG SƠN")],
        text_cells=False,
    )


def test_error_workbook_is_the_users_sheet_with_an_error_column() -> None:
    data = _bad_file()
    result = run_import(Probe(), data, user=SystemActor(), filename="f.xlsx", dry_run=True)
    assert {e["row"] for e in result.errors} == {5, 6}
    out = error_workbook(data, result, filename="f.xlsx")
    sheet = read_back(out, 0)
    assert sheet[0][0] == "UBND TỈNH LẠNG SƠN"  # title rows kept in place
    assert sheet[2][:4] == ["STT", "Tên công trình", "Số hộ", "Ngày khởi công"]
    assert sheet[2][4] == "Lỗi / Errors"
    assert sheet[3][4] == ""  # the good row has no error
    assert "Số hộ:" in sheet[4][4] and "Ngày khởi công:" in sheet[4][4]
    assert "Tên công trình:" in sheet[5][4]
    assert sheet[4][1] == '\'=HYPERLINK("http://x")'  # neutralised, not a formula
    # the bad cells are highlighted and carry the message as a comment
    book = openpyxl.load_workbook(io.BytesIO(out))
    ws = book.worksheets[0]
    assert ws["C5"].fill.fgColor.rgb.endswith("F8C9C5")
    assert ws["B4"].fill.fgColor.rgb in (None, "00000000")
    assert ws["C5"].comment is not None and "/" in ws["C5"].comment.text
    assert "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    assert not any(
        isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row
    )
    # and the list of every error on its own sheet
    errors = read_back(out, 1)
    assert errors[0] == ["Dòng / Row", "Cột / Column", "Lỗi / Error"]
    assert len(errors) == 1 + len(result.errors)


def test_error_workbook_from_a_csv_file() -> None:
    data = csv_bytes([["Tên công trình", "Số hộ"], ["A", "x1"]])
    result = run_import(Probe(), data, user=SystemActor(), filename="f.csv", dry_run=True)
    out = error_workbook(data, result, filename="f.csv")
    sheet = read_back(out, 0)
    assert sheet[0][2] == "Lỗi / Errors"
    assert "Số hộ:" in sheet[1][2]


def test_error_workbook_can_be_imported_back_once_fixed() -> None:
    data = _bad_file()
    result = run_import(Probe(), data, user=SystemActor(), filename="f.xlsx", dry_run=True)
    out = error_workbook(data, result, filename="f.xlsx")
    again = run_import(Probe(), out, user=SystemActor(), filename="f-loi.xlsx", dry_run=True)
    # the same rows fail for the same reasons; the error column is ignored
    assert {e["row"] for e in again.errors} == {5, 6}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["villages", "units", "classifications", "unit-statistics"])
def test_templates_have_vietnamese_headers_and_a_notes_sheet(slug: str) -> None:
    kind = registry.get(slug)
    data = template_workbook(kind)
    header = read_back(data, 0)[0]
    assert header == [c.label for c in kind.columns]
    notes = read_back(data, 1)
    text = "\n".join(str(v) for row in notes for v in row)
    for column in kind.columns:
        assert column.label in text
        for alias in column.aliases:
            assert alias in text
    # an empty template is a valid (empty) file
    result = run_import(kind, data, user=SystemActor(), filename="t.xlsx", dry_run=True)
    assert result.errors == [] and result.rows == 0
