"""The program-summary report: figures computed from records (tests/reports/data.py), scope, subtree,
historical and current structure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dantoc.geo.models import UnitChange, UnitLineage
from dantoc.reports.program_summary import program_summary
from dantoc.reports.selectors import SystemUser
from dantoc.works.models import WorkStatus
from tests.reports.data import Dataset, M, work

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2019, 3, 31)


def programs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in report["programs"]}


def components(program: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {c["code"]: c for c in program["components"]}


def test_figures_from_records(dataset: Dataset, users, tree) -> None:
    report = program_summary(users.leader, 2018, on=AS_OF)
    assert report["year"] == 2018 and report["as_of"] == "2019-03-31" and report["deadline"] == "2019-01-31"
    assert report["unit"] == {"id": tree.province.pk, "code": "20", "name": "Tỉnh Lạng Sơn"}
    assert report["structure"]["mode"] == "historical"
    p135 = programs(report)["P135"]
    assert p135["coverage"] == "classification"
    assert (p135["communes"], p135["villages"]) == (3, 1)  # Nhượng Bạn only from 2019
    assert p135["capital_plan_vnd"] == 1_900 * M
    assert p135["capital_plan_by_source"] == {
        "central": {"investment": 1_500 * M, "recurrent": 200 * M, "total": 1_700 * M},
        "local": {"investment": 200 * M, "recurrent": 0, "total": 200 * M},
    }
    assert p135["capital_plan_by_type"] == {"investment": 1_700 * M, "recurrent": 200 * M}
    assert p135["disbursed_vnd"] == 1_100 * M and p135["disbursement_rate"] == 0.5789
    assert p135["carry_over"] == {"plan_vnd": 150 * M, "disbursed_vnd": 120 * M, "outside_window_vnd": 50 * M}
    assert p135["works"] == 4
    assert p135["works_by_status"] == {
        "proposed": 1,
        "approved": 1,
        "under_construction": 1,
        "completed": 1,
        "handed_over": 0,
        "suspended": 0,
        "cancelled": 0,
    }
    a30 = programs(report)["30A"]
    assert a30["disbursement_rate"] == 0.98 and a30["coverage"] == "activity"
    assert (a30["communes"], a30["villages"], a30["works"]) == (1, 0, 1)


def test_components_roll_up_their_children(dataset: Dataset, users) -> None:
    p135 = programs(program_summary(users.leader, 2018, on=AS_OF))["P135"]
    comps = components(p135)
    infra, sub, prod = comps["P135-1"], comps["P135-1.1"], comps["P135-2"]
    assert sub["parent"] == "P135-1" and sub["depth"] == infra["depth"] + 1
    assert (sub["capital_plan_vnd"], sub["disbursed_vnd"], sub["disbursement_rate"], sub["works"]) == (
        0,
        800 * M,
        None,
        1,
    )
    assert (infra["capital_plan_vnd"], infra["disbursed_vnd"], infra["works"]) == (1_700 * M, 1_000 * M, 3)
    assert infra["communes"] == 3  # Đồng Bục (through W1 in its sub-project), TT Lộc Bình, Ba Sơn
    assert (prod["capital_plan_vnd"], prod["disbursed_vnd"], prod["works"]) == (200 * M, 100 * M, 1)
    assert (prod["communes"], prod["villages"]) == (1, 1)  # W5 in Bản Chắt covers the village and its commune
    assert (
        sum(c["capital_plan_vnd"] for c in p135["components"] if c["depth"] == 0) == p135["capital_plan_vnd"]
    )


def test_programmes_of_the_year_are_listed_even_without_figures(dataset: Dataset, users) -> None:
    codes = [p["code"] for p in program_summary(users.leader, 2018)["programs"]]
    assert {"P135", "30A", "NTP-GNBV-2016"} <= set(codes)
    assert "NTP-DTTS-2021" not in codes and "NTP-2026" not in codes
    codes_2026 = [p["code"] for p in program_summary(users.leader, 2026)["programs"]]
    assert "NTP-2026" in codes_2026 and "P135" not in codes_2026


def test_rolled_up_by_unit_level(dataset: Dataset, users, tree) -> None:
    p135 = programs(program_summary(users.leader, 2018, on=AS_OF))["P135"]
    units = {u["id"]: u for u in p135["units"]}
    assert set(units) == {tree.loc_binh.pk, tree.cao_loc.pk}
    lb, cl = units[tree.loc_binh.pk], units[tree.cao_loc.pk]
    assert (lb["communes"], lb["villages"], lb["capital_plan_vnd"], lb["disbursed_vnd"], lb["works"]) == (
        2,
        1,
        1_400 * M,
        900 * M,
        3,
    )
    assert (cl["communes"], cl["capital_plan_vnd"], cl["disbursed_vnd"], cl["disbursement_rate"]) == (
        1,
        500 * M,
        200 * M,
        0.4,
    )


def test_unit_restricts_to_a_subtree(dataset: Dataset, users, tree) -> None:
    report = program_summary(users.leader, 2018, unit=tree.loc_binh, on=AS_OF)
    assert report["unit"]["name"] == "Huyện Lộc Bình"
    p135 = programs(report)["P135"]
    assert (p135["communes"], p135["villages"], p135["capital_plan_vnd"], p135["works"]) == (
        2,
        1,
        1_400 * M,
        3,
    )
    assert {u["name"] for u in p135["units"]} == {"Xã Đồng Bục", "Thị trấn Lộc Bình"}
    assert p135["carry_over"]["plan_vnd"] == 0


def test_current_structure_rebases_onto_todays_units(dataset: Dataset, users, tree) -> None:
    report = program_summary(users.leader, 2018, structure="current", on=AS_OF, today=dt.date(2026, 3, 1))
    structure = report["structure"]
    assert structure["mode"] == "current" and structure["on"] == "2026-03-01"
    assert structure["rules"] == {"whole": 4}  # Đồng Bục, TT Lộc Bình, Ba Sơn merged; Bản Chắt re-parented
    assert "sáp nhập" in structure["description"]
    p135 = programs(report)["P135"]
    assert (p135["communes"], p135["villages"]) == (2, 1)  # three communes of 2018 are two today
    assert (p135["capital_plan_vnd"], p135["disbursed_vnd"], p135["works"]) == (1_900 * M, 1_100 * M, 4)
    units = {u["id"]: u for u in p135["units"]}
    assert set(units) == {tree.xa_loc_binh.pk, tree.xa_cao_loc.pk}
    assert units[tree.xa_loc_binh.pk]["capital_plan_vnd"] == 1_400 * M
    assert (units[tree.xa_loc_binh.pk]["communes"], units[tree.xa_loc_binh.pk]["villages"]) == (1, 1)
    assert units[tree.xa_cao_loc.pk]["disbursement_rate"] == 0.4


def test_current_structure_apportions_a_split_by_share(dataset: Dataset, users, tree) -> None:
    # Ba Sơn split 60/40 between Xã Cao Lộc and Xã Lộc Bình (instead of merging whole).
    UnitLineage.objects.filter(predecessor=tree.ba_son).delete()
    split = UnitChange.objects.create(kind=UnitChange.ChangeKind.SPLIT, effective_date=dt.date(2025, 7, 1))
    UnitLineage.objects.create(change=split, predecessor=tree.ba_son, successor=tree.xa_cao_loc, share="0.6")
    UnitLineage.objects.create(change=split, predecessor=tree.ba_son, successor=tree.xa_loc_binh, share="0.4")
    report = program_summary(users.leader, 2018, structure="current", on=AS_OF)
    assert report["structure"]["rules"] == {"share": 1, "whole": 3}
    p135 = programs(report)["P135"]
    units = {u["id"]: u for u in p135["units"]}
    assert units[tree.xa_cao_loc.pk]["capital_plan_vnd"] == 300 * M  # 60 % of 500M
    assert units[tree.xa_loc_binh.pk]["capital_plan_vnd"] == 1_600 * M  # 1,400M + 40 % of 500M
    assert units[tree.xa_cao_loc.pk]["works"] == 1  # W2 goes whole to the larger share
    assert (p135["communes"], units[tree.xa_cao_loc.pk]["communes"]) == (2, 1)  # Ba Sơn counts once, there
    assert p135["capital_plan_vnd"] == 1_900 * M


def test_an_abolished_unit_without_successor_is_unallocated(dataset: Dataset, users, tree) -> None:
    UnitLineage.objects.filter(predecessor=tree.ba_son).delete()
    p135 = programs(program_summary(users.leader, 2018, structure="current", on=AS_OF))["P135"]
    unallocated = [u for u in p135["units"] if u["id"] is None]
    assert len(unallocated) == 1 and unallocated[0]["capital_plan_vnd"] == 500 * M
    assert p135["communes"] == 1


def test_adding_a_work_counts_it(dataset: Dataset, users, tree) -> None:
    before = programs(program_summary(users.leader, 2018))["P135"]["works"]
    work("W6", dataset.programs["P135"], None, tree.dong_buc, WorkStatus.PROPOSED, 1 * M)
    after = programs(program_summary(users.leader, 2018))["P135"]
    assert after["works"] == before + 1
    unassigned = components(after)[None]
    assert unassigned["works"] == 1 and unassigned["name"] == "Chưa xác định dự án thành phần"


def test_scope_of_the_reader(dataset: Dataset, users, tree) -> None:
    district = programs(program_summary(users.district, 2018, on=AS_OF))["P135"]
    assert (district["communes"], district["capital_plan_vnd"]) == (2, 1_400 * M)
    commune = program_summary(users.commune, 2018, on=AS_OF)
    assert commune["unit"]["id"] == tree.xa_loc_binh.pk
    assert all(
        p["capital_plan_vnd"] == 0 and p["works"] == 0 and p["communes"] == 0 for p in commune["programs"]
    )
    system = programs(program_summary(SystemUser(), 2018, on=AS_OF))["P135"]
    assert system["capital_plan_vnd"] == 1_900 * M


def test_default_as_of_is_today(dataset: Dataset, users) -> None:
    report = program_summary(users.leader, 2018, today=dt.date(2026, 1, 1))
    assert report["as_of"] == "2026-01-01"
    p135 = programs(report)["P135"]
    assert p135["disbursed_vnd"] == 1_100 * M  # still cut off on 31/01/2019
    assert p135["carry_over"] == {"plan_vnd": 150 * M, "disbursed_vnd": 120 * M, "outside_window_vnd": 50 * M}
    early = programs(program_summary(users.leader, 2018, today=dt.date(2018, 6, 30)))["P135"]
    assert (early["capital_plan_vnd"], early["disbursed_vnd"]) == (2_000 * M, 500 * M)


def test_a_historical_subtree_rebased_lands_on_its_successors(dataset: Dataset, users, tree) -> None:
    report = program_summary(users.leader, 2018, unit=tree.loc_binh, structure="current", on=AS_OF)
    p135 = programs(report)["P135"]
    assert [u["id"] for u in p135["units"]] == [tree.xa_loc_binh.pk]  # its village counts at its commune
    assert p135["units"][0]["capital_plan_vnd"] == p135["capital_plan_vnd"] == 1_400 * M
