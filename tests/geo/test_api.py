"""The units API: shapes of issue 3 item 9, writes with permissions, 409 on concurrent edits, scope."""

from __future__ import annotations

import pytest
from django.test import Client

from dantoc.accounts.services import issue_token
from dantoc.geo.models import AdminUnit, Kind, UnitChange

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client: Client, user) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, **self.auth)

    def post(self, path: str, body: dict):
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", **self.auth)

    def patch(self, path: str, body: dict):
        return self.client.patch(f"/api/v1{path}", body, content_type="application/json", **self.auth)


@pytest.fixture
def api(client, users):
    return lambda user: Api(client, user)


# --- reads: the shapes of issue 3 ------------------------------------------------------------------


def test_list_shape_and_count_before_paging(api, tree, users) -> None:
    a = api(users.officer)
    body = a.get("/units", level="commune", within=tree.province.pk, on="2024-01-01", limit=1).json()
    assert body["count"] == 3 and len(body["items"]) == 1
    assert set(body["items"][0]) == {
        "id",
        "code",
        "name",
        "level",
        "kind",
        "parent",
        "valid_from",
        "valid_to",
    }
    assert a.get("/units", level="commune", within=tree.province.pk, on="2026-01-01").json()["count"] == 2
    found = a.get("/units", q="nhuong ban", on="2019-06-01").json()
    assert [i["name"] for i in found["items"]] == ["Xã Nhượng Bạn"]


def test_lineage_shape(api, tree, users) -> None:
    body = api(users.officer).get(f"/units/{tree.xa_loc_binh.pk}/lineage").json()
    assert set(body) == {"predecessors", "successors"} and body["successors"] == []
    names = {e["unit"]["name"] for e in body["predecessors"]}
    assert names == {"Thị trấn Lộc Bình", "Xã Đồng Bục"}
    edge = body["predecessors"][0]
    assert edge["change_kind"] == "merge" and edge["effective_date"] == "2025-07-01"
    assert edge["legal_basis"] == "1672/NQ-UBTVQH15 (16/06/2025)"


def test_get_unit_carries_its_version_in_the_etag(api, tree, users) -> None:
    r = api(users.officer).get(f"/units/{tree.village.pk}")
    assert r.status_code == 200 and r["ETag"] == '"1"'
    assert set(r.json()) == {"id", "code", "name", "level", "kind", "parent", "valid_from", "valid_to"}


# --- scope -----------------------------------------------------------------------------------------


def test_historical_district_officer_scope(api, tree, users) -> None:
    a = api(users.district)
    body = a.get("/units", level="commune", on="2024-01-01").json()
    assert {i["id"] for i in body["items"]} == {tree.tt_loc_binh.pk, tree.dong_buc.pk}
    assert a.get("/units", q="ba son", on="2024-01-01").json()["count"] == 0
    assert a.get(f"/units/{tree.ba_son.pk}").status_code == 404
    assert a.get(f"/units/{tree.cao_loc.pk}/lineage").status_code == 404


def test_commune_officer_scope(api, tree, users) -> None:
    a = api(users.commune)
    body = a.get("/units").json()
    assert {i["id"] for i in body["items"]} == {tree.xa_loc_binh.pk, tree.village.pk}
    assert a.get(f"/units/{tree.dong_buc.pk}").status_code == 404
    assert a.get("/units", within=tree.province.pk).status_code == 404


# --- writes ----------------------------------------------------------------------------------------


