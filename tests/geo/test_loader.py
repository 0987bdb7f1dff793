"""The loader of real administrative units (vietnam-provinces): both structures, lineage, idempotence."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import translation

from dantoc.core.text import fold
from dantoc.geo import selectors
from dantoc.geo.loader import LAST_DAY, REFORM, load
from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage, valid_on

pytestmark = pytest.mark.django_db

NOW = dt.date(2026, 1, 1)
OLD = dt.date(2024, 1, 1)
LANG_SON_UNITS = 1 + 11 + 194 + 65


def province(code: str, on: dt.date = NOW) -> AdminUnit:
    return AdminUnit.objects.filter(valid_on(on)).get(level=Level.PROVINCE, code=code)


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        u["id"]: tuple(u.values())
        for u in AdminUnit.objects.values("id", "updated_at", "name", "kind", "parent_id", "path", "valid_to")
    }


@pytest.fixture
def lang_son():
    return load()


def test_lang_son_in_both_structures(lang_son):
    ls = province("20")
    assert ls == province("20", OLD)  # borders unchanged: one row, both ends open
    assert (ls.name, ls.kind, ls.valid_from, ls.valid_to) == ("Lạng Sơn", Kind.TINH, None, None)
    now = selectors.descendants(ls, on=NOW, level=Level.COMMUNE)
    assert now.count() == 65
    assert dict(now.values_list("kind").annotate(n=Count("id"))) == {Kind.XA: 61, Kind.PHUONG: 4}
    assert set(now.values_list("parent", flat=True)) == {ls.pk}
    assert set(now.values_list("valid_from", "valid_to")) == {(REFORM, None)}
    before = selectors.descendants(ls, on=OLD, level=Level.COMMUNE)
    assert before.count() == 194
    assert set(before.values_list("valid_from", "valid_to")) == {(None, LAST_DAY)}
    districts = selectors.descendants(ls, on=OLD, level=Level.DISTRICT)
    assert districts.count() == 11
    assert set(districts.values_list("parent", flat=True)) == {ls.pk}
    assert set(before.values_list("parent__parent", flat=True)) == {ls.pk}
    assert not selectors.descendants(ls, on=NOW, level=Level.DISTRICT).exists()
    assert lang_son.units_created == LANG_SON_UNITS
    assert lang_son.warnings == []


def test_names_codes_and_kinds(lang_son):
    tt = AdminUnit.objects.get(level=Level.COMMUNE, kind=Kind.THI_TRAN, name="Lộc Bình")
    assert tt.full_name == "Thị trấn Lộc Bình"
    assert tt.name_folded == "loc binh"
    assert tt.parent is not None and (tt.parent.name, tt.parent.kind) == ("Lộc Bình", Kind.HUYEN)
    assert AdminUnit.objects.get(level=Level.DISTRICT, name="Lạng Sơn").kind == Kind.THANH_PHO
    prefixes = (
        "tỉnh ",
        "thành phố ",
        "huyện ",
        "quận ",
        "thị xã ",
        "xã ",
        "phường ",
        "thị trấn ",
        "đặc khu ",
    )
    widths = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
    for u in AdminUnit.objects.all():
        assert u.name_folded == fold(u.name)
        assert not u.name.lower().startswith(prefixes), u.name
        assert len(u.code) == widths[Level(u.level)] and u.code.isdigit(), u.code


def test_paths(lang_son):
    units = {u.pk: u for u in AdminUnit.objects.all()}
    for u in units.values():
        expected = (units[u.parent_id].path if u.parent_id else "/") + f"{u.pk}/"
        assert u.path == expected


def test_loc_binh_lineage(lang_son):
    xa = selectors.descendants(province("20"), on=NOW, level=Level.COMMUNE).get(name="Lộc Bình")
    edges = selectors.lineage(xa)["predecessors"]
    assert {e.predecessor.full_name for e in edges if e.predecessor} == {
        "Thị trấn Lộc Bình",
        "Xã Khánh Xuân",
        "Xã Hữu Khánh",
        "Xã Đồng Bục",
    }
    change = edges[0].change
    assert {e.change_id for e in edges} == {change.pk}
    assert (change.kind, change.effective_date) == (UnitChange.ChangeKind.MERGE, REFORM)
    assert (change.basis_number, change.basis_date) == ("1672/NQ-UBTVQH15", dt.date(2025, 6, 16))


def test_every_commune_is_linked(lang_son):
    ls = province("20")
    for new in selectors.descendants(ls, on=NOW, level=Level.COMMUNE):
        changes = list(selectors.changes_of(new))
        assert len(changes) == 1
        assert changes[0].kind in {
            UnitChange.ChangeKind.MERGE,
            UnitChange.ChangeKind.RENAME,
            UnitChange.ChangeKind.SPLIT,
        }
        assert changes[0].basis_number == "1672/NQ-UBTVQH15"
    # Figures recorded on the old communes all land on today's communes.
    old_ids = set(selectors.descendants(ls, on=OLD, level=Level.COMMUNE).values_list("pk", flat=True))
    rebased = selectors.rebase(dict.fromkeys(old_ids, 1), NOW)
    assert None not in rebased
    assert sum(f.value for f in rebased.values()) == 194
    current = selectors.descendants(ls, on=NOW, level=Level.COMMUNE).values_list("pk", flat=True)
    assert set(rebased) <= set(current)


def test_split_communes_have_one_primary_successor(lang_son):
    out = (
        UnitLineage.objects.filter(predecessor__level=Level.COMMUNE, successor__isnull=False)
        .values("predecessor")
        .annotate(n=Count("id"), primary=Count("id", filter=Q(is_primary=True)))
    )
    assert all(row["primary"] == 1 for row in out)
    split = [row["predecessor"] for row in out if row["n"] > 1]
    assert len(split) == 2  # Lạng Sơn has two
    for pk in split:
        old = AdminUnit.objects.get(pk=pk)
        edges = list(UnitLineage.objects.filter(predecessor=old).select_related("successor"))
        assert all(e.share is None for e in edges)
        same_name = [e for e in edges if e.successor and e.successor.name_folded == old.name_folded]
        if same_name:
            assert same_name[0].is_primary


def test_districts_are_abolished(lang_son):
    changes = UnitChange.objects.filter(kind=UnitChange.ChangeKind.ABOLISH)
    assert changes.count() == 11
    for change in changes:
        edges = list(change.edges.select_related("predecessor"))
        assert len(edges) == 1
        assert edges[0].successor_id is None
        assert edges[0].predecessor is not None and edges[0].predecessor.level == Level.DISTRICT
        assert change.effective_date == REFORM


def test_second_load_changes_nothing(lang_son):
    before = snapshot()
    counts = (UnitChange.objects.count(), UnitLineage.objects.count())
    again = load([20])
    assert again.units_created == again.units_updated == again.changes_created == again.edges_created == 0
    assert again.units_unchanged == LANG_SON_UNITS
    assert not again.changed
    assert snapshot() == before
    assert (UnitChange.objects.count(), UnitLineage.objects.count()) == counts


def test_merged_provinces_from_an_old_code():
    result = load([2])  # Hà Giang (pre-2025) → the new Tuyên Quang, with the old Tuyên Quang
    assert result.provinces == (8,)
    ha_giang = province("02", OLD)
    old_tq = province("08", OLD)
    new_tq = province("08", NOW)
    assert (ha_giang.valid_from, ha_giang.valid_to, old_tq.valid_to) == (None, LAST_DAY, LAST_DAY)
    assert (new_tq.valid_from, new_tq.valid_to) == (REFORM, None)
    edges = selectors.lineage(new_tq)["predecessors"]
    assert {e.predecessor_id for e in edges} == {ha_giang.pk, old_tq.pk}
    change = edges[0].change
    assert (change.kind, change.effective_date) == (UnitChange.ChangeKind.MERGE, REFORM)
    assert (change.basis_number, change.basis_date) == ("202/2025/QH15", dt.date(2025, 6, 12))
    assert all(e.is_primary for e in edges)
    assert selectors.descendants(new_tq, on=NOW, level=Level.COMMUNE).count() == 124
    assert not selectors.descendants(new_tq, on=OLD).exists()
    communes = UnitChange.objects.filter(
        edges__successor__path__startswith=new_tq.path, edges__successor__level=Level.COMMUNE
    ).distinct()
    assert communes.count() == 124
    assert all(c.basis_number == "" and "Ủy ban Thường vụ Quốc hội" in c.note for c in communes)


def test_lang_son_then_more_provinces_without_duplicates(lang_son):
    ls = province("20")
    before = {pk: row for pk, row in snapshot().items() if row[5].startswith(ls.path)}
    more = load([20, 8])
    assert more.units_unchanged == LANG_SON_UNITS
    assert more.units_created == AdminUnit.objects.count() - LANG_SON_UNITS
    assert {pk: row for pk, row in snapshot().items() if row[5].startswith(ls.path)} == before
    dupes = AdminUnit.objects.values("level", "code", "valid_from").annotate(n=Count("id")).filter(n__gt=1)
    assert not dupes.exists()
    assert not load([8, 20]).changed


def test_island_district_becomes_special_zone():
    load([44])  # Quảng Trị: the island district Cồn Cỏ had no communes
    district = AdminUnit.objects.get(level=Level.DISTRICT, name="Cồn Cỏ")
    [edge] = selectors.lineage(district)["successors"]
    assert edge.successor is not None and edge.successor.full_name == "Đặc khu Cồn Cỏ"
    assert edge.change.kind == UnitChange.ChangeKind.RENAME and edge.is_primary


def test_existing_rows_are_adopted_and_repaired():
    ls = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lang Son")
    ls.save()
    # A current commune filed under the wrong parent, with a village below it.
    elsewhere = AdminUnit.objects.create(level=Level.PROVINCE, kind=Kind.TINH, code="99", name="X")
    stray = AdminUnit(
        level=Level.COMMUNE, kind=Kind.XA, code="06529", name="Lộc Bình", valid_from=REFORM, parent=elsewhere
    )
    stray.save()
    village = AdminUnit(level=Level.VILLAGE, kind=Kind.THON, name="Nà Pàn", parent=stray)
    village.save()
    result = load()
    assert result.units_created == LANG_SON_UNITS - 2
    assert result.units_updated == 2
    ls.refresh_from_db()
    stray.refresh_from_db()
    village.refresh_from_db()
    assert (ls.name, ls.name_folded, ls.version) == ("Lạng Sơn", "lang son", 2)
    assert stray.parent_id == ls.pk and stray.path == f"{ls.path}{stray.pk}/"
    assert village.path == f"{stray.path}{village.pk}/"


def test_command():
    out = StringIO()
    call_command("geo", "load", "--province", "20", stdout=out)
    assert str(LANG_SON_UNITS) in out.getvalue()
    out = StringIO()
    with translation.override("vi"):
        call_command("geo", "load", stdout=out)
    assert f"0 tạo mới, 0 cập nhật, {LANG_SON_UNITS} không đổi" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("geo", "load", "--province", "99")
    with pytest.raises(CommandError):
        call_command("geo", "load", "--province", "20", "--all")
