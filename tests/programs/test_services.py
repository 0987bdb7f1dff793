"""Services: catalogue edits (admins only), plan decisions and their lines, scope, validation, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from dantoc.core.models import AuditEntry
from dantoc.core.services import ConcurrentEditError
from dantoc.programs import services
from dantoc.programs.models import CapitalPlanLine, CapitalType, Component, PlanDecision, Program

from .conftest import line

pytestmark = pytest.mark.django_db
D = dt.date(2018, 1, 10)


def audits(model, pk=None):
    qs = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(model))
    return qs.filter(object_id=str(pk)) if pk is not None else qs


# --- catalogue -------------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_programme(users) -> None:
    p = services.create_program(
        users.admin, code="CS-TEST", name="Chính sách thử", start_year=2019, end_year=2021
    )
    assert audits(Program, p.pk).get().action == "create"
    p2 = services.update_program(users.admin, p, {"short_name": "Thử"}, expected_version=p.version)
    assert p2.short_name == "Thử" and p2.version == p.version + 1
    assert audits(Program, p.pk).filter(action="update").count() == 1
    with pytest.raises(ConcurrentEditError):
        services.update_program(users.admin, p2, {"short_name": "Khác"}, expected_version=p.version)


@pytest.mark.parametrize("who", ["officer", "leader", "viewer", "commune"])
def test_only_admins_edit_the_catalogue(users, who) -> None:
    actor = getattr(users, who)
    with pytest.raises(PermissionDenied):
        services.create_program(actor, code="X", name="X", start_year=2020)
    p135 = Program.objects.get(code="P135")
    with pytest.raises(PermissionDenied):
        services.update_program(actor, p135, {"name": "X"})
    with pytest.raises(PermissionDenied):
        services.create_component(actor, p135, code="P135-9", name="X")
    comp = Component.objects.get(program=p135, code="P135-2")
    with pytest.raises(PermissionDenied):
        services.update_component(actor, comp, {"name": "X"})


def test_programme_codes_are_unique_and_years_ordered(users) -> None:
    with pytest.raises(ValidationError):
        services.create_program(users.admin, code="p135", name="dup", start_year=2016)
    with pytest.raises(ValidationError):
        services.create_program(users.admin, code="NEW", name="x", start_year=2020, end_year=2019)


def test_components_tree_rules(users) -> None:
    p135 = Program.objects.get(code="P135")
    parent = Component.objects.get(program=p135, code="P135-2")
    c = services.create_component(
        users.admin,
        p135,
        code="P135-2.1",
        name="Hỗ trợ giống cây trồng",
        parent=parent,
        level="content",
        category="production",
    )
    assert c.order == 1 and audits(Component, c.pk).get().action == "create"
    with pytest.raises(ValidationError):  # duplicate code in the programme
        services.create_component(users.admin, p135, code="P135-2.1", name="dup")
    other = Component.objects.get(program__code="30A", code="30A-1")
    with pytest.raises(ValidationError):  # parent from another programme
        services.create_component(users.admin, p135, code="P135-X", name="x", parent=other)
    with pytest.raises(ValidationError):  # a cycle
        services.update_component(users.admin, parent, {"parent": c})
    moved = services.update_component(users.admin, c, {"name": "Hỗ trợ giống"}, expected_version=c.version)
    assert moved.name == "Hỗ trợ giống"


def test_programme_period_cannot_shrink_below_its_plans(users, tree, cat) -> None:
    services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 5)],
    )
    with pytest.raises(ValidationError):
        services.update_program(users.admin, Program.objects.get(code="P135"), {"start_year": 2019})


# --- plan decisions --------------------------------------------------------------------------------


def test_decision_with_lines_is_recorded_and_audited(users, tree, cat) -> None:
    d = services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh Lạng Sơn",
        number="2560/QĐ-UBND",
        date=D,
        unit=tree.province,
        lines=[
            line(cat.p135_infra, tree.ba_son, cat.central, 1_500_000_000),
            line(cat.p135_infra, tree.ba_son, cat.local, 150_000_000),
            line(cat.p135_prod, tree.dong_buc, cat.central, 300_000_000, CapitalType.RECURRENT),
        ],
    )
    assert d.disburse_until == dt.date(2019, 1, 31)
    assert d.revision == PlanDecision.Revision.INITIAL
    assert sum(d.lines.values_list("amount_vnd", flat=True)) == 1_950_000_000
    assert audits(PlanDecision, d.pk).get().action == "create"
    assert audits(CapitalPlanLine).filter(action="create").count() == 3
    assert audits(PlanDecision, d.pk).get().actor == users.officer


def test_carry_over_deadline_defaults_to_end_of_next_year(users, tree, cat) -> None:
    services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 100)],
    )
    carry = services.create_plan_decision(
        users.officer,
        year=2018,
        revision="carry_over",
        authority="UBND tỉnh",
        number="2/QĐ",
        date=dt.date(2019, 1, 20),
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 40)],
    )
    assert carry.disburse_until == dt.date(2019, 12, 31)
    with pytest.raises(ValidationError):  # more than what is left to carry
        services.create_plan_decision(
            users.officer,
            year=2018,
            revision="carry_over",
            authority="UBND tỉnh",
            number="3/QĐ",
            date=dt.date(2019, 1, 21),
            unit=tree.province,
            lines=[line(cat.p135_infra, tree.ba_son, cat.central, 61)],
        )


def test_adjustments_may_cut_but_not_below_zero(users, tree, cat) -> None:
    services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 100)],
    )
    adj = services.create_plan_decision(
        users.officer,
        year=2018,
        revision="adjustment",
        authority="UBND tỉnh",
        number="9/QĐ",
        date=dt.date(2018, 7, 1),
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, -30)],
    )
    assert adj.lines.get().amount_vnd == -30
    with pytest.raises(ValidationError):
        services.create_plan_decision(
            users.officer,
            year=2018,
            revision="adjustment",
            authority="UBND tỉnh",
            number="10/QĐ",
            date=dt.date(2018, 8, 1),
            unit=tree.province,
            lines=[line(cat.p135_infra, tree.ba_son, cat.central, -71)],
        )
    with pytest.raises(ValidationError):  # negative only in an adjustment
        services.create_plan_decision(
            users.officer,
            year=2018,
            authority="UBND tỉnh",
            number="11/QĐ",
            date=D,
            unit=tree.province,
            lines=[line(cat.p135_infra, tree.ba_son, cat.central, -1)],
        )


def test_line_units_must_be_in_the_officers_area(users, tree, cat) -> None:
    # The Lộc Bình district officer may assign to Đồng Bục (in the district) but not to Ba Sơn (Cao Lộc).
    ok = services.create_plan_decision(
        users.district,
        year=2018,
        authority="UBND huyện Lộc Bình",
        number="5/QĐ",
        date=D,
        unit=tree.loc_binh,
        lines=[line(cat.p135_infra, tree.dong_buc, cat.central, 10)],
    )
    assert ok.pk
    with pytest.raises(PermissionDenied):
        services.create_plan_decision(
            users.district,
            year=2018,
            authority="UBND huyện Lộc Bình",
            number="6/QĐ",
            date=D,
            unit=tree.loc_binh,
            lines=[line(cat.p135_infra, tree.ba_son, cat.central, 10)],
        )
    with pytest.raises(PermissionDenied):  # the decision's own unit outside the area
        services.create_plan_decision(
            users.district,
            year=2018,
            authority="UBND tỉnh",
            number="7/QĐ",
            date=D,
            unit=tree.province,
            lines=[line(cat.p135_infra, tree.dong_buc, cat.central, 10)],
        )
    with pytest.raises(PermissionDenied):  # read-only role
        services.create_plan_decision(
            users.viewer,
            year=2018,
            authority="UBND tỉnh",
            number="8/QĐ",
            date=D,
            unit=tree.province,
            lines=[line(cat.p135_infra, tree.ba_son, cat.central, 10)],
        )
    assert not PlanDecision.objects.filter(number__in=["6/QĐ", "7/QĐ", "8/QĐ"]).exists()


@pytest.mark.parametrize(
    "case",
    [
        "no-lines",
        "outside-decision-unit",
        "unit-gone",
        "programme-period",
        "zero",
        "duplicate",
        "deadline",
        "number",
    ],
)
def test_invalid_decisions_write_nothing(users, tree, cat, case) -> None:
    services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 1)],
    )
    before = (PlanDecision.objects.count(), CapitalPlanLine.objects.count(), AuditEntry.objects.count())
    kw = {
        "year": 2018,
        "authority": "UBND",
        "number": "2/QĐ",
        "date": D,
        "unit": tree.loc_binh,
        "lines": [line(cat.p135_infra, tree.dong_buc, cat.central, 5)],
    }
    if case == "no-lines":
        kw["lines"] = []
    elif case == "outside-decision-unit":
        kw["lines"] = [line(cat.p135_infra, tree.ba_son, cat.central, 5)]
    elif case == "unit-gone":
        kw["lines"] = [line(cat.p135_infra, tree.nhuong_ban, cat.central, 5)]
        kw["year"], kw["date"] = 2021, dt.date(2021, 1, 5)
    elif case == "programme-period":
        kw["lines"] = [line(cat.dtts_da1, tree.dong_buc, cat.central, 5)]
    elif case == "zero":
        kw["lines"] = [line(cat.p135_infra, tree.dong_buc, cat.central, 0)]
    elif case == "duplicate":
        kw["lines"] = [line(cat.p135_infra, tree.dong_buc, cat.central, 5)] * 2
    elif case == "deadline":
        kw["disburse_until"] = dt.date(2018, 12, 31)
    elif case == "number":
        kw["number"], kw["unit"] = "1/qđ", tree.province
    with pytest.raises(ValidationError):
        services.create_plan_decision(users.officer, **kw)
    assert (
        PlanDecision.objects.count(),
        CapitalPlanLine.objects.count(),
        AuditEntry.objects.count(),
    ) == before


def test_update_replaces_lines_and_bumps_the_version(users, tree, cat) -> None:
    d = services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[
            line(cat.p135_infra, tree.ba_son, cat.central, 100),
            line(cat.p135_infra, tree.dong_buc, cat.central, 50),
        ],
    )
    v = d.version
    updated = services.update_plan_decision(
        users.officer,
        d,
        {},
        expected_version=v,
        lines=[
            line(cat.p135_infra, tree.ba_son, cat.central, 120),
            line(cat.p135_prod, tree.tt_loc_binh, cat.local, 7),
        ],
    )
    assert updated.version == v + 1
    amounts = sorted(updated.lines.values_list("amount_vnd", flat=True))
    assert amounts == [7, 120]
    line_audits = audits(CapitalPlanLine)
    assert line_audits.filter(action="update").count() == 1
    assert line_audits.filter(action="delete").count() == 1
    assert line_audits.filter(action="create").count() == 3
    with pytest.raises(ConcurrentEditError):
        services.update_plan_decision(users.officer, d, {"note": "x"}, expected_version=v)
    renamed = services.update_plan_decision(
        users.officer, updated, {"note": "Bổ sung"}, expected_version=v + 1
    )
    assert renamed.note == "Bổ sung" and renamed.version == v + 2


def test_changing_revision_recomputes_the_default_deadline(users, tree, cat) -> None:
    d = services.create_plan_decision(
        users.officer,
        year=2019,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=dt.date(2019, 1, 5),
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.ba_son, cat.central, 100)],
    )
    moved = services.update_plan_decision(users.officer, d, {"year": 2020, "date": dt.date(2020, 1, 5)})
    assert moved.disburse_until == dt.date(2021, 1, 31)


def test_commune_officer_cannot_edit_a_provincial_decision(users, tree, cat) -> None:
    d = services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.dong_buc, cat.central, 1)],
    )
    with pytest.raises(PermissionDenied):
        services.update_plan_decision(users.district, d, {"note": "x"})
    with pytest.raises(PermissionDenied):
        services.delete_plan_decision(users.district, d)


def test_delete_removes_lines_with_audit(users, tree, cat) -> None:
    d = services.create_plan_decision(
        users.officer,
        year=2018,
        authority="UBND tỉnh",
        number="1/QĐ",
        date=D,
        unit=tree.province,
        lines=[line(cat.p135_infra, tree.dong_buc, cat.central, 1)],
    )
    services.delete_plan_decision(users.officer, d, expected_version=d.version)
    assert not PlanDecision.objects.exists() and not CapitalPlanLine.objects.exists()
    assert audits(PlanDecision, d.pk).filter(action="delete").count() == 1
    assert audits(CapitalPlanLine).filter(action="delete").count() == 1
