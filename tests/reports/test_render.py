"""The program-summary report written as a Vietnamese administrative xlsx report, HTML and JSON."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest

from dantoc.programs.models import Component
from dantoc.reports import render
from dantoc.reports.program_summary import program_summary
from tests.reports.data import Dataset, M

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 5)


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def cells(sheet) -> dict[str, object]:
    return {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None}


def find(sheet, text: str) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for c in row:
            if c.value == text:
                return c.row, c.column
    raise AssertionError(f"{text!r} not in the sheet")


def test_xlsx_is_laid_out_as_an_administrative_report(dataset: Dataset, users, settings) -> None:
    settings.ORG_NAME = "Sở Dân tộc và Tôn giáo tỉnh Lạng Sơn"
    report = program_summary(users.leader, 2018, on=dt.date(2019, 3, 31))
    book = workbook(render.to_xlsx(report, today=TODAY, preparer="Nông Thị Hạnh"))
    assert book.sheetnames == ["Tổng hợp", "Theo đơn vị"]
    sheet = book["Tổng hợp"]
    values = cells(sheet)
    assert values["A1"] == "UBND TỈNH LẠNG SƠN"
    assert values["A2"] == "SỞ DÂN TỘC VÀ TÔN GIÁO TỈNH LẠNG SƠN"
    assert values["E1"] == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert values["E2"] == "Độc lập - Tự do - Hạnh phúc"
    assert values["E3"] == "Lạng Sơn, ngày 05 tháng 03 năm 2026"
    assert values["A5"] == "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHƯƠNG TRÌNH NĂM 2018"
    assert "31/03/2019" in str(values["A6"]) and "Tỉnh Lạng Sơn" in str(values["A6"])
    assert "năm 2018" in str(values["A7"])
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:D1", "A5:S5", "A9:A10"} <= merged
    # The table: P135's row carries the report's figures.
    row, _col = find(sheet, "III")
    header_row, _ = find(sheet, "Tỷ lệ giải ngân")
    header = {sheet.cell(row=header_row, column=c).value: c for c in range(1, sheet.max_column + 1)}
    sub = {sheet.cell(row=header_row + 1, column=c).value: c for c in range(1, sheet.max_column + 1)}
    assert sheet.cell(row=row, column=2).value.endswith("(P135)")
    assert sheet.cell(row=row, column=3).value == 3  # communes
    assert sheet.cell(row=row, column=4).value == 1  # villages
    assert sheet.cell(row=row, column=5).value == 1_900 * M
    assert sheet.cell(row=row, column=sub["Ngân sách trung ương"]).value == 1_700 * M
    assert sheet.cell(row=row, column=header["Đã giải ngân"]).value == 1_100 * M
    rate = sheet.cell(row=row, column=header["Tỷ lệ giải ngân"])
    assert rate.value == pytest.approx(0.5789) and "%" in rate.number_format
    assert sheet.cell(row=row, column=sub["Hoàn thành"]).value == 1
    # Signature block under the table.
    sign_row, sign_col = find(sheet, "NGƯỜI LẬP BIỂU")
    assert sign_row > row and sign_col == 1
    assert find(sheet, "THỦ TRƯỞNG CƠ QUAN")[0] == sign_row
    assert find(sheet, "(Ký tên, đóng dấu)")[0] == sign_row + 1
    assert find(sheet, "Nông Thị Hạnh")[0] > sign_row
    units = cells(book["Theo đơn vị"])
    assert "Huyện Lộc Bình" in units.values() and "NGƯỜI LẬP BIỂU" in units.values()


def test_xlsx_neutralises_formula_like_text(dataset: Dataset, users) -> None:
    p135 = dataset.programs["P135"]
    Component.objects.create(program=p135, code="X1", name='=HYPERLINK("http://evil.example","x")', order=9)
    Component.objects.create(program=p135, code="X2", name="+1+2", order=10)
    Component.objects.create(program=p135, code="X3", name="-3", order=11)
    Component.objects.create(program=p135, code="X4", name="@SUM(A1)", order=12)
    book = workbook(render.to_xlsx(program_summary(users.leader, 2018), today=TODAY))
    sheet = book["Tổng hợp"]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    for name in ('=HYPERLINK("http://evil.example","x")', "+1+2", "-3", "@SUM(A1)"):
        assert "'" + name in texts
        assert name not in texts
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert render.neutralise("=1") == "'=1" and render.neutralise("Đường") == "Đường"


def test_current_structure_is_stated_in_the_xlsx(dataset: Dataset, users) -> None:
    report = program_summary(users.leader, 2018, structure="current")
    values = cells(workbook(render.to_xlsx(report, today=TODAY))["Tổng hợp"])
    assert "quy đổi sang đơn vị hiện nay" in str(values["A7"]) and "sáp nhập, đổi tên: 4" in str(values["A7"])


def test_standalone_html_and_json(dataset: Dataset, users) -> None:
    report = program_summary(users.leader, 2018, on=dt.date(2019, 3, 31))
    html = render.to_html(report, today=TODAY)
    assert html.startswith("<!DOCTYPE html>")
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "Lạng Sơn, ngày 05 tháng 03 năm 2026" in html
    assert 'data-testid="summary-rate-P135" data-rate="0.578900"' in html
    assert "1.900.000.000 đồng" in html and "<details open>" in html
    assert "<script" not in html
    data = json.loads(render.to_json(report))
    assert data["programs"] == report["programs"]


def test_numbering_of_components() -> None:
    comps = [{"depth": 0}, {"depth": 1}, {"depth": 1}, {"depth": 2}, {"depth": 0}]
    assert [n for n, _c in render.numbered_components(comps)] == ["1", "1.1", "1.2", "1.2.1", "2"]
    assert [render.roman(n) for n in (1, 4, 9, 14)] == ["I", "IV", "IX", "XIV"]
