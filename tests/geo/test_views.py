"""Unit pages: tree, search, unit page, forms; scope and optimistic concurrency in the UI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dantoc.geo import services
from dantoc.geo.models import AdminUnit, ClassificationType, Kind, Level, UnitClassification, UnitStatistic

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "search-results"}


def as_user(client: Client, user) -> Client:
    client.force_login(user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- tree and search -------------------------------------------------------------------------------


def test_tree_as_of_a_date(client, tree, users) -> None:
    c = as_user(client, users.officer)
    today = text(c.get("/units/"))
    assert "Tỉnh Lạng Sơn" in today and "Xã Lộc Bình" in today and "Huyện Lộc Bình" not in today
    before = text(c.get("/units/", {"on": "2024-01-01"}))
    assert "Huyện Lộc Bình" in before and "Huyện Cao Lộc" in before and "Xã Lộc Bình" not in before
    # dd/mm/yyyy reads day first: 01/07/2025 is the reform day, not 7 January.
    reform = text(c.get("/units/", {"on": "01/07/2025"}))
    assert "Xã Lộc Bình" in reform and "Huyện Lộc Bình" not in reform
    # Children load lazily, as of the same date.
    kids = text(c.get(f"/units/{tree.loc_binh.pk}/children/", {"on": "2019-06-01"}))
    assert "Xã Nhượng Bạn" in kids and "Xã Đồng Bục" in kids
    assert 'hx-trigger="toggle once"' in before


def test_search_without_tone_marks_marks_historical_units(client, tree, users) -> None:
    c = as_user(client, users.officer)
    html = text(c.get("/units/", {"q": "nhuong ban"}, **HTMX))
    assert html.lstrip().startswith('<div id="search-results"')  # the htmx partial only
    assert "Xã Nhượng Bạn" in html and "đã giải thể/sáp nhập" in html and "09/01/2020" in html
    page = text(c.get("/units/", {"q": "dong buc"}))
    assert "Xã Đồng Bục" in page and f'href="/units/{tree.dong_buc.pk}/"' in page


def test_historical_district_officer_sees_lo_binh_only(client, tree, users) -> None:
    c = as_user(client, users.district)
    page = text(c.get("/units/"))  # defaults to the last day of the district
    assert "30/06/2025" in page and "Huyện Lộc Bình" in page and "Cao Lộc" not in page
    kids = text(c.get(f"/units/{tree.loc_binh.pk}/children/", {"on": "2024-01-01"}))
    assert "Thị trấn Lộc Bình" in kids and "Xã Đồng Bục" in kids
    assert "Ba Sơn" not in text(c.get("/units/", {"q": "ba son"}))
    assert c.get(f"/units/{tree.ba_son.pk}/").status_code == 404
    assert c.get(f"/units/{tree.cao_loc.pk}/children/").status_code == 404
    assert c.get(f"/units/{tree.dong_buc.pk}/").status_code == 200


def test_commune_officer_sees_the_commune_and_its_villages_only(client, tree, users) -> None:
    c = as_user(client, users.commune)
    page = text(c.get("/units/"))
    assert "Xã Lộc Bình" in page and "Thôn Nà Pàn" in page and "Tỉnh Lạng Sơn" not in page
    results = text(c.get("/units/", {"q": "loc binh"}, **HTMX))
    assert "Xã Lộc Bình" in results and "Thị trấn Lộc Bình" not in results and "Huyện" not in results
    for other in (tree.dong_buc, tree.province, tree.xa_cao_loc):
        assert c.get(f"/units/{other.pk}/").status_code == 404
    detail = text(c.get(f"/units/{tree.xa_loc_binh.pk}/"))
    # Predecessors are named, but not linked: they lie outside the commune officer's area.
    assert "Xã Đồng Bục" in detail and f'href="/units/{tree.dong_buc.pk}/"' not in detail


# --- unit page -------------------------------------------------------------------------------------


def test_merged_commune_page_links_to_its_successor(client, tree, users) -> None:
    c = as_user(client, users.officer)
    html = text(c.get(f"/units/{tree.dong_buc.pk}/"))
    assert "Xã Đồng Bục" in html and "Huyện Lộc Bình" in html
    assert f'href="/units/{tree.xa_loc_binh.pk}/"' in html
    assert "Sáp nhập" in html and "1672/NQ-UBTVQH15 (16/06/2025)" in html and "01/07/2025" in html
    assert 'data-testid="territory"' in html  # where its territory is today
    assert f'href="/history/geo.adminunit/{tree.dong_buc.pk}/"' in html
    successor = text(c.get(f"/units/{tree.xa_loc_binh.pk}/"))
    assert 'data-testid="former"' in successor and "Thị trấn Lộc Bình" in successor
    assert "Thôn Nà Pàn" in successor  # its villages


def test_unit_page_shows_classifications_and_grouped_statistics(client, tree, users) -> None:
    kind = ClassificationType.objects.get_or_create(
        code="test-dbkk", defaults={"name": "Xã đặc biệt khó khăn (thử)", "applies_to": Level.COMMUNE}
    )[0]
    UnitClassification.objects.create(
        unit=tree.dong_buc,
        type=kind,
        valid_from=dt.date(2017, 1, 1),
        basis_number="900/QĐ-TTg",
        basis_date=dt.date(2017, 6, 20),
    )
    UnitStatistic.objects.create(
        unit=tree.dong_buc, year=2019, population=12345, households=2890, poor_households=410
    )
    html = text(as_user(client, users.viewer).get(f"/units/{tree.dong_buc.pk}/"))
    assert "Xã đặc biệt khó khăn (thử)" in html and "900/QĐ-TTg (20/06/2017)" in html
    assert "12.345" in html and "2.890" in html and ">2019<" in html
    assert 'data-testid="edit"' not in html  # a viewer gets no edit button


# --- forms -----------------------------------------------------------------------------------------


def test_commune_officer_adds_a_village_in_scope_only(client, tree, users) -> None:
    c = as_user(client, users.commune)
    assert c.get(f"/units/new/?parent={tree.xa_loc_binh.pk}").status_code == 200
    r = c.post(
        f"/units/new/?parent={tree.xa_loc_binh.pk}", {"kind": Kind.BAN, "name": "Bản Khuổi Mò", "code": ""}
    )
    assert r.status_code == 302
    v = AdminUnit.objects.get(name="Bản Khuổi Mò")
    assert r["Location"] == f"/units/{v.pk}/" and v.parent_id == tree.xa_loc_binh.pk
    assert c.get(f"/units/new/?parent={tree.xa_cao_loc.pk}").status_code == 404
    # Only village kinds are offered to an officer; a commune kind is refused.
    r = c.post(f"/units/new/?parent={tree.xa_loc_binh.pk}", {"kind": Kind.XA, "name": "Xã Giả"})
    assert r.status_code == 200 and not AdminUnit.objects.filter(name="Xã Giả").exists()


def test_viewer_and_officer_limits(client, tree, users) -> None:
    c = as_user(client, users.viewer)
    assert c.get(f"/units/{tree.village.pk}/edit/").status_code == 403
    assert c.get(f"/units/new/?parent={tree.xa_loc_binh.pk}").status_code == 403
    assert (
        c.post(f"/units/new/?parent={tree.xa_loc_binh.pk}", {"kind": Kind.THON, "name": "X"}).status_code
        == 403
    )
    c = as_user(client, users.officer)
    assert c.get(f"/units/{tree.xa_loc_binh.pk}/edit/").status_code == 403  # communes: admins only
    assert c.get("/units/changes/new/").status_code == 403
    assert c.get("/units/pick/", {"q": "loc"}).status_code == 403


def test_validation_errors_are_shown_bilingually(client, tree, users) -> None:
    c = as_user(client, users.commune)
    html = text(c.post(f"/units/new/?parent={tree.xa_loc_binh.pk}", {"kind": Kind.THON, "name": "Nà Pàn"}))
    assert "Nà Pàn" in html and " / A unit named" in html


def test_second_save_is_refused_and_keeps_what_was_typed(client, tree, users) -> None:
    c = as_user(client, users.commune)
    form = text(c.get(f"/units/{tree.village.pk}/edit/"))
    assert 'name="version" value="1"' in form
    # Someone else saves first.
    services.update_unit(users.officer, tree.village, {"name": "Nà Pàn Trên"}, 1)
    html = text(
        c.post(f"/units/{tree.village.pk}/edit/", {"kind": Kind.THON, "name": "Nà Pàn Dưới", "version": "1"})
    )
    assert "Someone else changed this record" in html
    assert 'value="Nà Pàn Dưới"' in html  # what the user typed
    assert 'data-testid="conflict"' in html and "Nà Pàn Trên" in html  # what is stored now
    assert 'name="version" value="2"' in html
    assert AdminUnit.objects.get(pk=tree.village.pk).name == "Nà Pàn Trên"
    # Saving again after review is deliberate and goes through.
    r = c.post(f"/units/{tree.village.pk}/edit/", {"kind": Kind.THON, "name": "Nà Pàn Dưới", "version": "2"})
    assert r.status_code == 302
    assert AdminUnit.objects.get(pk=tree.village.pk).name == "Nà Pàn Dưới"


def test_admin_records_a_merge_through_the_change_form(client, tree, users, settings_demo) -> None:
    a = services.create_unit(users.admin, kind=Kind.XA, name="Khánh Xuân", parent=tree.loc_binh)
    b = services.create_unit(users.admin, kind=Kind.XA, name="Hữu Khánh", parent=tree.loc_binh)
    c = as_user(client, users.admin)
    assert "change-form" in text(c.get("/units/changes/new/", {"unit": a.pk}))
    picks = text(c.get("/units/pick/", {"role": "pred", "q_pred": "khanh", "effective_date": "2024-01-01"}))
    assert f"/units/pick/{a.pk}/?role=pred" in picks and f"/units/pick/{b.pk}/?role=pred" in picks
    # the date as the form shows it, day first
    assert picks == text(
        c.get("/units/pick/", {"role": "pred", "q_pred": "khanh", "effective_date": "01/01/2024"})
    )
    row = text(c.get(f"/units/pick/{a.pk}/", {"role": "pred"}))
    assert f'name="predecessors" value="{a.pk}"' in row
    data = {
        "kind": "merge",
        "effective_date": "2024-01-01",
        "basis_number": "TEST/NQ",
        "basis_date": "2023-12-01",
        "predecessors": [a.pk, b.pk],
        "n0_kind": Kind.XA,
        "n0_name": "Khánh Hữu",
        "n0_code": "",
    }
    # Errors come back with the chosen units still chosen.
    bad = text(c.post("/units/changes/new/", {**data, "n0_kind": Kind.THON}))
    assert f'name="predecessors" value="{a.pk}"' in bad and 'data-testid="form-errors"' in bad
    r = c.post("/units/changes/new/", data)
    assert r.status_code == 302
    new = AdminUnit.objects.get(name="Khánh Hữu")
    assert r["Location"] == f"/units/{new.pk}/"
    assert new.valid_from == dt.date(2024, 1, 1) and new.parent_id == tree.loc_binh.pk
    assert AdminUnit.objects.get(pk=a.pk).valid_to == dt.date(2023, 12, 31)


def test_admin_records_a_split_with_shares(client, tree, users, settings_demo) -> None:
    a = services.create_unit(users.admin, kind=Kind.XA, name="Chia Đôi", parent=tree.cao_loc)
    c = as_user(client, users.admin)
    r = c.post(
        "/units/changes/new/",
        {
            "kind": "split",
            "effective_date": "2023-01-01",
            "predecessors": [a.pk],
            "successors": [tree.ba_son.pk],
            f"share_{tree.ba_son.pk}": "30",
            "n0_kind": Kind.XA,
            "n0_name": "Phần Còn Lại",
            "n0_share": "70",
        },
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    shares = dict(AdminUnit.objects.get(pk=a.pk).successor_edges.values_list("successor__name", "share"))
    assert {k: float(v) for k, v in shares.items()} == {"Ba Sơn": 0.3, "Phần Còn Lại": 0.7}


def test_ids_are_not_localised_in_forms_and_links(client, tree, users, settings_demo) -> None:
    # Under `vi`, integers in templates group thousands (12.345): ids in values and query strings must not.
    big = AdminUnit(
        pk=123456,
        level=Level.COMMUNE,
        kind=Kind.XA,
        name="Số Lớn",
        parent=tree.loc_binh,
        valid_to=tree.loc_binh.valid_to,
    )
    big.save()
    c = as_user(client, users.admin)
    assert 'value="123456"' in text(c.get("/units/pick/123456/", {"role": "succ"}))
    assert 'name="share_123456"' in text(c.get("/units/pick/123456/", {"role": "succ"}))
    assert "?parent=123456" in text(c.get("/units/123456/"))
    assert 'name="parent" value="123456"' in text(c.get("/units/new/", {"parent": 123456}))
