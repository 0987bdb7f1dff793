"""The support summary stays equal to a fresh derivation from the records after every kind of change: support
written, corrected, moved and deleted; members added, changed, moved and merged (and the merge undone);
poverty status; a household moving village; restores from history; imports; and the report reads it."""

from __future__ import annotations

from typing import Any

import pytest

from dantoc.core.imports.engine import run_import
from dantoc.core.models import AuditEntry
from dantoc.core.services import restore
from dantoc.households import report, services, summary
from dantoc.households.models import Household, SupportRecord, SupportSummary
from tests.core.test_imports_support import xlsx

from .conftest import person

pytestmark = pytest.mark.django_db


def consistent(*years: int) -> None:
    for year in years or summary.years():
        assert summary.differences(year) == [], year


def total(year: int, code: str = "30A") -> tuple[int, int, int]:
    data = report.build(year)
    p = next((p for p in data["programs"] if p["code"] == code), None)
    return (p["households"], p["persons"], p["value_vnd"]) if p else (0, 0, 0)


def test_support_written_corrected_moved_and_deleted(world, users) -> None:
    u = users.commune
    rec = services.create_support_record(
        u, world.household, component=world.production, year=2018, kind="livestock", value_vnd=5_000_000
    )
    consistent(2018)
    assert total(2018) == (1, 2, 5_000_000)
    services.update_support_record(u, rec, {"value_vnd": 6_000_000, "year": 2019})
    consistent(2018, 2019)
    assert total(2018) == (0, 0, 0) and total(2019) == (1, 2, 6_000_000)
    services.delete_support_record(u, SupportRecord.objects.get(pk=rec.pk))
    consistent(2019)
    assert not SupportSummary.objects.exists()


def test_members_poverty_and_moves(world, users, tree) -> None:
    u = users.officer
    services.create_support_record(
        u, world.household, component=world.production, year=2018, kind="seedlings", value_vnd=1_000_000
    )
    services.create_person(
        u, world.household, full_name="Hoàng Thị Lan", sex="F", birth_year=2015, ethnic_group=world.nung,
        relation="child",
    )  # fmt: skip
    consistent(2018)
    assert total(2018)[1] == 3
    services.update_person(u, world.head, {"ethnic_group": world.tay, "sex": "F"})
    services.set_poverty_status(u, world.household, 2018, "near_poor")
    consistent(2018)
    status = SupportSummary.objects.get(year=2018, grain="p")
    assert (status.ethnic_group_id, status.status) == (world.tay.pk, "near_poor")
    services.update_household(u, world.household, {"village": world.other_village})
    consistent(2018)
    assert set(SupportSummary.objects.values_list("village_id", flat=True)) == {world.other_village.pk}


def test_merge_and_undo(world, users) -> None:
    u = users.officer
    dup_hh = Household.objects.create(code="NP-077", village=world.other_village)
    dup = person(dup_hh, "Vi Thi Mai", "F", 1986, world.nung, "head")
    person(dup_hh, "Hoàng Văn Bình", "M", 2012, world.nung, "child")
    SupportRecord.objects.create(
        household=dup_hh, component=world.production, year=2018, kind="cash", value_vnd=3_000_000
    )
    consistent(2018)
    decision = services.merge_persons(u, world.head, dup)
    consistent(2018)
    assert total(2018) == (1, 3, 3_000_000)  # the support moved to the kept household, with the child
    services.undo_merge(u, decision)
    consistent(2018)
    assert total(2018) == (1, 2, 3_000_000)


def test_restore_from_history(world, users) -> None:
    u = users.officer
    rec = services.create_support_record(
        u, world.household, component=world.production, year=2018, kind="cash", value_vnd=2_000_000
    )
    services.delete_support_record(u, SupportRecord.objects.get(pk=rec.pk))
    consistent(2018)
    entry = AuditEntry.objects.filter(object_id=str(rec.pk), action="delete").latest("at")
    restore(u, entry)
    consistent(2018)
    assert total(2018) == (1, 2, 2_000_000)


def test_imports_keep_it_in_step(world, users) -> None:
    SupportRecord.objects.create(
        household=world.household, component=world.production, year=2018, kind="cash", value_vnd=1_000_000
    )
    assert total(2018) == (1, 2, 1_000_000)
    rows: list[list[Any]] = [
        ["Mã hộ", "Họ và tên", "Quan hệ với chủ hộ", "Năm sinh", "Giới tính", "Dân tộc", "Thôn/bản", "Xã",
         "Phân loại hộ", "Năm rà soát"],
        ["NP-001", "Vi Thị Mai", "Chủ hộ", 1986, "Nữ", "Nùng", "Nà Pàn", "Lộc Bình", "Cận nghèo", 2018],
        ["NP-001", "Hoàng Văn Nam", "Con", 2010, "Nam", "Nùng", "Nà Pàn", "Lộc Bình", "Cận nghèo", 2018],
        ["NP-001", "Hoàng Thị Hoa", "Con", 2013, "Nữ", "Nùng", "Nà Pàn", "Lộc Bình", "Cận nghèo", 2018],
    ]  # fmt: skip
    assert run_import("households", xlsx(rows), user=users.officer, filename="ho.xlsx").committed
    consistent(2018)
    assert total(2018) == (1, 3, 1_000_000)
    assert SupportSummary.objects.get(year=2018, grain="p").status == "near_poor"
    support: list[list[Any]] = [
        ["Họ và tên chủ hộ", "Năm sinh", "Số CCCD", "Thôn/bản", "Xã", "Nội dung hỗ trợ", "Thành tiền (đồng)"],
        ["Vi Thị Mai", 1986, "020186001456", "Nà Pàn", "Lộc Bình", "Con giống", 5_000_000],
    ]
    result = run_import(
        "support",
        xlsx(support),
        user=users.officer,
        filename="h.xlsx",
        options={"program": "30A", "year": 2018},
    )
    assert result.committed
    consistent(2018)
    assert total(2018) == (1, 3, 6_000_000)


def test_rebuild_equals_refresh(world, users) -> None:
    for year in (2018, 2019):
        SupportRecord.objects.create(
            household=world.household, component=world.production, year=year, kind="cash", value_vnd=year
        )
    before = sorted(SupportSummary.objects.values_list("year", "grain", "value_vnd"))
    summary.rebuild()
    assert sorted(SupportSummary.objects.values_list("year", "grain", "value_vnd")) == before


def test_command_checks_and_rebuilds(world, users) -> None:
    from django.core.management import CommandError, call_command

    SupportRecord.objects.create(
        household=world.household, component=world.production, year=2018, kind="cash", value_vnd=7
    )
    call_command("support_summary", "--check")
    row = SupportSummary.objects.filter(year=2018, grain="t").get()
    row.pk = None
    row.save()  # the same row twice: counted twice by the report
    assert len(summary.differences(2018)) == 1
    SupportSummary.objects.filter(year=2018).update(value_vnd=8)  # as if written behind the system's back
    with pytest.raises(CommandError):
        call_command("support_summary", "--check")
    call_command("support_summary")
    consistent(2018)
