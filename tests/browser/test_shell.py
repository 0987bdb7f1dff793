"""Log in as `tinh`, switch to English and back, log out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_language_switch_logout(page: Page, live_server, users, login) -> None:
    login("tinh")
    expect(page.get_by_test_id("role")).to_have_text("Chuyên viên")
    expect(page.locator("nav.mainnav")).to_contain_text("Đơn vị hành chính")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("role")).to_have_text("Officer")
    expect(page.locator("nav.mainnav")).to_contain_text("Administrative units")
    page.get_by_test_id("lang-vi").click()
    expect(page.get_by_test_id("role")).to_have_text("Chuyên viên")
    page.get_by_test_id("logout").click()
    expect(page.locator("h1")).to_have_text("Đăng nhập")
