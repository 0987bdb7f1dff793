"""API: shapes, masking, access log, scope, 201 on support records."""

from __future__ import annotations

import pytest
from django.test import Client

from dantoc.accounts.services import issue_token
from dantoc.core.models import AccessLog
from dantoc.households.models import SupportRecord

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}


def test_list_shape_and_masking(client: Client, world, users) -> None:
    r = client.get("/api/v1/persons", {"q": "thi mai"}, **auth(users.officer))
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert {
        "id",
        "full_name",
        "birth_year",
        "sex",
        "ethnic_group",
        "id_number",
        "household",
        "village",
    } <= set(item)
    assert item["full_name"] == "Vi Thị Mai" and item["id_number"] == "•••••••••456"
    assert item["village"] == "Nà Pàn" and item["household"] == world.household.pk
    assert not AccessLog.objects.exists()


def test_search_by_id_number_and_filters(client: Client, world, users) -> None:
    h = auth(users.officer)
    assert client.get("/api/v1/persons", {"q": "020186001456"}, **h).json()["count"] == 1
    assert client.get("/api/v1/persons", {"q": "020 186 001 456"}, **h).json()["count"] == 1
    assert client.get("/api/v1/persons", {"ethnic_group": "Nùng"}, **h).json()["count"] == 2
    assert client.get("/api/v1/persons", {"ethnic_group": "02"}, **h).json()["count"] == 1
    assert client.get("/api/v1/persons", {"poverty": "poor", "year": 2018}, **h).json()["count"] == 2
    assert client.get("/api/v1/persons", {"unit": world.village.parent_id}, **h).json()["count"] == 2


def test_reveal_needs_permission_and_reason(client: Client, world, users) -> None:
    r = client.get(
        "/api/v1/persons",
        {"q": "mai", "reveal": "true", "reason": "Đối chiếu hồ sơ hỗ trợ"},
        **auth(users.officer),
    )
    assert r.status_code == 200 and r.json()["items"][0]["id_number"] == "020186001456"
    assert AccessLog.objects.filter(action="reveal", user=users.officer).count() == 1
    r = client.get("/api/v1/persons", {"q": "mai", "reveal": "true", "reason": "x"}, **auth(users.officer))
    assert r.status_code == 422
    r = client.get(
        "/api/v1/persons", {"q": "mai", "reveal": "true", "reason": "Tôi muốn xem"}, **auth(users.viewer)
    )
    assert r.status_code == 403 and " / " in r.json()["detail"]


def test_viewer_never_sees_a_full_id(client: Client, world, users) -> None:
    h = auth(users.viewer)
    body = client.get("/api/v1/persons", **h).json()
    assert body["count"] == 3 and all("•" in i["id_number"] or i["id_number"] == "" for i in body["items"])
    r = client.get(f"/api/v1/persons/{world.head.pk}", {"reason": "Kiểm tra danh sách"}, **h)
    assert r.status_code == 200 and r.json()["id_number"] == "•••••••••456"
    r = client.get(
        f"/api/v1/persons/{world.head.pk}", {"reason": "Kiểm tra danh sách", "reveal": "true"}, **h
    )
    assert r.status_code == 403
    assert (
        client.get(
            f"/api/v1/persons/{world.head.pk}/export", {"reason": "Yêu cầu của người dân"}, **h
        ).status_code
        == 403
    )
    hh = client.get(f"/api/v1/households/{world.household.pk}", **h).json()
    assert all(m["id_number"] in ("", "•••••••••456") for m in hh["members"])


def test_person_detail_is_logged_and_needs_a_reason(client: Client, world, users) -> None:
    h = auth(users.commune)
    r = client.get(f"/api/v1/persons/{world.head.pk}", **h)
    assert r.status_code == 422
    r = client.get(f"/api/v1/persons/{world.head.pk}", {"reason": "Xác minh hồ sơ hỗ trợ"}, **h)
    assert r.status_code == 200 and r.json()["id_number"] == "•••••••••456"
    log = AccessLog.objects.get()
    assert log.action == "view" and log.subject.startswith(f"person:{world.head.pk} ")
    assert log.reason == "Xác minh hồ sơ hỗ trợ"
    r = client.get(
        f"/api/v1/persons/{world.head.pk}", {"reason": "Xác minh hồ sơ hỗ trợ", "reveal": "true"}, **h
    )
    assert r.json()["id_number"] == "020186001456" and r.json()["revealed"] is True
    assert set(AccessLog.objects.values_list("action", flat=True)) == {"view", "reveal"}


def test_scope(client: Client, world, users) -> None:
    h = auth(users.commune)
    body = client.get("/api/v1/persons", **h).json()
    assert body["count"] == 2 and {i["village"] for i in body["items"]} == {"Nà Pàn"}
    assert client.get("/api/v1/persons", {"q": "tung"}, **h).json()["count"] == 0
    assert (
        client.get(f"/api/v1/persons/{world.other_head.pk}", {"reason": "Thử phạm vi"}, **h).status_code
        == 404
    )
    assert client.get(f"/api/v1/households/{world.other_household.pk}", **h).status_code == 404
    assert client.get("/api/v1/households", **h).json()["count"] == 1
    assert not AccessLog.objects.exists()


