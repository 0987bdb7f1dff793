"""Fixtures for works: programmes, components, sources and plan lines made with the ORM."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)
from dantoc.works import services
from dantoc.works.models import Work, WorkKind


@dataclass
class Catalogue:
    p135: Program
    ntp: Program
    infra: Component  # P135 infrastructure
    production: Component  # P135 production development
    ntp_infra: Component
    central: FundingSource
    local: FundingSource
    decision: PlanDecision  # 2018 initial assignment at Lộc Bình district
    line: CapitalPlanLine  # 2018, P135 infrastructure, Lộc Bình, central, investment: 2 billion


@pytest.fixture
def cat(tree) -> Catalogue:
    # The programme catalogue may already be seeded by a migration: reuse its rows, add our own components.
    p135, _ = Program.objects.update_or_create(
        code="P135", defaults={"name": "Chương trình 135", "start_year": 2016, "end_year": 2020}
    )
    ntp, _ = Program.objects.update_or_create(
        code="NTP-DTTS-2021", defaults={"name": "CTMTQG DTTS&MN", "start_year": 2021, "end_year": 2030}
    )
    infra = Component.objects.create(
        program=p135,
        code="T-1",
        name="Hỗ trợ đầu tư cơ sở hạ tầng",
        category=Component.Category.INFRASTRUCTURE,
    )
    production = Component.objects.create(
        program=p135, code="T-2", name="Hỗ trợ phát triển sản xuất", category=Component.Category.PRODUCTION
    )
    ntp_infra = Component.objects.create(
        program=ntp, code="T-4", name="Dự án 4", category=Component.Category.INFRASTRUCTURE
    )
    central, _ = FundingSource.objects.get_or_create(
        code="central", defaults={"name": "Ngân sách trung ương"}
    )
    local, _ = FundingSource.objects.get_or_create(code="local", defaults={"name": "Ngân sách địa phương"})
    decision = PlanDecision.objects.create(
        year=2018,
        authority="UBND tỉnh Lạng Sơn",
        number="100/QĐ-UBND",
        date=dt.date(2018, 1, 15),
        unit=tree.province,
        disburse_until=dt.date(2019, 1, 31),
    )
    line = CapitalPlanLine.objects.create(
        decision=decision,
        component=infra,
        unit=tree.loc_binh,
        source=central,
        capital_type=CapitalType.INVESTMENT,
        amount_vnd=2_000_000_000,
    )
    return Catalogue(p135, ntp, infra, production, ntp_infra, central, local, decision, line)


def make_work(user, cat: Catalogue, unit, **kw) -> Work:
    args = {
        "program": cat.p135,
        "year": 2018,
        "unit": unit,
        "name": "Đường vào bản Nà Pàn",
        "kind": WorkKind.ROAD,
        "total_investment_vnd": 1_000_000_000,
        "proposed_on": dt.date(2018, 1, 20),
    }
    args.update(kw)
    return services.create_work(user, **args)


@pytest.fixture
def work(cat, tree, users) -> Work:
    """A 2018 P135 road at Đồng Bục (Lộc Bình district) drawing on the 2018 line."""
    return make_work(users.officer, cat, tree.dong_buc, component=cat.infra, plan_lines=[cat.line])
