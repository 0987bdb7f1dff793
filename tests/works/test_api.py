"""The works and disbursements API: shapes, filters, status codes, scope and optimistic concurrency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from dantoc.accounts.services import issue_token
from dantoc.works.models import Disbursement, Work

from .conftest import make_work

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client: Client, user: Any) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self.auth)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", **self.auth)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(f"/api/v1{path}", body, content_type="application/json", **self.auth)


@pytest.fixture
def api(client, users) -> Api:
    return Api(client, users.officer)


def new_work(tree, **kw: Any) -> dict[str, Any]:
    body = {"program": "P135", "year": 2018, "unit": tree.dong_buc.pk, "name": "Đường Khuổi Luông",
            "kind": "road", "total_investment_vnd": 1_000_000_000}  # fmt: skip
    body.update(kw)
    return body


def test_create_then_list(api, cat, tree) -> None:
    r = api.post("/works", new_work(tree))
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["id"] and body["code"] == "CT-2018-0001" and body["status"] == "proposed"
    assert body["unit"] == {"id": tree.dong_buc.pk, "name": "Xã Đồng Bục"}
    assert body["disbursed_vnd"] == 0 and body["version"] == 1
    assert body["status_history"][0]["status"] == "proposed"
    listing = api.get("/works").json()
    assert listing == {
        "count": 1,
        "items": [{
            "id": body["id"], "code": "CT-2018-0001", "name": "Đường Khuổi Luông", "kind": "road",
            "unit": {"id": tree.dong_buc.pk, "name": "Xã Đồng Bục"}, "program": "P135", "year": 2018,
            "status": "proposed", "total_investment_vnd": 1_000_000_000, "disbursed_vnd": 0,
        }],
    }  # fmt: skip


def test_create_with_component_lines_and_village(api, cat, tree, users) -> None:
    r = api.post("/works", new_work(tree, component="T-1", plan_lines=[cat.line.pk], code="LB-01",
                                    planned_start="2018-03-01", planned_completion="2018-10-30"))  # fmt: skip
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (
        body["component"] == "T-1"
        and body["plan_lines"] == [cat.line.pk]
        and body["plan_vnd"] == 2_000_000_000
    )
    r = Api(api.client, users.commune).post("/works", new_work(tree, program="NTP-DTTS-2021", year=2025,
                                                               unit=tree.village.pk))  # fmt: skip
    assert r.status_code == 201, r.json()
    assert r.json()["village"]["id"] == tree.village.pk and r.json()["unit"]["id"] == tree.xa_loc_binh.pk


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"program": "NOPE"}, "program"),
        ({"unit": 999999}, "unit"),
        ({"kind": "castle"}, "kind"),
        ({"year": 2030}, "year"),
        ({"component": "Z"}, "component"),
        ({"plan_lines": [999999]}, "plan_lines"),
    ],
)
def test_create_invalid_is_422_with_the_field(api, cat, tree, changes, loc) -> None:
    r = api.post("/works", new_work(tree, **changes))
    assert r.status_code == 422
    assert any(e["loc"] == ["body", loc] for e in r.json()["detail"]), r.json()
    assert " / " in r.json()["detail"][0]["msg"]  # bilingual


def test_create_missing_field_is_422(api, cat, tree) -> None:
    body = new_work(tree)
    del body["name"]
    assert api.post("/works", body).status_code == 422


def test_create_out_of_scope_or_read_only_is_403(client, cat, tree, users) -> None:
    assert Api(client, users.commune).post("/works", new_work(tree)).status_code == 403
    assert Api(client, users.viewer).post("/works", new_work(tree)).status_code == 403
    assert Api(client, users.leader).post("/works", new_work(tree)).status_code == 403
    assert not Work.objects.exists()


def test_list_filters_and_paging(api, cat, tree, users) -> None:
    o = users.officer
    for i in range(5):
        make_work(o, cat, tree.dong_buc, name=f"Đường số {i}")
    make_work(o, cat, tree.ba_son, name="Cầu treo Bản Chắt", kind="bridge", year=2019)
    make_work(
        o, cat, tree.xa_loc_binh, name="Nhà văn hoá Nà Pàn", kind="cultural_house", program=cat.ntp, year=2025
    )
    assert api.get("/works").json()["count"] == 7
    page = api.get("/works", limit=2, offset=1).json()
    assert page["count"] == 7 and len(page["items"]) == 2
    assert api.get("/works", program="P135", year=2018).json()["count"] == 5
    assert api.get("/works", unit=tree.cao_loc.pk).json()["count"] == 1
    assert api.get("/works", q="cau treo ban chat").json()["items"][0]["kind"] == "bridge"
    assert api.get("/works", status="proposed").json()["count"] == 7
    assert api.get("/works", status="approved").json()["count"] == 0
    commune = Api(api.client, users.commune)
    assert [w["name"] for w in commune.get("/works").json()["items"]] == ["Nhà văn hoá Nà Pàn"]
    assert commune.get("/works", unit=tree.ba_son.pk).status_code == 404  # a unit outside the area


def test_get_and_patch_with_version(api, work, users) -> None:
    r = api.get(f"/works/{work.pk}")
    assert r.status_code == 200 and r["ETag"] == '"2"'
    assert r.json()["next_statuses"] == ["approved", "cancelled"]
    r = api.patch(f"/works/{work.pk}", {"version": 2, "name": "Đường Nà Pàn mới", "investor": "UBND huyện"})
    assert r.status_code == 200 and r.json()["version"] == 3 and r.json()["investor"] == "UBND huyện"
    stale = api.patch(f"/works/{work.pk}", {"version": 2, "name": "Ghi đè"})
    assert stale.status_code == 409 and " / " in stale.json()["detail"]
    assert Work.objects.get(pk=work.pk).name == "Đường Nà Pàn mới"
    r = api.patch(f"/works/{work.pk}", {"version": 3, "plan_lines": []})
    assert r.status_code == 200 and r.json()["plan_lines"] == [] and r.json()["version"] == 4
    assert api.patch(f"/works/{work.pk}", {"version": 3, "plan_lines": []}).status_code == 409
    assert api.patch(f"/works/{work.pk}", {"version": 4, "total_investment_vnd": -1}).status_code == 422
    assert api.patch(f"/works/{work.pk}", {"version": 4, "owner": "xa"}).status_code == 422  # not its area
    assert api.patch(f"/works/{work.pk}", {"version": 4, "owner": "nobody"}).status_code == 422
    r = api.patch(f"/works/{work.pk}", {"version": 4, "owner": "locbinh"})
    assert r.status_code == 200 and r.json()["owner"] == "locbinh"


def test_out_of_scope_reads_and_writes(client, work, users, cat) -> None:
    commune = Api(client, users.commune)
    assert commune.get(f"/works/{work.pk}").status_code == 404
    assert commune.get(f"/works/{work.pk}/progress").status_code == 404
    assert commune.patch(f"/works/{work.pk}", {"version": 1, "name": "x"}).status_code == 404
    assert commune.post(f"/works/{work.pk}/status", {"status": "approved"}).status_code == 404
    assert commune.post(f"/works/{work.pk}/progress", {"date": "2018-05-01", "percent": 5}).status_code == 404
    body = {"work": work.pk, "date": "2018-11-20", "amount_vnd": 5, "source": "central"}
    assert commune.post("/disbursements", body).status_code == 404
    viewer = Api(client, users.viewer)
    assert viewer.get(f"/works/{work.pk}").status_code == 200
    assert viewer.patch(f"/works/{work.pk}", {"version": 1, "name": "x"}).status_code == 403
    assert viewer.post(f"/works/{work.pk}/status", {"status": "approved"}).status_code == 403
    assert viewer.post(f"/works/{work.pk}/progress", {"date": "2018-05-01", "percent": 5}).status_code == 403
    assert viewer.post("/disbursements", body).status_code == 403
    assert not Disbursement.objects.exists()


def test_status_transitions(api, work) -> None:
    r = api.post(f"/works/{work.pk}/status", {"status": "approved", "date": "2018-02-01", "note": "QĐ 12"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["status_history"][-1] == {"status": "approved", "date": "2018-02-01", "note": "QĐ 12"}
    r = api.post(
        f"/works/{work.pk}/status", {"status": "under_construction", "date": "2018-03-05", "version": 3}
    )
    assert r.status_code == 200 and r.json()["actual_start"] == "2018-03-05"
    refused = api.post(f"/works/{work.pk}/status", {"status": "handed_over"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "status"]
    assert api.post(f"/works/{work.pk}/status", {"status": "completed", "version": 1}).status_code == 409


def test_progress(api, work) -> None:
    assert api.post(f"/works/{work.pk}/progress", {"date": "2018-05-01", "percent": 40}).status_code == 201
    lower = api.post(f"/works/{work.pk}/progress", {"date": "2018-06-01", "percent": 30})
    assert lower.status_code == 422 and lower.json()["detail"][0]["loc"] == ["body", "note"]
    ok = api.post(f"/works/{work.pk}/progress", {"date": "2018-06-01", "percent": 30, "note": "Sạt lở"})
    assert ok.status_code == 201 and ok.json()["percent"] == 30
    assert [p["percent"] for p in api.get(f"/works/{work.pk}/progress").json()] == [30, 40]
    assert api.get(f"/works/{work.pk}").json()["progress_percent"] == 30
    assert api.post(f"/works/{work.pk}/progress", {"date": "2018-06-01", "percent": 101}).status_code == 422


def test_disbursements(api, work, cat, tree) -> None:
    r = api.post("/disbursements", {"work": work.pk, "date": "2018-11-20", "amount_vnd": 250_000_000,
                                    "source": "central"})  # fmt: skip
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["unit"]["id"] == tree.dong_buc.pk and body["plan_year"] == 2018
    assert body["capital_type"] == "investment" and body["counted"] is True and body["work"] == work.pk
    late = api.post(
        "/disbursements", {"work": work.pk, "date": "2019-02-01", "amount_vnd": 1, "source": "central"}
    )
    assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["body", "date"]
    assert api.post("/disbursements", {"work": work.pk, "date": "2018-11-20", "amount_vnd": 0,
                                       "source": "central"}).status_code == 422  # fmt: skip
    assert api.post("/disbursements", {"work": work.pk, "date": "2018-11-20", "amount_vnd": 5,
                                       "source": "nope"}).status_code == 422  # fmt: skip
    assert api.post("/disbursements", {"plan_line": cat.line.pk, "date": "2018-12-01", "amount_vnd": 7,
                                       "source": "local", "capital_type": "recurrent"}).status_code == 201  # fmt: skip
    listing = api.get("/disbursements", work=work.pk).json()
    assert listing["count"] == 1 and listing["counted_vnd"] == 250_000_000
    assert api.get("/disbursements", year=2018).json()["count"] == 2
    assert api.get("/disbursements", unit=tree.dong_buc.pk).json()["count"] == 1
    assert api.get("/works", year=2018).json()["items"][0]["disbursed_vnd"] == 250_000_000
    assert api.get(f"/works/{work.pk}").json()["disbursement_rate"] == 0.125


def test_disbursement_get_and_patch(api, work, client, users) -> None:
    pid = api.post("/disbursements", {"work": work.pk, "date": "2018-11-20", "amount_vnd": 5,
                                      "source": "central"}).json()["id"]  # fmt: skip
    assert api.get(f"/disbursements/{pid}").json()["amount_vnd"] == 5
    r = api.patch(f"/disbursements/{pid}", {"version": 1, "amount_vnd": 6, "voucher_number": "UNC-9"})
    assert r.status_code == 200 and r.json()["amount_vnd"] == 6 and r.json()["version"] == 2
    assert api.patch(f"/disbursements/{pid}", {"version": 1, "amount_vnd": 7}).status_code == 409
    assert api.patch(f"/disbursements/{pid}", {"version": 2, "date": "2019-03-01"}).status_code == 422
    assert Api(client, users.commune).get(f"/disbursements/{pid}").status_code == 404


def test_anonymous_is_401(client, work) -> None:
    assert client.get("/api/v1/works").status_code == 401
    assert client.post("/api/v1/disbursements", {}, content_type="application/json").status_code == 401


def test_openapi_lists_the_operations(client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in ("/api/v1/works", "/api/v1/works/{work_id}", "/api/v1/works/{work_id}/status",
              "/api/v1/works/{work_id}/progress", "/api/v1/disbursements"):  # fmt: skip
        assert p in paths


def test_today_is_accepted_for_a_current_year_work(api, cat, tree) -> None:
    year = dt.date.today().year
    r = api.post("/works", new_work(tree, program="NTP-DTTS-2021", year=year, unit=tree.xa_loc_binh.pk))
    assert r.status_code == 201, r.json()
    pay = api.post("/disbursements", {"work": r.json()["id"], "date": dt.date.today().isoformat(), "amount_vnd": 1,
                                      "source": "central"})  # fmt: skip
    assert pay.status_code == 201, pay.json()