def test_post_support_record_201(client: Client, world, users) -> None:
    payload = {
        "household": world.household.pk,
        "program": "30A",
        "year": 2018,
        "kind": "livestock",
        "quantity": 1,
        "value_vnd": 5000000,
    }
    r = client.post(
        "/api/v1/support-records", payload, content_type="application/json", **auth(users.commune)
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["component"] == "30A-2" and body["value_vnd"] == 5_000_000 and body["program"] == "30A"
    assert SupportRecord.objects.get().household_id == world.household.pk
    listed = client.get("/api/v1/support-records", {"year": 2018}, **auth(users.commune)).json()
    assert listed["count"] == 1 and listed["value_vnd"] == 5_000_000
    rec = client.get(f"/api/v1/support-records/{body['id']}", **auth(users.commune))
    assert rec.status_code == 200


def test_post_support_record_errors(client: Client, world, users) -> None:
    payload = {
        "household": world.other_household.pk,
        "program": "30A",
        "year": 2018,
        "kind": "livestock",
        "value_vnd": 5000000,
    }
    r = client.post(
        "/api/v1/support-records", payload, content_type="application/json", **auth(users.commune)
    )
    assert r.status_code == 404
    payload["household"] = world.household.pk
    r = client.post("/api/v1/support-records", payload, content_type="application/json", **auth(users.viewer))
    assert r.status_code == 403
    payload["kind"] = "spaceship"
    r = client.post(
        "/api/v1/support-records", payload, content_type="application/json", **auth(users.commune)
    )
    assert r.status_code == 422 and "kind" in str(r.json())


def test_person_create_patch_and_conflict(client: Client, world, users) -> None:
    h = auth(users.commune)
    r = client.post(
        "/api/v1/persons",
        {
            "household": world.household.pk,
            "full_name": "Vi Văn Thắng",
            "sex": "M",
            "birth_year": 2015,
            "ethnic_group": "07",
            "relation": "child",
            "id_number": "020215000777",
        },
        content_type="application/json",
        **h,
    )
    assert r.status_code == 201, r.content
    pid, version = r.json()["id"], r.json()["version"]
    assert r.json()["id_number"] == "•••••••••777"
    r = client.patch(
        f"/api/v1/persons/{pid}",
        {"version": version, "full_name": "Vi Văn Thắng A"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 200 and r.json()["version"] == version + 1
    r = client.patch(
        f"/api/v1/persons/{pid}", {"version": version, "full_name": "B"}, content_type="application/json", **h
    )
    assert r.status_code == 409
    r = client.patch(
        f"/api/v1/persons/{pid}",
        {"version": version + 1, "id_number": "020290000777"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 422


def test_access_request_export(client: Client, world, users) -> None:
    r = client.get(
        f"/api/v1/persons/{world.head.pk}/export",
        {"reason": "Yêu cầu truy cập của chủ thể dữ liệu"},
        **auth(users.commune),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["person"]["id_number"] == "020186001456" and body["household"]["code"] == "NP-001"
    assert body["poverty"] == [{"year": 2018, "status": "poor", "source": "QĐ rà soát 2018"}]
    assert AccessLog.objects.get().action == "export"


def test_duplicates_merge_and_keep_apart(client: Client, world, users) -> None:
    from .conftest import person

    twin = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "sibling")
    h = auth(users.commune)
    pairs = client.get("/api/v1/persons/duplicates", {"unit": world.village.parent_id}, **h).json()
    assert len(pairs) == 1 and pairs[0]["a"]["id_number"] == "•••••••••456"
    r = client.post(
        "/api/v1/persons/keep-apart", {"a": world.head.pk, "b": twin.pk}, content_type="application/json", **h
    )
    assert r.status_code == 200 and r.json()["decision"] == "kept_apart"
    assert client.get("/api/v1/persons/duplicates", {"unit": world.village.parent_id}, **h).json() == []
    other = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "child")
    r = client.post(
        "/api/v1/persons/merge",
        {"kept": world.head.pk, "other": other.pk},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 200 and r.json()["decision"] == "merged"
    assert client.post(f"/api/v1/persons/{other.pk}/unmerge", **auth(users.viewer)).status_code in (403, 404)
    r = client.post(f"/api/v1/persons/{other.pk}/unmerge", **h)
    assert r.status_code == 200 and r.json()["id"] == other.pk
    assert client.post(f"/api/v1/persons/{other.pk}/unmerge", **h).status_code == 404  # nothing left to undo


def test_support_report_endpoint(client: Client, world, users, tree) -> None:
    SupportRecord.objects.create(
        household=world.household, component=world.production, year=2018, kind="cash", value_vnd=2_500_000
    )
    body = client.get("/api/v1/support-report", {"year": 2018}, **auth(users.viewer)).json()
    assert body["programs"][0]["code"] == "30A" and body["programs"][0]["value_vnd"] == 2_500_000
