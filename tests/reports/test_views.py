"""Monitoring, late list and program-summary pages; the reports API."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.test import Client

from dantoc.accounts.services import issue_token
from tests.reports.data import Dataset, M

pytestmark = pytest.mark.django_db

Q2018 = "year=2018&on=2019-03-31"


def text_of(html: str, name: str) -> str:
    """The text of the element carrying data-testid=name."""
    m = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', html)
    assert m, f"no data-testid={name}"
    return m.group(1).strip()


def attr(html: str, name: str, attribute: str) -> str:
    m = re.search(rf'<[^>]*data-testid="{re.escape(name)}"[^>]*>', html)
    assert m, f"no data-testid={name}"
    found = re.search(rf'{attribute}="([^"]*)"', m.group(0))
    assert found, f"{name} has no {attribute}"
    return found.group(1)


def no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html


def test_monitoring_page(client: Client, dataset: Dataset, users, tree) -> None:
    client.force_login(users.leader)
    response = client.get(f"/reports/monitoring/?{Q2018}")
    assert response.status_code == 200
    html = response.content.decode()
    no_inline_script(html)
    assert attr(html, "rate-total", "data-rate") == f"{1590 / 2400:.6f}"
    assert text_of(html, "rate-total") == "66,3 %"
    assert attr(html, "rate-program-P135", "data-rate") == f"{1100 / 1900:.6f}"
    assert attr(html, "rate-program-30A", "data-rate") == "0.980000"
    assert attr(html, f"rate-unit-{tree.cao_loc.pk}", "data-rate") == "0.400000"
    assert attr(html, "rate-source-local", "data-rate") == "0.000000"
    assert attr(html, "carry-over-plan", "data-vnd") == str(150 * M)
    assert attr(html, "month-rate-6", "data-rate") == "0.200000"
    assert text_of(html, "flag-works-overdue") == "1" and text_of(html, "flag-units-below-pace") == "2"
    assert 'id="chart-data" type="application/json"' in html
    assert "/static/vendor/chart.umd.min.js" in html and "/static/dantoc/charts.js" in html
    assert "locbinh" in html  # the officer of Lộc Bình district


def test_monitoring_filters_and_htmx_partial(client: Client, dataset: Dataset, users) -> None:
    client.force_login(users.officer)
    response = client.get(f"/reports/monitoring/?{Q2018}&program=30A", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and attr(html, "rate-total", "data-rate") == "0.980000"
    html = client.get(f"/reports/monitoring/?{Q2018}&pace=s-curve&level=commune").content.decode()
    assert attr(html, "pace-expected", "data-rate") == "1.000000"
    assert "Xã Đồng Bục" in html


def test_monitoring_defaults_and_bad_input(client: Client, dataset: Dataset, users) -> None:
    client.force_login(users.leader)
    html = client.get("/reports/monitoring/").content.decode()  # latest plan year with capital: 2018
    assert 'data-year="2018"' in html and 'data-on="2019-01-31"' in html
    response = client.get("/reports/monitoring/?year=abc&on=31/13/2019&level=x")
    assert response.status_code == 200 and 'data-year="2018"' in response.content.decode()


def test_monitoring_refuses_a_unit_outside_the_area(client: Client, dataset: Dataset, users, tree) -> None:
    client.force_login(users.commune)
    assert client.get(f"/reports/monitoring/?{Q2018}&unit={tree.ba_son.pk}").status_code == 404
    assert client.get(f"/reports/late/?{Q2018}&unit={tree.ba_son.pk}").status_code == 404
    assert client.get(f"/reports/program-summary/?year=2018&unit={tree.ba_son.pk}").status_code == 404
    html = client.get(f"/reports/monitoring/?{Q2018}").content.decode()
    assert attr(html, "plan-total", "data-vnd") == "0"


def test_late_list_names_owners_and_sorts(client: Client, dataset: Dataset, users) -> None:
    client.force_login(users.leader)
    html = client.get("/reports/late/?year=2018&on=2019-01-31").content.decode()
    no_inline_script(html)
    rows = re.findall(r'data-testid="late-row" data-kind="(\w+)" data-id="(\d+)"', html)
    assert len(rows) == 4 and rows[0] == ("work", str(dataset.works["W1"].pk))  # most overdue first
    assert f'href="/works/{dataset.works["W1"].pk}/"' in html
    owners = re.findall(r'data-testid="late-owner">([^<]*)<', html)
    assert "tinh" in [o.strip() for o in owners] and "locbinh" in [o.strip() for o in owners]
    assert "Quá thời hạn hoàn thành" in html and "Quá 30 ngày không cập nhật tiến độ" in html
    sorted_html = client.get("/reports/late/?year=2018&on=2019-01-31&sort=rate&dir=asc").content.decode()
    first = re.search(r'data-testid="late-row" data-kind="(\w+)"', sorted_html)
    assert first and first.group(1) == "unit"  # Cao Lộc at 40 %
    assert 'class="sort active asc"' in sorted_html
    partial = client.get("/reports/late/?year=2018&on=2019-01-31&sort=owner", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()


def test_program_summary_page_and_downloads(client: Client, dataset: Dataset, users, tree) -> None:
    client.force_login(users.leader)
    html = client.get("/reports/program-summary/?year=2018&on=2019-03-31").content.decode()
    no_inline_script(html)
    assert text_of(html, "communes-P135").startswith("3") and text_of(html, "villages-P135") == "1"
    assert attr(html, "plan-P135", "data-vnd") == str(1_900 * M)
    assert attr(html, "summary-rate-30A", "data-rate") == "0.980000"
    assert text_of(html, "works-P135") == "4"
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    json_url = attr(html, "download-json", "href").replace("&amp;", "&")
    data = client.get(json_url).json()
    assert {p["code"]: p["works"] for p in data["programs"]}["P135"] == 4
    xlsx = client.get(attr(html, "download-xlsx", "href").replace("&amp;", "&"))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bao-cao-chuong-trinh-2018.xlsx"' in xlsx["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book["Tổng hợp"]["E1"].value == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    current = client.get(f"/reports/program-summary/?year=2018&structure=current&unit={tree.province.pk}")
    assert "quy đổi sang đơn vị hiện nay" in current.content.decode()


def test_anonymous_is_sent_to_login(client: Client, db) -> None:
    for url in ("/reports/monitoring/", "/reports/late/", "/reports/program-summary/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_api(client: Client, dataset: Dataset, users, tree) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.leader)}"}
    data = client.get("/api/v1/reports/program-summary?year=2018&as_of=2019-03-31", **auth).json()
    p135 = {p["code"]: p for p in data["programs"]}["P135"]
    assert (p135["communes"], p135["villages"], p135["capital_plan_vnd"], p135["works"]) == (
        3,
        1,
        1_900 * M,
        4,
    )
    assert set(data) >= {"year", "unit", "programs", "structure"}
    current = client.get("/api/v1/reports/program-summary?year=2018&structure=current", **auth).json()
    assert current["structure"]["mode"] == "current"
    assert client.get("/api/v1/reports/program-summary?year=2018&structure=x", **auth).status_code == 422
    assert client.get("/api/v1/reports/program-summary", **auth).status_code == 422
    mon = client.get("/api/v1/reports/monitoring?year=2018&on=2019-03-31", **auth).json()
    assert mon["total"]["rate"] == pytest.approx(1590 / 2400) and len(mon["total"]["months"]) == 13
    assert mon["carry_over"]["disbursed_vnd"] == 120 * M and mon["flags"]["works_overdue"] == 1
    late = client.get(
        "/api/v1/reports/late?year=2018&on=2019-01-31&sort=rate&descending=false", **auth
    ).json()
    assert late["count"] == 4 and late["items"][0]["rate"] == pytest.approx(0.4)
    xa = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.commune)}"}
    response = client.get(f"/api/v1/reports/program-summary?year=2018&unit={tree.ba_son.pk}", **xa)
    assert response.status_code == 404 and " / " in response.json()["detail"]
    assert client.get("/api/v1/reports/program-summary?year=2018").status_code == 401
