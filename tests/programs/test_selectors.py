"""Selectors: totals by any dimension in one query, carry-over apart, scoped decisions and lines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from dantoc.programs import selectors, services
from dantoc.programs.models import CapitalType

from .conftest import line

pytestmark = pytest.mark.django_db
D = dt.date(2018, 1, 10)


@pytest.fixture
def plans(users, tree, cat):
    """2018: 1,000 + 200 (local) + 300 (recurrent) at Lộc Bình communes and 500 at Ba Sơn; an adjustment of −100
    at Ba Sơn; a carry-over of 150 at Đồng Bục; 2019: 700 at Đồng Bục."""
    o = users.officer
    initial = services.create_plan_decision(
        o,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[
            line(cat.p135_build, tree.dong_buc, cat.central, 1000),
            line(cat.p135_build, tree.dong_buc, cat.local, 200),
            line(cat.p135_prod, tree.tt_loc_binh, cat.central, 300, CapitalType.RECURRENT),
            line(cat.p135_build, tree.ba_son, cat.central, 500),
        ],
    )
    services.create_plan_decision(
        o,
        year=2018,
        revision="adjustment",
        authority="UBND tỉnh",
        number="2/QĐ",
        date=dt.date(2018, 7, 1),
        unit=tree.province,
        lines=[line(cat.p135_build, tree.ba_son, cat.central, -100)],
    )
    carry = services.create_plan_decision(
        o,
        year=2018,
        revision="carry_over",
        authority="UBND tỉnh",
        number="3/QĐ",
        date=dt.date(2019, 1, 20),
        unit=tree.province,
        lines=[line(cat.p135_build, tree.dong_buc, cat.central, 150)],
    )
    services.create_plan_decision(
        o,
        year=2019,
        authority="UBND tỉnh",
        number="4/QĐ",
        date=dt.date(2019, 1, 3),
        unit=tree.province,
        lines=[line(cat.a30_prod, tree.dong_buc, cat.central, 700)],
    )
    return {"initial": initial, "carry": carry}


def test_plan_total_adds_adjustments_and_keeps_carry_over_apart(users, tree, plans) -> None:
    u = users.officer
    assert selectors.plan_total(u, 2018) == 1000 + 200 + 300 + 500 - 100
    assert selectors.plan_total(u, 2018, carry_over=True) == 150
    assert selectors.plan_total(u, 2018, "P135", tree.loc_binh) == 1500
    assert selectors.plan_total(u, 2018, "P135", tree.ba_son) == 400
    assert selectors.plan_total(u, 2018, source="local") == 200
    assert selectors.plan_total(u, 2018, capital_type="recurrent") == 300
    assert selectors.plan_total(u, 2019, "30A") == 700
    assert selectors.plan_total(u, [2018, 2019]) == 1900 + 700


def test_component_filter_takes_its_subtree(users, cat, plans) -> None:
    assert selectors.plan_total(users.officer, 2018, component=cat.p135_infra) == 1000 + 200 + 500 - 100


def test_totals_by_dimensions_in_one_query(users, plans) -> None:
    with CaptureQueriesContext(connection) as q:
        rows = selectors.plan_totals(users.officer, by=("year", "program", "source", "capital_type"))
    # one aggregate (besides the area check `scoped()` may make: is the province the only top unit?)
    assert len([x for x in q.captured_queries if "programs_capitalplanline" in x["sql"]]) == 1
    assert len(q.captured_queries) <= 2
    got = {
        (r["year"], r["program"], r["source"], r["capital_type"]): (r["plan_vnd"], r["carry_over_vnd"])
        for r in rows
    }
    assert got == {
        (2018, "P135", "central", "investment"): (1400, 150),
        (2018, "P135", "local", "investment"): (200, 0),
        (2018, "P135", "central", "recurrent"): (300, 0),
        (2019, "30A", "central", "investment"): (700, 0),
    }


def test_totals_roll_up_to_districts(users, tree, plans) -> None:
    rows = selectors.plan_totals(users.officer, by=("unit",), unit_level="district", year=2018)
    got = {r["unit"]: (r["plan_vnd"], r["carry_over_vnd"]) for r in rows}
    assert got == {tree.loc_binh.pk: (1500, 150), tree.cao_loc.pk: (400, 0)}


def test_scope_limits_totals_decisions_and_lines(users, tree, plans) -> None:
    district = users.district  # Lộc Bình
    assert selectors.plan_total(district, 2018) == 1500
    decisions = list(selectors.plan_decisions(district, year=2018))
    by_number = {d.number: d for d in decisions}
    assert set(by_number) == {"1/QĐ", "3/QĐ"}  # the Ba Sơn adjustment is not theirs
    assert by_number["1/QĐ"].total_vnd == 1500 and by_number["1/QĐ"].line_count == 3
    lines = selectors.decision_lines(district, plans["initial"])
    assert {ln.unit_id for ln in lines} == {tree.dong_buc.pk, tree.tt_loc_binh.pk}
    assert selectors.plan_total(users.commune, 2018) == 0  # current commune: the 2018 units are not under it
    with pytest.raises(Http404):
        selectors.plan_decision(users.commune, plans["initial"].pk)


def test_decision_filters(users, tree, plans) -> None:
    u = users.officer
    assert [d.number for d in selectors.plan_decisions(u, year=2019)] == ["4/QĐ"]
    assert {d.number for d in selectors.plan_decisions(u, program="30A")} == {"4/QĐ"}
    assert {d.number for d in selectors.plan_decisions(u, unit=tree.ba_son)} == {"1/QĐ", "2/QĐ"}
    totals = {d.number: d.total_vnd for d in selectors.plan_decisions(u, unit=tree.ba_son)}
    assert totals == {"1/QĐ": 500, "2/QĐ": -100}
    assert [d.number for d in selectors.plan_decisions(u, revision="carry_over")] == ["3/QĐ"]


def test_component_tree_is_depth_first() -> None:
    from dantoc.programs.models import Program

    tree = selectors.component_tree(Program.objects.get(code="NTP-GNBV-2016"))
    codes = [(c.code, depth) for c, depth in tree]
    assert codes[:3] == [("DA1", 0), ("DA1-TDA1", 1), ("DA1-TDA2", 1)]
    assert codes[-1] == ("DA5", 0)
