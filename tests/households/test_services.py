"""Writes: households, persons (CCCD checks, one head), poverty status, support records, merge, keep apart."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from dantoc.core.models import AuditEntry
from dantoc.core.services import ConcurrentEditError
from dantoc.households import selectors, services
from dantoc.households.models import Household, Person, PersonMerge, PovertyStatus, SupportRecord

from .conftest import person

pytestmark = pytest.mark.django_db


def audited(obj: object, action: str) -> bool:
    ct = ContentType.objects.get_for_model(type(obj))
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk), action=action).exists()  # type: ignore[attr-defined]


def test_create_household_and_person_are_audited(world, users) -> None:
    hh = services.create_household(users.commune, code="NP-002", village=world.village)
    p = services.create_person(
        users.commune,
        hh,
        full_name="  Nông   Thị  Hoa ",
        sex="F",
        birth_year=1990,
        ethnic_group=world.tay,
        id_number="020 190 001 234",
        relation="head",
    )
    assert p.full_name == "Nông Thị Hoa" and p.name_folded == "nong thi hoa" and p.id_number == "020190001234"
    assert audited(hh, "create") and audited(p, "create")


def test_person_outside_the_area_is_refused(world, users) -> None:
    with pytest.raises(PermissionDenied):
        services.create_person(
            users.commune,
            world.other_household,
            full_name="A B",
            sex="M",
            birth_year=1990,
            ethnic_group=world.tay,
            relation="child",
        )
    with pytest.raises(PermissionDenied):
        services.create_household(users.viewer, code="X", village=world.village)


def test_cccd_must_fit_birth_year_and_sex(world, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_person(
            users.commune,
            world.household,
            full_name="Vi Văn Bình",
            sex="M",
            birth_year=1990,
            ethnic_group=world.nung,
            id_number="020290001234",
            relation="child",
        )
    assert "id_number" in exc.value.message_dict


def test_one_id_number_one_person(world, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_person(
            users.commune,
            world.household,
            full_name="Vi Thị Mai",
            sex="F",
            birth_year=1986,
            ethnic_group=world.nung,
            id_number=world.head.id_number,
            relation="sibling",
        )
    assert f"#{world.head.pk}" in exc.value.message_dict["id_number"][0]


def test_one_head_per_household(world, users) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_person(
            users.commune,
            world.household,
            full_name="Lộc Văn Hải",
            sex="M",
            birth_year=1980,
            ethnic_group=world.nung,
            relation="head",
        )
    assert "relation" in exc.value.message_dict


def test_birth_date_gives_the_year(world, users) -> None:
    import datetime as dt

    p = services.create_person(
        users.commune,
        world.household,
        full_name="Hoàng Thị Lan",
        sex="F",
        birth_date=dt.date(2012, 3, 4),
        ethnic_group=world.nung,
        relation="child",
    )
    assert p.birth_year == 2012


def test_correction_with_optimistic_concurrency(world, users) -> None:
    p = services.update_person(users.commune, world.head, {"full_name": "Vi Thị Mái"}, world.head.version)
    assert p.name_folded == "vi thi mai" and p.version == 2
    with pytest.raises(ConcurrentEditError):
        services.update_person(users.commune, p, {"full_name": "Vi Thị Mai"}, 1)
    assert audited(p, "update")


def test_poverty_status_per_year_is_upserted(world, users) -> None:
    services.set_poverty_status(users.commune, world.household, 2018, "near_poor", "Rà soát bổ sung")
    services.set_poverty_status(users.commune, world.household, 2019, "escaped")
    rows = dict(PovertyStatus.objects.filter(household=world.household).values_list("year", "status"))
    assert rows == {2018: "near_poor", 2019: "escaped"}


def test_support_record_component_by_programme(world, users) -> None:
    comp = services.resolve_component("30A")
    assert comp == world.production
    r = services.create_support_record(
        users.commune,
        world.household,
        component=comp,
        year=2018,
        kind="livestock",
        quantity=1,
        measure="con",
        value_vnd=5_000_000,
    )
    assert r.value_vnd == 5_000_000 and audited(r, "create")
    with pytest.raises(ValidationError):
        services.create_support_record(
            users.commune, world.household, component=comp, year=2018, kind="livestock", value_vnd=-1
        )
    with pytest.raises(ValidationError):
        services.resolve_component("NOPE")


def test_programme_with_two_production_components_needs_the_component(world) -> None:
    from dantoc.programs.models import Component

    Component.objects.create(program=world.program, code="30A-9", name="Khác", category="production")
    with pytest.raises(ValidationError) as exc:
        services.resolve_component("30A")
    assert "30A-2" in str(exc.value) and "30A-9" in str(exc.value)
    assert services.resolve_component("30A", "30A-9").code == "30A-9"


def test_merge_moves_support_and_members_and_keeps_history(world, users, tree) -> None:
    # The same woman registered again as head of a second household in the same village, without her CCCD.
    dup_hh = Household.objects.create(code="NP-009", village=world.village)
    dup = person(dup_hh, "Vi Thi Mai", "F", 1986, world.nung, "head")
    kid = person(dup_hh, "Hoàng Văn Bình", "M", 2012, world.nung, "child")
    rec = SupportRecord.objects.create(
        household=dup_hh, component=world.production, year=2018, kind="seedlings", value_vnd=2_000_000
    )
    PovertyStatus.objects.create(household=dup_hh, year=2018, status="near_poor")
    PovertyStatus.objects.create(household=dup_hh, year=2019, status="escaped")
    decision = services.merge_persons(users.commune, world.head, dup)
    dup.refresh_from_db()
    rec.refresh_from_db()
    kid.refresh_from_db()
    assert dup.merged_into_id == world.head.pk
    assert rec.household_id == world.household.pk and kid.household_id == world.household.pk
    assert dict(PovertyStatus.objects.filter(household=world.household).values_list("year", "status")) == {
        2018: "poor",
        2019: "escaped",
    }
    assert decision.decision == "merged" and decision.snapshot["other"]["full_name"] == "Vi Thi Mai"
    assert decision.snapshot["moved"]["support_records"] == [rec.pk]
    # merged records leave lists and are not proposed again
    assert dup not in selectors.persons(users.commune)
    with pytest.raises(ValidationError):
        services.merge_persons(users.commune, world.head, dup)


def test_merge_fills_a_missing_id_number(world, users) -> None:
    other = person(world.household, "Hoàng Văn Nam", "M", 2010, world.nung, "sibling", "020210004321")
    services.merge_persons(users.commune, world.child, other)
    world.child.refresh_from_db()
    other.refresh_from_db()
    assert world.child.id_number == "020210004321" and other.id_number == ""


def test_undo_merge_puts_everything_back(world, users) -> None:
    dup_hh = Household.objects.create(code="NP-010", village=world.village)
    dup = person(dup_hh, "Vi Thi Mai", "F", 1986, world.nung, "head", "020186009999")
    kid = person(dup_hh, "Hoàng Văn Bình", "M", 2012, world.nung, "child")
    rec = SupportRecord.objects.create(
        household=dup_hh, component=world.production, year=2018, kind="seedlings", value_vnd=2_000_000
    )
    PovertyStatus.objects.create(household=dup_hh, year=2019, status="escaped")
    Person.objects.filter(pk=world.head.pk).update(id_number="")  # so that the merge fills it
    world.head.refresh_from_db()
    decision = services.merge_persons(users.commune, world.head, dup)
    world.head.refresh_from_db()
    assert world.head.id_number == "020186009999"

    restored = services.undo_merge(users.commune, decision)
    for obj in (world.head, rec, kid, restored):
        obj.refresh_from_db()
    assert restored.pk == dup.pk and restored.merged_into_id is None and restored.id_number == "020186009999"
    assert world.head.id_number == ""  # taken back: it came from the merged record
    assert rec.household_id == dup_hh.pk and kid.household_id == dup_hh.pk
    assert PovertyStatus.objects.get(year=2019, status="escaped").household_id == dup_hh.pk
    assert not PersonMerge.objects.filter(pk=decision.pk).exists()
    assert audited(decision, "delete") and audited(restored, "update")
    # the pair is proposed again, and can be decided again
    pairs = selectors.likely_duplicates(users.commune, world.village.parent)
    assert frozenset((world.head.pk, dup.pk)) in {frozenset((x.a.pk, x.b.pk)) for x in pairs}


def test_undo_merge_refused_outside_the_area_and_for_keep_apart(world, users) -> None:
    twin = person(world.household, "Vi Thị Mại", "F", 1986, world.nung, "sibling")
    apart = services.keep_apart(users.commune, twin, world.head)
    with pytest.raises(ValidationError):
        services.undo_merge(users.commune, apart)
    other = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "sibling")
    decision = services.merge_persons(users.commune, world.head, other)
    with pytest.raises(PermissionDenied):
        services.undo_merge(users.viewer, decision)
    assert Person.objects.get(pk=other.pk).merged_into_id == world.head.pk


def test_merge_refuses_out_of_area_and_stale_versions(world, users) -> None:
    with pytest.raises(PermissionDenied):
        services.merge_persons(users.commune, world.head, world.other_head)
    other = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "sibling")
    with pytest.raises(ConcurrentEditError):
        services.merge_persons(users.commune, world.head, other, kept_version=7)


def test_keep_apart_is_idempotent_and_hides_the_pair(world, users) -> None:
    twin = person(world.household, "Vi Thị Mại", "F", 1986, world.nung, "sibling")
    pairs = selectors.likely_duplicates(users.commune, world.village.parent)
    assert {frozenset((p.a.pk, p.b.pk)) for p in pairs} == {frozenset((world.head.pk, twin.pk))}
    first = services.keep_apart(users.commune, twin, world.head)
    again = services.keep_apart(users.commune, world.head, twin)
    assert first.pk == again.pk and first.decision == "kept_apart"
    assert PersonMerge.objects.count() == 1
    assert selectors.likely_duplicates(users.commune, world.village.parent) == []
    assert Person.objects.get(pk=twin.pk).merged_into_id is None
