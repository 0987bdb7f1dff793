"""In Chromium: the monitoring page draws its curve with the vendored Chart.js under the CSP, the rate
moves when a payment is recorded, filters swap through htmx, and the late list sorts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dantoc.works.models import Disbursement
from tests.reports.data import Dataset, M

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_monitoring_rate_curve_and_late_list(
    page: Page, live_server: Any, dataset: Dataset, users, login
) -> None:
    problems: list[str] = []
    # Known elsewhere: no favicon yet, and htmx's own indicator <style> (base.html should set the htmx-config
    # meta `includeIndicatorStyles: false`). Anything else — e.g. Chart.js breaking the CSP — fails.
    known = ("favicon.ico", "htmx.min.js")
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.location.get("url", "").endswith(known)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    login("lanhdao")
    page.goto(f"{live_server.url}/reports/monitoring/?year=2018&on=2019-03-31")
    rate = page.get_by_test_id("rate-total")
    expect(rate).to_have_attribute("data-rate", f"{1590 / 2400:.6f}")
    expect(rate).to_contain_text("66")
    expect(page.get_by_test_id("disbursement-chart")).to_have_attribute("data-chart-ready", "1")

    # A payment recorded for Ba Sơn moves the rate.
    line = dataset.lines["bs"]
    Disbursement.objects.create(
        plan_line=line,
        unit=line.unit,
        plan_year=2018,
        date=dt.date(2018, 12, 28),
        amount_vnd=210 * M,
        source=line.source,
        capital_type=line.capital_type,
    )
    page.reload()
    expect(rate).to_have_attribute("data-rate", f"{1800 / 2400:.6f}")
    expect(page.get_by_test_id("rate-program-P135")).to_have_attribute("data-rate", f"{1310 / 1900:.6f}")

    # Filtering by programme swaps the body through htmx and redraws the curve.
    page.get_by_test_id("filter-program").select_option("30A")
    expect(rate).to_have_attribute("data-rate", "0.980000")
    expect(page).to_have_url(re.compile(r"/reports/monitoring/\?year=2018&on=2019-03-31&.*program=30A"))
    expect(page.get_by_test_id("disbursement-chart")).to_have_attribute("data-chart-ready", "1")

    page.get_by_test_id("late-list-link").click()
    expect(page.get_by_test_id("late-table")).to_be_visible()
    page.get_by_test_id("sort-owner").click()
    expect(page.get_by_test_id("sort-owner")).to_have_class("sort active desc")
    owners = page.get_by_test_id("late-owner").all_inner_texts()
    assert owners and owners[0].startswith("tinh")
    assert not problems, problems
