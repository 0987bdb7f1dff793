"""Reads on works: filters, scope, disbursed annotations without N+1, the deadline rule, a work's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from dantoc.programs.models import CapitalPlanLine, CapitalType, PlanDecision
from dantoc.works import selectors, services
from dantoc.works.models import Disbursement, WorkStatus

from .conftest import make_work

pytestmark = pytest.mark.django_db


def raw_payment(work, date: dt.date, amount: int, plan_year: int | None = None, **kw) -> Disbursement:
    """A payment written straight to the database (as an old import might have), bypassing the service."""
    return Disbursement.objects.create(
        work=work, unit=work.unit, plan_year=plan_year or work.year, date=date, amount_vnd=amount,
        source=kw.pop("source"), capital_type=CapitalType.INVESTMENT, **kw,
    )  # fmt: skip


@pytest.fixture
def several(cat, tree, users):
    o = users.officer
    road = make_work(o, cat, tree.dong_buc, name="Đường Nà Pàn", component=cat.infra, plan_lines=[cat.line])
    school = make_work(o, cat, tree.tt_loc_binh, name="Trường mầm non Lộc Bình", kind="school")
    bridge = make_work(o, cat, tree.ba_son, name="Cầu treo Bản Chắt", kind="bridge", year=2019)
    new = make_work(o, cat, tree.xa_loc_binh, name="Nhà văn hoá thôn Nà Pàn", kind="cultural_house",
                    program=cat.ntp, year=2025, village=tree.village)  # fmt: skip
    return road, school, bridge, new


def test_filters(several, users, tree) -> None:
    road, school, bridge, new = several
    o = users.officer

    def codes(**kw) -> set[str]:
        return {w.code for w in selectors.works(o, **kw)}

    assert codes() == {w.code for w in several}
    assert codes(program="p135") == {road.code, school.code, bridge.code}
    assert codes(program="NTP-DTTS-2021") == {new.code}
    assert codes(year=2018) == {road.code, school.code}
    assert codes(unit=tree.loc_binh) == {road.code, school.code}  # the district and its communes
    assert codes(unit=tree.xa_loc_binh) == {new.code}
    assert codes(kind="bridge") == {bridge.code}
    services.change_status(o, school, WorkStatus.APPROVED, date=dt.date(2018, 2, 1))
    assert codes(status="approved") == {school.code}
    assert codes(status="approved,proposed") == {w.code for w in several}


def test_search_ignores_tone_marks_and_case(several, users) -> None:
    road, school, _bridge, new = several
    o = users.officer
    assert {w.code for w in selectors.works(o, q="na pan")} == {road.code, new.code}
    assert {w.code for w in selectors.works(o, q="NÀ PÀN nhà")} == {new.code}
    assert {w.code for w in selectors.works(o, q="truong mam non")} == {school.code}
    assert {w.code for w in selectors.works(o, q=school.code.lower())} == {school.code}
    assert not selectors.works(o, q="khuoi").exists()


def test_scope(several, users) -> None:
    road, school, _bridge, new = several
    assert {w.code for w in selectors.works(users.commune)} == {new.code}
    assert {w.code for w in selectors.works(users.district)} == {road.code, school.code}
    assert selectors.works(users.viewer).count() == 4
    with pytest.raises(Http404):
        selectors.work(users.commune, road.pk)
    assert selectors.work(users.district, road.pk) == road


def test_disbursed_annotation_is_one_query(several, users, cat) -> None:
    road, school, bridge, _new = several
    o = users.officer
    for amount in (100, 200, 300):
        services.record_disbursement(
            o, work=road, date=dt.date(2018, 6, 1), amount_vnd=amount, source=cat.central
        )
    services.record_disbursement(o, work=bridge, date=dt.date(2020, 1, 31), amount_vnd=7, source=cat.local)
    with CaptureQueriesContext(connection) as ctx:
        got = {w.code: w.disbursed_vnd for w in selectors.works(o)}
    # one query for works and sums (besides the area check `scoped()` may make)
    assert len([x for x in ctx.captured_queries if "works_work" in x["sql"]]) == 1
    assert len(ctx.captured_queries) <= 2
    assert got[road.code] == 600 and got[bridge.code] == 7 and got[school.code] == 0


def test_totals_of_a_list(several, users, cat) -> None:
    road, school, _bridge, _new = several
    o = users.officer
    services.record_disbursement(o, work=road, date=dt.date(2018, 6, 1), amount_vnd=100, source=cat.central)
    services.record_disbursement(o, work=school, date=dt.date(2018, 6, 1), amount_vnd=20, source=cat.central)
    raw_payment(road, dt.date(2019, 3, 1), 5, source=cat.central)  # late: not counted
    totals = selectors.works_totals(selectors.works(o, year=2018, with_disbursed=False))
    assert totals == {"count": 2, "total_investment_vnd": 2_000_000_000, "disbursed_vnd": 120}
    assert selectors.works_totals(selectors.works(users.commune, year=2018))["count"] == 0


def test_payments_after_the_deadline_are_not_counted(work, users, cat, tree) -> None:
    raw_payment(work, dt.date(2018, 12, 1), 100, source=cat.central)
    raw_payment(work, dt.date(2019, 1, 31), 10, source=cat.central)
    raw_payment(work, dt.date(2019, 2, 1), 1000, source=cat.central)  # late: bypassed the service
    assert selectors.works(users.officer).get(pk=work.pk).disbursed_vnd == 110
    d = selectors.work_detail(users.officer, work.pk)
    assert (d.disbursed_vnd, d.late_vnd) == (110, 1000)
    assert [p.counted for p in d.payments] == [False, True, True]
    page = selectors.disbursements(users.officer, work_id=work.pk)
    assert selectors.totals(page) == {"counted_vnd": 110, "late_vnd": 1000}


def test_carry_over_makes_late_payments_count_for_works_drawing_on_it(work, users, cat, tree) -> None:
    raw_payment(work, dt.date(2019, 6, 1), 1000, source=cat.central)
    assert selectors.works(users.officer).get(pk=work.pk).disbursed_vnd == 0
    decision = PlanDecision.objects.create(
        year=2018, revision=PlanDecision.Revision.CARRY_OVER, authority="UBND tỉnh", number="50/QĐ-UBND",
        date=dt.date(2019, 1, 25), unit=tree.province, disburse_until=dt.date(2019, 12, 31),
    )  # fmt: skip
    carried = CapitalPlanLine.objects.create(
        decision=decision, component=cat.infra, unit=tree.loc_binh, source=cat.central,
        capital_type=CapitalType.INVESTMENT, amount_vnd=400_000_000,
    )  # fmt: skip
    services.set_plan_lines(users.officer, work, [cat.line, carried])
    assert selectors.works(users.officer).get(pk=work.pk).disbursed_vnd == 1000
    # the set-based rule and the service's deadline agree
    assert services.deadline(2018, work=work) == dt.date(2019, 12, 31)
    # carry-over lines are not added to the year's plan
    assert selectors.work_detail(users.officer, work.pk).plan_vnd == 2_000_000_000


def test_work_detail_figures(work, users, cat, tree) -> None:
    o = users.officer
    services.record_disbursement(
        o, work=work, date=dt.date(2018, 11, 20), amount_vnd=500_000_000, source=cat.central
    )
    services.record_disbursement(
        o, work=work, date=dt.date(2019, 1, 10), amount_vnd=100_000_000, source=cat.central
    )
    d = selectors.work_detail(o, work.pk)
    assert d.plan_vnd == 2_000_000_000 and d.disbursed_vnd == 600_000_000
    assert d.rate == Decimal("0.3") and d.investment_rate == Decimal("0.6")
    assert [(y.year, y.plan_vnd, y.disbursed_vnd) for y in d.by_year] == [(2018, 2_000_000_000, 600_000_000)]
    assert [code for code, _label in d.next_statuses] == ["approved", "cancelled"]
    assert d.latest_progress is None


def test_a_work_without_plan_lines_has_no_plan_rate(cat, tree, users) -> None:
    w = make_work(users.officer, cat, tree.dong_buc, total_investment_vnd=0)
    d = selectors.work_detail(users.officer, w.pk)
    assert d.rate is None and d.investment_rate is None and d.by_year == []


def test_disbursement_filters(several, users, cat, tree) -> None:
    road, school, bridge, _new = several
    o = users.officer
    services.record_disbursement(o, work=road, date=dt.date(2018, 6, 1), amount_vnd=1, source=cat.central)
    services.record_disbursement(o, work=school, date=dt.date(2018, 6, 1), amount_vnd=2, source=cat.central)
    services.record_disbursement(o, work=bridge, date=dt.date(2019, 6, 1), amount_vnd=4, source=cat.central)
    services.record_disbursement(
        o, plan_line=cat.line, date=dt.date(2018, 7, 1), amount_vnd=8, source=cat.central
    )

    def amounts(user=o, **kw) -> int:
        return sum(d.amount_vnd for d in selectors.disbursements(user, **kw))

    assert amounts() == 15
    assert amounts(work_id=road.pk) == 1
    assert amounts(year=2019) == 4
    assert amounts(unit=tree.loc_binh) == 11  # the district's line and its communes' works
    assert amounts(plan_line_id=cat.line.pk) == 8
    assert amounts(users.commune) == 0
    assert amounts(users.district) == 11
