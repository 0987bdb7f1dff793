"""Benchmark: `program-summary` (and the monitoring page) on a province with 65 communes, 2,000 works and
50,000 payments, against a bare `SELECT SUM(amount_vnd) FROM works_disbursement` measured in the same run.

    .venv/bin/python bench/program_summary.py                 # fresh SQLite database in a temporary directory
    .venv/bin/python bench/program_summary.py --postgres postgres://postgres@127.0.0.1:5432/postgres
                                                              # also a temporary PostgreSQL database (dropped after)

The data is generated in bulk (seeded), then `ANALYZE`d as a live database would be. Each figure is the
median of several runs after one warm-up; on SQLite the report's CPU time is printed too (it runs in this
process, so it does not depend on other load on the machine). The run ends by adding the covering index
proposed for `works.Disbursement` and measuring again. Prints the times and the ratio to the baseline;
exits 1 when the report (without the index) takes 100 ms or more.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 100.0
RUNS = 9
COMMUNES, VILLAGES_PER_COMMUNE, WORKS, PAYMENTS = 65, 4, 2_000, 50_000
YEAR = 2026


def build() -> dict[str, int]:
    """The province, its 65 communes and villages, plans, works, progress and payments (bulk)."""
    import datetime as dt

    from dantoc.accounts.models import Role, User
    from dantoc.core.text import fold
    from dantoc.geo.models import AdminUnit, Kind, Level
    from dantoc.programs.catalogue import ensure_catalogue
    from dantoc.programs.models import (
        CapitalPlanLine,
        CapitalType,
        Component,
        FundingSource,
        PlanDecision,
        Program,
    )
    from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkKind, WorkStatus

    rng = random.Random(20260701)
    ensure_catalogue()
    reform = dt.date(2025, 7, 1)
    province = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lạng Sơn")
    province.save()

    def bulk_units(rows: list[AdminUnit]) -> list[AdminUnit]:
        for u in rows:
            u.name_folded = fold(u.name)
        created = AdminUnit.objects.bulk_create(rows, batch_size=2000)
        for u in created:
            u.path = f"{u.parent.path if u.parent else '/'}{u.pk}/"
        AdminUnit.objects.bulk_update(created, ["path"], batch_size=2000)
        return created

    communes = bulk_units(
        [
            AdminUnit(
                level=Level.COMMUNE,
                kind=Kind.PHUONG if i < 4 else Kind.XA,
                code=f"{6000 + i}",
                name=f"Đơn vị {i + 1}",
                parent=province,
                valid_from=reform,
            )
            for i in range(COMMUNES)
        ]
    )
    villages = bulk_units(
        [
            AdminUnit(level=Level.VILLAGE, kind=Kind.THON, name=f"Thôn {j + 1}", parent=c, valid_from=reform)
            for c in communes
            for j in range(VILLAGES_PER_COMMUNE)
        ]
    )
    leader = User.objects.create(username="bench-leader", role=Role.LEADER, scope=province)
    for c in communes[:20]:
        User.objects.create(username=f"bench-officer-{c.pk}", role=Role.OFFICER, scope=c)

    programs = list(Program.objects.filter(code__in=["NTP-2026", "NTP-DTTS-2021"]))
    components = list(Component.objects.filter(program__in=programs))
    sources = list(FundingSource.objects.filter(code__in=["central", "local"]))
    initial = PlanDecision.objects.create(
        year=YEAR,
        authority="UBND tỉnh",
        number="1/QĐ-UBND",
        date=dt.date(YEAR - 1, 12, 20),
        unit=province,
        disburse_until=dt.date(YEAR + 1, 1, 31),
    )
    adjust = PlanDecision.objects.create(
        year=YEAR,
        revision=PlanDecision.Revision.ADJUSTMENT,
        authority="UBND tỉnh",
        number="2/QĐ-UBND",
        date=dt.date(YEAR, 7, 1),
        unit=province,
        disburse_until=dt.date(YEAR + 1, 1, 31),
    )
    carry = PlanDecision.objects.create(
        year=YEAR,
        revision=PlanDecision.Revision.CARRY_OVER,
        authority="UBND tỉnh",
        number="3/QĐ-UBND",
        date=dt.date(YEAR + 1, 1, 20),
        unit=province,
        disburse_until=dt.date(YEAR + 1, 12, 31),
    )
    lines: list[CapitalPlanLine] = []
    for c in communes:
        for comp in rng.sample(components, min(8, len(components))):
            for src in sources:
                ctype = rng.choice(CapitalType.values)
                lines.append(
                    CapitalPlanLine(
                        decision=initial,
                        component=comp,
                        unit=c,
                        source=src,
                        capital_type=ctype,
                        amount_vnd=rng.randrange(200, 5_000) * 1_000_000,
                    )
                )
    extra = [
        CapitalPlanLine(
            decision=adjust,
            component=ln.component,
            unit=ln.unit,
            source=ln.source,
            capital_type=ln.capital_type,
            amount_vnd=rng.choice([-1, 1]) * rng.randrange(10, 100) * 1_000_000,
        )
        for ln in rng.sample(lines, 200)
    ]
    extra += [
        CapitalPlanLine(
            decision=carry,
            component=ln.component,
            unit=ln.unit,
            source=ln.source,
            capital_type=ln.capital_type,
            amount_vnd=rng.randrange(10, 100) * 1_000_000,
        )
        for ln in rng.sample(lines, 60)
    ]
    lines = CapitalPlanLine.objects.bulk_create(lines + extra, batch_size=2000)
    counted = [ln for ln in lines if ln.decision_id == initial.pk]

    by_commune = {c.pk: [v for v in villages if v.parent_id == c.pk] for c in communes}
    statuses = [
        WorkStatus.APPROVED,
        WorkStatus.UNDER_CONSTRUCTION,
        WorkStatus.UNDER_CONSTRUCTION,
        WorkStatus.COMPLETED,
        WorkStatus.HANDED_OVER,
        WorkStatus.SUSPENDED,
        WorkStatus.PROPOSED,
    ]
    works = []
    for i in range(WORKS):
        comp = rng.choice(components)
        unit = rng.choice(communes)
        start = dt.date(YEAR, rng.randint(1, 6), rng.randint(1, 28))
        status = rng.choice(statuses)
        works.append(
            Work(
                code=f"B{i:05d}",
                name=f"Công trình {i}",
                name_folded=f"cong trinh {i}",
                kind=rng.choice(WorkKind.values),
                program_id=comp.program_id,
                component=comp,
                year=YEAR,
                unit=unit,
                village=rng.choice(by_commune[unit.pk]) if rng.random() < 0.5 else None,
                total_investment_vnd=rng.randrange(500, 20_000) * 1_000_000,
                planned_start=start,
                planned_completion=start + dt.timedelta(days=rng.randint(90, 400)),
                status=status,
                actual_start=start if status != WorkStatus.PROPOSED else None,
                actual_completion=start + dt.timedelta(days=200)
                if status in (WorkStatus.COMPLETED, WorkStatus.HANDED_OVER)
                else None,
            )
        )
    works = Work.objects.bulk_create(works, batch_size=2000)
    ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(
                work=w,
                date=dt.date(YEAR, rng.randint(2, 12), rng.randint(1, 28)),
                percent=rng.randint(5, 100),
            )
            for w in works
            for _ in range(rng.randint(0, 3))
        ],
        batch_size=5000,
    )

    first = dt.date(YEAR, 1, 1)
    payments = []
    for _ in range(PAYMENTS):
        day = first + dt.timedelta(days=min(int(rng.betavariate(2.2, 1.2) * 400), 420))
        if rng.random() < 0.7:
            w = rng.choice(works)
            target: dict[str, Any] = {"work": w, "unit_id": w.unit_id}
        else:
            ln = rng.choice(counted)
            target = {"plan_line": ln, "unit_id": ln.unit_id}
        payments.append(
            Disbursement(
                plan_year=YEAR,
                date=day,
                amount_vnd=rng.randrange(1, 80) * 1_000_000,
                source=rng.choice(sources),
                capital_type=rng.choice(CapitalType.values),
                **target,
            )
        )
    Disbursement.objects.bulk_create(payments, batch_size=5000)
    return {
        "communes": len(communes),
        "villages": len(villages),
        "plan_lines": len(lines),
        "works": len(works),
        "payments": Disbursement.objects.count(),
        "leader": leader.pk,
        "province": province.pk,
    }


def median_ms(func: Callable[[], Any], runs: int = RUNS) -> float:
    return timed(func, runs)[0]


def timed(func: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    """(median, fastest) wall time in ms after a warm-up."""
    func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def cpu_ms(func: Callable[[], Any], runs: int = RUNS) -> float:
    """Median CPU time of this process (SQLite runs in it): unaffected by other load on the machine."""
    func()
    times = []
    for _ in range(runs):
        started = time.process_time()
        func()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


# The index proposed for `works.Disbursement` (see the closing note): it covers the report's GROUP BY.
PROPOSED_INDEX = (
    "CREATE INDEX bench_disbursement_rollup ON works_disbursement "
    "(plan_year, work_id, plan_line_id, unit_id, source_id, date, amount_vnd)"
)


def run_child() -> dict[str, Any]:
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    with open(os.devnull, "w") as sink:
        call_command("migrate", verbosity=0, stdout=sink)
    started = time.perf_counter()
    counts = build()
    load_s = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("ANALYZE")

    from dantoc.accounts.models import User
    from dantoc.reports import render
    from dantoc.reports.program_summary import program_summary
    from dantoc.reports.selectors import SystemUser
    from dantoc.works import monitoring

    leader = User.objects.select_related("scope").get(pk=counts["leader"])
    on = dt.date(YEAR + 1, 3, 31)

    def baseline() -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT SUM(amount_vnd) FROM works_disbursement")
            cur.fetchone()

    report = program_summary(leader, YEAR, on=on)
    sel = monitoring.Selection(YEAR, on, within=leader.scope)
    sqlite = connection.vendor == "sqlite"
    out: dict[str, Any] = {
        **counts,
        "load_s": load_s,
        "baseline_ms": median_ms(baseline),
        "baseline_min_ms": timed(baseline)[1],
        "summary_ms": median_ms(lambda: program_summary(leader, YEAR, on=on)),
        "summary_min_ms": timed(lambda: program_summary(leader, YEAR, on=on))[1],
        "summary_cpu_ms": cpu_ms(lambda: program_summary(leader, YEAR, on=on)) if sqlite else None,
        "summary_system_ms": median_ms(lambda: program_summary(SystemUser(), YEAR, on=on)),
        "summary_current_ms": median_ms(lambda: program_summary(leader, YEAR, on=on, structure="current")),
        "summary_json_ms": median_ms(lambda: render.to_json(program_summary(leader, YEAR, on=on))),
        "xlsx_ms": median_ms(lambda: render.to_xlsx(report), runs=3),
        "monitoring_ms": median_ms(lambda: monitoring.overview(leader, sel)),
        "late_ms": median_ms(lambda: monitoring.late_items(leader, sel)),
        "check": {
            p["code"]: [p["capital_plan_vnd"], p["disbursed_vnd"], p["works"]]
            for p in report["programs"]
            if p["works"]
        },
    }
    with connection.cursor() as cur:
        cur.execute(PROPOSED_INDEX)
        cur.execute("ANALYZE" if sqlite else "VACUUM ANALYZE works_disbursement")
    out["indexed_baseline_ms"] = median_ms(baseline)
    out["indexed_summary_ms"] = median_ms(lambda: program_summary(leader, YEAR, on=on))
    out["indexed_summary_cpu_ms"] = cpu_ms(lambda: program_summary(leader, YEAR, on=on)) if sqlite else None
    out["indexed_monitoring_ms"] = median_ms(lambda: monitoring.overview(leader, sel))
    out["indexed_check"] = program_summary(leader, YEAR, on=on)["programs"] == report["programs"]
    return out


def child(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(label: str, env: dict[str, str]) -> bool:
    r = child(env)
    base = r["baseline_ms"]

    def line(name: str, key: str, baseline: float = base) -> str:
        return f"  {name:<50} {r[key]:8.1f} ms = {r[key] / baseline:6.1f} x baseline"

    print(
        f"{label}: {r['communes']} communes, {r['villages']} villages, {r['plan_lines']} plan lines, "
        f"{r['works']} works, {r['payments']} payments (built in {r['load_s']:.1f} s); median of {RUNS} runs"
    )
    print(f"  {'baseline SELECT SUM(amount_vnd)':<50} {base:8.1f} ms (fastest {r['baseline_min_ms']:.1f} ms)")
    print(line("program-summary (province leader)", "summary_ms"))
    print(
        f"  {'  fastest run':<50} {r['summary_min_ms']:8.1f} ms = "
        f"{r['summary_min_ms'] / r['baseline_min_ms']:6.1f} x fastest baseline"
    )
    if r["summary_cpu_ms"] is not None:
        print(f"  {'  the same, CPU time of the process':<50} {r['summary_cpu_ms']:8.1f} ms")
    print(line("program-summary (system-wide view)", "summary_system_ms"))
    print(line("program-summary --structure current", "summary_current_ms"))
    print(line("program-summary + JSON", "summary_json_ms"))
    print(line("xlsx rendering (of a computed report)", "xlsx_ms"))
    print(line("monitoring page data (overview)", "monitoring_ms"))
    print(line("late list", "late_ms"))
    ibase = r["indexed_baseline_ms"]
    print(f"  with the proposed covering index on works_disbursement (baseline {ibase:.1f} ms):")
    print(line("  program-summary (province leader)", "indexed_summary_ms", ibase))
    if r["indexed_summary_cpu_ms"] is not None:
        print(f"  {'    the same, CPU time of the process':<50} {r['indexed_summary_cpu_ms']:8.1f} ms")
    print(line("  monitoring page data (overview)", "indexed_monitoring_ms", ibase))
    print(f"  figures (plan, disbursed, works): {r['check']}; same with the index: {r['indexed_check']}")
    return bool(r["summary_ms"] < BUDGET_MS)


def bench_postgres(server_url: str, env: dict[str, str]) -> bool:
    import psycopg

    name = f"dantoc_bench_ps_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        return measure("PostgreSQL", {**env, "DANTOC_DATABASE_URL": url})
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--postgres", metavar="URL", help="PostgreSQL server URL; a temporary database is used"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child()))
        return 0
    with tempfile.TemporaryDirectory(prefix="dantoc-bench-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dantoc.settings",
            "DANTOC_VAR_DIR": tmp,
            "DANTOC_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
            "PYTHONPATH": str(ROOT / "src"),
        }
        ok = measure("SQLite", {**env, "DANTOC_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"})
        if args.postgres:
            ok = bench_postgres(args.postgres, env) and ok
    print("OK" if ok else f"FAIL (budget {BUDGET_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
