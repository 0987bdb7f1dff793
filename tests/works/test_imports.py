"""The `works` and `disbursements` import kinds on real workbooks built here (xlsxwriter, openpyxl)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError

from dantoc.core.imports import registry
from dantoc.core.imports.engine import run_import
from dantoc.core.imports.export import template_workbook
from dantoc.core.imports.legacy import TCVN3_TABLE
from dantoc.core.models import AuditEntry
from dantoc.programs.models import CapitalPlanLine, CapitalType, PlanDecision, Program
from dantoc.works import selectors, services
from dantoc.works.imports import kind_from_name
from dantoc.works.models import Disbursement, Work, WorkKind, WorkStatus, WorkStatusChange
from tests.core.test_imports_support import read_back, xlsx

from .conftest import make_work

pytestmark = pytest.mark.django_db

_TO_TCVN3 = {v: k for k, v in TCVN3_TABLE.items()}


def tcvn3(text: str) -> str:
    """Unicode text as a .VnTime font stores it (TCVN3 "ABC" bytes read as Windows-1252)."""
    return "".join(_TO_TCVN3.get(ch, ch) for ch in text)


def audit_count(model: type) -> int:
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).count()


def errors_by_row(result: Any) -> list[tuple[int | None, str | None]]:
    return [(e["row"], e["column"]) for e in result.errors]


TITLE = [
    ["UBND TỈNH LẠNG SƠN", None, None, None, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    ["BAN DÂN TỘC", None, None, None, "Độc lập - Tự do - Hạnh phúc"],
    [],
    ["DANH SÁCH CÔNG TRÌNH CHƯƠNG TRÌNH 135 NĂM 2018"],
]
TITLE_MERGES = [("A1:C1", "UBND TỈNH LẠNG SƠN"), ("A4:I4", "DANH SÁCH CÔNG TRÌNH CHƯƠNG TRÌNH 135 NĂM 2018")]


def messy_works(bad: bool) -> bytes:
    """What a district sends: title rows, a two-row header with merged cells, a numbering row, the commune
    merged down over its works, TCVN3 text, "1.234.567" amounts, dd/mm/yyyy dates, a total and a footer."""
    rows = [
        *TITLE,
        ["STT", "TÊN CÔNG TRÌNH", "Loại công trình", "Xã", "Thôn/bản", "Chủ đầu tư", "Tổng mức đầu tư (đồng)",
         "Thời gian thực hiện", None],
        [None, None, None, None, None, None, None, "Ngày khởi công", "Ngày hoàn thành (kế hoạch)"],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, "Đường bê tông thôn Nà Lừa", "Đường GTNT", "Thị trấn Lộc Bình", "", "UBND thị trấn Lộc Bình",
         "1.234.567.000", "01/03/2018", "30/11/2018"],
        [2, "Kênh mương Nà Lừa", "thuy loi", None, "", "UBND thị trấn Lộc Bình", "850.000.000", "15/04/2018",
         "31/12/2018"],
        [3, tcvn3("Nhà văn hoá thôn Khòn Pát"), "NVH", tcvn3("Đồng Bục"), "", tcvn3("UBND xã Đồng Bục"),
         500_000_000, dt.date(2018, 5, 2), "2018"],
        [4, "Trường học bản Khiếng", "Trường học", "xa dong buc", "", "", "1.000.000.000",
         "31/02/2018" if bad else "28/02/2018", ""],
        [5, "Cầu treo Khuổi Phầy", "", "Xã Không Có" if bad else "Ba Sơn", "", "", "2.500.000.000",
         "10/06/2018", "20/12/2018"],
        [None, "Tổng cộng", None, None, None, None, "6.084.567.000"],
        [],
        [None, "Người lập biểu", None, None, None, "Thủ trưởng đơn vị"],
    ]  # fmt: skip
    merges = [
        *TITLE_MERGES,
        ("H5:I5", "Thời gian thực hiện"),
        ("A5:A6", "STT"),
        ("B5:B6", "TÊN CÔNG TRÌNH"),
        ("D8:D9", "Thị trấn Lộc Bình"),
    ]
    return xlsx(rows, merges=merges)


def test_messy_works_workbook_is_reported_then_imported_then_unchanged(tree, users) -> None:
    before = (Work.objects.count(), AuditEntry.objects.count())
    result = run_import("works", messy_works(bad=True), user=users.officer, filename="congtrinh.xlsx")
    assert errors_by_row(result) == [(11, "Ngày khởi công"), (12, "Xã")]
    assert "31/02/2018" in result.errors[0]["message"]
    assert "Xã Không Có" in result.errors[1]["message"] and "/" in result.errors[1]["message"]
    assert (Work.objects.count(), AuditEntry.objects.count()) == before  # nothing written
    assert result.created == result.updated == result.unchanged == 0

    result = run_import("works", messy_works(bad=False), user=users.officer, filename="congtrinh.xlsx")
    assert result.errors == []
    assert result.as_dict() == {"rows": 5, "created": 5, "updated": 0, "unchanged": 0, "errors": []}
    assert result.legacy_encoding == "tcvn3" and result.skipped >= 2  # numbering and total rows
    works = {w.name: w for w in Work.objects.select_related("program", "unit")}
    assert sorted(w.code for w in works.values()) == [f"CT-2018-000{i}" for i in range(1, 6)]
    road = works["Đường bê tông thôn Nà Lừa"]
    assert (road.kind, road.unit, road.program.code, road.year) == (
        WorkKind.ROAD,
        tree.tt_loc_binh,
        "P135",
        2018,
    )
    assert road.total_investment_vnd == 1_234_567_000
    assert (road.planned_start, road.planned_completion) == (dt.date(2018, 3, 1), dt.date(2018, 11, 30))
    assert road.status == WorkStatus.PROPOSED and road.owner == users.officer
    assert road.investor == "UBND thị trấn Lộc Bình" and road.name_folded == "duong be tong thon na lua"
    assert works["Kênh mương Nà Lừa"].unit == tree.tt_loc_binh  # the merged commune cell
    assert works["Kênh mương Nà Lừa"].kind == WorkKind.IRRIGATION
    house = works["Nhà văn hoá thôn Khòn Pát"]  # repaired from TCVN3
    assert (house.unit, house.kind, house.investor) == (
        tree.dong_buc,
        WorkKind.CULTURAL_HOUSE,
        "UBND xã Đồng Bục",
    )
    assert house.planned_completion == dt.date(2018, 12, 31)  # a bare year: its last day
    assert works["Cầu treo Khuổi Phầy"].kind == WorkKind.BRIDGE  # from the name
    assert works["Cầu treo Khuổi Phầy"].unit == tree.ba_son
    assert WorkStatusChange.objects.filter(status=WorkStatus.PROPOSED).count() == 5
    entry = AuditEntry.objects.get(object_id=str(road.pk), content_type__model="work")
    assert entry.action == "create" and entry.actor == users.officer and entry.after["code"] == road.code

    audits = AuditEntry.objects.count()
    again = run_import("works", messy_works(bad=False), user=users.officer, filename="congtrinh.xlsx")
    assert again.as_dict() == {"rows": 5, "created": 0, "updated": 0, "unchanged": 5, "errors": []}
    assert AuditEntry.objects.count() == audits and Work.objects.count() == 5


def test_a_changed_row_updates_its_work_with_an_audit_entry(tree, users) -> None:
    rows = [
        [
            "Tên công trình",
            "Xã",
            "Tổng mức đầu tư (triệu đồng)",
            "Ngày hoàn thành (kế hoạch)",
            "Chương trình",
            "Năm",
        ],
        ["Đường Nà Lừa", "Đồng Bục", "1.200", "30/11/2018", "P135", 2018],
    ]
    assert run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx").created == 1
    work = Work.objects.get()
    assert work.total_investment_vnd == 1_200_000_000 and work.version == 1
    rows[1][2], rows[1][3] = "1.250,5", "15/12/2018"
    result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx")
    assert result.as_dict() == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0, "errors": []}
    work.refresh_from_db()
    assert work.total_investment_vnd == 1_250_500_000 and work.planned_completion == dt.date(2018, 12, 15)
    assert work.version == 2 and work.code == "CT-2018-0001"
    entry = AuditEntry.objects.filter(object_id=str(work.pk), action="update").get()
    assert entry.before["total_investment_vnd"] == 1_200_000_000
    assert entry.after["total_investment_vnd"] == 1_250_500_000
    assert entry.after["planned_completion"] == "2018-12-15"


def works_file(*rows: list[Any], header: list[str] | None = None) -> bytes:
    head = header or [
        "Mã công trình",
        "Tên công trình",
        "Loại công trình",
        "Xã",
        "Tổng mức đầu tư",
        "Chương trình",
        "Năm",
    ]
    return xlsx([head, *rows])


def test_codes_identify_works_ignoring_case_and_a_coded_row_codes_an_imported_work(tree, users) -> None:
    first = works_file(["", "Đường Nà Lừa", "Đường", "Đồng Bục", 100, "P135", 2018],
                       ["LB-02", "Cầu Khuổi Phầy", "Cầu", "Đồng Bục", 200, "P135", 2018])  # fmt: skip
    assert run_import("works", first, user=users.officer, filename="w.xlsx").created == 2
    assert sorted(Work.objects.values_list("code", flat=True)) == ["CT-2018-0001", "LB-02"]
    # The same works, now with codes typed in another case and a code for the first one.
    second = works_file(["LB-01", "Đường Nà Lừa", "Đường", "Đồng Bục", 100, "P135", 2018],
                        ["lb-02", "Cầu Khuổi Phầy", "Cầu", "Đồng Bục", 200, "P135", 2018])  # fmt: skip
    result = run_import("works", second, user=users.officer, filename="w.xlsx")
    assert result.as_dict() == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "errors": []}
    assert sorted(Work.objects.values_list("code", flat=True)) == ["LB-01", "LB-02"]
    # A coded work keeps its code: another code with the same name is another work.
    third = works_file(["LB-03", "Cầu Khuổi Phầy", "Cầu", "Đồng Bục", 200, "P135", 2018])
    assert run_import("works", third, user=users.officer, filename="w.xlsx").created == 1


def test_kinds_aliases_and_kinds_from_names() -> None:
    kind = registry.get("works").column("kind")
    from dantoc.core.imports.columns import CellContext

    ctx = CellContext()
    for text, expected in [
        ("Đường giao thông", "road"), ("ĐƯỜNG GTNT", "road"), ("cau", "bridge"), ("Trường học", "school"),
        ("Thủy lợi", "irrigation"), ("Kênh mương", "irrigation"), ("nước sinh hoạt", "water"), ("Điện", "power"),
        ("Nhà văn hóa", "cultural_house"), ("NVH", "cultural_house"), ("Chợ", "market"), ("Trạm y tế", "health_post"),
    ]:  # fmt: skip
        assert kind.parse(text, ctx) == expected, text
    assert kind_from_name("Nâng cấp đường vào trường học bản Khiếng") == "road"
    assert kind_from_name("Đường điện hạ thế thôn Nà Pàn") == "power"
    assert kind_from_name("Xây mới chợ Na Dương") == "market"
    assert kind_from_name("Hỗ trợ giống cây trồng") == "other"


def test_programme_by_code_or_name_and_year_within_its_period(tree, users) -> None:
    rows = [
        ["", "Đường A", "Đường", "Đồng Bục", 1, "ct135", 2018],
        ["", "Đường B", "Đường", "Đồng Bục", 1, "Chuong trinh 30a", 2018],
        ["", "Đường C", "Đường", "Đồng Bục", 1, "CTMTQG giảm nghèo bền vững", 2019],
        ["", "Đường D", "Đường", "Đồng Bục", 1, "Chương trình không có", 2018],
        ["", "Đường E", "Đường", "Đồng Bục", 1, "P135", 2022],
        ["", "Đường F", "Đường", "Đồng Bục", 1, "", 2018],
    ]
    result = run_import("works", works_file(*rows), user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(5, "Chương trình"), (6, "Năm"), (7, "Chương trình")]
    assert "P135" in result.errors[0]["message"] and "2016-2020" in result.errors[1]["message"]
    result = run_import("works", works_file(*rows[:3]), user=users.officer, filename="w.xlsx")
    assert result.created == 3
    assert sorted(Work.objects.values_list("program__code", flat=True)) == ["30A", "NTP-GNBV-2016", "P135"]


def test_programme_and_year_given_with_the_file(tree, users) -> None:
    rows = [["Tên công trình", "Xã", "Tổng mức đầu tư"], ["Đường A", "Đồng Bục", 5]]
    result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(2, "Năm")]
    result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx", options={"year": "2018"})
    assert errors_by_row(result) == [(2, "Chương trình")]
    options = {"year": "2018", "program": "Chương trình 135"}
    result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx", options=options)
    assert result.created == 1 and Work.objects.get().program.code == "P135"


def test_communes_villages_and_district_level_works(tree, users) -> None:
    rows = [
        ["Tên công trình", "Xã", "Thôn/bản", "Tổng mức đầu tư", "Chương trình", "Năm"],
        ["Nhà văn hoá Nà Pàn", "Xã Lộc Bình", "Thôn Nà Pàn", 10, "NTP-2026", 2026],
        ["Đường Nà Pàn", "LỘC BÌNH", "na pan", 10, "NTP-2026", 2026],
        ["Đường liên xã", "Huyện Lộc Bình", "", 10, "P135", 2018],
        ["Đường thị trấn", "TT Lộc Bình", "", 10, "P135", 2018],
        ["Đường cũ", "Đồng Bục", "", 10, "NTP-2026", 2026],  # abolished on 1 July 2025
        ["Trạm y tế", "Xã Lộc Bình", "Bản Không Có", 10, "NTP-2026", 2026],
    ]
    result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(6, "Xã"), (7, "Thôn/bản")]
    result = run_import("works", xlsx(rows[:5]), user=users.officer, filename="w.xlsx")
    assert result.created == 4
    works = {w.name: w for w in Work.objects.all()}
    assert (
        works["Nhà văn hoá Nà Pàn"].village == tree.village and works["Đường Nà Pàn"].village == tree.village
    )
    assert works["Đường Nà Pàn"].unit == tree.xa_loc_binh
    assert works["Đường liên xã"].unit == tree.loc_binh and works["Đường thị trấn"].unit == tree.tt_loc_binh


def test_rows_outside_the_users_area_are_row_errors(tree, users) -> None:
    other = make_work(users.officer, _p135_cat(), tree.ba_son, code="BS-01", name="Đường Ba Sơn")
    rows = [
        ["Mã công trình", "Tên công trình", "Xã", "Tổng mức đầu tư", "Chương trình", "Năm"],
        ["", "Đường Nà Lừa", "Đồng Bục", 10, "P135", 2018],
        ["", "Đường Ba Sơn mới", "Ba Sơn", 10, "P135", 2018],
        ["BS-01", "Đường Ba Sơn", "Đồng Bục", 10, "P135", 2018],
    ]
    result = run_import("works", xlsx(rows), user=users.district, filename="w.xlsx")
    assert errors_by_row(result) == [(3, "Xã"), (4, "Mã công trình")]
    assert (
        "ngoài phạm vi" in result.errors[0]["message"] and "outside your area" in result.errors[1]["message"]
    )
    assert Work.objects.get() == other
    viewer = run_import("works", xlsx(rows[:2]), user=users.viewer, filename="w.xlsx")
    assert viewer.errors and not viewer.rows


def _p135_cat() -> Any:
    class Cat:
        p135 = Program.objects.get(code="P135")

    return Cat


def test_duplicates_and_refused_updates(tree, users, cat) -> None:
    rows = [
        ["", "Đường Nà Lừa", "Đường", "Đồng Bục", 10, "P135", 2018],
        ["", "đường nà lừa", "Đường", "Xã Đồng Bục", 10, "P135", 2018],
        ["A-1", "Cầu", "Cầu", "Đồng Bục", 10, "P135", 2018],
        ["a-1", "Cầu khác", "Cầu", "Đồng Bục", 10, "P135", 2018],
        ["B-1", "Nhà văn hoá", "", "Đồng Bục", 10, "P135", 2018],
        ["B-2", "Nhà văn hoá", "", "Đồng Bục", 10, "P135", 2018],  # two coded works may share a name
    ]
    result = run_import("works", works_file(*rows), user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(3, None), (5, None)]
    assert "dòng 2" in result.errors[0]["message"] and "row 4" in result.errors[1]["message"]
    work = make_work(
        users.officer, cat, tree.dong_buc, code="P-1", name="Đường có giải ngân", plan_lines=[cat.line]
    )
    services.record_disbursement(
        users.officer, work=work, date=dt.date(2018, 6, 1), amount_vnd=5, source=cat.central
    )
    moved = works_file(["P-1", "Đường có giải ngân", "Đường", "Ba Sơn", 10, "P135", 2018],
                       ["P-1", "Đường có giải ngân", "Đường", "Đồng Bục", 10, "P135", 2019])  # fmt: skip
    result = run_import("works", moved, user=users.officer, filename="w.xlsx")
    assert (2, "Xã") in errors_by_row(result) and "giải ngân" in result.errors[0]["message"]
    reprogrammed = works_file(["P-1", "Đường có giải ngân", "Đường", "Đồng Bục", 10, "30A", 2018])
    result = run_import("works", reprogrammed, user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(2, "Chương trình")]


def test_an_ambiguous_name_without_code_asks_for_the_code(tree, users, cat) -> None:
    for code in ("X-1", "X-2"):
        make_work(users.officer, cat, tree.dong_buc, code=code, name="Nhà văn hoá")
    result = run_import(
        "works",
        works_file(["", "Nhà văn hoá", "", "Đồng Bục", 10, "P135", 2018]),
        user=users.officer,
        filename="w.xlsx",
    )
    assert errors_by_row(result) == [(2, "Tên công trình")] and "X-1, X-2" in result.errors[0]["message"]


def test_money_units_of_the_header(tree, users) -> None:
    for header, cell, expected in [
        ("Tổng mức đầu tư (đồng)", "1.234.567", 1_234_567),
        ("Tổng mức đầu tư (nghìn đồng)", 1500, 1_500_000),
        ("TMĐT (triệu đồng)", "226,3", 226_300_000),
        ("Tổng mức đầu tư (tỷ đồng)", 2.5, 2_500_000_000),
    ]:
        Work.objects.all().delete()
        rows = [
            ["Tên công trình", "Xã", header, "Chương trình", "Năm"],
            ["Đường", "Đồng Bục", cell, "P135", 2018],
        ]
        result = run_import("works", xlsx(rows), user=users.officer, filename="w.xlsx")
        assert result.errors == [], header
        assert Work.objects.get().total_investment_vnd == expected, header


def test_set_based_queries(tree, users, django_assert_max_num_queries) -> None:
    rows = [["", f"Đường số {i}", "Đường", ["Đồng Bục", "Thị trấn Lộc Bình", "Ba Sơn"][i % 3], 1000 + i, "P135", 2018]
            for i in range(300)]  # fmt: skip
    data = works_file(*rows)
    with django_assert_max_num_queries(40):
        result = run_import("works", data, user=users.officer, filename="w.xlsx")
    assert result.created == 300
    with django_assert_max_num_queries(30):
        assert run_import("works", data, user=users.officer, filename="w.xlsx").unchanged == 300


def test_template_and_documentation() -> None:
    for slug in ("works", "disbursements"):
        kind = registry.get(slug)
        doc = type(kind).__doc__ or ""
        for column in kind.columns:
            assert column.label in doc, (slug, column.label)
        header = read_back(template_workbook(kind))[0]
        assert header == [c.label for c in kind.columns]
    assert read_back(template_workbook(registry.get("works")))[0][:4] == [
        "Mã công trình", "Tên công trình", "Loại công trình", "Xã"
    ]  # fmt: skip


# --- disbursements -----------------------------------------------------------------------------------
@pytest.fixture
def two_works(tree, users, cat) -> tuple[Work, Work]:
    road = make_work(users.officer, cat, tree.dong_buc, name="Đường Nà Lừa", plan_lines=[cat.line])
    canal = make_work(
        users.officer, cat, tree.tt_loc_binh, name="Kênh mương Nà Lừa", kind=WorkKind.IRRIGATION
    )
    return road, canal


def messy_payments(late: bool) -> bytes:
    rows = [
        ["UBND HUYỆN LỘC BÌNH", None, None, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [],
        ["BẢNG TỔNG HỢP GIẢI NGÂN VỐN CHƯƠNG TRÌNH 135 NĂM 2018"],
        ["STT", "Mã công trình", "Tên công trình", "Xã", "Ngày giải ngân", "Số tiền (đồng)", "Nguồn vốn", "Số chứng từ"],
        [1, "CT-2018-0001", "", "", "20/11/2018", "1.234.567", "NSTW", "UNC 01"],
        [2, "", "Đường Nà Lừa", tcvn3("Đồng Bục"), "15/12/2018", "500.000.000", "Ngân sách trung ương", "UNC 02"],
        [3, "", "Kênh mương Nà Lừa", "Thị trấn Lộc Bình", "25/01/2019", 300_000_000, "ngân sách địa phương", ""],
        [4, "", "Kênh mương Nà Lừa", None, "15/02/2019" if late else "31/01/2019", "100.000.000", "NSĐP", "UNC 05"],
        [None, "Cộng", None, None, None, "901.234.567"],
    ]  # fmt: skip
    merges = [("A3:H3", rows[2][0]), ("D7:D8", "Thị trấn Lộc Bình")]
    return xlsx(rows, merges=merges)


def test_messy_payments_are_reported_then_imported_then_unchanged(two_works, users, cat) -> None:
    road, canal = two_works
    result = run_import("disbursements", messy_payments(late=True), user=users.officer, filename="gn.xlsx")
    assert errors_by_row(result) == [(8, "Ngày giải ngân")]
    message = result.errors[0]["message"]
    assert "31/01/2019" in message and "2018" in message and "/" in message
    assert not Disbursement.objects.exists() and audit_count(Disbursement) == 0

    result = run_import("disbursements", messy_payments(late=False), user=users.officer, filename="gn.xlsx")
    assert result.as_dict() == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "errors": []}
    assert result.legacy_encoding == "tcvn3"
    paid = {(d.work_id, d.voucher_number): d for d in Disbursement.objects.all()}
    first = paid[(road.pk, "UNC 01")]
    assert (first.amount_vnd, first.date, first.source, first.plan_year) == (
        1_234_567,
        dt.date(2018, 11, 20),
        cat.central,
        2018,
    )
    assert first.unit == road.unit and first.capital_type == CapitalType.INVESTMENT  # the work's plan line
    assert paid[(canal.pk, "")].source == cat.local and paid[(canal.pk, "UNC 05")].date == dt.date(
        2019, 1, 31
    )
    assert audit_count(Disbursement) == 4
    disbursed = dict(selectors.works(users.officer).values_list("pk", "disbursed_vnd"))
    assert disbursed == {road.pk: 501_234_567, canal.pk: 400_000_000}

    again = run_import("disbursements", messy_payments(late=False), user=users.officer, filename="gn.xlsx")
    assert again.as_dict() == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "errors": []}
    assert Disbursement.objects.count() == 4 and audit_count(Disbursement) == 4


def payments_file(*rows: list[Any]) -> bytes:
    return xlsx(
        [["Mã công trình", "Năm kế hoạch", "Ngày", "Số tiền", "Nguồn vốn", "Loại vốn", "Số chứng từ"], *rows]
    )


def test_a_changed_payment_is_updated_by_its_voucher_or_its_day(two_works, users) -> None:
    rows = [["CT-2018-0001", "", "01/06/2018", 100, "", "", "UNC 1"],
            ["CT-2018-0001", "", "02/06/2018", 200, "NSTW", "", ""]]  # fmt: skip
    assert (
        run_import("disbursements", payments_file(*rows), user=users.officer, filename="g.xlsx").created == 2
    )
    rows = [["CT-2018-0001", "", "03/06/2018", 150, "", "", "unc 1"],
            ["CT-2018-0001", "", "02/06/2018", 250, "NSTW", "Sự nghiệp", ""]]  # fmt: skip
    result = run_import("disbursements", payments_file(*rows), user=users.officer, filename="g.xlsx")
    assert result.as_dict() == {"rows": 2, "created": 0, "updated": 2, "unchanged": 0, "errors": []}
    assert sorted(Disbursement.objects.values_list("date", "amount_vnd", "capital_type", "version")) == [
        (dt.date(2018, 6, 2), 250, "recurrent", 2),
        (dt.date(2018, 6, 3), 150, "investment", 2),
    ]
    entry = (
        AuditEntry.objects.filter(action="update", content_type__model="disbursement").order_by("id").first()
    )
    assert entry is not None and entry.before["amount_vnd"] == 100 and entry.after["amount_vnd"] == 150


def test_the_cut_off_follows_carried_over_capital(tree, users, two_works, cat) -> None:
    road, _canal = two_works
    carry = PlanDecision.objects.create(
        year=2018, revision=PlanDecision.Revision.CARRY_OVER, authority="UBND tỉnh", number="9/QĐ-UBND",
        date=dt.date(2019, 1, 20), unit=tree.province, disburse_until=dt.date(2019, 12, 31),
    )  # fmt: skip
    line = CapitalPlanLine.objects.create(decision=carry, component=cat.infra, unit=tree.loc_binh, source=cat.central,
                                          capital_type=CapitalType.INVESTMENT, amount_vnd=500)  # fmt: skip
    road.plan_lines.add(line)
    rows = [["CT-2018-0001", 2018, "30/06/2019", 10, "", "", "A"],
            ["CT-2018-0002", 2018, "30/06/2019", 10, "NSTW", "", "B"],
            ["CT-2018-0001", 2018, "31/12/2017", 10, "", "", "C"],
            ["CT-2018-0001", 2018, "01/01/2099", 10, "", "", "D"]]  # fmt: skip
    result = run_import("disbursements", payments_file(*rows), user=users.officer, filename="g.xlsx")
    assert errors_by_row(result) == [(3, "Ngày"), (4, "Ngày"), (5, "Ngày")]
    assert "31/01/2019" in result.errors[0]["message"] and "future" in result.errors[2]["message"]
    assert services.deadline(2018, work=road) == dt.date(2019, 12, 31)  # the same rule as the service
    assert (
        run_import("disbursements", payments_file(rows[0]), user=users.officer, filename="g.xlsx").created
        == 1
    )


def test_works_found_by_name_and_commune_or_refused(tree, users, two_works, cat) -> None:
    make_work(users.officer, cat, tree.dong_buc, name="Nhà văn hoá", code="N-1")
    make_work(users.officer, cat, tree.dong_buc, name="Nhà văn hoá", code="N-2", year=2019)
    make_work(users.officer, cat, tree.ba_son, name="Đường Ba Sơn", code="BS-1")
    rows = [
        ["Tên công trình", "Xã", "Năm kế hoạch", "Ngày", "Số tiền", "Nguồn vốn"],
        ["nha van hoa", "Đồng Bục", 2019, "05/05/2019", 10, "NSTW"],  # the 2019 one
        ["Nhà văn hoá", "Đồng Bục", "", "05/05/2018", 10, "NSTW"],  # the 2018 one, by the payment's year
        ["Đường Không Có", "Đồng Bục", "", "05/05/2018", 10, "NSTW"],
        ["Đường Nà Lừa", "Xã Không Có", "", "05/05/2018", 10, "NSTW"],
        ["Đường Ba Sơn", "Ba Sơn", "", "05/05/2018", 10, "NSTW"],
        ["Đường Nà Lừa", "", "", "05/05/2018", 10, "NSTW"],
        ["Kênh mương Nà Lừa", "Lộc Bình", "", "05/05/2018", 10, "Ngân sách xã hội"],
        ["Kênh mương Nà Lừa", "Lộc Bình", "", "05/05/2018", -5, "NSĐP"],
    ]
    result = run_import("disbursements", xlsx(rows), user=users.district, filename="g.xlsx")
    assert errors_by_row(result) == [(4, "Tên công trình"), (5, "Xã"), (6, "Xã"), (7, "Xã"), (8, "Nguồn vốn"),
                                     (9, "Số tiền")]  # fmt: skip
    assert "ngoài phạm vi" in result.errors[2]["message"]
    result = run_import("disbursements", xlsx(rows[:3]), user=users.district, filename="g.xlsx")
    assert result.created == 2
    assert sorted(Disbursement.objects.values_list("work__code", flat=True)) == ["N-1", "N-2"]
    coded = payments_file(
        ["BS-1", "", "05/05/2018", 10, "NSTW", "", ""], ["ZZ-9", "", "05/05/2018", 10, "NSTW", "", ""]
    )
    result = run_import("disbursements", coded, user=users.district, filename="g.xlsx")
    assert errors_by_row(result) == [(2, "Mã công trình"), (3, "Mã công trình")]
    assert "outside your area" in result.errors[0]["message"] and "ZZ-9" in result.errors[1]["message"]


def test_source_defaults_and_missing_columns(two_works, users) -> None:
    rows = [
        ["CT-2018-0001", "", "01/06/2018", 100, "", "", ""],  # the road's plan line: central
        ["CT-2018-0002", "", "01/06/2018", 100, "", "", ""],
    ]  # the canal has no plan line
    result = run_import("disbursements", payments_file(*rows), user=users.officer, filename="g.xlsx")
    assert errors_by_row(result) == [(3, "Nguồn vốn")]
    result = run_import(
        "disbursements",
        payments_file(*rows),
        user=users.officer,
        filename="g.xlsx",
        options={"source": "NSĐP"},
    )
    assert result.created == 2
    assert set(Disbursement.objects.values_list("source__code", flat=True)) == {"local"}
    no_work = xlsx([["Ngày", "Số tiền"], ["01/06/2018", 5]])
    result = run_import("disbursements", no_work, user=users.officer, filename="g.xlsx")
    assert (
        len(result.errors) == 1
        and result.errors[0]["row"] == 1
        and "Mã công trình" in result.errors[0]["message"]
    )


def test_two_payments_of_a_day_need_vouchers(two_works, users) -> None:
    rows = [
        ["CT-2018-0001", "", "01/06/2018", 100, "NSTW", "", ""],
        ["CT-2018-0001", "", "01/06/2018", 50, "NSTW", "", ""],
    ]
    result = run_import("disbursements", payments_file(*rows), user=users.officer, filename="g.xlsx")
    assert errors_by_row(result) == [(3, None)] and "Số chứng từ" in result.errors[0]["message"]


# --- the command line ----------------------------------------------------------------------------------
def cli(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    try:
        call_command("import", *args, "--format", "json", stdout=out, stderr=io.StringIO())
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


def test_command_line_json_and_exit_codes(tree, users, tmp_path: Path, cat) -> None:
    bad, good = tmp_path / "congtrinh-loi.xlsx", tmp_path / "congtrinh.xlsx"
    bad.write_bytes(messy_works(bad=True))
    good.write_bytes(messy_works(bad=False))
    errors_out = tmp_path / "loi.xlsx"
    code, data = cli("works", str(bad), "--user", "tinh", "--errors-out", str(errors_out))
    assert code == 1 and data["created"] == 0 and [e["row"] for e in data["errors"]] == [11, 12]
    assert set(data) == {"rows", "created", "updated", "unchanged", "errors"}
    assert errors_out.exists() and read_back(errors_out.read_bytes())[4][9] == "Lỗi / Errors"
    assert cli("works", str(good), "--user", "tinh", "--dry-run") == (
        0, {"rows": 5, "created": 5, "updated": 0, "unchanged": 0, "errors": []}
    )  # fmt: skip
    assert not Work.objects.exists()
    assert cli("works", str(good), "--user", "tinh")[1]["created"] == 5
    assert cli("works", str(good), "--user", "tinh")[1]["unchanged"] == 5

    Work.objects.all().delete()
    make_work(users.officer, cat, tree.dong_buc, name="Đường Nà Lừa", plan_lines=[cat.line])
    make_work(users.officer, cat, tree.tt_loc_binh, name="Kênh mương Nà Lừa", kind=WorkKind.IRRIGATION)
    payments = tmp_path / "giaingan.xlsx"
    payments.write_bytes(messy_payments(late=True))
    code, data = cli("disbursements", str(payments), "--user", "tinh")
    assert code == 1 and [(e["row"], e["column"]) for e in data["errors"]] == [(8, "Ngày giải ngân")]
    payments.write_bytes(messy_payments(late=False))
    assert cli("disbursements", str(payments), "--user", "tinh") == (
        0, {"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "errors": []}
    )  # fmt: skip
    assert cli("disbursements", str(payments), "--user", "tinh")[1]["unchanged"] == 4
    assert cli("disbursements", str(payments), "--user", "xem")[0] == 1  # a viewer may not import
    assert cli("disbursements", str(tmp_path / "none.xlsx"))[0] == 2


# --- large files: streamed sheets and batches -------------------------------------------------------
@pytest.fixture
def large_file_path(monkeypatch):
    """What a file of a million rows goes through, on small files: the streaming xlsx reader, 2-row batches."""
    from dantoc.core.imports import engine, reading

    monkeypatch.setattr(reading, "STREAM_XML_BYTES", -1)
    monkeypatch.setattr(engine, "BATCH_ROWS", 2)


def test_large_file_path_gives_the_same_results(tree, users, cat, large_file_path, tmp_path: Path) -> None:
    audits = AuditEntry.objects.count()
    result = run_import("works", messy_works(bad=True), user=users.officer, filename="congtrinh.xlsx")
    assert errors_by_row(result) == [(11, "Ngày khởi công"), (12, "Xã")]
    assert (
        not Work.objects.exists() and AuditEntry.objects.count() == audits
    )  # batches 1-2 were clean: rolled back
    dry = run_import(
        "works", messy_works(bad=False), user=users.officer, filename="congtrinh.xlsx", dry_run=True
    )
    assert dry.as_dict()["created"] == 5 and not Work.objects.exists()
    result = run_import("works", messy_works(bad=False), user=users.officer, filename="congtrinh.xlsx")
    assert result.as_dict() == {"rows": 5, "created": 5, "updated": 0, "unchanged": 0, "errors": []}
    assert result.legacy_encoding == "tcvn3" and result.committed
    assert Work.objects.get(name="Kênh mương Nà Lừa").unit == tree.tt_loc_binh  # merged cell, streamed
    assert Work.objects.get(name="Nhà văn hoá thôn Khòn Pát").planned_start == dt.date(
        2018, 5, 2
    )  # a date cell
    assert sorted(Work.objects.values_list("code", flat=True)) == [f"CT-2018-000{i}" for i in range(1, 6)]
    again = run_import("works", messy_works(bad=False), user=users.officer, filename="congtrinh.xlsx")
    assert again.as_dict()["unchanged"] == 5
    # A duplicate in a later batch than its first row is still found.
    rows = [["", f"Đường {i}", "Đường", "Đồng Bục", 10, "P135", 2018] for i in range(5)]
    result = run_import("works", works_file(*rows, rows[0]), user=users.officer, filename="w.xlsx")
    assert errors_by_row(result) == [(7, None)] and "dòng 2" in result.errors[0]["message"]

    Work.objects.all().delete()
    make_work(users.officer, cat, tree.dong_buc, name="Đường Nà Lừa", plan_lines=[cat.line])
    make_work(users.officer, cat, tree.tt_loc_binh, name="Kênh mương Nà Lừa", kind=WorkKind.IRRIGATION)
    path = tmp_path / "gn.xlsx"
    path.write_bytes(messy_payments(late=True))
    errors_out = tmp_path / "loi.xlsx"
    code, data = cli("disbursements", str(path), "--user", "tinh", "--errors-out", str(errors_out))
    assert code == 1 and [e["row"] for e in data["errors"]] == [8]
    assert read_back(errors_out.read_bytes())[7][8].startswith("Ngày giải ngân:")  # the error column
    path.write_bytes(messy_payments(late=False))
    assert cli("disbursements", str(path), "--user", "tinh")[1]["created"] == 4
    assert cli("disbursements", str(path), "--user", "tinh")[1]["unchanged"] == 4
    # A voucher repeated three batches later is still a duplicate.
    rows = [["CT-2018-0001", "", f"0{d}/06/2018", 10, "NSTW", "", f"V{d}"] for d in range(1, 8)]
    result = run_import("disbursements", payments_file(*rows, rows[0]), user=users.officer, filename="g.xlsx")
    assert errors_by_row(result) == [(9, None)] and "dòng 2" in result.errors[0]["message"]


def test_a_damaged_streamed_sheet_is_a_file_error(tree, users, large_file_path) -> None:
    import zipfile

    good = messy_works(bad=False)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the rows
            dst.writestr(item, data)
    result = run_import("works", out.getvalue(), user=users.officer, filename="w.xlsx")
    assert len(result.errors) == 1 and "damaged" in result.errors[0]["message"]
    assert not Work.objects.exists()


def test_audit_entries_written_by_the_database_match_the_services(tree, users, cat) -> None:
    """Created rows get their audit entries from one INSERT … SELECT: the same snapshot `audit.snapshot` takes."""
    from dantoc.core import audit

    rows = [["W-1", 'Đường "Nà Lừa" – nhánh 2', "Đường", "Đồng Bục", "1.234.567", "P135", 2018]]
    assert run_import("works", works_file(*rows), user=users.officer, filename="w.xlsx").created == 1
    work = Work.objects.get()
    entry = AuditEntry.objects.get(content_type__model="work", object_id=str(work.pk))
    assert entry.after == audit.snapshot(work) and entry.before is None
    assert (entry.action, entry.actor, entry.object_repr) == ("create", users.officer, str(work))
    payments = payments_file(["W-1", "", "02/05/2018", "5.000", "NSTW", "Sự nghiệp", "UNC 9"])
    assert run_import("disbursements", payments, user=users.officer, filename="g.xlsx").created == 1
    payment = Disbursement.objects.get()
    entry = AuditEntry.objects.get(content_type__model="disbursement", object_id=str(payment.pk))
    assert entry.after == audit.snapshot(payment) and entry.object_repr == str(payment)
    assert entry.actor == users.officer


def test_payments_are_checked_with_a_few_queries(two_works, users, django_assert_max_num_queries) -> None:
    rows = [["CT-2018-0001" if i % 2 else "ct-2018-0002", "", "01/06/2018", 1000 + i, "NSTW", "", f"UNC {i}"]
            for i in range(300)]  # fmt: skip
    data = payments_file(*rows)
    with django_assert_max_num_queries(25):
        assert run_import("disbursements", data, user=users.officer, filename="g.xlsx").created == 300
    with django_assert_max_num_queries(25):
        assert run_import("disbursements", data, user=users.officer, filename="g.xlsx").unchanged == 300
