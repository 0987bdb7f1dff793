"""Fixtures for households: villages on both sides of the commune boundary, a programme, a few persons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dantoc.geo.models import AdminUnit, EthnicGroup, Kind, Level
from dantoc.households.models import Household, Person, PovertyStatus
from dantoc.programs.models import Component, Program

REFORM_DAY = dt.date(2025, 7, 1)


@dataclass
class World:
    village: AdminUnit  # Nà Pàn, Xã Lộc Bình (current) — in the `xa` user's commune
    other_village: AdminUnit  # a village of Ba Sơn (Cao Lộc, before 2025) — outside it
    program: Program
    production: Component
    infra: Component
    nung: EthnicGroup
    tay: EthnicGroup
    kinh: EthnicGroup
    household: Household
    head: Person  # Vi Thị Mai, CCCD 020186001456
    child: Person
    other_household: Household
    other_head: Person


def ensure_program(code: str = "30A") -> tuple[Program, Component, Component]:
    program, _ = Program.objects.get_or_create(
        code=code, defaults={"name": f"Chương trình {code}", "start_year": 2009}
    )
    prod, _ = Component.objects.get_or_create(
        program=program,
        code=f"{code}-2",
        defaults={
            "name": "Hỗ trợ phát triển sản xuất",
            "category": Component.Category.PRODUCTION,
            "order": 2,
        },
    )
    infra, _ = Component.objects.get_or_create(
        program=program,
        code=f"{code}-1",
        defaults={
            "name": "Hỗ trợ đầu tư cơ sở hạ tầng",
            "category": Component.Category.INFRASTRUCTURE,
            "order": 1,
        },
    )
    return program, prod, infra


def person(
    household: Household,
    name: str,
    sex: str,
    year: int,
    group: EthnicGroup,
    relation: str,
    id_number: str = "",
) -> Person:
    p = Person(
        household=household,
        full_name=name,
        sex=sex,
        birth_year=year,
        ethnic_group=group,
        relation=relation,
        id_number=id_number,
    )
    p.save()
    return p


@pytest.fixture
def world(tree) -> World:
    other_village = AdminUnit(
        level=Level.VILLAGE,
        kind=Kind.THON,
        name="Khuổi Mò",
        parent=tree.ba_son,
        valid_to=tree.ba_son.valid_to,
    )
    other_village.save()
    program, prod, infra = ensure_program()
    groups = {g.code: g for g in EthnicGroup.objects.filter(code__in=["01", "02", "07"])}
    hh = Household.objects.create(code="NP-001", village=tree.village, address="Nà Pàn")
    head = person(hh, "Vi Thị Mai", "F", 1986, groups["07"], "head", "020186001456")
    child = person(hh, "Hoàng Văn Nam", "M", 2010, groups["07"], "child")
    other = Household.objects.create(code="BS-001", village=other_village)
    other_head = person(other, "Lương Văn Tùng", "M", 1975, groups["02"], "head", "020075123789")
    PovertyStatus.objects.create(household=hh, year=2018, status="poor", source="QĐ rà soát 2018")
    return World(
        tree.village,
        other_village,
        program,
        prod,
        infra,
        groups["07"],
        groups["02"],
        groups["01"],
        hh,
        head,
        child,
        other,
        other_head,
    )
