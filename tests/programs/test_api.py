"""API shapes: programmes, components, funding sources, capital plans (list, get, create, patch, totals)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from dantoc.accounts.services import issue_token
from dantoc.programs import services
from dantoc.programs.models import Component, PlanDecision

from .conftest import line

pytestmark = pytest.mark.django_db


def api(client: Client, user, method: str, path: str, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}
    if method == "get":
        return client.get("/api/v1" + path, **headers)
    return client.generic(
        method.upper(), "/api/v1" + path, json.dumps(body or {}), content_type="application/json", **headers
    )


def test_programmes_list_and_detail(client, users) -> None:
    r = api(client, users.commune, "get", "/programs")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["items"]) >= 6
    assert {"id", "code", "name", "start_year", "end_year", "basis_number", "version"} <= set(
        body["items"][0]
    )
    r = api(client, users.commune, "get", "/programs/ntp-dtts-2021")
    assert r.status_code == 200
    detail = r.json()
    assert detail["code"] == "NTP-DTTS-2021"
    assert [c["code"] for c in detail["components"] if c["depth"] == 0] == [f"DA{i}" for i in range(1, 11)]
    assert api(client, users.commune, "get", "/programs/NOPE").status_code == 404
    assert api(client, users.commune, "get", "/programs?year=2018").json()["count"] == 4


def test_programme_and_component_writes_are_for_admins(client, users) -> None:
    body = {"code": "CS-NHA", "name": "Hỗ trợ nhà ở", "start_year": 2021, "end_year": 2025}
    assert api(client, users.officer, "post", "/programs", body).status_code == 403
    r = api(client, users.admin, "post", "/programs", body)
    assert r.status_code == 201 and r.json()["code"] == "CS-NHA"
    version = r.json()["version"]
    r = api(client, users.admin, "patch", "/programs/CS-NHA", {"version": version, "short_name": "Nhà ở"})
    assert r.status_code == 200 and r.json()["short_name"] == "Nhà ở"
    stale = api(client, users.admin, "patch", "/programs/CS-NHA", {"version": version, "short_name": "x"})
    assert stale.status_code == 409 and "/" in stale.json()["detail"]
    assert api(client, users.admin, "post", "/programs", body).status_code == 422
    r = api(
        client,
        users.admin,
        "post",
        "/components",
        {"program": "CS-NHA", "code": "1", "name": "Xây mới", "category": "housing"},
    )
    assert r.status_code == 201
    comp = r.json()
    assert comp["program"] == "CS-NHA" and comp["category"] == "housing" and comp["order"] == 1
    assert (
        api(
            client, users.officer, "patch", f"/components/{comp['id']}", {"version": 1, "name": "x"}
        ).status_code
        == 403
    )
    r = api(
        client,
        users.admin,
        "patch",
        f"/components/{comp['id']}",
        {"version": comp["version"], "name": "Xây mới nhà"},
    )
    assert r.status_code == 200 and r.json()["name"] == "Xây mới nhà"
    listed = api(client, users.viewer, "get", "/components?program=CS-NHA").json()
    assert listed["count"] == 1
    assert [s["code"] for s in api(client, users.viewer, "get", "/funding-sources").json()][:2] == [
        "central",
        "local",
    ]


def test_capital_plan_create_list_get_patch(client, users, tree, cat) -> None:
    body = {
        "year": 2018,
        "authority": "UBND huyện Lộc Bình",
        "number": "12/QĐ-UBND",
        "date": "2018-01-15",
        "unit": tree.loc_binh.pk,
        "lines": [
            {
                "component": cat.p135_build.pk,
                "unit": tree.dong_buc.pk,
                "source": "central",
                "capital_type": "investment",
                "amount_vnd": 1_200_000_000,
            },
            {
                "component": cat.p135_prod.pk,
                "unit": tree.tt_loc_binh.pk,
                "source": "local",
                "capital_type": "recurrent",
                "amount_vnd": 300_000_000,
            },
        ],
    }
    r = api(client, users.district, "post", "/capital-plans", body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["total_vnd"] == 1_500_000_000 and created["disburse_until"] == "2019-01-31"
    assert created["unit"]["id"] == tree.loc_binh.pk and len(created["lines"]) == 2
    assert {"id", "component", "unit", "source", "capital_type", "amount_vnd"} == set(created["lines"][0])
    assert created["lines"][0]["component"]["program"] == "P135"

    listed = api(client, users.officer, "get", "/capital-plans?year=2018&program=P135").json()
    assert listed["count"] == 1 and listed["items"][0]["total_vnd"] == 1_500_000_000
    by_unit = api(client, users.officer, "get", f"/capital-plans?unit={tree.dong_buc.pk}").json()
    assert by_unit["items"][0]["total_vnd"] == 1_200_000_000
    assert api(client, users.officer, "get", "/capital-plans?year=2019").json() == {"count": 0, "items": []}

    got = api(client, users.officer, "get", f"/capital-plans/{created['id']}")
    assert got.status_code == 200 and got["ETag"] == f'"{created["version"]}"'
    assert api(client, users.commune, "get", f"/capital-plans/{created['id']}").status_code == 404

    patch = {
        "version": created["version"],
        "note": "Bổ sung",
        "lines": [
            {
                "component": cat.p135_build.pk,
                "unit": tree.dong_buc.pk,
                "source": "central",
                "capital_type": "investment",
                "amount_vnd": 1_000_000_000,
            }
        ],
    }
    r = api(client, users.district, "patch", f"/capital-plans/{created['id']}", patch)
    assert r.status_code == 200, r.content
    assert r.json()["total_vnd"] == 1_000_000_000 and r.json()["note"] == "Bổ sung"
    assert api(client, users.district, "patch", f"/capital-plans/{created['id']}", patch).status_code == 409


def test_capital_plan_errors(client, users, tree, cat) -> None:
    base = {
        "year": 2018,
        "authority": "UBND",
        "number": "1/QĐ",
        "date": "2018-01-15",
        "unit": tree.loc_binh.pk,
        "lines": [
            {
                "component": cat.p135_build.pk,
                "unit": tree.ba_son.pk,
                "source": "central",
                "capital_type": "investment",
                "amount_vnd": 5,
            }
        ],
    }
    assert (
        api(client, users.district, "post", "/capital-plans", base).status_code == 403
    )  # Ba Sơn is Cao Lộc's
    r = api(client, users.officer, "post", "/capital-plans", base)  # Ba Sơn is not inside Lộc Bình
    assert r.status_code == 422 and " / " in r.json()["detail"][0]["msg"]
    bad_source = {**base, "unit": tree.province.pk, "lines": [{**base["lines"][0], "source": "nope"}]}
    assert api(client, users.officer, "post", "/capital-plans", bad_source).status_code == 422
    bad_comp = {**base, "unit": tree.province.pk, "lines": [{**base["lines"][0], "component": 999999}]}
    assert api(client, users.officer, "post", "/capital-plans", bad_comp).status_code == 422
    assert (
        api(client, users.viewer, "post", "/capital-plans", {**base, "unit": tree.province.pk}).status_code
        == 403
    )
    assert not PlanDecision.objects.exists()


def test_totals_endpoint(client, users, tree, cat) -> None:
    services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND",
        number="1/QĐ",
        date=dt.date(2018, 1, 2),
        unit=tree.province,
        lines=[
            line(cat.p135_build, tree.dong_buc, cat.central, 100),
            line(cat.p135_build, tree.ba_son, cat.local, 50),
        ],
    )
    services.create_plan_decision(
        users.officer,
        year=2018,
        revision="carry_over",
        authority="UBND",
        number="2/QĐ",
        date=dt.date(2019, 1, 2),
        unit=tree.province,
        lines=[line(cat.p135_build, tree.dong_buc, cat.central, 30)],
    )
    r = api(client, users.officer, "get", "/capital-plans/totals?year=2018&by=program,source").json()
    assert r["plan_vnd"] == 150 and r["carry_over_vnd"] == 30
    assert {(i["program"], i["source"]): i["plan_vnd"] for i in r["items"]} == {
        ("P135", "central"): 100,
        ("P135", "local"): 50,
    }
    r = api(client, users.officer, "get", "/capital-plans/totals?by=unit&unit_level=district").json()
    assert {i["unit"]: i["plan_vnd"] for i in r["items"]} == {tree.loc_binh.pk: 100, tree.cao_loc.pk: 50}
    assert api(client, users.district, "get", "/capital-plans/totals").json()["plan_vnd"] == 100
    assert Component.objects.filter(pk=cat.p135_build.pk).exists()
