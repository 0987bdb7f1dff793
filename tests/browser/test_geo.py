"""Find a merged commune by typing its name without tone marks, open it, follow it to its successor."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from dantoc.geo import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_find_a_merged_commune_and_follow_it_to_its_successor(
    page: Page, live_server, tree, users, login
) -> None:
    # Nhượng Bạn (abolished in 2020) passed to Đồng Bục, which merged into Xã Lộc Bình in 2025.
    services.record_abolish(
        users.admin, tree.nhuong_ban, dt.date(2020, 1, 10), "TEST/NQ", successor=tree.dong_buc
    )
    login("tinh")
    page.goto(f"{live_server.url}/units/")
    expect(page.get_by_test_id("unit-tree")).to_contain_text("Xã Lộc Bình")

    search = page.get_by_test_id("unit-search")
    search.press_sequentially("nhuong ban")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("Xã Nhượng Bạn")
    expect(results).to_contain_text("đã giải thể/sáp nhập")

    search.fill("")
    search.press_sequentially("dong buc")
    expect(results).to_contain_text("Xã Đồng Bục")
    expect(results).not_to_contain_text("Nhượng Bạn")
    results.get_by_role("link", name="Xã Đồng Bục").click()

    expect(page.get_by_test_id("unit-name")).to_contain_text("Xã Đồng Bục")
    expect(page.get_by_test_id("unit-name")).to_contain_text("đã giải thể/sáp nhập")
    expect(page.get_by_test_id("territory")).to_contain_text("Xã Lộc Bình")
    page.get_by_test_id("successor").get_by_role("link", name="Xã Lộc Bình").click()

    expect(page.get_by_test_id("unit-name")).to_have_text("Xã Lộc Bình")
    expect(page.get_by_test_id("unit-name")).not_to_contain_text("đã giải thể")
    predecessors = page.get_by_test_id("predecessor")
    expect(predecessors).to_have_count(2)
    expect(page.get_by_test_id("former")).to_contain_text("Xã Nhượng Bạn")  # two hops back


def test_tree_children_open_lazily(page: Page, live_server, tree, users, login) -> None:
    login("locbinh")
    page.goto(f"{live_server.url}/units/?on=2019-06-01")
    tree_el = page.get_by_test_id("unit-tree")
    expect(tree_el).to_contain_text("Huyện Lộc Bình")
    expect(tree_el).to_contain_text("Xã Nhượng Bạn")  # first level preloaded for a single root
    expect(tree_el).not_to_contain_text("Cao Lộc")


def test_admin_records_a_rename_by_picking_the_unit(
    page: Page, live_server, tree, users, login, settings_demo
) -> None:
    login("admin")
    page.goto(f"{live_server.url}/units/changes/new/")
    page.select_option("#id_kind", "rename")
    expect(page.locator("section[data-kinds='merge split abolish']")).to_be_hidden()  # CSS only
    # the date picked on the calendar (the browser's own picker on the hidden date input) is written day first
    date = page.locator(".date-field").filter(has=page.locator("#id_effective_date"))
    date.locator("[data-date-pick]").click()
    date.locator(".date-native").fill("2026-01-01", force=True)
    expect(page.locator("#id_effective_date")).to_have_value("01/01/2026")
    page.keyboard.press("Escape")
    page.fill("#id_basis_number", "99/NQ-TEST")
    page.get_by_test_id("search-pred").press_sequentially("loc binh")
    page.get_by_test_id("pick-pred").filter(has_text="Xã Lộc Bình").click()  # htmx autocomplete
    expect(page.get_by_test_id("chosen-pred")).to_have_count(1)
    page.fill("#id_new_name", "Lộc Bình Mới")
    page.get_by_test_id("record-change").click()
    expect(page.get_by_test_id("unit-name")).to_have_text("Xã Lộc Bình Mới")
    expect(page.get_by_test_id("predecessor")).to_contain_text("Xã Lộc Bình")
