"""The `households` and `support` import kinds on real workbooks."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pytest

from dantoc.core.imports.engine import run_import
from dantoc.core.imports.legacy import TCVN3_TABLE
from dantoc.core.models import AuditEntry
from dantoc.households.imports import likely_duplicates_of_last_import
from dantoc.households.models import Household, Person, PovertyStatus, SupportRecord
from tests.core.test_imports_support import xlsx

pytestmark = pytest.mark.django_db

_TO_TCVN3 = {v: k for k, v in TCVN3_TABLE.items()}


def tcvn3(text: str) -> str:
    """Unicode text as a .VnTime font stores it (TCVN3 bytes read as Windows-1252)."""
    return "".join(_TO_TCVN3.get(ch, ch) for ch in text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def errors_by_row(result: Any) -> dict[int | None, list[str | None]]:
    out: dict[int | None, list[str | None]] = {}
    for e in result.errors:
        out.setdefault(e["row"], []).append(e["column"])
    return out


HEADER = ["STT", "Họ và tên", "Quan hệ với chủ hộ", "Ngày sinh", "Giới tính", "Dân tộc", "Số CMND/CCCD",
          "Thôn/bản", "Xã", "Phân loại hộ"]  # fmt: skip
SERIAL_2009_07_06 = 40000  # Excel serial number of 06/07/2009


def commune_list(fixed: bool) -> bytes:
    """A messy commune list: title rows, a TCVN3 column, decomposed names, dates of every shape."""
    dup = "020080005678" if fixed else "020080001234"  # row 10 repeats row 7's ID
    impossible = "020190001999" if fixed else "099190001999"  # no province 099
    village = "Nà Pàn" if fixed else "Bản Không Có"
    rows: list[list[Any]] = [
        ["UỶ BAN NHÂN DÂN XÃ LỘC BÌNH"],
        ["DANH SÁCH NHÂN KHẨU NĂM 2026"],
        [],
        HEADER,
        [1, nfd("Hoàng Văn Lợi"), "Chủ hộ", "12/05/1980", "Nam", tcvn3("Nùng"), "020080001234", tcvn3("Nà Pàn"),
         "Lộc Bình", "Nghèo"],
        [2, nfd("Lý Thị Hoa"), "Vợ", 1982, "Nữ", tcvn3("Tày"), "020182001235", "", "", ""],
        [3, "Hoàng Văn An", "Con", SERIAL_2009_07_06, "Nam", tcvn3("Nùng"), "", "", "", ""],
        [4, nfd("Nông Văn Bình"), "Chủ hộ", "01/06/1980", "Nam", tcvn3("Tày"), dup, tcvn3("Nà Pàn"), "Lộc Bình",
         "Cận nghèo"],
        [5, "Lê Thị Cúc", "Chủ hộ", "1990", "Nữ", "Kinh", impossible, tcvn3("Nà Pàn"), "Lộc Bình", "Không"],
        [6, "Đinh Văn Dũng", "Chủ hộ", dt.date(1985, 3, 2), "Nam", tcvn3("Nùng"), "", village, "Lộc Bình",
         "Thoát nghèo"],
        [7, "Vi Thị Mây", "Chủ hộ", 1986, "Nữ", tcvn3("Nùng"), "", tcvn3("Nà Pàn"), "Lộc Bình", "Nghèo"],
    ]  # fmt: skip
    return xlsx(rows)


def test_a_messy_commune_list_rejected_then_imported_then_unchanged(world, users) -> None:
    persons, households = Person.objects.count(), Household.objects.count()
    bad = run_import(
        "households", commune_list(False), user=users.commune, filename="nk.xlsx", options={"year": 2026}
    )
    by_row = errors_by_row(bad)
    assert by_row == {8: ["Số CMND/CCCD"], 9: ["Số CMND/CCCD"], 10: ["Thôn/bản"]}, bad.errors
    messages = " ".join(e["message"] for e in bad.errors)
    assert "dòng 5" in messages and "099" in messages and "Bản Không Có" in messages
    assert not bad.committed
    assert (Person.objects.count(), Household.objects.count()) == (persons, households)

    good = run_import(
        "households", commune_list(True), user=users.commune, filename="nk.xlsx", options={"year": 2026}
    )
    assert good.errors == [] and good.committed
    assert (good.created, good.updated, good.unchanged) == (7, 0, 0)
    loi = Person.objects.get(id_number="020080001234")
    assert loi.full_name == "Hoàng Văn Lợi" and unicodedata.is_normalized("NFC", loi.full_name)
    assert loi.birth_date == dt.date(1980, 5, 12) and loi.ethnic_group.name == "Nùng"
    hoa = Person.objects.get(id_number="020182001235")
    assert (hoa.birth_year, hoa.birth_date, hoa.household_id, hoa.relation) == (
        1982,
        None,
        loi.household_id,
        "spouse",
    )
    an = Person.objects.get(full_name="Hoàng Văn An")
    assert an.birth_date == dt.date(2009, 7, 6) and an.household_id == loi.household_id
    assert loi.household.village_id == world.village.pk
    assert PovertyStatus.objects.get(household=loi.household, year=2026).status == "poor"
    assert Household.objects.count() == households + 5
    assert AuditEntry.objects.filter(object_id=str(loi.pk)).exists()
    # Vi Thị Mây 1986 in Nà Pàn looks like the stored Vi Thị Mai 1986: listed, not merged
    dups = likely_duplicates_of_last_import()
    assert any(d.get("person") == world.head.pk and d["row"] == 11 for d in dups), dups
    (notice,) = good.notices  # shown with the result, with a link to the commune's review page
    assert "may be the same (similar name, birth year, village): 1." in notice["message"]
    assert (notice["route"], notice["query"]) == ("households:duplicates", f"unit={world.village.parent_id}")
    assert Person.objects.filter(full_name="Vi Thị Mây").exists()
    assert Person.objects.get(pk=world.head.pk).full_name == "Vi Thị Mai"

    again = run_import(
        "households", commune_list(True), user=users.commune, filename="nk.xlsx", options={"year": 2026}
    )
    assert again.errors == []
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert again.notices == []  # nothing new to compare
    assert Household.objects.count() == households + 5


@pytest.mark.parametrize("fork", [True, False])
def test_likely_duplicates_are_the_same_computed_beside_or_in_place(world, users, monkeypatch, fork) -> None:
    if not fork:
        monkeypatch.setenv("DANTOC_NO_FORK", "1")
    rows = [
        HEADER,
        [1, "Vi Thi May", "Chủ hộ", 1986, "Nữ", "Nùng", "", "Nà Pàn", "Lộc Bình", ""],
        [2, "Vi Thị Mây", "Chủ hộ", 1986, "Nữ", "Nùng", "", "Nà Pàn", "Lộc Bình", ""],
        [3, "Hoàng Văn Nam", "Chủ hộ", 1970, "Nam", "Tày", "", "Nà Pàn", "Lộc Bình", ""],
    ]
    result = run_import("households", xlsx(rows), user=users.commune, options={"year": 2026})
    assert result.errors == [] and result.created == 3
    found = {(d["row"], d.get("other_row"), d.get("person")) for d in likely_duplicates_of_last_import()}
    # the two spellings of one name pair up, and each looks like the stored Vi Thị Mai of 1986
    assert found == {(2, 3, None), (2, None, world.head.pk), (3, None, world.head.pk)}
    assert "3." in result.notices[0]["message"]


def test_household_codes_poverty_update_and_ids_held_elsewhere(world, users) -> None:
    rows: list[list[Any]] = [
        ["Mã hộ", "Họ và tên", "Quan hệ với chủ hộ", "Năm sinh", "Giới tính", "Dân tộc", "Số CCCD", "Thôn/bản", "Xã",
         "Phân loại hộ", "Năm rà soát"],
        ["NP-001", "Vi Thị Mai", "Chủ hộ", 1986, "Nữ", "Nùng", "020186001456", "Nà Pàn", "Lộc Bình", "Cận nghèo", 2018],
        ["NP-001", "Hoàng Văn Nam", "Con", 2010, "Nam", "Nùng", "", "Nà Pàn", "Lộc Bình", "Cận nghèo", 2018],
        ["NP-002", "Lò Văn Tư", "Chủ hộ", 1975, "Nam", "Tày", "020075123789", "Nà Pàn", "Lộc Bình", "", ""],
    ]  # fmt: skip
    result = run_import("households", xlsx(rows), user=users.officer, filename="ho.xlsx")
    assert errors_by_row(result) == {4: ["Số CCCD"]}  # the number belongs to Lương Văn Tùng
    assert "Lương Văn Tùng" in result.errors[0]["message"]
    rows[3][6] = "020075123780"
    result = run_import("households", xlsx(rows), user=users.officer, filename="ho.xlsx")
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)  # the poverty status changed
    assert PovertyStatus.objects.get(household=world.household, year=2018).status == "near_poor"
    assert Household.objects.get(code="NP-002").village_id == world.village.pk


def test_a_list_without_codes_finds_households_by_head_name_year_and_village(world, users) -> None:
    from tests.households.conftest import person

    known = Household.objects.create(code="NP-002", village=world.village)
    person(known, "Hoàng Văn Lợi", "M", 1980, world.nung, "head")  # stored without an ID number
    namesake = Household.objects.create(code="NP-003", village=world.village)
    person(namesake, "Nông Văn Bình", "M", 1980, world.nung, "head", "020080009999")
    rows: list[list[Any]] = [
        HEADER,
        [1, "Hoang Van Loi", "Chủ hộ", 1980, "Nam", "Nùng", "020080001234", "Nà Pàn", "Lộc Bình", ""],
        [2, "Nông Văn Bình", "Chủ hộ", 1980, "Nam", "Nùng", "020080005678", "Nà Pàn", "Lộc Bình", ""],
        [3, "Vi Thị Mai", "Chủ hộ", 1986, "Nữ", "Nùng", "020186001456", "Nà Pàn", "Lộc Bình", ""],
    ]  # fmt: skip
    households = Household.objects.count()
    result = run_import("households", xlsx(rows), user=users.officer, filename="ho.xlsx")
    assert result.errors == []
    # Lợi is the stored head who had no ID number; Bình's stored namesake has another ID, so he is new
    assert Household.objects.count() == households + 1
    assert Person.objects.get(household=known, relation="head").id_number == "020080001234"
    assert Person.objects.filter(full_name="Nông Văn Bình").count() == 2
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)


def test_an_officer_of_one_commune_cannot_import_into_another(world, users) -> None:
    rows: list[list[Any]] = [
        HEADER,
        [1, "Lương Văn Hải", "Chủ hộ", 1970, "Nam", "Tày", "", "Khuổi Mò", "Ba Sơn", "Nghèo"],
    ]
    result = run_import(
        "households", xlsx(rows), user=users.commune, filename="x.xlsx", options={"year": 2018}
    )
    assert errors_by_row(result) == {2: ["Thôn/bản"]}
    assert "ngoài phạm vi" in result.errors[0]["message"]
    support: list[list[Any]] = [
        ["Họ và tên chủ hộ", "Năm sinh", "Số CCCD", "Thôn/bản", "Xã", "Nội dung hỗ trợ", "Thành tiền (đồng)"],
        ["Lương Văn Tùng", 1975, "020075123789", "Nà Pàn", "Lộc Bình", "Con giống", 5_000_000],
    ]
    result = run_import(
        "support",
        xlsx(support),
        user=users.commune,
        filename="h.xlsx",
        options={"program": "30A", "year": 2018},
    )
    assert errors_by_row(result) == {2: ["Số CCCD"]}
    assert SupportRecord.objects.count() == 0


def support_list(fixed: bool) -> bytes:
    rows: list[list[Any]] = [
        ["DANH SÁCH HỘ ĐƯỢC HỖ TRỢ PHÁT TRIỂN SẢN XUẤT NĂM 2018"],
        ["Họ và tên chủ hộ", "Năm sinh", "Dân tộc", "Số CCCD", "Thôn/bản", "Xã", "Nội dung hỗ trợ", "Số lượng",
         "Đơn vị tính", "Thành tiền (triệu đồng)"],
        ["Vi Thị Mai", 1986, "Nùng", "020186001456", "Nà Pàn", "Lộc Bình", "Bò giống", 1, "con", 12.5],
        ["Vi Thi Mai", 1986, "Nùng", "", "Na Pan", "Loc Binh", "Phân bón", 200, "kg", 2],
        ["Lương Văn Tùng", 1975, "Tày", "", "Khuổi Mò", "Ba Sơn", "Cây giống", 50, "cây", 3],
        ["Nguyễn Văn Vắng" if not fixed else "Lương Văn Tùng", 1960 if not fixed else 1975, "Kinh", "",
         "Khuổi Mò", "Ba Sơn", "Máy móc", 1, "chiếc", 7],
    ]  # fmt: skip
    return xlsx(rows)


def test_support_with_options_money_units_and_idempotence(world, users) -> None:
    options = {"program": "30A", "year": 2018}
    missing = run_import("support", support_list(True), user=users.officer, filename="h.xlsx")
    assert {e["column"] for e in missing.errors} >= {"Năm"}  # no year anywhere
    bad = run_import("support", support_list(False), user=users.officer, filename="h.xlsx", options=options)
    assert errors_by_row(bad) == {6: ["Họ và tên chủ hộ"]}
    assert SupportRecord.objects.count() == 0
    good = run_import("support", support_list(True), user=users.officer, filename="h.xlsx", options=options)
    assert good.errors == [] and (good.created, good.updated, good.unchanged) == (4, 0, 0)
    mai = SupportRecord.objects.get(household=world.household, kind="livestock")
    assert (mai.value_vnd, mai.quantity, mai.measure, mai.year, mai.component_id) == (
        12_500_000,
        1,
        "con",
        2018,
        world.production.pk,
    )
    assert SupportRecord.objects.get(household=world.household, kind="fertiliser").value_vnd == 2_000_000
    assert SupportRecord.objects.filter(household=world.other_household).count() == 2
    again = run_import("support", support_list(True), user=users.officer, filename="h.xlsx", options=options)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_support_programme_and_year_from_columns(world, users) -> None:
    rows: list[list[Any]] = [
        ["Họ và tên chủ hộ", "Năm sinh", "Số CCCD", "Thôn/bản", "Nội dung hỗ trợ", "Thành tiền (đồng)",
         "Chương trình", "Dự án thành phần", "Năm"],
        ["Vi Thị Mai", 1986, "020186001456", "Nà Pàn", "Tiền mặt", "1.500.000", "30A", "30A-1", 2019],
        ["Vi Thị Mai", 1986, "020186001456", "Nà Pàn", "Tiền mặt", "1.500.000", "30A", "", 2019],
        ["Vi Thị Mai", 1986, "020186001456", "Nà Pàn", "Tiền mặt", "1.500.000", "XYZ", "", 2019],
    ]  # fmt: skip
    result = run_import("support", xlsx(rows), user=users.officer, filename="h.xlsx")
    assert errors_by_row(result) == {4: ["Chương trình"]}
    del rows[3]
    result = run_import("support", xlsx(rows), user=users.officer, filename="h.xlsx")
    assert result.errors == [] and result.created == 2
    comps = set(SupportRecord.objects.values_list("component_id", flat=True))
    assert comps == {world.infra.pk, world.production.pk}


def test_the_command_line_prints_the_notices(world, users, tmp_path) -> None:
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "nk.xlsx"
    path.write_bytes(commune_list(True))
    out = StringIO()
    call_command("import", "households", str(path), "--user", "xa", "--option", "year=2026", stdout=out)
    assert "note: " in out.getvalue() and "may be the same" in out.getvalue()
