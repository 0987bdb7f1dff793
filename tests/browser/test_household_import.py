"""Import a household list with a TCVN3 sheet, a duplicate ID and a bad date through the upload page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dantoc.households.models import Person
from tests.core.test_imports_support import xlsx
from tests.households import conftest as households_fixtures
from tests.households.test_imports import tcvn3

world = households_fixtures.world  # the households fixture, reused here


def household_list(fixed: bool) -> bytes:
    """A workbook whose data sheet is typed in TCVN3 (.VnTime), after a notes sheet."""
    rows: list[list[Any]] = [
        ["STT", "Họ và tên", "Quan hệ với chủ hộ", "Ngày sinh", "Giới tính", "Dân tộc", "Số CCCD", "Thôn/bản",
         "Xã", "Phân loại hộ"],
        [1, "Hoàng Văn Lợi", "Chủ hộ", "12/05/1980", "Nam", "Nùng", "020080001234", "Nà Pàn", "Lộc Bình",
         "Nghèo"],
        [2, "Lý Thị Hoa", "Vợ", "14/02/1982" if fixed else "31/02/1982", "Nữ", "Tày", "020182001235", "", "", ""],
        [3, "Nông Văn Bình", "Chủ hộ", "01/06/1980", "Nam", "Tày", "020080005678" if fixed else "020080001234",
         "Nà Pàn", "Lộc Bình", "Cận nghèo"],
    ]  # fmt: skip
    encoded = [[tcvn3(v) if isinstance(v, str) else v for v in row] for row in rows]
    return xlsx(encoded, sheet="Danh sach", extra_sheets=["Huong dan"])


def upload(page: Page, url: str, path: Path) -> None:
    page.goto(f"{url}/imports/households/")
    page.set_input_files("input[type=file]", str(path))
    page.fill("input[name=opt_year]", "2026")
    dry = page.locator("input[name=dry_run]")
    if dry.is_checked():
        dry.uncheck()
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute(
        "data-status", re.compile("done|failed|checked|rejected")
    )


@pytest.mark.django_db(transaction=True)
def test_import_households_fix_and_import(
    page: Page, live_server, users, world, login, tmp_path: Path
) -> None:
    login("xa")
    bad = tmp_path / "danh-sach.xlsx"
    bad.write_bytes(household_list(fixed=False))
    upload(page, live_server.url, bad)
    errors = page.get_by_test_id("errors")
    expect(errors).to_contain_text("31/02/1982")
    expect(errors).to_contain_text("trùng với dòng 2")
    assert Person.objects.filter(id_number="020080001234").count() == 0

    good = tmp_path / "danh-sach-sua.xlsx"
    good.write_bytes(household_list(fixed=True))
    upload(page, live_server.url, good)
    expect(page.get_by_test_id("created")).to_have_text("3")
    expect(page.get_by_test_id("errors")).to_have_count(0)
    loi = Person.objects.get(id_number="020080001234")
    assert loi.full_name == "Hoàng Văn Lợi" and loi.ethnic_group.name == "Nùng"
