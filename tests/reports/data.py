"""A small P135/30A data set on the test tree, built through the ORM (figures worked out by hand).

2018, Lạng Sơn before the reform (districts Lộc Bình and Cao Lộc):

plan (initial 20/12/2017; adjustment 01/07/2018)           P135             30A
  Đồng Bục      P135-1 central investment   1,000,000,000
  Đồng Bục      P135-2 central recurrent      200,000,000
  TT Lộc Bình   P135-1 local investment       200,000,000
  Ba Sơn        P135-1 central investment     600,000,000 − 100,000,000 (adjustment)
  Đồng Bục      30A-1 central investment                      500,000,000
  = plan                                    1,900,000,000     500,000,000
carry-over (20/01/2019, until 31/12/2019): Ba Sơn P135-1 central investment 150,000,000 (apart)

payments of plan year 2018
  W1 (P135, Đồng Bục)   15/03/2018 300M, 10/09/2018 400M, 20/01/2019 100M, 15/02/2019 50M (after the
                        deadline, no carried-over capital: outside the window)
  Ba Sơn P135-1 line    05/06/2018 200M
  Đồng Bục P135-2 line  11/11/2018 100M (recurrent)
  carry-over line       10/03/2019 120M (carry-over disbursement)
  W3 (30A, Đồng Bục)    20/12/2018 490M                      → 30A rate 0.98
  P135 disbursed by 31/01/2019 = 1,100,000,000 → rate 0.5789

2017 (the previous year's curve): plan 800M (P135, Đồng Bục); paid 10/05/2017 200M, 10/12/2017 500M.
Works of 2018: W1 road (P135, Đồng Bục, under construction, planned 01/03–31/10/2018), W2 school (P135,
Ba Sơn, completed 30/11/2018), W3 irrigation (30A, Đồng Bục, under construction, planned
01/04/2018–30/06/2019, last progress 01/12/2018, owner `tinh`), W4 (P135, TT Lộc Bình, approved),
W5 (P135, village Bản Chắt of Đồng Bục, proposed).
P135 classification in 2018: communes Đồng Bục, TT Lộc Bình, Ba Sơn; village Bản Chắt (Nhượng Bạn only
from 2019).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dantoc.geo.classification_types import ensure_classification_types
from dantoc.geo.models import (
    AdminUnit,
    ClassificationType,
    Kind,
    Level,
    UnitChange,
    UnitClassification,
    UnitLineage,
)
from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkStatus, WorkStatusChange

M = 1_000_000
INV, REC = CapitalType.INVESTMENT, CapitalType.RECURRENT


@dataclass
class Dataset:
    programs: dict[str, Program]
    components: dict[str, Component]
    sources: dict[str, FundingSource]
    village: AdminUnit  # Bản Chắt, historical row under Đồng Bục
    village_now: AdminUnit  # its continuation under Xã Lộc Bình
    lines: dict[str, CapitalPlanLine]
    works: dict[str, Work]


def program(code: str, name: str, start: int, end: int | None) -> Program:
    """The catalogue's programme (seeded by a migration), or a new one."""
    return Program.objects.get_or_create(
        code=code, defaults={"name": name, "start_year": start, "end_year": end}
    )[0]


def component(prog: Program, code: str, name: str, parent: Component | None = None) -> Component:
    return Component.objects.get_or_create(
        program=prog, code=code, defaults={"name": name, "parent": parent}
    )[0]


def source(code: str, name: str, order: int) -> FundingSource:
    return FundingSource.objects.get_or_create(code=code, defaults={"name": name, "order": order})[0]


def decision(
    year: int,
    number: str,
    date: dt.date,
    unit: AdminUnit,
    revision: str = PlanDecision.Revision.INITIAL,
    until: dt.date | None = None,
) -> PlanDecision:
    return PlanDecision.objects.create(
        year=year,
        revision=revision,
        authority="UBND tỉnh Lạng Sơn",
        number=number,
        date=date,
        unit=unit,
        disburse_until=until or dt.date(year + 1, 1, 31),
    )


def line(
    d: PlanDecision, comp: Component, unit: AdminUnit, source: FundingSource, ctype: str, amount: int
) -> CapitalPlanLine:
    return CapitalPlanLine.objects.create(
        decision=d, component=comp, unit=unit, source=source, capital_type=ctype, amount_vnd=amount
    )


