"""Disbursement monitoring: rates, the 31 January cut-off, carry-over apart, monthly curves, pace, flags and
the late list (data set and hand-worked figures in tests/reports/data.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dantoc.geo.models import AdminUnit, Level
from dantoc.programs.models import PlanDecision
from dantoc.works import monitoring
from dantoc.works.models import Work, WorkStatus
from tests.reports.data import INV, Dataset, M, build, decision, line, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(tree, users) -> Dataset:
    return build(tree, users)


D = dt.date


def sel(on: dt.date, **kw) -> monitoring.Selection:
    return monitoring.Selection(2018, on, **kw)


def by_code(rows: list[monitoring.Row]) -> dict[str, monitoring.Row]:
    return {r.code: r for r in rows}


def test_rates_respect_the_31_january_cut_off_and_keep_carry_over_apart(dataset: Dataset, users) -> None:
    ov = monitoring.overview(users.leader, sel(D(2019, 3, 31)))
    programs = by_code(ov.by_program)
    assert programs["P135"].plan_vnd == 1_900 * M  # initial + adjustment, carry-over apart
    assert programs["P135"].disbursed_vnd == 1_100 * M  # the 15/02 and carry-over payments are not in
    assert programs["P135"].rate == pytest.approx(1_100 / 1_900)
    assert programs["30A"].rate == pytest.approx(0.98)
    assert (ov.total.plan_vnd, ov.total.disbursed_vnd) == (2_400 * M, 1_590 * M)
    co = ov.carry_over
    assert (co.plan_vnd, co.disbursed_vnd, co.outside_window_vnd) == (150 * M, 120 * M, 50 * M)
    assert co.rate == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("on", "disbursed"),
    [
        (D(2019, 1, 19), 1_000 * M),
        (D(2019, 1, 20), 1_100 * M),
        (D(2019, 1, 31), 1_100 * M),
        (D(2019, 2, 28), 1_100 * M),
    ],
)
def test_january_payments_count_until_the_deadline(
    dataset: Dataset, users, on: dt.date, disbursed: int
) -> None:
    cube = monitoring.disbursed_cube(users.leader, sel(on, program="P135"), ())
    assert cube[()] == disbursed


def test_plan_as_of_a_date_counts_only_decisions_made_by_then(dataset: Dataset, users) -> None:
    ov = monitoring.overview(users.leader, sel(D(2018, 6, 30)))
    p135 = by_code(ov.by_program)["P135"]
    assert p135.plan_vnd == 2_000 * M  # the adjustment of 01/07 is not made yet
    assert p135.disbursed_vnd == 500 * M
    assert ov.carry_over.plan_vnd == 0


def test_a_late_payment_on_a_work_drawing_on_carried_over_capital_counts_as_carry_over(
    dataset: Dataset, users
) -> None:
    w1 = dataset.works["W1"]
    w1.plan_lines.add(dataset.lines["carry"])
    co = monitoring.carry_over_cube(users.leader, sel(D(2019, 3, 31)), ())[()]
    assert (co.disbursed_vnd, co.outside_window_vnd) == (170 * M, 0)
    # Up to the carry-over decision's own deadline.
    pay(10 * M, D(2019, 12, 31), work=w1, source=dataset.sources["central"])
    co = monitoring.carry_over_cube(users.leader, sel(D(2020, 1, 15)), ())[()]
    assert co.disbursed_vnd == 180 * M


def test_curves_month_by_month_beside_the_previous_year(dataset: Dataset, users) -> None:
    ov = monitoring.overview(users.leader, sel(D(2019, 3, 31)))
    points = ov.total.points
    assert [p.label for p in points][:2] == ["01/2018", "02/2018"] and points[-1].label == "01/2019"
    assert [p.disbursed_vnd // M for p in points] == [
        0,
        0,
        300,
        300,
        300,
        500,
        500,
        500,
        900,
        900,
        1000,
        1490,
        1590,
    ]
    assert [p.plan_vnd // M for p in points] == [2500] * 6 + [2400] * 7
    assert points[5].rate == pytest.approx(500 / 2500)
    assert [p.disbursed_vnd // M for p in ov.previous] == [0] * 4 + [200] * 7 + [700, 700]
    assert ov.previous[-1].rate == pytest.approx(700 / 800)
    p135 = by_code(ov.by_program)["P135"]
    assert [p.disbursed_vnd // M for p in p135.points][-2:] == [1000, 1100]
    chart = ov.chart()
    assert len(chart["labels"]) == 13 and [s["key"] for s in chart["series"]] == [
        "current",
        "previous",
        "expected",
    ]
    assert chart["series"][0]["data"][-1] == pytest.approx(1590 / 2400 * 100, abs=0.01)


def test_months_after_the_as_of_date_are_empty(dataset: Dataset, users) -> None:
    ov = monitoring.overview(users.leader, sel(D(2018, 9, 15)))
    assert [p.disbursed_vnd is None for p in ov.total.points] == [False] * 9 + [True] * 4
    assert ov.total.points[8].disbursed_vnd == 900 * M  # September, as of the 15th
    assert ov.chart()["series"][0]["data"][9] is None


def test_expected_pace_linear_s_curve_and_custom(settings) -> None:
    assert monitoring.expected_pace(2018, D(2017, 12, 31)) == 0
    assert monitoring.expected_pace(2018, D(2018, 1, 1)) == pytest.approx(1 / 396)
    assert monitoring.expected_pace(2018, D(2018, 12, 31)) == pytest.approx(365 / 396)
    assert monitoring.expected_pace(2018, D(2019, 1, 31)) == 1
    assert monitoring.expected_pace(2018, D(2018, 6, 30), "s-curve") == pytest.approx(0.33)
    assert monitoring.expected_pace(2018, D(2018, 1, 31), "s-curve") == pytest.approx(0.03)
    settings.DISBURSEMENT_PACE = [0, 0, 0, 0, 0, 0, 50, 50, 50, 50, 50, 50, 100]
    assert monitoring.expected_pace(2018, D(2018, 7, 31)) == pytest.approx(0.5)
    assert monitoring.expected_pace(2018, D(2018, 6, 30)) == 0


def test_units_roll_up_to_the_chosen_level_with_their_officer(dataset: Dataset, users, tree) -> None:
    ov = monitoring.overview(users.leader, sel(D(2019, 1, 31)))
    assert ov.level == Level.DISTRICT
    units = {r.key: r for r in ov.by_unit}
    assert set(units) == {tree.loc_binh.pk, tree.cao_loc.pk}
    lb = units[tree.loc_binh.pk]
    assert (lb.plan_vnd, lb.disbursed_vnd) == (1_900 * M, 1_390 * M)
    assert lb.owner is not None and lb.owner.name == "locbinh"
    assert units[tree.cao_loc.pk].owner.name == "tinh"  # no district officer: the province's
    communes = monitoring.overview(users.leader, sel(D(2019, 1, 31)), level=Level.COMMUNE)
    assert {r.key for r in communes.by_unit} == {tree.dong_buc.pk, tree.tt_loc_binh.pk, tree.ba_son.pk}
    sources = by_code(ov.by_source)
    assert sources["local"].plan_vnd == 200 * M and sources["local"].rate == 0


def test_filters_by_programme_source_and_subtree(dataset: Dataset, users, tree) -> None:
    ov = monitoring.overview(users.leader, sel(D(2019, 3, 31), program="30A"))
    assert (ov.total.plan_vnd, ov.total.disbursed_vnd) == (500 * M, 490 * M)
    ov = monitoring.overview(users.leader, sel(D(2019, 3, 31), source="local"))
    assert (ov.total.plan_vnd, ov.total.disbursed_vnd) == (200 * M, 0)
    ov = monitoring.overview(users.leader, sel(D(2019, 3, 31), within=tree.cao_loc))
    assert (ov.total.plan_vnd, ov.total.disbursed_vnd) == (500 * M, 200 * M)
    assert ov.level == Level.COMMUNE


def test_scope_applies_to_every_figure(dataset: Dataset, users, tree) -> None:
    district = monitoring.overview(users.district, sel(D(2019, 3, 31)))
    assert (district.total.plan_vnd, district.total.disbursed_vnd) == (1_900 * M, 1_390 * M)
    assert district.carry_over.plan_vnd == 0  # the carried-over line is in Ba Sơn
    assert {i.code for i in district.late if i.kind == "work"} == {"W1", "W3"}
    commune = monitoring.overview(users.commune, sel(D(2019, 3, 31)))
    assert (commune.total.plan_vnd, commune.total.disbursed_vnd, commune.late) == (0, 0, [])
    assert commune.total.rate is None


def test_flags_overdue_stale_and_below_pace(dataset: Dataset, users) -> None:
    items = monitoring.late_works(users.leader, sel(D(2019, 1, 31)))
    flags = {i.code: i for i in items}
    assert set(flags) == {"W1", "W3"}  # W2 completed, W4 and W5 not started
    w1 = flags["W1"]
    assert w1.flags == ["overdue", "below_pace"]  # updated 16 days before: not stale
    assert w1.days_overdue == 92 and w1.days_since_update == 16 and w1.percent == 85
    assert w1.rate == pytest.approx(0.8) and w1.expected == 1
    assert w1.owner is not None and (w1.owner.name, w1.owner.assigned) == ("locbinh", False)
    assert w1.url == f"/works/{dataset.works['W1'].pk}/"
    w3 = flags["W3"]
    assert w3.flags == ["stale"] and w3.days_since_update == 61
    assert w3.owner is not None and w3.owner.assigned and w3.owner.name == "tinh"


def test_completion_and_suspension_as_of_the_date(dataset: Dataset, users) -> None:
    # The day before W2's completion it is still under way (and never updated); not overdue (planned 31/12).
    late = {i.code: i for i in monitoring.late_works(users.leader, sel(D(2018, 11, 29)))}
    assert late["W2"].flags == ["stale", "below_pace"]  # and nothing paid on it
    Work.objects.filter(pk=dataset.works["W2"].pk).update(planned_completion=D(2018, 10, 31))
    late = {i.code: i for i in monitoring.late_works(users.leader, sel(D(2018, 11, 29)))}
    assert late["W2"].flags == ["overdue", "stale", "below_pace"] and late["W2"].days_overdue == 29
    assert "W2" not in {i.code for i in monitoring.late_works(users.leader, sel(D(2018, 12, 1)))}
    Work.objects.filter(pk=dataset.works["W3"].pk).update(status=WorkStatus.SUSPENDED)
    assert "W3" not in {i.code for i in monitoring.late_works(users.leader, sel(D(2019, 1, 31)))}
    Work.objects.filter(pk=dataset.works["W1"].pk).update(status=WorkStatus.CANCELLED)
    assert "W1" not in {i.code for i in monitoring.late_works(users.leader, sel(D(2019, 1, 31)))}


def test_a_started_work_never_updated_is_stale(dataset: Dataset, users) -> None:
    Work.objects.filter(pk=dataset.works["W4"].pk).update(status=WorkStatus.UNDER_CONSTRUCTION)
    w4 = {i.code: i for i in monitoring.late_works(users.leader, sel(D(2019, 1, 31)))}["W4"]
    assert w4.flags == ["stale", "below_pace"] and w4.last_update is None and w4.days_since_update is None
    assert w4.rate == 0 and w4.expected == 1  # no schedule: the pace of its plan year


def test_late_list_units_and_works_sortable(dataset: Dataset, users, tree) -> None:
    items = monitoring.late_items(users.leader, sel(D(2019, 1, 31)))
    units = [i for i in items if i.kind == "unit"]
    assert {i.id for i in units} == {tree.loc_binh.pk, tree.cao_loc.pk}
    assert all(i.flags == ["below_pace"] and i.expected == 1 for i in units)
    by_overdue = monitoring.sort_items(items, "days_overdue", descending=True)
    assert by_overdue[0].code == "W1"  # the only overdue item first, empty values last
    by_owner = monitoring.sort_items(items, "owner", descending=False)
    assert [i.owner.name for i in by_owner if i.owner] == sorted(i.owner.name for i in items if i.owner)
    by_rate = monitoring.sort_items(items, "rate", descending=False)
    assert by_rate[0].rate == pytest.approx(0.4)
    assert monitoring.sort_items(items, "nonsense", True)[0].code == "W1"


def test_units_at_pace_are_not_flagged(dataset: Dataset, users, tree) -> None:
    d = decision(2018, "300/QĐ-UBND", D(2018, 1, 5), tree.province)
    extra = line(d, dataset.components["P135-2"], tree.ba_son, dataset.sources["central"], INV, 1 * M)
    pay(301 * M, D(2018, 12, 30), plan_line=extra, source=dataset.sources["central"])
    units = {r.key: r for r in monitoring.overview(users.leader, sel(D(2019, 1, 31))).by_unit}
    assert units[tree.cao_loc.pk].rate == pytest.approx(501 / 501)
    assert not units[tree.cao_loc.pk].below_pace and units[tree.loc_binh.pk].below_pace


def test_overview_queries_do_not_grow_with_rows(dataset: Dataset, users, tree) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            monitoring.overview(users.leader, sel(D(2019, 3, 31)))
        return len(ctx.captured_queries)

    before = count()
    assert before <= 24
    w1 = dataset.works["W1"]
    for day in range(1, 28):
        pay(M, D(2018, 2, day), work=w1, source=dataset.sources["central"])
        pay(M, D(2018, 2, day), plan_line=dataset.lines["tt"], source=dataset.sources["local"])
    assert count() == before
    assert monitoring.overview(users.leader, sel(D(2019, 3, 31))).total.disbursed_vnd == 1_644 * M


def test_plan_year_with_nothing_gives_no_rate(db, users) -> None:
    ov = monitoring.overview(users.leader, monitoring.Selection(2030, D(2030, 5, 1)))
    assert ov.total.rate is None and ov.by_program == [] and ov.late == []
    assert PlanDecision.objects.count() == 0


def test_light_unit_rows_are_named_like_the_model(tree) -> None:
    units = list(AdminUnit.objects.all())
    rows = monitoring.unit_rows(u.pk for u in units)
    assert {u.pk: u.full_name for u in units} == {pk: r.full_name for pk, r in rows.items()}


def test_the_area_filter_holds_with_a_second_province(dataset: Dataset, users, tree) -> None:
    from dantoc.geo.models import Kind
    from dantoc.reports.selectors import SystemUser

    other = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="04", name="Cao Bằng")
    other.save()
    commune = AdminUnit(level=Level.COMMUNE, kind=Kind.XA, code="1", name="Khác", parent=other)
    commune.save()
    d = decision(2018, "1/QĐ-UBND", D(2018, 1, 2), other)
    line(d, dataset.components["P135-1"], commune, dataset.sources["central"], INV, 7 * M)
    on = D(2019, 3, 31)
    assert monitoring.overview(users.leader, sel(on)).total.plan_vnd == 2_400 * M
    assert monitoring.overview(SystemUser(), sel(on, within=tree.province)).total.plan_vnd == 2_400 * M
    assert monitoring.overview(SystemUser(), sel(on)).total.plan_vnd == 2_407 * M
