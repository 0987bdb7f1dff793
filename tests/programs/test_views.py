"""Pages: catalogue, programme page with totals, admin forms, plan decisions with htmx line rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dantoc.programs import services
from dantoc.programs.models import CapitalPlanLine, PlanDecision, Program

from .conftest import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(users, tree, cat):
    return services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh Lạng Sơn",
        number="2560/QĐ-UBND",
        date=dt.date(2018, 1, 3),
        unit=tree.province,
        lines=[
            line(cat.p135_build, tree.dong_buc, cat.central, 2_263_000_000),
            line(cat.p135_build, tree.ba_son, cat.local, 1_000_000_000),
        ],
    )


def test_catalogue_and_programme_page(client: Client, users, decision) -> None:
    client.force_login(users.viewer)
    page = client.get("/programs/").content.decode()
    assert "NTP-DTTS-2021" in page and "1719/QĐ-TTg" in page
    page = client.get("/programs/P135/").content.decode()
    assert 'data-testid="component-tree"' in page
    assert "3,3 tỷ đồng" in page  # the year's total (vi formatting)
    assert client.get("/programs/NOPE/").status_code == 404
    assert 'data-testid="program-edit"' not in page


def test_admin_edits_programme_and_components(client: Client, users, settings_demo) -> None:
    client.force_login(users.officer)
    assert client.get("/programs/new/").status_code == 403
    client.force_login(users.admin)
    r = client.post("/programs/new/", {"code": "CS-TEST", "name": "Chính sách thử", "start_year": 2019})
    assert r.status_code == 302 and Program.objects.filter(code="CS-TEST").exists()
    p = Program.objects.get(code="CS-TEST")
    r = client.post(
        f"/programs/{p.code}/edit/",
        {"code": "CS-TEST", "name": "Chính sách thử nghiệm", "start_year": 2019, "version": p.version},
    )
    assert r.status_code == 302
    r = client.post(
        f"/programs/{p.code}/edit/",
        {"code": "CS-TEST", "name": "x", "start_year": 2019, "version": p.version},
    )
    assert r.status_code == 200 and "Someone else changed" in r.content.decode()
    r = client.post(
        f"/programs/{p.code}/components/new/",
        {"code": "1", "name": "Nội dung 1", "level": "project", "category": "other"},
    )
    assert r.status_code == 302 and p.components.count() == 1
    c = p.components.get()
    r = client.post(
        f"/programs/components/{c.pk}/edit/",
        {
            "code": "1",
            "name": "Nội dung một",
            "level": "project",
            "category": "housing",
            "version": c.version,
        },
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.name, c.category) == ("Nội dung một", "housing")


def test_plan_list_and_detail(client: Client, users, decision) -> None:
    client.force_login(users.district)
    page = client.get("/programs/plans/?year=2018").content.decode()
    assert "2560/QĐ-UBND" in page and "2,26 tỷ đồng" in page  # only the Lộc Bình line
    detail = client.get(f"/programs/plans/{decision.pk}/").content.decode()
    assert "2.263.000.000 đồng" in detail and "Ba Sơn" not in detail
    assert 'data-testid="plan-edit"' not in detail  # a provincial decision
    client.force_login(users.commune)
    assert client.get(f"/programs/plans/{decision.pk}/").status_code == 404


def _form(tree, cat, **extra):
    data = {
        "year": "2018",
        "revision": "initial",
        "authority": "UBND tỉnh Lạng Sơn",
        "number": "99/QĐ-UBND",
        "date": "2018-02-01",
        "unit": str(tree.province.pk),
        "disburse_until": "",
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-component": str(cat.p135_build.pk),
        "lines-0-unit": str(tree.dong_buc.pk),
        "lines-0-source": "central",
        "lines-0-capital_type": "investment",
        "lines-0-amount": "1.234.567.000",
        "lines-1-component": "",
        "lines-1-unit": "",
        "lines-1-source": "",
        "lines-1-capital_type": "investment",
        "lines-1-amount": "",
    }
    data.update(extra)
    return data


def test_htmx_add_line_renders_one_more_row_without_errors(client: Client, users, tree, cat) -> None:
    client.force_login(users.officer)
    assert client.get("/programs/plans/new/").status_code == 200
    r = client.post("/programs/plans/new/", {**_form(tree, cat), "add_line": "1"}, HTTP_HX_REQUEST="true")
    page = r.content.decode()
    assert r.status_code == 200
    assert page.count('data-testid="plan-line"') == 3
    assert 'name="lines-TOTAL_FORMS" value="3"' in page
    assert "errorlist" not in page and not PlanDecision.objects.exists()


def test_officer_saves_a_decision_from_the_form(client: Client, users, tree, cat) -> None:
    client.force_login(users.officer)
    r = client.post("/programs/plans/new/", _form(tree, cat))
    assert r.status_code == 302, r.content.decode()[:2000]
    d = PlanDecision.objects.get(number="99/QĐ-UBND")
    assert d.disburse_until == dt.date(2019, 1, 31)
    assert CapitalPlanLine.objects.get(decision=d).amount_vnd == 1_234_567_000
    # Edit: change the amount and drop nothing.
    r = client.get(f"/programs/plans/{d.pk}/edit/")
    assert r.status_code == 200 and "1234567000" in r.content.decode()
    data = _form(
        tree,
        cat,
        **{"lines-0-amount": "2.000.000.000", "version": str(d.version), "lines-INITIAL_FORMS": "1"},
    )
    r = client.post(f"/programs/plans/{d.pk}/edit/", data)
    assert r.status_code == 302
    assert CapitalPlanLine.objects.get(decision=d).amount_vnd == 2_000_000_000


def test_form_errors_are_shown_and_nothing_written(client: Client, users, tree, cat) -> None:
    client.force_login(users.district)  # Lộc Bình: Ba Sơn is outside
    data = _form(tree, cat, unit=str(tree.loc_binh.pk), **{"lines-0-unit": str(tree.ba_son.pk)})
    r = client.post("/programs/plans/new/", data)
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    data = _form(tree, cat, unit=str(tree.loc_binh.pk), **{"lines-0-amount": "12,5"})
    r = client.post("/programs/plans/new/", data)
    assert "Enter whole đồng" in r.content.decode()
    assert not PlanDecision.objects.exists()


def test_viewer_cannot_open_the_form_and_delete_needs_scope(client: Client, users, decision) -> None:
    client.force_login(users.viewer)
    assert client.get("/programs/plans/new/").status_code == 403
    client.force_login(users.district)
    assert (
        client.post(f"/programs/plans/{decision.pk}/delete/", {"version": decision.version}).status_code
        == 403
    )
    client.force_login(users.officer)
    r = client.post(f"/programs/plans/{decision.pk}/delete/", {"version": decision.version})
    assert r.status_code == 302 and not PlanDecision.objects.exists()
