"""The unit import kinds on real workbooks: villages, units, classifications, unit statistics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dantoc.core import audit
from dantoc.core.imports.engine import run_import
from dantoc.core.models import AuditEntry
from dantoc.geo.ethnic import ensure_ethnic_groups
from dantoc.geo.imports import UnitMatcher, decision_from_text, split_prefix
from dantoc.geo.models import (
    AdminUnit,
    ClassificationType,
    EthnicGroup,
    Kind,
    Level,
    UnitChange,
    UnitClassification,
    UnitLineage,
    UnitStatistic,
)
from tests.conftest import BEFORE, REFORM
from tests.core.test_imports_support import TCVN3, error_of, openpyxl_xlsx, xlsx

TITLE = [
    ["UBND TỈNH LẠNG SƠN", None, None, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    ["BAN DÂN TỘC", None, None, "Độc lập - Tự do - Hạnh phúc"],
    [],
    ["DANH SÁCH THÔN, BẢN"],
]
MERGES = [("A1:C1", "UBND TỈNH LẠNG SƠN"), ("A4:F4", "DANH SÁCH THÔN, BẢN")]


def villages_of(unit: AdminUnit) -> dict[str, AdminUnit]:
    return {v.name: v for v in AdminUnit.objects.filter(level=Level.VILLAGE, parent=unit)}


def messy_villages(bad: bool) -> bytes:
    """Title rows, merged cells, TCVN3 text, dd/mm/yyyy dates and, when `bad`, an unknown commune."""
    return xlsx(
        [
            *TITLE,
            ["STT", "Xã, phường", "Tên thôn, bản", "Loại", "Hiệu lực từ", "Ghi chú"],
            [1, 2, 3, 4, 5, 6],
            [1, "Xã Lộc Bình", "Thôn Nà Lừa", "Thôn", "01/07/2025", ""],
            [2, TCVN3["Xã Lộc Bình"], TCVN3["Bản Khiếng"], "B¶n", "1/7/2025", "tách từ Nà Pàn"],
            [3, "Xã Không Có" if bad else "xa loc binh", "Bản Pò Mã", "", dt.date(2025, 7, 1), ""],
            [4, "Đồng Bục", "Thôn Khòn Pát", "", "15/03/2010", ""],
        ],
        merges=MERGES,
    )


def test_messy_workbook_is_reported_then_imported_then_unchanged(tree: Any, users: Any) -> None:
    before = AdminUnit.objects.count()
    result = run_import("villages", messy_villages(bad=True), user=users.officer, filename="thon.xlsx")
    assert [(e["row"], e["column"]) for e in result.errors] == [(9, "Xã, phường")]
    assert "Xã Không Có" in result.errors[0]["message"]
    assert AdminUnit.objects.count() == before  # nothing written
    assert not AuditEntry.objects.filter(object_repr__startswith="Thôn Nà Lừa").exists()

    result = run_import("villages", messy_villages(bad=False), user=users.officer, filename="thon.xlsx")
    assert result.errors == []
    assert result.as_dict() == {"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "errors": []}
    assert result.legacy_encoding == "tcvn3"
    new = villages_of(tree.xa_loc_binh)
    assert set(new) == {"Nà Pàn", "Nà Lừa", "Khiếng", "Pò Mã"}
    assert new["Khiếng"].kind == Kind.BAN and new["Khiếng"].note == "tách từ Nà Pàn"
    assert new["Nà Lừa"].valid_from == REFORM
    khon_pat = villages_of(tree.dong_buc)["Khòn Pát"]
    assert khon_pat.valid_from == dt.date(2010, 3, 15) and khon_pat.valid_to == BEFORE  # the commune's end
    assert khon_pat.path == f"{tree.dong_buc.path}{khon_pat.pk}/"
    assert khon_pat.name_folded == "khon pat"

    again = run_import("villages", messy_villages(bad=False), user=users.officer, filename="thon.xlsx")
    assert again.as_dict() == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "errors": []}


def test_a_changed_row_is_updated_with_an_audit_entry(tree: Any, users: Any) -> None:
    rows = [
        ["Xã", "Thôn, bản", "Ghi chú"],
        ["Lộc Bình", "Thôn Nà Pàn", "trung tâm xã"],
        ["Lộc Bình", "Bản Mới", ""],
    ]
    result = run_import("villages", xlsx(rows), user=users.commune, filename="t.xlsx")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    village = AdminUnit.objects.get(pk=tree.village.pk)
    assert village.note == "trung tâm xã" and village.version == 2
    entry = AuditEntry.objects.filter(object_id=str(village.pk), action="update").get()
    assert entry.before["note"] == "" and entry.after["note"] == "trung tâm xã"
    assert entry.actor == users.commune
    # the audit snapshot of a bulk-created village is what audit.snapshot gives for it
    created = AdminUnit.objects.get(name="Mới")
    entry = AuditEntry.objects.filter(object_id=str(created.pk), action="create").get()
    assert entry.after == audit.snapshot(created)
    assert entry.object_repr == "Bản Mới"
    # a correction of spelling (same name without tone marks) updates the name
    rows = [["Xã", "Thôn, bản"], ["Lộc Bình", "Thôn NÀ PÀN"]]
    result = run_import("villages", xlsx(rows), user=users.commune, filename="t.xlsx")
    assert result.updated == 1
    assert AdminUnit.objects.get(pk=tree.village.pk).name == "NÀ PÀN"


def test_commune_names_with_or_without_prefix_and_tone_marks(tree: Any, users: Any) -> None:
    rows = [
        ["Xã", "Thôn"],
        ["Xã Lộc Bình", "A"],
        ["LỘC BÌNH", "B"],
        ["xa loc binh", "C"],
        ["X. Lộc Bình", "D"],
    ]
    result = run_import("villages", xlsx(rows), user=users.officer, filename="t.xlsx")
    assert result.errors == [] and result.created == 4
    assert {"A", "B", "C", "D"} <= set(villages_of(tree.xa_loc_binh))


def test_ambiguous_and_unknown_communes_name_the_candidates(tree: Any, users: Any) -> None:
    other = AdminUnit(
        level=Level.COMMUNE, kind=Kind.XA, code="6099", name="Lộc Bình", parent=tree.cao_loc, valid_to=BEFORE
    )
    other.save()
    rows = [
        ["Xã", "Huyện", "Thôn", "Hiệu lực từ"],
        ["Lộc Bình", "", "Thôn A", "01/01/2020"],  # thị trấn of Lộc Bình, or xã of Cao Lộc
        ["Thị trấn Lộc Bình", "", "Thôn B", "01/01/2020"],
        ["Lộc Bình", "Cao Lộc", "Thôn C", "01/01/2020"],
        ["Đồng Bụt", "", "Thôn D", "01/01/2020"],
        ["Nhượng Bạn", "", "Thôn E", "01/01/2024"],
    ]  # abolished in 2020
    result = run_import("villages", xlsx(rows), user=users.officer, filename="t.xlsx", dry_run=True)
    messages = {e["row"]: e["message"] for e in result.errors}
    assert set(messages) == {2, 5, 6}
    assert (
        "Thị trấn Lộc Bình" in messages[2] and "Xã Lộc Bình" in messages[2] and "Huyện Cao Lộc" in messages[2]
    )
    assert "Đồng Bục" in messages[5]  # the closest name is suggested
    assert "09/01/2020" in messages[6]


def test_an_officer_of_one_commune_cannot_import_villages_into_another(tree: Any, users: Any) -> None:
    rows = [["Xã", "Thôn"], ["Xã Lộc Bình", "Thôn Của Tôi"], ["Xã Cao Lộc", "Thôn Người Khác"]]
    result = run_import("villages", xlsx(rows), user=users.commune, filename="t.xlsx")
    assert [e["row"] for e in result.errors] == [3]
    assert (
        "ngoài phạm vi" in result.errors[0]["message"] and "outside your area" in result.errors[0]["message"]
    )
    assert not AdminUnit.objects.filter(name__in=["Của Tôi", "Người Khác"]).exists()
    # the district officer reaches Lộc Bình's pre-2025 communes, not Cao Lộc's
    rows = [["Xã", "Thôn", "Hiệu lực từ"], ["Đồng Bục", "Thôn X", "2020"], ["Ba Sơn", "Thôn Y", "2020"]]
    result = run_import("villages", xlsx(rows), user=users.district, filename="t.xlsx")
    assert [e["row"] for e in result.errors] == [3]
    result = run_import("villages", xlsx(rows[:2]), user=users.district, filename="t.xlsx")
    assert result.created == 1


def test_read_only_roles_cannot_import(tree: Any, users: Any) -> None:
    rows = [["Xã", "Thôn"], ["Xã Lộc Bình", "Thôn A"]]
    for user in (users.viewer, users.leader):
        result = run_import("villages", xlsx(rows), user=user, filename="t.xlsx")
        assert result.errors and "chỉ được xem" in result.errors[0]["message"]
    assert "A" not in villages_of(tree.xa_loc_binh)


def test_duplicates_periods_and_codes_are_row_errors(tree: Any, users: Any) -> None:
    tree.village.code = "0001"
    tree.village.valid_from = REFORM
    tree.village.save()
    rows = [
        ["Xã", "Thôn", "Mã thôn", "Hiệu lực từ", "Hiệu lực đến"],
        ["Lộc Bình", "Thôn A", "", "01/07/2025", ""],
        ["Lộc Bình", "thon a", "", "01/07/2025", ""],  # the same village again
        ["Lộc Bình", "Thôn B", "", "01/07/2026", "01/07/2025"],  # ends before it starts
        ["Xã Lộc Bình", "Thôn C", "", "01/01/2020", ""],  # before the commune existed
        ["Lộc Bình", "Thôn D", "0001", "", ""],
    ]  # Nà Pàn's code
    result = run_import("villages", xlsx(rows), user=users.officer, filename="t.xlsx")
    by_row = {e["row"]: e for e in result.errors}
    assert set(by_row) == {3, 4, 5, 6}
    assert "dòng 2" in by_row[3]["message"]
    assert by_row[4]["column"] == "Hiệu lực đến"
    assert by_row[5]["column"] == "Xã" and "01/01/2020" in by_row[5]["message"]
    assert by_row[6]["column"] == "Mã thôn"


def test_villages_on_a_date_given_with_the_file(tree: Any, users: Any) -> None:
    rows = [["Xã", "Thôn"], ["Đồng Bục", "Thôn Cũ"]]
    today = run_import("villages", xlsx(rows), user=users.officer, filename="t.xlsx", dry_run=True)
    assert today.errors  # Đồng Bục no longer exists today
    then = run_import(
        "villages", xlsx(rows), user=users.officer, filename="t.xlsx", options={"on": "01/01/2024"}
    )
    assert then.errors == [] and "Cũ" in villages_of(tree.dong_buc)


def test_vertically_merged_commune_cells(tree: Any, users: Any) -> None:
    data = openpyxl_xlsx(
        [["Xã", "Tên thôn"], ["Xã Lộc Bình", "Thôn 1"], [None, "Thôn 2"], [None, "Thôn 3"]], merges=["A2:A4"]
    )
    result = run_import("villages", data, user=users.officer, filename="t.xlsx")
    assert result.errors == [] and result.created == 3


def test_split_prefix() -> None:
    assert split_prefix("Thị trấn Lộc Bình") == ("thi_tran", "Lộc Bình")
    assert split_prefix("TT. Na Sầm") == ("thi_tran", "Na Sầm")
    assert split_prefix("Xã Lộc Bình") == ("xa", "Lộc Bình")
    assert split_prefix("Xuân Dương") == (None, "Xuân Dương")
    assert split_prefix("Tổ dân phố 3") == ("to_dan_pho", "3")
    assert split_prefix("Bản") == (None, "Bản")


def test_unit_matcher_uses_few_queries(tree: Any, users: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(2):
        matcher = UnitMatcher(users.officer, [Level.COMMUNE])
    with django_assert_max_num_queries(0):
        for _ in range(100):
            assert matcher.match("Lộc Bình", on=dt.date(2026, 1, 1)).id == tree.xa_loc_binh.pk


# --- units --------------------------------------------------------------------------------------
def units_file(extra: list[list[Any]] | None = None) -> bytes:
    return xlsx(
        [
            ["DANH SÁCH ĐƠN VỊ HÀNH CHÍNH ĐÃ GIẢI THỂ"],
            [
                "Cấp",
                "Loại",
                "Mã",
                "Tên",
                "Trực thuộc",
                "Hiệu lực từ",
                "Hiệu lực đến",
                "Đơn vị kế thừa",
                "Số văn bản",
                "Ngày văn bản",
            ],
            [
                "Xã",
                "Xã",
                "6360",
                "Xuân Tình",
                "Huyện Lộc Bình",
                "",
                "09/01/2020",
                "Xã Đồng Bục",
                "864/NQ-UBTVQH14",
                "10/01/2020",
            ],
            ["Thôn", "Thôn", "", "Bản Mòng", "Xuân Tình", "", "09/01/2020", "", "", ""],
            *(extra or []),
        ]
    )


def test_units_with_their_change_events(tree: Any, users: Any, settings_demo: Any) -> None:
    result = run_import("units", units_file(), user=users.admin, filename="dv.xlsx")
    assert result.errors == [] and result.created == 2
    xuan_tinh = AdminUnit.objects.get(name="Xuân Tình")
    assert xuan_tinh.parent == tree.loc_binh and xuan_tinh.valid_to == dt.date(2020, 1, 9)
    assert xuan_tinh.path == f"{tree.loc_binh.path}{xuan_tinh.pk}/"
    mong = AdminUnit.objects.get(name="Bản Mòng")
    assert mong.parent == xuan_tinh and mong.level == Level.VILLAGE
    edge = UnitLineage.objects.get(predecessor=xuan_tinh)
    assert edge.successor == tree.dong_buc
    assert edge.change.kind == UnitChange.ChangeKind.MERGE
    assert edge.change.effective_date == dt.date(2020, 1, 10)
    assert edge.change.basis_number == "864/NQ-UBTVQH14"
    again = run_import("units", units_file(), user=users.admin, filename="dv.xlsx")
    assert again.as_dict()["unchanged"] == 2 and again.created == again.updated == 0
    assert UnitLineage.objects.filter(predecessor=xuan_tinh).count() == 1


def test_units_split_with_shares_and_only_for_admins(tree: Any, users: Any, settings_demo: Any) -> None:
    rows = [
        [
            "Loại",
            "Tên",
            "Trực thuộc",
            "Hiệu lực đến",
            "Đơn vị kế thừa",
            "Tỷ lệ chia (%)",
            "Hình thức thay đổi",
        ],
        ["Xã", "Tú Đoạn", "Lộc Bình", "30/06/2025", "Xã Lộc Bình; Xã Cao Lộc", "60; 40", "Chia tách"],
    ]
    refused = run_import("units", xlsx(rows), user=users.officer, filename="dv.xlsx")
    assert refused.errors and "quản trị" in refused.errors[0]["message"]
    result = run_import("units", xlsx(rows), user=users.admin, filename="dv.xlsx")
    assert result.errors == [], result.errors
    tu_doan = AdminUnit.objects.get(name="Tú Đoạn")
    shares = {e.successor.name: e.share for e in UnitLineage.objects.filter(predecessor=tu_doan)}
    assert shares == {"Lộc Bình": Decimal("0.6"), "Cao Lộc": Decimal("0.4")}
    assert UnitLineage.objects.filter(predecessor=tu_doan).first().change.kind == UnitChange.ChangeKind.SPLIT


def test_units_errors(tree: Any, users: Any, settings_demo: Any) -> None:
    rows = [
        ["Loại", "Tên", "Trực thuộc", "Hiệu lực đến", "Đơn vị kế thừa"],
        ["Xã", "Không Cha", "", "", ""],
        ["Xã", "Kế Thừa Sai", "Lạng Sơn", "", "Xã Lộc Bình"],  # successors need an end date
        ["Quận", "Sai Cấp", "Lạng Sơn", "", ""],
    ]
    result = run_import("units", xlsx(rows), user=users.admin, filename="dv.xlsx")
    assert {(e["row"], e["column"]) for e in result.errors} >= {(2, "Trực thuộc"), (3, "Hiệu lực đến")}
    assert not AdminUnit.objects.filter(name__in=["Không Cha", "Kế Thừa Sai", "Sai Cấp"]).exists()


# --- classifications ----------------------------------------------------------------------------
def classification_file(extra: list[list[Any]] | None = None) -> bytes:
    return xlsx(
        [
            ["THỦ TƯỚNG CHÍNH PHỦ"],
            ["DANH SÁCH CÁC XÃ KHU VỰC III"],
            ["(Kèm theo Quyết định số 861/QĐ-TTg ngày 04/6/2021 của Thủ tướng Chính phủ)"],
            [],
            ["STT", "Tên xã", "Huyện", "Phân loại"],
            [1, "Đồng Bục", "Lộc Bình", "Khu vực III"],
            [2, "Xã Ba Sơn", "Huyện Cao Lộc", "KV III"],
            *(extra or []),
        ]
    )


def test_classification_list_takes_the_decision_from_the_title(tree: Any, users: Any) -> None:
    assert ClassificationType.objects.filter(code="region-3").exists()
    result = run_import("classifications", classification_file(), user=users.officer, filename="kv.xlsx")
    assert result.errors == [] and result.created == 2
    rows = UnitClassification.objects.select_related("type").order_by("unit__name")
    assert [(c.unit.name, c.type.code, c.basis_number, c.basis_date, c.valid_from) for c in rows] == [
        ("Ba Sơn", "region-3", "861/QĐ-TTg", dt.date(2021, 6, 4), dt.date(2021, 6, 4)),
        ("Đồng Bục", "region-3", "861/QĐ-TTg", dt.date(2021, 6, 4), dt.date(2021, 6, 4)),
    ]
    again = run_import("classifications", classification_file(), user=users.officer, filename="kv.xlsx")
    assert again.unchanged == 2


def test_classification_of_villages_and_ambiguous_types(tree: Any, users: Any) -> None:
    rows = [
        ["Tên thôn", "Xã", "Phân loại", "Số quyết định", "Từ ngày", "Đến ngày"],
        ["Nà Pàn", "Lộc Bình", "ĐBKK", "433/QĐ-UBDT", "2025-07-01", "2025"],
        ["Xã Lộc Bình", "", "ĐBKK", "433/QĐ-UBDT", "2025-07-01", ""],
        ["Nà Pàn", "Lộc Bình", "Thôn hạnh phúc", "433/QĐ-UBDT", "2025-07-01", ""],
    ]
    result = run_import("classifications", xlsx(rows), user=users.officer, filename="t.xlsx")
    assert [e["row"] for e in result.errors] == [4]
    assert "region-3" in result.errors[0]["message"]  # the known types are listed
    result = run_import("classifications", xlsx(rows[:3]), user=users.officer, filename="t.xlsx")
    assert result.errors == []
    village = UnitClassification.objects.get(unit=tree.village)
    assert village.type.code == "dbkk-village" and village.valid_to == dt.date(2025, 12, 31)
    assert UnitClassification.objects.get(unit=tree.xa_loc_binh).type.code == "dbkk-commune"


def test_decision_from_text() -> None:
    assert decision_from_text("Kèm theo Quyết định số 861/QĐ-TTg ngày 04/6/2021 của Thủ tướng") == (
        "861/QĐ-TTg",
        dt.date(2021, 6, 4),
    )
    assert decision_from_text("Nghị quyết số 1672/NQ-UBTVQH15 ngày 16 tháng 6 năm 2025") == (
        "1672/NQ-UBTVQH15",
        dt.date(2025, 6, 16),
    )
    assert decision_from_text("DANH SÁCH CÁC XÃ") == (None, None)


# --- unit statistics ----------------------------------------------------------------------------
def statistics_file(poor: int = 30, group: str = "H'Mông") -> bytes:
    return openpyxl_xlsx(
        [
            ["SỐ LIỆU DÂN SỐ, HỘ NGHÈO NĂM 2024"],
            ["STT", "Xã", "Năm", "Dân tộc", "Dân số", "Số hộ", None, None, None],
            [None, None, None, None, None, "Tổng số", "DTTS", "Nghèo", "Cận nghèo"],
            ["A", "B", 1, 2, 3, 4, 5, 6, 7],
            [1, "Thị trấn Lộc Bình", 2024, None, "12.345", 3100, 2800, poor, 20],
            [2, "Đồng Bục", 2024, "Nùng", 5000, 1200, 1150, 80, 40],
            [3, "Đồng Bục", 2024, group, 300, 60, 60, 25, 5],
        ],
        merges=["F2:I2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3"],
    )


def test_unit_statistics_with_a_two_row_header_and_ethnic_groups(tree: Any, users: Any) -> None:
    ensure_ethnic_groups()
    result = run_import("unit-statistics", statistics_file(), user=users.district, filename="sl.xlsx")
    assert result.errors == [] and result.created == 3
    total = UnitStatistic.objects.get(unit=tree.tt_loc_binh, year=2024, ethnic_group__isnull=True)
    assert (
        total.population,
        total.households,
        total.em_households,
        total.poor_households,
        total.near_poor_households,
    ) == (12345, 3100, 2800, 30, 20)
    mong = UnitStatistic.objects.get(unit=tree.dong_buc, ethnic_group=EthnicGroup.objects.get(code="08"))
    assert mong.population == 300
    again = run_import("unit-statistics", statistics_file(), user=users.district, filename="sl.xlsx")
    assert again.unchanged == 3
    changed = run_import("unit-statistics", statistics_file(poor=31), user=users.district, filename="sl.xlsx")
    assert (changed.updated, changed.unchanged) == (1, 2)
    assert UnitStatistic.objects.get(pk=total.pk).poor_households == 31


def test_unit_statistics_errors(tree: Any, users: Any) -> None:
    ensure_ethnic_groups()
    result = run_import(
        "unit-statistics",
        statistics_file(poor=5000, group="Mèo Vạc"),
        user=users.district,
        filename="sl.xlsx",
    )
    by_row = {e["row"]: e for e in result.errors}
    assert set(by_row) == {5, 7}
    assert by_row[5]["column"] == "Số hộ Nghèo"  # the group header and its sub-header
    assert "Mèo Vạc" in by_row[7]["message"]
    assert not UnitStatistic.objects.exists()
    # 2025 has both structures: "Lộc Bình" is then the thị trấn or the new xã
    rows = [["Xã", "Năm", "Dân số"], ["Lộc Bình", 2025, 100]]
    result = run_import("unit-statistics", xlsx(rows), user=users.officer, filename="sl.xlsx")
    assert "Thị trấn Lộc Bình" in error_of(result, 2)[0]["message"]
    rows = [["Mã đơn vị", "Đơn vị", "Năm", "Dân số"], ["6325", "Lộc Bình", 2026, 100]]
    result = run_import("unit-statistics", xlsx(rows), user=users.officer, filename="sl.xlsx")
    assert result.errors == [] and UnitStatistic.objects.get().unit == tree.xa_loc_binh


@pytest.mark.parametrize("slug", ["units", "villages", "classifications", "unit-statistics"])
def test_kinds_document_their_columns(slug: str) -> None:
    from dantoc.core.imports import registry

    kind = registry.get(slug)
    doc = type(kind).__doc__ or ""
    for column in kind.columns:
        assert column.label in doc, column.label
