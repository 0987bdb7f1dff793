"""An officer creates a work, links it to its capital plan line, records a payment and sees the
work's disbursed amount and rate move, on the work's page and on the monitoring page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A Vietnamese browser: Vietnamese number formats (1.234.567; 12,5 %)."""
    return {**browser_context_args, "locale": "vi-VN"}


def test_create_a_work_record_a_payment_and_see_the_rate_move(
    page: Page, live_server, tree, users, login
) -> None:
    year = dt.date.today().year
    ntp, _ = Program.objects.update_or_create(
        code="NTP-DTTS-2021", defaults={"name": "CTMTQG DTTS&MN", "start_year": 2021, "end_year": 2035}
    )
    component = Component.objects.create(program=ntp, code="T-4", name="Dự án 4: hạ tầng thiết yếu")
    central, _ = FundingSource.objects.get_or_create(
        code="central", defaults={"name": "Ngân sách trung ương"}
    )
    decision = PlanDecision.objects.create(
        year=year, authority="UBND tỉnh Lạng Sơn", number="77/QĐ-UBND", date=dt.date(year, 1, 10),
        unit=tree.province, disburse_until=dt.date(year + 1, 1, 31),
    )  # fmt: skip
    CapitalPlanLine.objects.create(
        decision=decision, component=component, unit=tree.xa_loc_binh, source=central,
        capital_type=CapitalType.INVESTMENT, amount_vnd=400_000_000,
    )  # fmt: skip

    login("tinh")
    page.goto(f"{live_server.url}/works/")
    page.get_by_test_id("work-create").click()

    form = page.get_by_test_id("work-form")
    form.locator("#id_program").select_option(str(ntp.pk))
    form.locator("#id_year").fill(str(year))
    form.locator("#id_unit").select_option(str(tree.xa_loc_binh.pk))
    form.locator("#id_village").select_option(label="Thôn Nà Pàn")  # loaded by htmx for the chosen commune
    form.locator("#id_name").fill("Đường bê tông thôn Nà Pàn")
    form.locator("#id_kind").select_option("road")
    form.locator("#id_total_investment_vnd").fill("800.000.000")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("work-name")).to_have_text("Đường bê tông thôn Nà Pàn")
    expect(page.get_by_test_id("work-code")).to_have_text(f"CT-{year}-0001")
    expect(page.get_by_test_id("work-unit")).to_have_text("Thôn Nà Pàn, Xã Lộc Bình")
    expect(page.get_by_test_id("work-disbursed")).to_have_text("0 đồng")
    expect(page.get_by_test_id("work-rate")).to_have_text("—")

    # link the commune's plan line
    page.get_by_test_id("work-edit").click()
    page.get_by_label("77/QĐ-UBND", exact=False).check()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("work-plan")).to_have_text("400.000.000 đồng")
    expect(page.get_by_test_id("work-rate")).to_have_text("0 %")

    # the monitoring page: nothing disbursed yet against the year's plan
    work_url = page.url
    page.goto(f"{live_server.url}/reports/monitoring/?year={year}")
    expect(page.get_by_test_id("rate-total")).to_have_attribute("data-rate", f"{0:.6f}")
    page.goto(work_url)

    # record a payment (today, within the year's window)
    page.get_by_test_id("payment-open").click()
    payment = page.get_by_test_id("payment-form")
    payment.locator("#id_amount_vnd").fill("100.000.000")
    payment.locator("#id_source").select_option(str(central.pk))
    payment.locator("#id_voucher_number").fill("UNC 01")
    page.get_by_test_id("payment-save").click()

    expect(page.get_by_test_id("work-disbursed")).to_have_text("100.000.000 đồng")
    expect(page.get_by_test_id("work-rate")).to_have_text("25 %")
    expect(page.get_by_test_id("work-investment-rate")).to_have_text("12,5 %")
    expect(page.get_by_test_id("payment-row")).to_contain_text("UNC 01")

    # ... and the rate moves on the monitoring page
    page.goto(f"{live_server.url}/reports/monitoring/?year={year}")
    expect(page.get_by_test_id("rate-total")).to_have_attribute("data-rate", f"{0.25:.6f}")

    # the list shows the same figure, found without tone marks
    page.goto(f"{live_server.url}/works/")
    page.locator("#id_q").press_sequentially("duong be tong na pan")
    expect(page.get_by_test_id("work-row")).to_have_count(1)
    expect(page.get_by_test_id("work-row-disbursed")).to_have_text("100.000.000")
