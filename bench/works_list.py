"""Benchmark: the works list with its counted disbursement per work, against a bare GROUP BY.

    .venv/bin/python tests/works/bench_works.py                  # temporary SQLite test database
    DANTOC_DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6bench .venv/bin/python tests/works/bench_works.py

A province with 65 communes, 2,000 works and 50,000 payments (a tenth of the works draw on carried-over
capital, a few payments are late). Baseline: the works' rows plus `SUM(amount) GROUP BY work` with no
deadline rule — the least any list showing disbursed amounts must read. Measured: the full scoped list
(`selectors.works`, counted payments only), one API page (100 rows + count), the list page's totals,
a commune officer's list and one work's detail. Each figure is the best of 5 runs. Not a test: it prints its figures.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

WORKS, PAYMENTS, COMMUNES, RUNS = 2_000, 50_000, 65, 5


def best(func: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(connection.vendor)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(vendor: str) -> None:
    from django.db.models import Sum

    from dantoc.accounts.models import Role
    from dantoc.accounts.services import create_user
    from dantoc.geo.models import AdminUnit, Kind, Level
    from dantoc.programs.models import (
        CapitalPlanLine,
        CapitalType,
        Component,
        FundingSource,
        PlanDecision,
        Program,
    )
    from dantoc.works import selectors
    from dantoc.works.models import Disbursement, Work

    rnd = random.Random(2018)
    province = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lạng Sơn")
    province.save()
    communes = []
    for i in range(COMMUNES):
        c = AdminUnit(level=Level.COMMUNE, kind=Kind.XA, code=f"9{i:03d}", name=f"Xã {i}", parent=province)
        c.save()
        communes.append(c)
    admin = create_user(username="bench", password="x", role=Role.ADMIN, scope=province)
    commune_user = create_user(username="benchxa", password="x", role=Role.OFFICER, scope=communes[0])
    program, _ = Program.objects.update_or_create(code="P135", defaults={"name": "P135", "start_year": 2016})
    component = Component.objects.create(program=program, code="B-1", name="Hạ tầng")
    source, _ = FundingSource.objects.get_or_create(code="central", defaults={"name": "TW"})
    decision = PlanDecision.objects.create(
        year=2018, authority="UBND", number="1/QĐ", date=dt.date(2018, 1, 5), unit=province,
        disburse_until=dt.date(2019, 1, 31),
    )  # fmt: skip
    carry = PlanDecision.objects.create(
        year=2018, revision=PlanDecision.Revision.CARRY_OVER, authority="UBND", number="2/QĐ",
        date=dt.date(2019, 1, 20), unit=province, disburse_until=dt.date(2019, 12, 31),
    )  # fmt: skip
    lines = CapitalPlanLine.objects.bulk_create(
        CapitalPlanLine(decision=decision, component=component, unit=c, source=source,
                        capital_type=CapitalType.INVESTMENT, amount_vnd=3_000_000_000)
        for c in communes
    )  # fmt: skip
    carried = CapitalPlanLine.objects.bulk_create(
        CapitalPlanLine(decision=carry, component=component, unit=c, source=source,
                        capital_type=CapitalType.INVESTMENT, amount_vnd=300_000_000)
        for c in communes
    )  # fmt: skip
    works = Work.objects.bulk_create(
        Work(code=f"CT-2018-{i:05d}", name=f"Đường thôn {i}", name_folded=f"duong thon {i}", kind="road",
             program=program, component=component, year=2018, unit=communes[i % COMMUNES],
             total_investment_vnd=rnd.randrange(500, 5_000) * 1_000_000)
        for i in range(WORKS)
    )  # fmt: skip
    through = Work.plan_lines.through
    links = [through(work_id=w.pk, capitalplanline_id=lines[i % COMMUNES].pk) for i, w in enumerate(works)]
    links += [
        through(work_id=w.pk, capitalplanline_id=carried[i % COMMUNES].pk)
        for i, w in enumerate(works)
        if i % 10 == 0
    ]
    through.objects.bulk_create(links)
    payments = []
    for i in range(PAYMENTS):
        w = works[i % WORKS]
        late = i % 97 == 0
        date = (
            dt.date(2019, rnd.randint(2, 11), 15)
            if late
            else dt.date(2018, rnd.randint(1, 12), rnd.randint(1, 28))
        )
        payments.append(Disbursement(work=w, unit_id=w.unit_id, plan_year=2018, date=date,
                                     amount_vnd=rnd.randrange(1, 50) * 1_000_000, source=source,
                                     capital_type=CapitalType.INVESTMENT))  # fmt: skip
    Disbursement.objects.bulk_create(payments, batch_size=5_000)

    def baseline() -> None:
        rows = list(
            Work.objects.values_list("pk", "code", "name", "unit__name", "program__code", "year", "status")
        )
        sums = dict(Disbursement.objects.order_by().values_list("work_id").annotate(s=Sum("amount_vnd")))
        assert len(rows) == WORKS and len(sums) == WORKS

    def full_list() -> None:
        assert len(list(selectors.works(admin))) == WORKS

    def api_page() -> None:
        qs = selectors.works(admin, program="P135", year=2018).order_by("-year", "code")
        assert qs.count() == WORKS and len(list(qs[:100])) == 100

    def list_totals() -> None:
        totals = selectors.works_totals(selectors.works(admin, with_disbursed=False))
        assert totals["count"] == WORKS

    def commune_list() -> None:
        assert len(list(selectors.works(commune_user))) == WORKS // COMMUNES + (1 if WORKS % COMMUNES else 0)

    def detail() -> None:
        selectors.work_detail(admin, works[0].pk)

    counted = sum(w.disbursed_vnd for w in selectors.works(admin))
    total = Disbursement.objects.aggregate(s=Sum("amount_vnd"))["s"]
    base = best(baseline)
    figures = {
        "full list (2,000 works, counted sums)": best(full_list),
        "API page (100 rows + count)": best(api_page),
        "list page totals (count, investment, paid)": best(list_totals),
        "commune officer's list": best(commune_list),
        "one work's detail": best(detail),
    }
    print(f"{vendor}: {WORKS:,} works, {PAYMENTS:,} payments; counted {counted:,} of {total:,} đồng")
    print(f"  baseline (rows + bare SUM GROUP BY): {base * 1000:8.1f} ms")
    for label, seconds in figures.items():
        print(f"  {label:<40} {seconds * 1000:8.1f} ms  ({seconds / base:5.2f}x baseline)")


if __name__ == "__main__":
    main()
