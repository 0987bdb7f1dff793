"""The engine on real files: header detection, merged cells, encodings, formats, row errors."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest

from dantoc.core.imports.base import ImportContext, ImportKind, Row, Status, SystemActor
from dantoc.core.imports.columns import Date, Integer, Money, Option, Text, Year
from dantoc.core.imports.engine import run_import
from dantoc.core.imports.reading import detect_csv_encoding
from tests.core.test_imports_support import TCVN3, VNI, cp1258, csv_bytes, ods, openpyxl_xlsx, xlsx


class Probe(ImportKind):
    """Parses like a real kind and keeps the rows; writes nothing."""

    slug = "probe"
    label = "Probe"
    columns: ClassVar = (
        Text("name", "Tên công trình", ("Công trình", "Tên dự án"), required=True),
        Text("commune", "Xã", ("Xã, phường",)),
        Money("amount", "Tổng mức đầu tư", ("Vốn", "Kinh phí")),
        Integer("households", "Số hộ", ("Tổng số hộ",)),
        Integer("poor", "Số hộ nghèo", ("Hộ nghèo",)),
        Date("start", "Ngày khởi công", ("Khởi công",)),
        Year("year", "Năm"),
    )
    options: ClassVar = (Option(Text("tag", "Nhãn")),)

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.ctx: ImportContext | None = None

    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        self.rows, self.ctx = rows, ctx
        for row in rows:
            if (
                row.ok
                and row.get("poor") is not None
                and row.get("households") is not None
                and row.values["poor"] > row.values["households"]
            ):
                row.error("poor", "poor > households")

    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        for row in rows:
            row.status = Status.CREATED

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        pass


def run(data: bytes, filename: str = "f.xlsx", **kwargs: Any) -> tuple[Any, Probe]:
    kind = Probe()
    result = run_import(kind, data, user=SystemActor(), filename=filename, dry_run=True, **kwargs)
    return result, kind


TITLE = [
    ["UBND TỈNH LẠNG SƠN", None, None, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    ["BAN DÂN TỘC", None, None, "Độc lập - Tự do - Hạnh phúc"],
    [],
    ["DANH SÁCH CÔNG TRÌNH NĂM 2018"],
    [None, None, None, None, "ĐVT: triệu đồng"],
]


def test_header_below_title_rows_with_merged_cells_and_a_numbering_row() -> None:
    data = xlsx(
        [
            *TITLE,
            ["STT", "TÊN CÔNG TRÌNH", "Xã", "Tổng mức đầu tư", "Ngày khởi công"],
            [1, 2, 3, 4, 5],
            [1, "Đường Nà Pàn", "Lộc Bình", "1.234,5", "16/06/2018"],
            [2, "Trường Khuổi", "Đồng Bục", 2500, dt.date(2018, 7, 1)],
        ],
        merges=[("A1:C1", "UBND TỈNH LẠNG SƠN"), ("A4:E4", "DANH SÁCH CÔNG TRÌNH NĂM 2018")],
    )
    result, kind = run(data)
    assert result.errors == []
    assert result.layout["header_rows"] == [6]
    assert result.rows == 2 and result.skipped == 1
    assert [r.number for r in kind.rows] == [8, 9]
    first, second = kind.rows
    assert first.values["amount"] == 1_234_500_000  # "ĐVT: triệu đồng" above the table
    assert second.values["amount"] == 2_500_000_000
    assert first.values["start"] == dt.date(2018, 6, 16)
    assert second.values["start"] == dt.date(2018, 7, 1)
    assert kind.ctx is not None and "DANH SÁCH CÔNG TRÌNH NĂM 2018" in kind.ctx.preamble


@pytest.mark.parametrize(
    "header", ["Tên công trình", "TÊN CÔNG TRÌNH", "ten cong trinh", "Tên  công-trình:", "Tên dự án"]
)
def test_header_aliases_ignore_case_tone_marks_and_punctuation(header: str) -> None:
    result, kind = run(xlsx([[header, "Số hộ"], ["Đường A", 12]]))
    assert result.errors == []
    assert (kind.rows[0].values["name"], kind.rows[0].values["households"]) == ("Đường A", 12)


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("Tổng mức đầu tư (đồng)", "1.234.567", 1_234_567),
        ("Tổng mức đầu tư (nghìn đồng)", 1500, 1_500_000),
        ("Tổng mức đầu tư (triệu đồng)", "226,3", 226_300_000),
        ("Tổng mức đầu tư (tỷ đồng)", 226.3, 226_300_000_000),
        ("Vốn (Tr.đ)", "1.000", 1_000_000_000),
    ],
)
def test_money_columns_honour_the_unit_of_their_header(header: str, cell: object, expected: int) -> None:
    result, kind = run(xlsx([["Tên công trình", header], ["Đường", cell]]))
    assert result.errors == []
    assert kind.rows[0].values["amount"] == expected


def test_dates_in_every_usual_shape() -> None:
    data = xlsx(
        [
            ["Tên công trình", "Ngày khởi công", "Năm"],
            ["a", "16/06/2025", 2018],
            ["b", "1/7/25", "2019"],
            ["c", 45824, 2020.0],  # an Excel serial number written as a plain number
            ["d", dt.date(2025, 6, 16), None],
            ["e", "2019", None],  # a bare year
        ]
    )
    result, kind = run(data)
    assert result.errors == []
    assert [r.values["start"] for r in kind.rows] == [
        dt.date(2025, 6, 16),
        dt.date(2025, 7, 1),
        dt.date(2025, 6, 16),
        dt.date(2025, 6, 16),
        dt.date(2019, 1, 1),
    ]
    assert [r.values["year"] for r in kind.rows[:3]] == [2018, 2019, 2020]


def test_every_error_of_a_row_is_reported_with_its_excel_row_number() -> None:
    data = xlsx(
        [
            *TITLE,
            ["STT", "Tên công trình", "Tổng mức đầu tư", "Số hộ", "Số hộ nghèo", "Ngày khởi công"],
            [1, "Đường tốt", "100", 10, 2, "01/02/2018"],
            [2, "", "nhiều tiền", "mười", 3, "31/02/2018"],
            [3, "Đường khác", "200", 5, 9, ""],
        ]
    )
    result, _kind = run(data)
    rows = {e["row"] for e in result.errors}
    assert rows == {8, 9}
    row8 = {e["column"]: e["message"] for e in result.errors if e["row"] == 8}
    assert set(row8) == {"Tên công trình", "Tổng mức đầu tư", "Số hộ", "Ngày khởi công"}
    assert " / " in row8["Tên công trình"]  # Vietnamese / English
    assert "dd/mm/yyyy" in row8["Ngày khởi công"]
    assert result.as_dict()["created"] == 0
    assert set(result.as_dict()) == {"rows", "created", "updated", "unchanged", "errors"}


def test_two_row_header_under_a_merged_group_header() -> None:
    data = openpyxl_xlsx(
        [
            ["DANH SÁCH"],
            ["STT", "Tên công trình", "Số hộ", None, "Năm"],
            [None, None, "Tổng số", "Hộ nghèo", None],
            [1, "A", 120, 30, 2024],
        ],
        merges=["C2:D2", "A2:A3", "B2:B3", "E2:E3"],
    )
    result, kind = run(data)
    assert result.errors == []
    assert result.layout["header_rows"] == [2, 3]
    assert kind.rows[0].values["households"] == 120
    assert kind.rows[0].values["poor"] == 30
    assert kind.rows[0].values["year"] == 2024


def test_vertically_merged_cells_repeat_over_their_rows() -> None:
    data = openpyxl_xlsx(
        [
            ["Xã", "Tên công trình", "Số hộ"],
            ["Lộc Bình", "Đường 1", 1],
            [None, "Đường 2", 2],
            [None, "Đường 3", 3],
            ["Đồng Bục", "Đường 4", 4],
        ],
        merges=["A2:A4"],
    )
    result, kind = run(data)
    assert result.errors == []
    assert [r.values["commune"] for r in kind.rows] == ["Lộc Bình", "Lộc Bình", "Lộc Bình", "Đồng Bục"]


def test_section_total_and_signature_rows_are_not_data() -> None:
    data = xlsx(
        [
            ["STT", "Tên công trình", "Số hộ"],
            ["I", "HUYỆN LỘC BÌNH", None],
            [1, "Đường 1", 10],
            ["II", "HUYỆN CAO LỘC", None],
            [2, "Cộng Hoà", 5],  # a real name that starts like "Cộng"
            [None, "Tổng cộng", 15],
            [],
            [None, "Người lập biểu", None],
            [None, "Nguyễn Văn A", None],
        ]
    )
    result, kind = run(data)
    assert result.errors == []
    assert [r.values["name"] for r in kind.rows] == ["Đường 1", "Cộng Hoà"]
    assert result.skipped == 3


def test_a_numbered_row_is_data_whatever_its_text() -> None:
    # "Tong Cong Minh" (Tống Công Minh typed without marks) reads like "Tổng cộng…"; its STT says it is a row
    data = xlsx(
        [
            ["STT", "Tên công trình", "Số hộ"],
            [1, "Tong Cong Minh", 3],
            [None, "Tong cong", 3],
        ]
    )
    result, kind = run(data)
    assert result.errors == []
    assert [r.values["name"] for r in kind.rows] == ["Tong Cong Minh"]
    assert result.skipped == 1


def test_a_table_that_does_not_start_in_column_a() -> None:
    data = xlsx([["Tên công trình", "Số hộ"], ["A", 1], ["B", "mười"]], start=(3, 2))
    result, kind = run(data)
    assert result.layout["col_offset"] == 2
    assert result.layout["header_rows"] == [4]
    assert [e["row"] for e in result.errors] == [6]
    assert kind.rows[0].values["households"] == 1


def test_the_sheet_with_the_columns_is_chosen() -> None:
    data = xlsx([["Tên công trình", "Số hộ"], ["A", 1]], sheet="Dữ liệu", extra_sheets=["Hướng dẫn"])
    result, kind = run(data)
    assert result.errors == [] and result.layout["sheet"] == "Dữ liệu"
    assert kind.rows[0].values["name"] == "A"


def test_missing_required_column_and_missing_header() -> None:
    result, _k = run(xlsx([["TIÊU ĐỀ"], ["Xã", "Số hộ"], ["Lộc Bình", 1]]))
    assert result.errors[0]["row"] == 2 and "Tên công trình" in result.errors[0]["message"]
    result, _k = run(xlsx([["không", "có"], ["gì", "cả"]]))
    assert result.errors[0]["row"] is None and "Tên công trình" in result.errors[0]["message"]


def test_unreadable_files_are_errors_not_crashes() -> None:
    result, _k = run(b"not a spreadsheet", filename="x.pdf")
    assert "xlsx" in result.errors[0]["message"]
    result, _k = run(b"PK\x03\x04broken zip", filename="x.xlsx")
    assert result.errors and result.errors[0]["row"] is None


def test_tcvn3_workbook_headers_and_cells() -> None:
    data = xlsx(
        [
            [TCVN3["UBND Tỉnh Lạng Sơn"]],
            ["Tªn c«ng tr×nh", "X·", "Sè hé"],
            ["\u00a7\u00adêng Nµ Pµn", TCVN3["Lộc Bình"], 10],
            ["Tr\u00adêng Khuæi", "Mông", 4],
        ]
    )
    result, kind = run(data)
    assert result.errors == []
    assert [r.values["name"] for r in kind.rows] == ["Đường Nà Pàn", "Trường Khuổi"]
    assert kind.rows[0].values["commune"] == "Lộc Bình"
    assert kind.rows[1].values["commune"] == "Mụng"  # ambiguous cell follows its TCVN3 column
    assert result.legacy_encoding == "tcvn3" and result.converted_cells >= 3


def test_vni_workbook() -> None:
    data = xlsx([["Teân coâng trình", "Xaõ"], [VNI["Thôn Nà Pàn"], VNI["Xã Đồng Bục"]]])
    result, kind = run(data)
    assert result.errors == []
    assert (kind.rows[0].values["name"], kind.rows[0].values["commune"]) == ("Thôn Nà Pàn", "Xã Đồng Bục")
    assert result.legacy_encoding == "vni"


def test_neutralised_formula_text_is_read_back() -> None:
    _result, kind = run(xlsx([["Tên công trình"], ['\'=HYPERLINK("x")'], ["=1+2"]], text_cells=True))
    assert [r.values["name"] for r in kind.rows] == ['=HYPERLINK("x")', "=1+2"]


# --- csv and ods -------------------------------------------------------------------------------
ROWS = [
    ["Tên công trình", "Xã", "Tổng mức đầu tư (triệu đồng)", "Ngày khởi công"],
    ["Đường Nà Pàn", "Lộc Bình", "1.234,5", "16/06/2018"],
    ["Nhà văn hoá", "Nhượng Bạn", "226,3", "1/7/18"],
]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1258", "cp1258"), ("utf-16", "utf-16")],
)
def test_csv_encodings(encoding: str, expected: str) -> None:
    data = csv_bytes(ROWS, encoding=encoding, delimiter="\t" if encoding == "utf-16" else ",")
    assert detect_csv_encoding(data) == expected
    result, kind = run(data, filename="f.csv")
    assert result.errors == []
    assert [r.values["name"] for r in kind.rows] == ["Đường Nà Pàn", "Nhà văn hoá"]
    assert kind.rows[1].values["commune"] == "Nhượng Bạn"
    assert [r.values["amount"] for r in kind.rows] == [1_234_500_000, 226_300_000]


def test_csv_windows_1258_with_combining_tone_marks() -> None:
    # Windows-1258 writes most tones as combining marks: "ợ" is "ơ" + U+0323.
    data = cp1258("Tên công trình;Xã\r\nNhà văn hoá;Nhượng Bạn\r\n")
    assert b"\xf2" in data  # U+0323 (dot below) as its own byte
    result, kind = run(data, filename="f.csv")
    assert result.errors == []
    assert kind.rows[0].values["name"] == "Nhà văn hoá"
    assert kind.rows[0].values["commune"] == "Nhượng Bạn"


def test_csv_of_a_tcvn3_workbook() -> None:
    text = "Tªn c«ng tr×nh,X·\r\n\u00a7\u00adêng Nµ Pµn,Léc B×nh\r\n"
    data = text.encode("cp1252")
    assert detect_csv_encoding(data) == "cp1252"
    result, kind = run(data, filename="f.csv")
    assert result.errors == []
    assert kind.rows[0].values["name"] == "Đường Nà Pàn"
    assert kind.rows[0].values["commune"] == "Lộc Bình"


def test_csv_in_english_locale_numbers_and_semicolons() -> None:
    rows = [
        ["Tên công trình", "Tổng mức đầu tư (đồng)"],
        ["A", "1,234,567"],
        ["B", "2,000"],
        ["C", "1,234,567.6"],
    ]
    result, kind = run(csv_bytes(rows, delimiter=";"), filename="f.csv")
    assert result.errors == []
    assert [r.values["amount"] for r in kind.rows] == [1_234_567, 2_000, 1_234_568]


def test_ods() -> None:
    data = ods(
        [
            ["UBND TỈNH LẠNG SƠN"],
            [],
            ["Tên công trình", "Số hộ", "Ngày khởi công"],
            ["Đường", 12, dt.date(2018, 6, 16)],
            ["Cầu", "mười", None],
        ]
    )
    result, kind = run(data, filename="f.ods")
    assert kind.rows[0].values["households"] == 12
    assert kind.rows[0].values["start"] == dt.date(2018, 6, 16)
    assert [e["row"] for e in result.errors] == [5]


def test_unknown_options_are_errors() -> None:
    result, _k = run(xlsx([["Tên công trình"], ["A"]]), options={"nope": "1"})
    assert result.errors and "nope" in result.errors[0]["message"]


def test_progress_is_reported() -> None:
    seen: list[str] = []
    rows = [["Tên công trình"]] + [[f"Đường {i}"] for i in range(5000)]
    run(xlsx(rows), progress=lambda phase, done, total: seen.append(phase))
    assert "read" in seen and "prepare" in seen
