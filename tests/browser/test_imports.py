"""An officer imports a works file with a bad row through the upload page, sees the row errors, downloads
the error workbook, fixes it, imports it again and sees the works created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from dantoc.works.models import Work
from tests.works.test_imports import messy_works

pytestmark = pytest.mark.django_db(transaction=True)


def upload(page: Page, live_server: Any, path: Path) -> None:
    page.goto(f"{live_server.url}/imports/works/")
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(str(path))
    form.locator("#id_dry_run").uncheck()  # import for real (the form starts as a dry run)
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"{live_server.url}/imports/jobs/*/")


def test_import_works_fix_the_error_workbook_and_import_again(
    page: Page, live_server: Any, tree: Any, users: Any, login: Any, tmp_path: Path
) -> None:
    login("tinh")
    page.goto(f"{live_server.url}/imports/")
    page.get_by_test_id("kind-works").click()
    expect(page.get_by_test_id("columns")).to_contain_text("Tên công trình")
    expect(page.get_by_test_id("columns")).to_contain_text("Ngày hoàn thành (kế hoạch)")

    bad = tmp_path / "danh-sach-cong-trinh.xlsx"
    bad.write_bytes(messy_works(bad=True))
    upload(page, live_server, bad)
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "rejected")
    errors = page.get_by_test_id("errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("31/02/2018")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("Xã Không Có")
    assert not Work.objects.exists()

    with page.expect_download() as info:
        page.get_by_test_id("error-workbook").click()
    returned = tmp_path / "loi.xlsx"
    info.value.save_as(returned)

    book = openpyxl.load_workbook(returned)
    sheet = book.worksheets[0]
    assert sheet["J5"].value == "Lỗi / Errors"  # the error column after the table
    assert "31/02/2018" in sheet["J11"].value and "Xã Không Có" in sheet["J12"].value
    assert sheet["H11"].value == "31/02/2018" and sheet["D12"].value == "Xã Không Có"
    sheet["H11"] = "28/02/2018"  # the officer fixes the two cells
    sheet["D12"] = "Ba Sơn"
    fixed = tmp_path / "danh-sach-cong-trinh-da-sua.xlsx"
    book.save(fixed)

    upload(page, live_server, fixed)
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("created")).to_have_text("5")
    assert Work.objects.count() == 5

    page.goto(f"{live_server.url}/works/?year=2018")
    table = page.get_by_test_id("works-table")
    expect(table.get_by_test_id("work-row")).to_have_count(5)
    expect(table).to_contain_text("Đường bê tông thôn Nà Lừa")
    expect(table).to_contain_text("Nhà văn hoá thôn Khòn Pát")  # typed in TCVN3, shown in Unicode
    expect(table).to_contain_text("Cầu treo Khuổi Phầy")