def pay(
    amount: int,
    date: dt.date,
    *,
    work: Work | None = None,
    plan_line: CapitalPlanLine | None = None,
    unit: AdminUnit | None = None,
    source: FundingSource,
    ctype: str = INV,
    year: int = 2018,
) -> Disbursement:
    target_unit = unit or (work.unit if work else plan_line.unit)  # type: ignore[union-attr]
    return Disbursement.objects.create(
        work=work,
        plan_line=plan_line,
        unit=target_unit,
        plan_year=year,
        date=date,
        amount_vnd=amount,
        source=source,
        capital_type=ctype,
    )


def work(
    code: str, prog: Program, comp: Component | None, unit: AdminUnit, status: str, total: int, **kw: Any
) -> Work:
    return Work.objects.create(
        code=code,
        name=f"Công trình {code}",
        kind="road",
        program=prog,
        component=comp,
        year=kw.pop("year", 2018),
        unit=unit,
        status=status,
        total_investment_vnd=total,
        **kw,
    )


def build(tree: Any, users: Any) -> Dataset:
    p = tree.province
    programs = {
        "P135": program("P135", "Chương trình 135", 2016, 2020),
        "30A": program("30A", "Chương trình 30a", 2009, 2020),
        "NTP-GNBV-2016": program("NTP-GNBV-2016", "CTMTQG giảm nghèo bền vững 2016–2020", 2016, 2020),
        "NTP-DTTS-2021": program("NTP-DTTS-2021", "CTMTQG vùng đồng bào DTTS và miền núi", 2021, 2025),
        "NTP-2026": program("NTP-2026", "CTMTQG giai đoạn 2026–2035", 2026, 2035),
    }
    c = {
        "P135-1": component(programs["P135"], "P135-1", "Hỗ trợ đầu tư cơ sở hạ tầng"),
        "P135-2": component(programs["P135"], "P135-2", "Hỗ trợ phát triển sản xuất"),
        "30A-1": component(programs["30A"], "30A-1", "Hỗ trợ đầu tư cơ sở hạ tầng các huyện nghèo"),
    }
    c["P135-1.1"] = component(
        programs["P135"], "P135-1.1", "Đầu tư xây dựng công trình cơ sở hạ tầng", parent=c["P135-1"]
    )
    src = {
        "central": source("central", "Ngân sách trung ương", 1),
        "local": source("local", "Ngân sách địa phương", 2),
    }
    # Bản Chắt: a village of Đồng Bục, carried on under Xã Lộc Bình from 01/07/2025.
    village = AdminUnit(
        level=Level.VILLAGE,
        kind=Kind.THON,
        name="Bản Chắt",
        parent=tree.dong_buc,
        valid_to=dt.date(2025, 6, 30),
    )
    village.save()
    village_now = AdminUnit(
        level=Level.VILLAGE,
        kind=Kind.THON,
        name="Bản Chắt",
        parent=tree.xa_loc_binh,
        valid_from=dt.date(2025, 7, 1),
    )
    village_now.save()
    move = UnitChange.objects.create(kind=UnitChange.ChangeKind.REPARENT, effective_date=dt.date(2025, 7, 1))
    UnitLineage.objects.create(change=move, predecessor=village, successor=village_now)

    ensure_classification_types()  # flushed away between transactional (browser) tests
    types = {t.code: t for t in ClassificationType.objects.filter(code__in=["p135-commune", "p135-village"])}
    for unit in (tree.dong_buc, tree.tt_loc_binh, tree.ba_son):
        UnitClassification.objects.create(
            unit=unit,
            type=types["p135-commune"],
            valid_from=dt.date(2017, 1, 1),
            valid_to=dt.date(2020, 12, 31),
            basis_number="900/QĐ-TTg",
        )
    UnitClassification.objects.create(
        unit=village,
        type=types["p135-village"],
        valid_from=dt.date(2017, 1, 1),
        valid_to=dt.date(2020, 12, 31),
        basis_number="582/QĐ-TTg",
    )
    UnitClassification.objects.create(
        unit=tree.nhuong_ban,
        type=types["p135-commune"],
        valid_from=dt.date(2019, 1, 1),
        basis_number="x/QĐ-TTg",
    )

    central, local = src["central"], src["local"]
    d18 = decision(2018, "100/QĐ-UBND", dt.date(2017, 12, 20), p)
    lines = {
        "db": line(d18, c["P135-1"], tree.dong_buc, central, INV, 1000 * M),
        "db2": line(d18, c["P135-2"], tree.dong_buc, central, REC, 200 * M),
        "tt": line(d18, c["P135-1"], tree.tt_loc_binh, local, INV, 200 * M),
        "bs": line(d18, c["P135-1"], tree.ba_son, central, INV, 600 * M),
        "30a": line(d18, c["30A-1"], tree.dong_buc, central, INV, 500 * M),
    }
    adj = decision(2018, "200/QĐ-UBND", dt.date(2018, 7, 1), p, PlanDecision.Revision.ADJUSTMENT)
    lines["bs-adj"] = line(adj, c["P135-1"], tree.ba_son, central, INV, -100 * M)
    co = decision(
        2018,
        "20/QĐ-UBND",
        dt.date(2019, 1, 20),
        p,
        PlanDecision.Revision.CARRY_OVER,
        until=dt.date(2019, 12, 31),
    )
    lines["carry"] = line(co, c["P135-1"], tree.ba_son, central, INV, 150 * M)
    d17 = decision(2017, "90/QĐ-UBND", dt.date(2016, 12, 15), p)
    lines["2017"] = line(d17, c["P135-1"], tree.dong_buc, central, INV, 800 * M)

    w = {
        "W1": work(
            "W1",
            programs["P135"],
            c["P135-1.1"],
            tree.dong_buc,
            WorkStatus.UNDER_CONSTRUCTION,
            1000 * M,
            planned_start=dt.date(2018, 3, 1),
            planned_completion=dt.date(2018, 10, 31),
            actual_start=dt.date(2018, 3, 5),
        ),
        "W2": work(
            "W2",
            programs["P135"],
            c["P135-1"],
            tree.ba_son,
            WorkStatus.COMPLETED,
            500 * M,
            planned_start=dt.date(2018, 2, 1),
            planned_completion=dt.date(2018, 12, 31),
            actual_start=dt.date(2018, 2, 1),
            actual_completion=dt.date(2018, 11, 30),
        ),
        "W3": work(
            "W3",
            programs["30A"],
            c["30A-1"],
            tree.dong_buc,
            WorkStatus.UNDER_CONSTRUCTION,
            600 * M,
            planned_start=dt.date(2018, 4, 1),
            planned_completion=dt.date(2019, 6, 30),
            actual_start=dt.date(2018, 4, 2),
            owner=users.officer,
        ),
        "W4": work("W4", programs["P135"], c["P135-1"], tree.tt_loc_binh, WorkStatus.APPROVED, 300 * M),
        "W5": work(
            "W5", programs["P135"], c["P135-2"], tree.dong_buc, WorkStatus.PROPOSED, 100 * M, village=village
        ),
    }
    WorkStatusChange.objects.create(work=w["W2"], status=WorkStatus.COMPLETED, date=dt.date(2018, 11, 30))
    ProgressUpdate.objects.create(work=w["W1"], date=dt.date(2019, 1, 15), percent=85)
    ProgressUpdate.objects.create(work=w["W3"], date=dt.date(2018, 12, 1), percent=60)

    pay(300 * M, dt.date(2018, 3, 15), work=w["W1"], source=central)
    pay(400 * M, dt.date(2018, 9, 10), work=w["W1"], source=central)
    pay(100 * M, dt.date(2019, 1, 20), work=w["W1"], source=central)
    pay(50 * M, dt.date(2019, 2, 15), work=w["W1"], source=central)
    pay(200 * M, dt.date(2018, 6, 5), plan_line=lines["bs"], source=central)
    pay(100 * M, dt.date(2018, 11, 11), plan_line=lines["db2"], source=central, ctype=REC)
    pay(120 * M, dt.date(2019, 3, 10), plan_line=lines["carry"], source=central)
    pay(490 * M, dt.date(2018, 12, 20), work=w["W3"], source=central)
    pay(200 * M, dt.date(2017, 5, 10), plan_line=lines["2017"], source=central, year=2017)
    pay(500 * M, dt.date(2017, 12, 10), plan_line=lines["2017"], source=central, year=2017)
    return Dataset(programs, c, src, village, village_now, lines, w)
