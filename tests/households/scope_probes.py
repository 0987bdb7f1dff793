"""Scope probes for households routes (see tests/core/test_endpoints.py): objects in Ba Sơn (Cao Lộc),
outside the `xa` user's commune."""

from __future__ import annotations

from typing import Any


def _outside(tree: Any) -> dict[str, Any]:
    from dantoc.geo.models import AdminUnit, EthnicGroup, Kind, Level
    from dantoc.households.models import Household, Person, SupportRecord
    from dantoc.programs.models import Component, Program

    village = AdminUnit.objects.filter(parent=tree.ba_son, level=Level.VILLAGE).first()
    if village is None:
        village = AdminUnit(
            level=Level.VILLAGE,
            kind=Kind.THON,
            name="Khuổi Mò",
            parent=tree.ba_son,
            valid_to=tree.ba_son.valid_to,
        )
        village.save()
    household, _ = Household.objects.get_or_create(code="PROBE-1", village=village)
    person = Person.objects.filter(household=household).first()
    if person is None:
        person = Person(
            household=household,
            full_name="Lương Văn Tùng",
            sex="M",
            birth_year=1975,
            ethnic_group=EthnicGroup.objects.get(code="02"),
            relation="head",
            id_number="020075123789",
        )
        person.save()
    program, _ = Program.objects.get_or_create(code="30A", defaults={"name": "30a", "start_year": 2009})
    component, _ = Component.objects.get_or_create(
        program=program, code="30A-2", defaults={"name": "SX", "category": "production"}
    )
    record = SupportRecord.objects.filter(household=household).first() or SupportRecord.objects.create(
        household=household, component=component, year=2018, kind="livestock", value_vnd=1_000_000
    )
    return {"household": household.pk, "person": person.pk, "record": record.pk}


def _person(tree: Any) -> dict[str, Any]:
    return {"pk": _outside(tree)["person"]}


def _household(tree: Any) -> dict[str, Any]:
    return {"pk": _outside(tree)["household"]}


def _record(tree: Any) -> dict[str, Any]:
    return {"pk": _outside(tree)["record"]}


PROBES = {
    "households:person": _person,
    "households:person-reveal": _person,
    "households:person-unmerge": _person,
    "households:person-export": _person,
    "households:person-edit": _person,
    "households:household": _household,
    "households:household-edit": _household,
    "households:member-create": _household,
    "households:poverty": _household,
    "households:support-create": _household,
    "households:support-delete": _record,
}
UNSCOPED: set[str] = set()
