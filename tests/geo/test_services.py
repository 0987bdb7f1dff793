"""Writes on administrative units: changes through time, scope, audit and optimistic concurrency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dantoc.core.models import AuditEntry
from dantoc.core.services import ConcurrentEditError
from dantoc.geo import selectors, services
from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage
from dantoc.geo.services import NewUnit, SuccessorSpec

pytestmark = pytest.mark.django_db

D2020 = dt.date(2020, 1, 10)
D2023 = dt.date(2023, 3, 1)


def fresh(u: AdminUnit) -> AdminUnit:
    return AdminUnit.objects.get(pk=u.pk)


def successors_of(change: UnitChange) -> list[AdminUnit]:
    found = [e.successor for e in change.edges.select_related("successor").order_by("pk") if e.successor]
    return list({u.pk: u for u in found}.values())


def village(users, parent: AdminUnit, name: str, **kw) -> AdminUnit:
    return services.create_unit(users.admin, kind=Kind.THON, name=name, parent=parent, **kw)


class Extra:
    """Pre-2025 communes with no recorded change yet (the fixture's others all merged in 2025)."""

    def __init__(self, tree, users) -> None:
        mk = services.create_unit
        self.khanh_xuan = mk(users.admin, kind=Kind.XA, name="Khánh Xuân", code="6340", parent=tree.loc_binh)
        self.huu_khanh = mk(users.admin, kind=Kind.XA, name="Hữu Khánh", code="6343", parent=tree.loc_binh)
        self.xuat_le = mk(users.admin, kind=Kind.XA, name="Xuất Lễ", code="6019", parent=tree.cao_loc)


@pytest.fixture
def extra(tree, users) -> Extra:
    return Extra(tree, users)


# --- merge -----------------------------------------------------------------------------------------


def test_merge_into_a_new_unit_closes_predecessors_and_moves_their_villages(tree, users, extra) -> None:
    v1 = village(users, extra.khanh_xuan, "Khuổi Luông")
    v2 = village(users, extra.huu_khanh, "Nà Lầy")
    change = services.record_merge(
        users.admin,
        [extra.khanh_xuan, extra.huu_khanh],
        NewUnit(kind=Kind.XA, name="Khánh Hữu", code="9001"),
        D2023,
        "01/NQ-TEST",
        dt.date(2023, 2, 1),
    )
    (new,) = successors_of(change)
    assert change.kind == UnitChange.ChangeKind.MERGE
    assert new.valid_from == D2023 and new.name == "Khánh Hữu" and new.level == Level.COMMUNE
    assert new.parent_id == tree.loc_binh.pk  # the common parent by default
    assert new.valid_to == tree.loc_binh.valid_to
    for pred in (extra.khanh_xuan, extra.huu_khanh):
        assert fresh(pred).valid_to == D2023 - dt.timedelta(days=1)
    assert {e.predecessor_id for e in change.edges.all()} == {extra.khanh_xuan.pk, extra.huu_khanh.pk}
    # Villages still valid move to the successor with their paths.
    for v in (v1, v2):
        v = fresh(v)
        assert v.parent_id == new.pk
        assert v.path == f"{fresh(new).path}{v.pk}/"
    # Audited: the change, the new unit, the closures, the edges and the moved villages.
    assert AuditEntry.objects.filter(object_id=str(change.pk), content_type__model="unitchange").exists()
    assert AuditEntry.objects.filter(object_id=str(v1.pk), action="update", after__parent_id=new.pk).exists()


def test_merge_into_an_existing_unit_keeps_it_open(tree, users, extra) -> None:
    change = services.record_merge(
        users.admin, [extra.khanh_xuan], extra.huu_khanh, dt.date(2024, 1, 1), "02/NQ"
    )
    assert fresh(extra.khanh_xuan).valid_to == dt.date(2023, 12, 31)
    assert fresh(extra.huu_khanh).valid_to == dt.date(2025, 6, 30)
    assert successors_of(change) == [extra.huu_khanh]


def test_merge_refuses_the_successor_among_the_predecessors_and_writes_nothing(tree, users, extra) -> None:
    before = (UnitChange.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.record_merge(users.admin, [extra.huu_khanh, extra.khanh_xuan], extra.huu_khanh, D2023)
    assert " / " in exc.value.messages[0]  # bilingual
    assert (UnitChange.objects.count(), AuditEntry.objects.count()) == before
    assert fresh(extra.khanh_xuan).valid_to == dt.date(2025, 6, 30)


def test_a_unit_cannot_change_twice(tree, users, extra) -> None:
    with pytest.raises(ValidationError, match="already has a recorded change"):
        services.record_merge(users.admin, [tree.dong_buc], extra.huu_khanh, D2023)


def test_predecessor_must_exist_at_the_date(tree, users) -> None:
    with pytest.raises(ValidationError, match="ended on"):
        services.record_merge(users.admin, [tree.nhuong_ban], tree.dong_buc, D2023)


def test_new_successor_failing_validation_rolls_everything_back(tree, users, extra) -> None:
    counts = (AdminUnit.objects.count(), UnitChange.objects.count(), AuditEntry.objects.count())
    preds = [extra.khanh_xuan, extra.huu_khanh]
    with pytest.raises(ValidationError):  # a village kind for a commune-level merge
        services.record_merge(users.admin, preds, NewUnit(kind=Kind.THON, name="X"), D2023)
    with pytest.raises(ValidationError):  # a code already used by another commune from the same date
        services.record_merge(
            users.admin, preds, NewUnit(kind=Kind.XA, name="X", code="6325"), dt.date(2025, 7, 1)
        )
    assert (AdminUnit.objects.count(), UnitChange.objects.count(), AuditEntry.objects.count()) == counts
    assert fresh(extra.khanh_xuan).valid_to == dt.date(2025, 6, 30)


# --- split -----------------------------------------------------------------------------------------


def test_split_with_shares(tree, users, extra) -> None:
    change = services.record_split(
        users.admin,
        extra.xuat_le,
        [
            SuccessorSpec(new=NewUnit(kind=Kind.XA, name="Ba Sơn Đông"), share=Decimal("0.6")),
            SuccessorSpec(new=NewUnit(kind=Kind.XA, name="Ba Sơn Tây"), share=Decimal("0.4")),
        ],
        D2023,
        "03/NQ",
    )
    edges = list(change.edges.order_by("pk"))
    assert [e.share for e in edges] == [Decimal("0.6"), Decimal("0.4")]
    assert fresh(extra.xuat_le).valid_to == D2023 - dt.timedelta(days=1)
    assert all(e.successor.parent_id == tree.cao_loc.pk and e.successor.valid_from == D2023 for e in edges)


def test_split_without_shares_needs_a_primary_successor(tree, users, extra) -> None:
    specs = [
        SuccessorSpec(new=NewUnit(kind=Kind.XA, name="A")),
        SuccessorSpec(new=NewUnit(kind=Kind.XA, name="B")),
    ]
    with pytest.raises(ValidationError, match="primary successor"):
        services.record_split(users.admin, extra.xuat_le, specs, D2023)
    specs[1].primary = True
    v = village(users, extra.xuat_le, "Pò Mò")
    change = services.record_split(users.admin, extra.xuat_le, specs, D2023)
    primary = change.edges.get(is_primary=True).successor
    assert primary.name == "B"
    assert fresh(v).parent_id == primary.pk  # villages go to the primary successor


def test_split_shares_must_be_complete_and_add_up(tree, users, extra) -> None:
    half = [
        SuccessorSpec(new=NewUnit(kind=Kind.XA, name="A"), share=Decimal("0.5")),
        SuccessorSpec(new=NewUnit(kind=Kind.XA, name="B")),
    ]
    with pytest.raises(ValidationError, match="every successor"):
        services.record_split(users.admin, extra.xuat_le, half, D2023)
    half[1].share = Decimal("0.3")
    with pytest.raises(ValidationError, match="add up to 100"):
        services.record_split(users.admin, extra.xuat_le, half, D2023)
    assert not UnitChange.objects.filter(kind=UnitChange.ChangeKind.SPLIT).exists()


# --- rename and re-parent --------------------------------------------------------------------------


def test_rename_creates_a_new_row_and_moves_the_children(tree, users) -> None:
    old_village = village(users, tree.xa_loc_binh, "Khòn Pheo", valid_to=dt.date(2025, 12, 31))
    nested_path = fresh(tree.village).path
    date = dt.date(2026, 1, 1)
    change = services.rename_unit(
        users.admin, tree.xa_loc_binh, "Lộc Bình Mới", date, "04/NQ", dt.date(2025, 12, 1)
    )
    (new,) = successors_of(change)
    old = fresh(tree.xa_loc_binh)
    assert change.kind == UnitChange.ChangeKind.RENAME
    assert (old.name, old.valid_to) == ("Lộc Bình", dt.date(2025, 12, 31))
    assert (new.name, new.valid_from, new.parent_id, new.code) == (
        "Lộc Bình Mới",
        date,
        tree.province.pk,
        "6325",
    )
    v = fresh(tree.village)
    assert v.parent_id == new.pk and v.path == f"{new.path}{v.pk}/" and v.path != nested_path
    # A village closed before the date stays with the old row.
    assert fresh(old_village).parent_id == old.pk
    # The old structure still answers for old dates, the new one for new dates.
    assert (
        selectors.units(users.admin, on=dt.date(2025, 9, 1), level=Level.COMMUNE).filter(pk=old.pk).exists()
    )
    assert not selectors.units(users.admin, on=date, level=Level.COMMUNE).filter(pk=old.pk).exists()
    assert selectors.units(users.admin, on=date, level=Level.COMMUNE).filter(pk=new.pk).exists()
    old_children = {u.pk for u in selectors.tree_children(users.admin, old, dt.date(2025, 9, 1))}
    assert old_children == {v.pk, old_village.pk}
    assert {u.pk for u in selectors.tree_children(users.admin, new, date)} == {v.pk}


def test_reparent_moves_the_subtree(tree, users, extra) -> None:
    vil = village(users, extra.khanh_xuan, "Nà Pàn")
    deep = AdminUnit.objects.filter(pk=vil.pk)
    date = dt.date(2022, 1, 1)
    change = services.reparent_unit(users.admin, extra.khanh_xuan, tree.cao_loc, date, "05/NQ")
    (new,) = successors_of(change)
    old = fresh(extra.khanh_xuan)
    assert change.kind == UnitChange.ChangeKind.REPARENT
    assert old.parent_id == tree.loc_binh.pk and old.valid_to == dt.date(2021, 12, 31)
    assert new.parent_id == tree.cao_loc.pk and new.path == f"{tree.cao_loc.path}{new.pk}/"
    assert new.valid_to == tree.cao_loc.valid_to  # bounded by the new parent
    v = deep.get()
    assert v.parent_id == new.pk and v.path == f"{new.path}{v.pk}/"
    # The old structure on an old date: Đồng Bục under Lộc Bình; on a new date: under Cao Lộc.
    lb_2021 = selectors.descendants(tree.loc_binh, on=dt.date(2021, 6, 1), level=Level.COMMUNE)
    assert lb_2021.filter(pk=old.pk).exists()
    cl_2023 = selectors.descendants(tree.cao_loc, on=dt.date(2023, 6, 1))
    assert set(cl_2023.values_list("pk", flat=True)) >= {new.pk, v.pk}
    assert not selectors.descendants(tree.loc_binh, on=dt.date(2023, 6, 1)).filter(pk=new.pk).exists()


def test_reparent_refuses_a_move_into_its_own_subtree(tree, users) -> None:
    with pytest.raises(ValidationError):
        services.reparent_unit(users.admin, tree.loc_binh, tree.dong_buc, D2023)


# --- create and abolish ----------------------------------------------------------------------------


def test_record_create(tree, users) -> None:
    change = services.record_create(
        users.admin, NewUnit(kind=Kind.XA, name="Mẫu Sơn", code="9100", parent=tree.province), D2023, "06/NQ"
    )
    edge = change.edges.get()
    assert edge.predecessor is None and edge.successor.valid_from == D2023
    assert edge.successor.path == f"{tree.province.path}{edge.successor.pk}/"


def test_abolish_into_a_successor_and_without_one(tree, users, extra) -> None:
    nb_village = village(users, tree.nhuong_ban, "Bản Tẳng")
    assert nb_village.valid_to == tree.nhuong_ban.valid_to  # open end takes the parent's
    change = services.record_abolish(users.admin, tree.nhuong_ban, D2020, "07/NQ", successor=tree.dong_buc)
    assert fresh(tree.nhuong_ban).valid_to == dt.date(2020, 1, 9)  # already closed: kept
    assert change.edges.get().successor_id == tree.dong_buc.pk
    assert fresh(nb_village).parent_id == tree.nhuong_ban.pk  # it closed with the commune

    vil = village(users, extra.xuat_le, "Còn Quang")
    services.record_abolish(users.admin, extra.xuat_le, D2023)
    assert fresh(extra.xuat_le).valid_to == fresh(vil).valid_to == D2023 - dt.timedelta(days=1)


# --- plain create / update, scope and concurrency ---------------------------------------------------


def test_officer_adds_and_edits_villages_in_scope_only(tree, users) -> None:
    v = services.create_unit(users.commune, kind=Kind.BAN, name="Bản Mới", parent=tree.xa_loc_binh)
    assert v.valid_from == tree.xa_loc_binh.valid_from and v.path.startswith(tree.xa_loc_binh.path)
    with pytest.raises(PermissionDenied):
        services.create_unit(users.commune, kind=Kind.BAN, name="Bản Khác", parent=tree.xa_cao_loc)
    with pytest.raises(PermissionDenied):  # communes are structure: admins only
        services.create_unit(users.officer, kind=Kind.XA, name="Xã Mới", parent=tree.province)
    with pytest.raises(PermissionDenied):
        services.create_unit(users.viewer, kind=Kind.BAN, name="Bản Xem", parent=tree.xa_loc_binh)
    v = services.update_unit(users.commune, v, {"name": "Bản Mới Hơn"}, v.version)
    assert v.name == "Bản Mới Hơn" and v.version == 2
    with pytest.raises(PermissionDenied):
        services.update_unit(users.viewer, v, {"name": "X"}, v.version)
    with pytest.raises(PermissionDenied):
        services.update_unit(users.commune, tree.xa_loc_binh, {"note": "x"}, tree.xa_loc_binh.version)


def test_the_district_officer_writes_in_the_historical_district(tree, users) -> None:
    v = services.create_unit(users.district, kind=Kind.THON, name="Nà Slam", parent=tree.dong_buc)
    assert v.valid_to == tree.dong_buc.valid_to
    with pytest.raises(PermissionDenied):
        services.create_unit(users.district, kind=Kind.THON, name="Nà Slam", parent=tree.ba_son)


def test_create_validation_is_bilingual(tree, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_unit(users.admin, kind=Kind.THON, name="Nà Pàn", parent=tree.xa_loc_binh)
    assert "name" in exc.value.message_dict and " / " in exc.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_unit(
            users.admin,
            kind=Kind.THON,
            name="Pác Mạ",
            parent=tree.xa_loc_binh,
            valid_from=dt.date(2020, 1, 1),
        )
    assert "valid_from" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_unit(users.admin, kind=Kind.THON, name="Pác Mạ", parent=tree.loc_binh)
    assert "parent" in exc.value.message_dict


def test_update_refuses_a_stale_version(tree, users) -> None:
    v = fresh(tree.village)
    services.update_unit(users.commune, v, {"name": "Nà Pàn Trên"}, v.version)
    with pytest.raises(ConcurrentEditError):
        services.update_unit(users.officer, v, {"name": "Nà Pàn Dưới"}, v.version)
    assert fresh(v).name == "Nà Pàn Trên"


def test_update_parent_moves_the_subtree(tree, users) -> None:
    a = village(users, tree.dong_buc, "Lũng Vằn")
    moved = services.update_unit(users.admin, fresh(tree.nhuong_ban), {"parent": tree.cao_loc}, None)
    assert moved.path == f"{tree.cao_loc.path}{moved.pk}/"
    assert fresh(a).path.startswith(fresh(tree.dong_buc).path)
    b = village(users, moved, "Kéo Sáng")
    services.update_unit(users.admin, moved, {"parent": tree.loc_binh}, None)
    assert fresh(b).path == f"{tree.loc_binh.path}{moved.pk}/{b.pk}/"


def test_only_admins_record_changes(tree, users) -> None:
    for user in (users.officer, users.district, users.commune, users.leader, users.viewer):
        with pytest.raises(PermissionDenied):
            services.rename_unit(user, tree.village, "Nà Pàn Mới", D2023)
    assert not UnitLineage.objects.filter(change__kind=UnitChange.ChangeKind.RENAME).exists()


def test_record_change_dispatches_by_kind(tree, users, extra) -> None:
    change = services.record_change(
        users.admin,
        UnitChange.ChangeKind.MERGE,
        date=D2023,
        predecessors=[extra.khanh_xuan, extra.xuat_le],
        successors=[SuccessorSpec(new=NewUnit(kind=Kind.XA, name="Hợp Nhất"))],
        new_parent=tree.province,
    )
    assert successors_of(change)[0].parent_id == tree.province.pk
    with pytest.raises(ValidationError, match="exactly one unit"):
        services.record_change(
            users.admin, UnitChange.ChangeKind.RENAME, date=D2023, predecessors=[], new_name="X"
        )
