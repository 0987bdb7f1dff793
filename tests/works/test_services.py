"""Writes on works: creation, workflow, progress, plan lines and disbursements (rules, scope, audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dantoc.core.models import AuditEntry
from dantoc.core.services import ConcurrentEditError
from dantoc.programs.models import CapitalPlanLine, CapitalType, PlanDecision
from dantoc.works import services
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkStatus, WorkStatusChange

from .conftest import make_work

pytestmark = pytest.mark.django_db


def audits(obj) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(type(obj))
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("at", "id"))


def pay(user, work, date, amount=100_000_000, **kw) -> Disbursement:
    kw.setdefault("source", work.plan_lines.first().source if work.plan_lines.exists() else None)
    return services.record_disbursement(user, work=work, date=date, amount_vnd=amount, **kw)


# --- creation ------------------------------------------------------------------------------------------


def test_create_generates_code_folds_name_and_records_proposed(cat, tree, users) -> None:
    w1 = make_work(users.officer, cat, tree.dong_buc, name="  Nhà văn hoá   thôn Nà Pàn ")
    w2 = make_work(users.officer, cat, tree.dong_buc)
    assert w1.code == "CT-2018-0001" and w2.code == "CT-2018-0002"
    assert w1.name == "Nhà văn hoá thôn Nà Pàn"
    assert w1.name_folded == "nha van hoa thon na pan"
    assert w1.status == WorkStatus.PROPOSED and w1.owner == users.officer
    assert list(w1.status_changes.values_list("status", "date")) == [("proposed", dt.date(2018, 1, 20))]
    [entry] = audits(w1)
    assert entry.action == "create" and entry.actor == users.officer and entry.after["code"] == "CT-2018-0001"


def test_generated_code_follows_the_numeric_maximum(cat, tree, users) -> None:
    make_work(users.officer, cat, tree.dong_buc, code="CT-2018-0099")
    make_work(users.officer, cat, tree.dong_buc, code="CT-2018-X")
    assert make_work(users.officer, cat, tree.dong_buc).code == "CT-2018-0100"
    assert make_work(users.officer, cat, tree.dong_buc, year=2019).code == "CT-2019-0001"


def test_duplicate_code_is_refused_bilingually(cat, tree, users) -> None:
    make_work(users.officer, cat, tree.dong_buc, code="LB-01")
    with pytest.raises(ValidationError) as exc:
        make_work(users.officer, cat, tree.dong_buc, code="lb-01")
    assert "đã có" in str(exc.value) and "already used" in str(exc.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"year": 2022}, "year"),  # outside P135's 2016-2020
        ({"total_investment_vnd": -1}, "total_investment_vnd"),
        (
            {"planned_start": dt.date(2018, 5, 1), "planned_completion": dt.date(2018, 4, 1)},
            "planned_completion",
        ),
    ],
)
def test_invalid_work_fields_are_refused(cat, tree, users, changes, field) -> None:
    with pytest.raises(ValidationError) as exc:
        make_work(users.officer, cat, tree.dong_buc, **changes)
    assert field in exc.value.message_dict
    assert not Work.objects.exists()


def test_unit_must_exist_in_the_year_and_be_a_commune(cat, tree, users) -> None:
    with pytest.raises(ValidationError) as exc:
        make_work(users.officer, cat, tree.xa_loc_binh)  # the new commune exists from 2025 only
    assert "unit" in exc.value.message_dict
    with pytest.raises(ValidationError):
        make_work(users.officer, cat, tree.province)
    with pytest.raises(ValidationError):
        make_work(users.officer, cat, tree.dong_buc, component=cat.ntp_infra)  # another programme


def test_a_village_as_unit_becomes_the_village(cat, tree, users) -> None:
    w = make_work(users.commune, cat, tree.village, program=cat.ntp, year=2025)
    assert w.unit == tree.xa_loc_binh and w.village == tree.village


def test_scope_and_role_are_enforced(cat, tree, users) -> None:
    with pytest.raises(PermissionDenied):
        make_work(users.commune, cat, tree.ba_son, program=cat.ntp, year=2024)
    with pytest.raises(PermissionDenied):
        make_work(users.viewer, cat, tree.dong_buc)
    with pytest.raises(PermissionDenied):
        make_work(users.leader, cat, tree.dong_buc)
    assert make_work(users.district, cat, tree.dong_buc).unit == tree.dong_buc


# --- update ----------------------------------------------------------------------------------------------


def test_update_is_audited_and_refuses_a_stale_version(work, users) -> None:
    updated = services.update_work(users.officer, work, {"name": "Đường Nà Pàn - Khuổi Luông"}, work.version)
    assert updated.version == work.version + 1 and updated.name_folded == "duong na pan - khuoi luong"
    with pytest.raises(ConcurrentEditError):
        services.update_work(users.officer, work, {"investor": "UBND xã"}, work.version)
    entry = audits(work)[-1]
    assert (
        entry.before["name"] == "Đường vào bản Nà Pàn" and entry.after["name"] == "Đường Nà Pàn - Khuổi Luông"
    )


def test_update_cannot_touch_status_or_move_a_work_with_payments(work, tree, users, cat) -> None:
    with pytest.raises(ValidationError):
        services.update_work(users.officer, work, {"status": "completed"}, None)
    pay(users.officer, work, dt.date(2018, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.update_work(users.officer, work, {"unit": tree.tt_loc_binh}, None)
    assert "unit" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.update_work(users.officer, work, {"year": 2019}, None)


def test_owner_must_be_able_to_write_the_unit(work, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.update_work(users.officer, work, {"owner": users.commune}, None)
    assert "owner" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.update_work(users.officer, work, {"owner": users.viewer}, None)
    assert services.update_work(users.officer, work, {"owner": users.district}, None).owner == users.district


def test_update_out_of_scope_is_refused(work, users, tree) -> None:
    with pytest.raises(PermissionDenied):
        services.update_work(users.commune, work, {"name": "x"}, None)
    with pytest.raises(PermissionDenied):
        services.update_work(users.district, work, {"unit": tree.ba_son}, None)


def test_plan_lines_must_match_programme_and_unit(work, cat, tree, users) -> None:
    other = CapitalPlanLine.objects.create(
        decision=cat.decision,
        component=cat.infra,
        unit=tree.cao_loc,
        source=cat.central,
        capital_type=CapitalType.INVESTMENT,
        amount_vnd=5,
    )
    with pytest.raises(ValidationError):
        services.set_plan_lines(users.officer, work, [other])
    version = Work.objects.get(pk=work.pk).version
    services.set_plan_lines(users.officer, work, [], version)
    assert not work.plan_lines.exists()
    entry = audits(work)[-1]
    assert entry.before == {"plan_lines": [cat.line.pk]} and entry.after == {"plan_lines": []}
    assert Work.objects.get(pk=work.pk).version == version + 1


# --- status workflow -------------------------------------------------------------------------------------


def test_transitions_follow_the_workflow_and_set_actual_dates(work, users) -> None:
    s = services.change_status
    w = s(users.officer, work, WorkStatus.APPROVED, date=dt.date(2018, 3, 1))
    w = s(users.officer, w, WorkStatus.UNDER_CONSTRUCTION, date=dt.date(2018, 4, 2))
    assert w.actual_start == dt.date(2018, 4, 2) and w.actual_completion is None
    w = s(users.officer, w, WorkStatus.SUSPENDED, date=dt.date(2018, 6, 1), note="Mưa lũ")
    w = s(users.officer, w, WorkStatus.UNDER_CONSTRUCTION, date=dt.date(2018, 7, 1))
    assert w.actual_start == dt.date(2018, 4, 2)  # not reset by a resumption
    w = s(users.officer, w, WorkStatus.COMPLETED, date=dt.date(2018, 11, 30))
    w = s(users.officer, w, WorkStatus.HANDED_OVER, date=dt.date(2018, 12, 15))
    assert w.actual_completion == dt.date(2018, 11, 30)
    assert list(WorkStatusChange.objects.filter(work=w).values_list("status", "date")) == [
        ("proposed", dt.date(2018, 1, 20)),
        ("approved", dt.date(2018, 3, 1)),
        ("under_construction", dt.date(2018, 4, 2)),
        ("suspended", dt.date(2018, 6, 1)),
        ("under_construction", dt.date(2018, 7, 1)),
        ("completed", dt.date(2018, 11, 30)),
        ("handed_over", dt.date(2018, 12, 15)),
    ]
    assert WorkStatusChange.objects.get(work=w, status="suspended").note == "Mưa lũ"
    assert [e.after.get("status") for e in audits(w)][-1] == "handed_over"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], WorkStatus.UNDER_CONSTRUCTION),
        ([], WorkStatus.COMPLETED),
        ([WorkStatus.APPROVED], WorkStatus.HANDED_OVER),
        ([WorkStatus.CANCELLED], WorkStatus.APPROVED),
        ([WorkStatus.APPROVED, WorkStatus.UNDER_CONSTRUCTION, WorkStatus.COMPLETED], WorkStatus.CANCELLED),
    ],
)
def test_forbidden_transitions_are_refused(work, users, path, target) -> None:
    for status in path:
        work = services.change_status(users.officer, work, status, date=dt.date(2018, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.change_status(users.officer, work, target, date=dt.date(2018, 4, 1))
    assert "status" in exc.value.message_dict
    assert Work.objects.get(pk=work.pk).status == work.status


def test_transition_dates_are_checked(work, users) -> None:
    with pytest.raises(ValidationError):
        services.change_status(users.officer, work, WorkStatus.APPROVED, date=dt.date(2017, 12, 31))
    with pytest.raises(ValidationError):
        services.change_status(
            users.officer, work, WorkStatus.APPROVED, date=dt.date.today() + dt.timedelta(days=1)
        )


def test_transition_checks_version_and_scope(work, users) -> None:
    with pytest.raises(ConcurrentEditError):
        services.change_status(users.officer, work, WorkStatus.APPROVED, expected_version=work.version + 5)
    with pytest.raises(PermissionDenied):
        services.change_status(users.commune, work, WorkStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        services.change_status(users.viewer, work, WorkStatus.APPROVED)


# --- progress -------------------------------------------------------------------------------------------


def test_progress_may_not_go_down_without_a_note(work, users) -> None:
    services.record_progress(users.officer, work, date=dt.date(2018, 5, 1), percent=40)
    with pytest.raises(ValidationError) as exc:
        services.record_progress(users.officer, work, date=dt.date(2018, 6, 1), percent=30)
    assert "note" in exc.value.message_dict
    services.record_progress(
        users.officer, work, date=dt.date(2018, 6, 1), percent=30, note="Sạt lở làm hỏng 50 m nền đường"
    )
    # a backdated update compares with the update before it, not the latest
    services.record_progress(users.officer, work, date=dt.date(2018, 4, 1), percent=20)
    assert list(work.progress_updates.values_list("percent", flat=True)) == [30, 40, 20]


@pytest.mark.parametrize("percent", [-1, 101])
def test_progress_percent_range(work, users, percent) -> None:
    with pytest.raises(ValidationError):
        services.record_progress(users.officer, work, date=dt.date(2018, 5, 1), percent=percent)


def test_progress_attachment_is_stored_and_audited(work, users) -> None:
    pdf = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    update = services.record_progress(
        users.officer, work, date=dt.date(2018, 5, 1), percent=50, attachment=pdf
    )
    stored = ProgressUpdate.objects.get(pk=update.pk)
    assert stored.attachment.name.startswith("progress/") and stored.attachment.read() == b"%PDF-1.4 test"
    [entry] = audits(update)
    assert entry.after["attachment"] == stored.attachment.name


def test_progress_attachment_kind_and_scope(work, users) -> None:
    exe = SimpleUploadedFile("virus.exe", b"MZ")
    with pytest.raises(ValidationError):
        services.record_progress(users.officer, work, date=dt.date(2018, 5, 1), percent=5, attachment=exe)
    with pytest.raises(PermissionDenied):
        services.record_progress(users.commune, work, date=dt.date(2018, 5, 1), percent=5)


def test_no_progress_on_a_cancelled_work(work, users) -> None:
    services.change_status(users.officer, work, WorkStatus.CANCELLED, date=dt.date(2018, 2, 1))
    with pytest.raises(ValidationError):
        services.record_progress(users.officer, work, date=dt.date(2018, 5, 1), percent=5)


# --- disbursements ---------------------------------------------------------------------------------------


def test_payment_takes_unit_year_and_type_from_the_work(work, users, tree, cat) -> None:
    d = pay(users.officer, work, dt.date(2018, 11, 20), 250_000_000, voucher_number=" UNC 12 ")
    assert (d.unit, d.plan_year, d.capital_type, d.voucher_number) == (
        tree.dong_buc,
        2018,
        "investment",
        "UNC 12",
    )
    [entry] = audits(d)
    assert entry.action == "create" and entry.after["amount_vnd"] == 250_000_000


def test_capital_type_defaults_from_the_linked_line(work, users, cat) -> None:
    cat.line.capital_type = CapitalType.RECURRENT
    cat.line.save()
    assert pay(users.officer, work, dt.date(2018, 3, 1)).capital_type == "recurrent"
    services.set_plan_lines(users.officer, work, [])
    assert pay(users.officer, work, dt.date(2018, 3, 1), source=cat.central).capital_type == "investment"


def test_payment_against_a_plan_line(cat, users, tree) -> None:
    d = services.record_disbursement(
        users.officer, plan_line=cat.line, date=dt.date(2018, 4, 1), amount_vnd=10, source=cat.central
    )
    assert (d.unit, d.plan_year, d.work) == (tree.loc_binh, 2018, None)
    with pytest.raises(PermissionDenied):
        services.record_disbursement(
            users.commune, plan_line=cat.line, date=dt.date(2018, 4, 1), amount_vnd=10, source=cat.central
        )


@pytest.mark.parametrize(
    ("date", "ok"),
    [
        (dt.date(2017, 12, 31), False),
        (dt.date(2018, 1, 1), True),
        (dt.date(2019, 1, 31), True),
        (dt.date(2019, 2, 1), False),
    ],
)
def test_deadline_is_31_january_of_the_next_year(work, users, date, ok) -> None:
    if ok:
        assert pay(users.officer, work, date).date == date
    else:
        with pytest.raises(ValidationError) as exc:
            pay(users.officer, work, date)
        assert "31/01/2019" in str(exc.value) and "date" in exc.value.message_dict


def carry_over(cat, tree, until: dt.date, **kw) -> CapitalPlanLine:
    decision = PlanDecision.objects.create(
        year=2018,
        revision=PlanDecision.Revision.CARRY_OVER,
        authority="UBND tỉnh",
        number="50/QĐ-UBND",
        date=dt.date(2019, 1, 25),
        unit=tree.province,
        disburse_until=until,
    )
    args = {
        "component": cat.infra,
        "unit": tree.loc_binh,
        "source": cat.central,
        "capital_type": CapitalType.INVESTMENT,
        "amount_vnd": 300_000_000,
    }
    args.update(kw)
    return CapitalPlanLine.objects.create(decision=decision, **args)


def test_carry_over_extends_the_deadline_of_works_drawing_on_it(work, users, cat, tree) -> None:
    carried = carry_over(cat, tree, dt.date(2019, 12, 31))
    with pytest.raises(ValidationError):  # the work does not draw on the carried-over capital yet
        pay(users.officer, work, dt.date(2019, 6, 30))
    services.set_plan_lines(users.officer, work, [cat.line, carried])
    assert services.deadline(2018, work=work) == dt.date(2019, 12, 31)
    assert pay(users.officer, work, dt.date(2019, 6, 30)).plan_year == 2018
    with pytest.raises(ValidationError):
        pay(users.officer, work, dt.date(2020, 1, 2))
    assert services.deadline(2019, work=work) == dt.date(2020, 1, 31)  # another plan year


def test_carry_over_line_as_the_payment_target(cat, tree, users) -> None:
    carried = carry_over(cat, tree, dt.date(2019, 9, 30))
    assert services.deadline(2018, plan_line=carried) == dt.date(2019, 9, 30)
    assert services.deadline(2018, plan_line=cat.line) == dt.date(2019, 1, 31)
    d = services.record_disbursement(
        users.officer, plan_line=carried, date=dt.date(2019, 9, 30), amount_vnd=5, source=cat.central
    )
    assert d.plan_year == 2018 and d.unit == tree.loc_binh
    with pytest.raises(ValidationError):
        services.record_disbursement(
            users.officer, plan_line=carried, date=dt.date(2019, 10, 1), amount_vnd=5, source=cat.central
        )


@pytest.mark.parametrize("amount", [0, -5, "abc"])
def test_amount_must_be_positive_whole_dong(work, users, amount) -> None:
    with pytest.raises(ValidationError) as exc:
        pay(users.officer, work, dt.date(2018, 5, 1), amount)
    assert "amount_vnd" in exc.value.message_dict


def test_payment_needs_a_target_source_and_scope(work, users, cat) -> None:
    with pytest.raises(ValidationError):
        services.record_disbursement(
            users.officer, date=dt.date(2018, 5, 1), amount_vnd=1, source=cat.central
        )
    with pytest.raises(ValidationError):
        services.record_disbursement(
            users.officer, work=work, date=dt.date(2018, 5, 1), amount_vnd=1, source=None
        )
    with pytest.raises(PermissionDenied):
        pay(users.commune, work, dt.date(2018, 5, 1))
    with pytest.raises(PermissionDenied):
        pay(users.viewer, work, dt.date(2018, 5, 1))
    with pytest.raises(ValidationError):
        pay(users.officer, work, dt.date.today() + dt.timedelta(days=1), plan_year=dt.date.today().year)


def test_payment_update_and_delete(work, users) -> None:
    d = pay(users.officer, work, dt.date(2018, 5, 1))
    d = services.update_disbursement(users.officer, d, {"amount_vnd": 120_000_000}, d.version)
    assert d.amount_vnd == 120_000_000 and d.version == 2
    with pytest.raises(ConcurrentEditError):
        services.update_disbursement(users.officer, d, {"amount_vnd": 1}, 1)
    with pytest.raises(ValidationError):
        services.update_disbursement(users.officer, d, {"date": dt.date(2019, 3, 1)}, d.version)
    with pytest.raises(PermissionDenied):
        services.delete_disbursement(users.commune, d, d.version)
    services.delete_disbursement(users.officer, d, d.version)
    assert not Disbursement.objects.exists()
    assert [e.action for e in audits(d)] == ["create", "update", "delete"]