def test_create_a_village_in_scope(api, tree, users) -> None:
    a = api(users.commune)
    r = a.post("/units", {"kind": Kind.BAN, "name": "Bản Pò Hin", "parent": tree.xa_loc_binh.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "Bản Pò Hin" and body["parent"] == tree.xa_loc_binh.pk and body["version"] == 1
    assert body["valid_from"] == "2025-07-01"
    out = a.post("/units", {"kind": Kind.BAN, "name": "Bản Ngoài", "parent": tree.xa_cao_loc.pk})
    assert out.status_code == 403 and " / " in out.json()["detail"]
    dup = a.post("/units", {"kind": Kind.THON, "name": "Nà Pàn", "parent": tree.xa_loc_binh.pk})
    assert dup.status_code == 422
    (err,) = dup.json()["detail"]
    assert err["loc"] == ["body", "name"] and " / A unit named" in err["msg"]


def test_structure_writes_are_for_admins(api, tree, users) -> None:
    body = {"kind": Kind.XA, "name": "Nhượng Bạn Cũ", "parent": tree.loc_binh.pk, "valid_to": "2020-01-09"}
    assert api(users.officer).post("/units", body).status_code == 403
    assert (
        api(users.viewer)
        .post("/units", {"kind": Kind.THON, "name": "X", "parent": tree.xa_loc_binh.pk})
        .status_code
        == 403
    )
    r = api(users.admin).post("/units", body)
    assert r.status_code == 201 and r.json()["valid_to"] == "2020-01-09"


def test_patch_with_version_and_409(api, tree, users) -> None:
    a = api(users.commune)
    r = a.patch(f"/units/{tree.village.pk}", {"version": 1, "name": "Nà Pàn Mới"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["name"] == "Thôn Nà Pàn Mới"
    stale = a.patch(f"/units/{tree.village.pk}", {"version": 1, "name": "Nà Pàn Khác"})
    assert stale.status_code == 409 and "Someone else changed this record" in stale.json()["detail"]
    assert AdminUnit.objects.get(pk=tree.village.pk).name == "Nà Pàn Mới"
    assert a.patch(f"/units/{tree.village.pk}", {"name": "no version"}).status_code == 422
    assert (
        api(users.viewer).patch(f"/units/{tree.village.pk}", {"version": 2, "name": "X"}).status_code == 403
    )
    assert a.patch(f"/units/{tree.dong_buc.pk}", {"version": 1, "name": "X"}).status_code == 404
    assert a.patch(f"/units/{tree.xa_loc_binh.pk}", {"version": 1, "note": "x"}).status_code == 403


def test_record_a_change(api, tree, users) -> None:
    body = {
        "kind": "abolish",
        "effective_date": "2020-01-10",
        "basis_number": "TEST/NQ",
        "basis_date": "2019-11-21",
        "predecessors": [tree.nhuong_ban.pk],
        "successors": [{"unit": tree.dong_buc.pk}],
    }
    assert api(users.officer).post("/unit-changes", body).status_code == 403
    r = api(users.admin).post("/unit-changes", body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["kind"] == "abolish" and out["legal_basis"] == "TEST/NQ (21/11/2019)"
    (edge,) = out["edges"]
    assert edge["predecessor"]["id"] == tree.nhuong_ban.pk and edge["successor"]["id"] == tree.dong_buc.pk
    lineage = api(users.officer).get(f"/units/{tree.nhuong_ban.pk}/lineage").json()
    assert lineage["successors"][0]["change_kind"] == "abolish"
    again = api(users.admin).post("/unit-changes", body)
    assert again.status_code == 422 and "already has a recorded change" in again.json()["detail"][0]["msg"]


def test_record_a_split_without_shares_needs_a_primary(api, tree, users) -> None:
    a = api(users.admin)
    pred = a.post("/units", {"kind": Kind.XA, "name": "Tách Đôi", "parent": tree.cao_loc.pk}).json()["id"]
    body = {
        "kind": "split",
        "effective_date": "2023-01-01",
        "predecessors": [pred],
        "successors": [
            {"new": {"kind": Kind.XA, "name": "Tách Một"}},
            {"new": {"kind": Kind.XA, "name": "Tách Hai"}},
        ],
    }
    assert a.post("/unit-changes", body).status_code == 422
    body["successors"][1]["primary"] = True
    r = a.post("/unit-changes", body)
    assert r.status_code == 201
    primary = [e for e in r.json()["edges"] if e["is_primary"]]
    assert [e["successor"]["name"] for e in primary] == ["Xã Tách Hai"]
    assert UnitChange.objects.get(pk=r.json()["id"]).kind == "split"


def test_name_search_without_a_date_finds_historical_units(client, tree, users) -> None:
    from dantoc.accounts.services import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.officer)}"}
    body = client.get("/api/v1/units?q=nhuong ban", **auth).json()
    assert [u["name"] for u in body["items"]] == ["Xã Nhượng Bạn"]
    assert body["items"][0]["valid_to"] == "2020-01-09"
    assert client.get("/api/v1/units?q=nhuong ban&on=2026-01-01", **auth).json()["count"] == 0
    # Without q, the default is today's structure.
    assert client.get("/api/v1/units?level=commune", **auth).json()["count"] == 2
