"""The `capital-plans` import kind on real workbooks, and the catalogue lookups the imports share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dantoc.core.imports import registry
from dantoc.core.imports.engine import run_import
from dantoc.core.imports.export import template_workbook
from dantoc.core.models import AuditEntry
from dantoc.programs import selectors
from dantoc.programs.imports import (
    CatalogueError,
    ComponentIndex,
    ProgramIndex,
    SourceIndex,
    authority_from_title,
    revision_from_title,
    unit_text_of_authority,
    year_from_title,
)
from dantoc.programs.models import PlanDecision, Program
from dantoc.programs.services import create_plan_decision
from tests.core.test_imports_support import read_back, xlsx

from .conftest import line

pytestmark = pytest.mark.django_db


def errors_by_row(result: Any) -> list[tuple[int | None, str | None]]:
    return [(e["row"], e["column"]) for e in result.errors]


def plan_2018(bad: bool = False, amount: Any = "1.500") -> bytes:
    """A provincial appendix: the decision in the title, "ĐVT: triệu đồng", merged cells, one line a row."""
    rows = [
        ["UBND TỈNH LẠNG SƠN", None, None, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [None, None, None, "Độc lập - Tự do - Hạnh phúc"],
        ["PHỤ LỤC"],
        ["KẾ HOẠCH VỐN CHƯƠNG TRÌNH 135 NĂM 2018"],
        ["(Kèm theo Quyết định số 123/QĐ-UBND ngày 15/12/2017 của UBND tỉnh Lạng Sơn)"],
        [None, None, None, None, None, "ĐVT: triệu đồng"],
        ["STT", "Dự án thành phần", "Đơn vị thực hiện", "Nguồn vốn", "Loại vốn", "Kế hoạch vốn"],
        ["I", "Hỗ trợ đầu tư cơ sở hạ tầng"],
        [1, "P135-1", "Huyện Lộc Bình", "NSTW", "Đầu tư", amount],
        [2, "P135-1", "Huyện Lộc Bình", "Ngân sách địa phương", "Đầu tư", "150"],
        [3, "Dự án không có" if bad else "P135-1", "Huyện Cao Lộc", "NSTW", "ĐTPT", "1.000"],
        ["II", "Hỗ trợ phát triển sản xuất"],
        [4, "P135-2", "Lộc Bình" if bad else "Thị trấn Lộc Bình", "Trung ương", "Sự nghiệp", "226,3"],
        [None, "Tổng cộng", None, None, None, "2.876,3"],
    ]
    merges = [("A1:C1", "UBND TỈNH LẠNG SƠN"), ("A4:F4", rows[3][0]), ("A5:F5", rows[4][0])]
    return xlsx(rows, merges=merges)


def test_a_decision_from_the_title_rows_then_unchanged_then_updated(tree, users, cat) -> None:
    audits = AuditEntry.objects.count()
    result = run_import("capital-plans", plan_2018(bad=True), user=users.officer, filename="kh.xlsx")
    assert errors_by_row(result) == [(11, "Dự án thành phần"), (13, "Đơn vị thực hiện")]
    assert "Lộc Bình" in result.errors[1]["message"]  # the district and the township: which one?
    assert not PlanDecision.objects.exists() and AuditEntry.objects.count() == audits

    result = run_import("capital-plans", plan_2018(), user=users.officer, filename="kh.xlsx")
    assert result.as_dict() == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "errors": []}
    decision = PlanDecision.objects.get()
    assert (decision.number, decision.date, decision.year) == ("123/QĐ-UBND", dt.date(2017, 12, 15), 2018)
    assert decision.authority == "UBND tỉnh Lạng Sơn" and decision.unit == tree.province
    assert decision.revision == PlanDecision.Revision.INITIAL and decision.disburse_until == dt.date(
        2019, 1, 31
    )
    lines = {
        (ln.component.code, ln.unit.name, ln.source.code, ln.capital_type): ln.amount_vnd
        for ln in decision.lines.select_related("component", "unit", "source")
    }
    assert lines == {
        ("P135-1", "Lộc Bình", "central", "investment"): 1_500_000_000,
        ("P135-1", "Lộc Bình", "local", "investment"): 150_000_000,
        ("P135-1", "Cao Lộc", "central", "investment"): 1_000_000_000,
        ("P135-2", "Lộc Bình", "central", "recurrent"): 226_300_000,
    }
    assert selectors.plan_total(users.officer, 2018, "P135") == 2_876_300_000  # the sum of its lines
    assert AuditEntry.objects.count() == audits + 5  # the decision and its lines

    again = run_import("capital-plans", plan_2018(), user=users.officer, filename="kh.xlsx")
    assert again.as_dict() == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "errors": []}
    changed = run_import("capital-plans", plan_2018(amount="1.600"), user=users.officer, filename="kh.xlsx")
    assert changed.as_dict() == {"rows": 4, "created": 0, "updated": 1, "unchanged": 3, "errors": []}
    assert selectors.plan_total(users.officer, 2018, "P135") == 2_976_300_000
    entry = AuditEntry.objects.get(action="update")
    assert (entry.before["amount_vnd"], entry.after["amount_vnd"]) == (1_500_000_000, 1_600_000_000)


def test_decisions_from_columns_and_options(tree, users, cat) -> None:
    rows = [
        ["Số QĐ", "Ngày QĐ", "Cơ quan giao", "Năm", "Loại quyết định", "Chương trình", "Dự án", "Đơn vị", "Nguồn",
         "Số tiền"],
        ["45/QĐ-UBND", "10/01/2018", "UBND huyện Lộc Bình", 2018, "Giao đầu năm", "CT135", "Dự án 1", "Đồng Bục",
         "NSTW", "300.000.000"],
        ["45/QĐ-UBND", "10/01/2018", "UBND huyện Lộc Bình", 2018, "", "ct135", "P135-1.1", "Thị trấn Lộc Bình",
         "NSTW", "200.000.000"],
        ["46/QĐ-UBND", "01/07/2018", "UBND huyện Lộc Bình", 2018, "Điều chỉnh", "P135", "P135-1.1",
         "Thị trấn Lộc Bình", "NSTW", "-50.000.000"],
    ]  # fmt: skip
    result = run_import("capital-plans", xlsx(rows), user=users.district, filename="kh.xlsx")
    assert errors_by_row(result) == [(2, "Dự án")]  # "Dự án 1" is not a P135 component
    rows[1][6] = cat.p135_infra.name.upper()  # the full name, as a title would write it
    result = run_import("capital-plans", xlsx(rows), user=users.district, filename="kh.xlsx")
    assert result.errors == [] and result.created == 3
    decisions = {d.number: d for d in PlanDecision.objects.all()}
    assert decisions["45/QĐ-UBND"].unit == tree.loc_binh and decisions["46/QĐ-UBND"].revision == "adjustment"
    assert decisions["45/QĐ-UBND"].lines.count() == 2
    assert selectors.plan_total(users.district, 2018, "P135") == 450_000_000

    # Options stand in for a file that names no decision at all.
    plain = [["Dự án thành phần", "Đơn vị thực hiện", "Nguồn vốn", "Số tiền (đồng)"],
             ["P135-2", "Xã Đồng Bục", "NSĐP", 5_000_000]]  # fmt: skip
    result = run_import("capital-plans", xlsx(plain), user=users.district, filename="kh.xlsx")
    assert {e["message"].split(" / ")[0] for e in result.errors} == {
        "Thiếu số quyết định.", "Thiếu ngày quyết định.", "Thiếu năm kế hoạch."
    }  # fmt: skip
    options = {"number": "50/QĐ-UBND", "date": "2018-03-01", "year": "2018"}
    result = run_import(
        "capital-plans", xlsx(plain), user=users.district, filename="kh.xlsx", options=options
    )
    assert result.created == 1
    # The district's area no longer exists in 2026: its officer cannot assign 2026 capital from it.
    options_2026 = {"number": "51/QĐ-UBND", "date": "2026-03-01", "year": "2026"}
    result = run_import(
        "capital-plans", xlsx(plain), user=users.district, filename="kh.xlsx", options=options_2026
    )
    assert "did not exist in 2026" in result.errors[0]["message"]
    decision = PlanDecision.objects.get(number="50/QĐ-UBND")
    assert (
        decision.unit == tree.loc_binh and decision.authority == "UBND huyện Lộc Bình"
    )  # the user's own area


def test_plan_rules_scope_and_duplicates(tree, users, cat) -> None:
    create_plan_decision(
        users.officer, year=2018, authority="UBND tỉnh Lạng Sơn", number="1/QĐ-UBND", date=dt.date(2018, 1, 5),
        unit=tree.province, lines=[line(cat.p135_infra, tree.loc_binh, cat.central, 100)],
    )  # fmt: skip
    rows = [
        ["Số quyết định", "Ngày quyết định", "Cơ quan giao", "Năm kế hoạch", "Loại quyết định", "Dự án thành phần",
         "Đơn vị thực hiện", "Nguồn vốn", "Loại vốn", "Số tiền"],
        ["2/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "Điều chỉnh", "P135-1", "Huyện Lộc Bình", "NSTW",
         "", -150],
        ["3/QĐ-UBND", "01/12/2018", "UBND tỉnh Lạng Sơn", 2018, "Kéo dài", "P135-1", "Huyện Lộc Bình", "NSTW", "",
         500],
        ["4/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "", "P135-1", "Huyện Lộc Bình", "NSTW", "", -5],
        ["4/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "", "P135-1", "Huyện Lộc Bình", "NSTW", "", 0],
        ["5/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "", "P135-1", "Huyện Lộc Bình", "NSTW", "", 5],
        ["5/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "", "P135-1", "huyen loc binh", "nstw", "đầu tư", 6],
        ["6/QĐ-UBND", "01/06/2022", "UBND tỉnh Lạng Sơn", 2022, "", "P135-1", "Xã Lộc Bình", "NSTW", "", 5],
    ]  # fmt: skip
    result = run_import("capital-plans", xlsx(rows), user=users.officer, filename="kh.xlsx")
    assert errors_by_row(result) == [(2, "Số tiền"), (3, "Số tiền"), (4, "Số tiền"), (5, "Số tiền"), (7, None),
                                     (8, "Năm kế hoạch")]  # fmt: skip
    assert "105 đồng" in result.errors[0]["message"]  # what was assigned, with the file's own assignment
    assert PlanDecision.objects.count() == 1

    # A district officer: the provincial decision is outside their area, and so is Cao Lộc.
    district = [rows[0], ["7/QĐ-UBND", "01/06/2018", "UBND tỉnh Lạng Sơn", 2018, "", "P135-1", "Huyện Lộc Bình",
                          "NSTW", "", 5],
                ["8/QĐ-UBND", "01/06/2018", "UBND huyện Lộc Bình", 2018, "", "P135-1", "Xã Ba Sơn", "NSTW", "", 5]]  # fmt: skip
    result = run_import("capital-plans", xlsx(district), user=users.district, filename="kh.xlsx")
    assert errors_by_row(result) == [(2, "Cơ quan giao"), (3, "Đơn vị thực hiện")]
    assert all("ngoài phạm vi" in e["message"] for e in result.errors)
    viewer = run_import("capital-plans", xlsx(district), user=users.viewer, filename="kh.xlsx")
    assert viewer.errors and PlanDecision.objects.count() == 1


def test_catalogue_lookups(cat) -> None:
    programs = ProgramIndex()
    for text, code in [("P135", "P135"), ("ct135", "P135"), ("Chương trình 135", "P135"), ("chuong trinh 30a", "30A"),
                       ("Chương trình 1719", "NTP-DTTS-2021"), ("CTMTQG 2026-2035", "NTP-2026")]:  # fmt: skip
        assert programs.match(text).code == code, text
    with pytest.raises(CatalogueError, match="P135"):
        programs.match("Chương trình 999")
    components = ComponentIndex()
    p135 = Program.objects.get(code="P135")
    dtts = Program.objects.get(code="NTP-DTTS-2021")
    assert components.match("p135-1.1", p135).code == "P135-1.1"
    assert components.match("Dự án 4", dtts).code == "DA4"
    assert components.match("Dự án 3 - Tiểu dự án 1", dtts).code == "DA3-TDA1"
    with pytest.raises(CatalogueError):
        components.match("DA4", None)  # several programmes have a "DA4"
    sources = SourceIndex()
    for text, code in [("NSTW", "central"), ("ngân sách trung ương", "central"), ("NSĐP", "local"),
                       ("Ngân sách tỉnh", "local"), ("Vốn ODA", "oda"), ("Nhân dân đóng góp", "people")]:  # fmt: skip
        assert sources.match(text).code == code, text


def test_title_helpers() -> None:
    lines = [
        "UBND TỈNH LẠNG SƠN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "KẾ HOẠCH VỐN ĐIỀU CHỈNH CHƯƠNG TRÌNH 135 NĂM 2018",
        "(Kèm theo Quyết định số 123/QĐ-UBND ngày 15 tháng 12 năm 2017 của Uỷ ban nhân dân huyện Lộc Bình)",
    ]
    assert year_from_title(lines) == 2018
    assert authority_from_title(lines) == "Uỷ ban nhân dân huyện Lộc Bình"
    assert authority_from_title(lines[:2]) == "UBND tỉnh Lạng Sơn"
    assert revision_from_title(lines) == PlanDecision.Revision.ADJUSTMENT
    assert unit_text_of_authority("UBND huyện Lộc Bình") == "huyện Lộc Bình"
    assert unit_text_of_authority("Sở Tài chính") is None


def test_capital_plans_document_their_columns_in_the_template_and_the_upload_page(client, users) -> None:
    kind = registry.get("capital-plans")
    doc = type(kind).__doc__ or ""
    for column in kind.columns:
        assert column.label in doc, column.label
    assert read_back(template_workbook(kind))[0] == [c.label for c in kind.columns]
    client.force_login(users.officer)
    html = client.get("/imports/capital-plans/").content.decode()
    assert "Kế hoạch vốn (quyết định giao vốn)" in html and "Đơn vị thực hiện" in html
    assert 'name="opt_revision"' in html and 'name="opt_year"' in html  # the decision given with the file
    assert client.get("/imports/templates/capital-plans.xlsx").status_code == 200
