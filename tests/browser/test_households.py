"""Find a person by typing her name without tone marks, open her record after giving a reason (the access
log records it); a viewer sees masked ID numbers only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dantoc.core.models import AccessLog
from tests.households import conftest as households_fixtures

pytestmark = pytest.mark.django_db(transaction=True)
FULL = "020186001456"
MASKED = "•••••••••456"
world = households_fixtures.world  # the households fixture, reused here


def test_find_open_with_reason_and_viewer_sees_masked_ids(
    page: Page, live_server, users, world, login
) -> None:
    login("xa")
    page.goto(f"{live_server.url}/households/")
    page.get_by_test_id("person-search").press_sequentially("vi thi mai", delay=20)
    results = page.get_by_test_id("person-results")
    expect(results).to_contain_text("Vi Thị Mai")  # live search (htmx), no tone marks typed
    expect(results.get_by_test_id("id-number").first).to_have_text(MASKED)
    assert FULL not in page.content()

    results.get_by_test_id("person-link").first.click()
    expect(page.get_by_test_id("reason-form")).to_be_visible()
    page.fill("input[name=reason]", "Xác minh hồ sơ hỗ trợ sản xuất 2018")
    page.get_by_test_id("open-record").click()
    expect(page.get_by_test_id("person-name")).to_have_text("Vi Thị Mai")
    expect(page.get_by_test_id("person-record").get_by_test_id("id-number")).to_have_text(MASKED)
    log = AccessLog.objects.get(action="view")
    assert log.user.username == "xa" and log.reason == "Xác minh hồ sơ hỗ trợ sản xuất 2018"
    assert log.subject.startswith(f"person:{world.head.pk} ")

    page.get_by_test_id("logout").click()
    login("xem")
    page.goto(f"{live_server.url}/households/?q=mai")
    expect(page.get_by_test_id("person-results")).to_contain_text("Vi Thị Mai")
    assert FULL not in page.content() and MASKED in page.content()
    expect(page.get_by_test_id("reveal-form")).to_have_count(0)
    expect(page.get_by_test_id("export-form")).to_have_count(0)
    page.get_by_test_id("person-link").first.click()
    page.fill("input[name=reason]", "Kiểm tra số liệu tổng hợp")
    page.get_by_test_id("open-record").click()
    expect(page.get_by_test_id("person-record")).to_contain_text(MASKED)
    assert FULL not in page.content()
    expect(page.get_by_test_id("reveal-form")).to_have_count(0)
