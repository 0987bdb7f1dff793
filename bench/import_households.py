"""Benchmark of the `households` import: 100,000 persons deduplicated against 500,000 already stored.

    .venv/bin/python bench/import_households.py                    # SQLite (temporary file)
    .venv/bin/python bench/import_households.py --database-url postgres://postgres@127.0.0.1:5432/postgres

The database holds a province with 65 communes of 10 villages and 500,000 persons in 125,000 households
(written with bulk inserts, as a previous import would have, then vacuumed, analysed and checkpointed as
a registry in use is). The workbook lists 100,000 new persons
(25,000 households of 4, every one a "Chủ hộ" row followed by its members, no household code) in the
same villages, with names drawn from the same pool as the stored ones, so likely-duplicate detection
(folded name + birth year + village, rapidfuzz) and the ID checks against the database do real work.
The bare read is calamine opening the file and iterating every row (best of 3), timed in the same run.
Target: whole import ≤ 8× the bare read.

Each import's CPU time is printed beside it: this thread's, the forked likely-duplicate comparison's and,
for a PostgreSQL server on this machine, its backend's. Their sum divided by the cores is the least wall
time any overlap of the three could reach; on PostgreSQL the backend's share alone shows how much of the
ratio the database's own writes (indexes, constraints, audit entries) take.

The database is seeded once; each of `--repeat` imports (default 3) goes into a fresh copy of it (a file
copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), with the bare read timed again just before it,
and the median ratio is reported beside each run's: one run on a shared machine can be off by a quarter.
With a PostgreSQL URL the benchmark creates and drops its own databases (`--db-name`, default
`dantoc_bench_h11`, and its copies).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench._harness import create_postgres, django_setup, drop_postgres  # noqa: E402

COMMUNES = 65
VILLAGES = 10
FAMILY = [
    "Hoàng",
    "Nông",
    "Lương",
    "Vi",
    "Lộc",
    "Lăng",
    "Triệu",
    "Hà",
    "Lý",
    "Mã",
    "Đinh",
    "Chu",
    "Dương",
    "Tô",
]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tùng",
]
GIVEN_F = [
    "Hoa",
    "Lan",
    "Mai",
    "Mây",
    "Nga",
    "Oanh",
    "Phương",
    "Quyên",
    "Thảo",
    "Trang",
    "Uyên",
    "Vân",
    "Yến",
]
ETHNIC = ["Nùng", "Tày", "Kinh", "Dao", "Sán Chay", "Hoa", "Mông"]
RELATIONS = ["Chủ hộ", "Vợ", "Con", "Con"]


def person(rng: random.Random, serial: int, relation: str, head_year: int) -> dict[str, Any]:
    female = relation == "Vợ" or (relation == "Con" and rng.random() < 0.5)
    if relation == "Con":
        year = min(head_year + rng.randint(20, 35), 2024)
    elif relation == "Vợ":
        year = head_year + rng.randint(-3, 5)
    else:
        year = head_year
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    name = f"{rng.choice(FAMILY)} {middle} {given}"
    digit = (year // 100 - 19) * 2 + (1 if female else 0)
    number = f"020{digit}{year % 100:02d}{serial:06d}"
    return {"name": name, "year": year, "sex": "F" if female else "M", "id": number}


def seed(rng: random.Random, stored: int) -> tuple[Any, list[tuple[str, str, int]]]:
    """The province, communes, villages, `stored` persons in households of 4; a provincial officer."""
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from dantoc.accounts.models import Role
    from dantoc.accounts.services import create_user
    from dantoc.core.imports import bulk
    from dantoc.core.text import fold
    from dantoc.geo.models import AdminUnit, EthnicGroup, Kind, Level
    from dantoc.households.models import Household, Person

    province = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lạng Sơn")
    province.save()
    villages: list[tuple[str, str, int]] = []
    for c in range(COMMUNES):
        commune = AdminUnit(
            level=Level.COMMUNE, kind=Kind.XA, code=f"9{c:04d}", name=f"Thử Nghiệm {c}", parent=province
        )
        commune.save()
        for v in range(VILLAGES):
            village = AdminUnit(level=Level.VILLAGE, kind=Kind.THON, name=f"Bản Nà {c}-{v}", parent=commune)
            village.save()
            villages.append((village.name, commune.name, village.pk))
    groups = list(EthnicGroup.objects.filter(name__in=ETHNIC).values_list("pk", flat=True))
    with transaction.atomic():
        households = [
            {"code": f"S-{h:07d}", "village_id": villages[h % len(villages)][2]} for h in range(stored // 4)
        ]
        ids: list[int] = []
        for start in range(0, len(households), 5000):
            ids.extend(bulk.insert(Household, households[start : start + 5000]))
        persons = []
        relations = ["head", "spouse", "child", "child"]
        for i in range(stored):
            h = i // 4
            head_year = 1940 + (h * 7) % 60
            p = person(rng, i, RELATIONS[i % 4], head_year)
            persons.append(
                {
                    "household_id": ids[h],
                    "full_name": p["name"],
                    "name_folded": fold(p["name"]),
                    "sex": p["sex"],
                    "birth_year": p["year"],
                    "ethnic_group_id": groups[h % len(groups)],
                    "id_number": p["id"],
                    "relation": relations[i % 4],
                }
            )
            if len(persons) == 5000:
                bulk.insert(Person, persons, returning=False)
                persons = []
        if persons:
            bulk.insert(Person, persons, returning=False)
    # The stored registry in the state of one in use (autovacuum, `PRAGMA optimize`, checkpoints): statistics
    # gathered and the seeding's writes settled, so that the import is not timed with their tail.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:  # SQLite checkpointed when the seeding committed
            cursor.execute("ANALYZE")
    user = create_user(username="bench", password=None, role=Role.OFFICER, scope=province)
    return user, villages


def workbook(path: Path, rng: random.Random, rows: int, first_serial: int, villages: list[Any]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("Danh sách nhân khẩu")
    title = [["UBND TỈNH LẠNG SƠN"], ["DANH SÁCH HỘ GIA ĐÌNH, NHÂN KHẨU NĂM 2026"], []]
    for i, line in enumerate(title):
        for j, v in enumerate(line):
            ws.write_string(i, j, v)
    header = [
        "STT",
        "Họ và tên",
        "Quan hệ với chủ hộ",
        "Ngày sinh",
        "Giới tính",
        "Dân tộc",
        "Số CCCD",
        "Thôn/bản",
        "Xã",
        "Phân loại hộ",
    ]
    r = len(title)
    for j, text in enumerate(header):
        ws.write_string(r, j, text)
    statuses = ["Nghèo", "Cận nghèo", "Không", "Không", "Thoát nghèo"]
    for i in range(rows):
        h = i // 4
        relation = RELATIONS[i % 4]
        head_year = 1940 + (h * 11) % 60
        p = person(rng, first_serial + i, relation, head_year)
        row = r + 1 + i
        ws.write_number(row, 0, i + 1)
        ws.write_string(row, 1, p["name"])
        ws.write_string(row, 2, relation)
        if i % 3 == 0:
            ws.write_string(row, 3, f"{1 + i % 28:02d}/{1 + i % 12:02d}/{p['year']}")
        else:
            ws.write_number(row, 3, p["year"])
        ws.write_string(row, 4, "Nữ" if p["sex"] == "F" else "Nam")
        ws.write_string(row, 5, ETHNIC[h % len(ETHNIC)])
        ws.write_string(row, 6, p["id"])
        if relation == "Chủ hộ":
            name, commune, _pk = villages[(h * 13) % len(villages)]
            ws.write_string(row, 7, name)
            ws.write_string(row, 8, commune)
            ws.write_string(row, 9, statuses[h % len(statuses)])
    book.close()


def bare_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        for _row in book.get_sheet_by_name(name).iter_rows():
            pass
    book.close()
    return time.perf_counter() - t0


class Cpu:
    """CPU seconds spent during a timed import: this thread (reading, checking, planning, sending), forked
    children (the likely-duplicate comparison runs in one beside the writes) and, on a PostgreSQL server on
    this machine, the connection's backend process (None when its /proc entry cannot be read)."""

    def __init__(self) -> None:
        self.main = self.children = 0.0
        self.server: float | None = None
        self._stat: Path | None = None

    def _server(self) -> float | None:
        if self._stat is None:
            return None
        try:
            fields = self._stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def __enter__(self) -> Cpu:
        import resource

        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self._stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        self._t = time.thread_time()
        self._c = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._s = self._server()
        return self

    def __exit__(self, *exc: object) -> None:
        import resource

        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.main = time.thread_time() - self._t
        self.children = (c.ru_utime + c.ru_stime) - (self._c.ru_utime + self._c.ru_stime)
        s = self._server()
        self.server = s - self._s if s is not None and self._s is not None else None


def timed(path: Path, user: Any, dry_run: bool = False) -> tuple[float, Any, Cpu]:
    from dantoc.core.imports.engine import run_import

    with Cpu() as cpu:
        t0 = time.perf_counter()
        result = run_import("households", path, user=user, dry_run=dry_run, options={"year": 2026})
        total = time.perf_counter() - t0
    if result.errors:
        print("rejected:", result.errors[:5], file=sys.stderr)
        sys.exit(1)
    return total, result, cpu


def use_copy(pg: bool, url: str | None, seeded: str, name: str) -> None:
    """Point Django's connection at a fresh copy `name` of the seeded database."""
    from django.db import connection

    connection.close()
    if pg:
        import psycopg

        admin = (url or "").replace("postgres://", "postgresql://", 1)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {seeded}")
    else:
        shutil.copyfile(seeded, name)
        os.sync()  # the copy written out before the import is timed
    connection.settings_dict["NAME"] = name
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")  # the copy's writes settled before the import is timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--db-name", default="dantoc_bench_h11")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dantoc-bench-") as tmp:
        workdir = Path(tmp)
        pg = bool(args.database_url and args.database_url.startswith("postgres"))
        url = (
            create_postgres(args.database_url, args.db_name)
            if pg
            else f"sqlite:///{workdir / 'bench.sqlite3'}"
        )
        django_setup(url, workdir)
        import gc

        from django.contrib.auth import get_user_model
        from django.db import connection

        from dantoc.households.imports import likely_duplicates_of_last_import
        from dantoc.households.models import Person

        rng = random.Random(11)
        t0 = time.perf_counter()
        user, villages = seed(rng, args.stored)
        seeded = time.perf_counter() - t0
        path = workdir / "nhan-khau.xlsx"
        workbook(path, rng, args.rows, args.stored, villages)
        if not pg:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source = args.db_name if pg else str(workdir / "bench.sqlite3")
        copies = [
            f"{args.db_name}_{i}" if pg else str(workdir / f"copy-{i}.sqlite3") for i in range(args.repeat)
        ]
        gc.collect()  # the seeding's garbage, which an importing process would not carry
        runs: list[tuple[float, float]] = []
        cpus: list[Cpu] = []
        dups = 0
        result: Any = None
        for i, copy in enumerate(copies):
            use_copy(pg, args.database_url, source, copy)
            user = get_user_model().objects.get(pk=user.pk)
            read = min(bare_read(path) for _ in range(3))
            t_import, result, cpu = timed(path, user)
            runs.append((read, t_import))
            cpus.append(cpu)
            if i == 0:
                dups = len(likely_duplicates_of_last_import())
        read = runs[-1][0]
        t_again, again, _cpu = timed(path, user)
        t_dry, _r, _cpu = timed(path, user, dry_run=True)
        print(f"database            {connection.vendor}")
        print(
            f"stored              {args.stored:,} persons (seeded in {seeded:.1f} s); now {Person.objects.count():,}"
        )
        print(f"workbook            {args.rows:,} persons, {path.stat().st_size / 1e6:.1f} MB xlsx")
        for n, ((r, t), cpu) in enumerate(zip(runs, cpus, strict=True), 1):
            print(
                f"import, copy {n}      {t:8.2f} s   bare read {r:5.2f} s (best of 3)   ratio {t / r:5.2f}x"
            )
            parts = [
                f"this thread {cpu.main:.2f} s ({cpu.main / r:.1f}x)",
                f"comparison child {cpu.children:.2f} s",
            ]
            if cpu.server is not None:
                parts.append(f"database backend {cpu.server:.2f} s ({cpu.server / r:.1f}x)")
            total_cpu = cpu.main + cpu.children + (cpu.server or 0.0)
            cores = os.cpu_count() or 1
            print(
                f"    cpu               {', '.join(parts)}; all {total_cpu:.2f} s, "
                f"at best {total_cpu / cores / r:.1f}x the read on {cores} cores"
            )
        ratios = [t / r for r, t in runs]
        print(
            f"import              median ratio {statistics.median(ratios):5.2f}x the bare read (target <= 8x); "
            f"created {result.created:,} each time; likely duplicates listed {dups:,}"
        )
        print(
            f"again (unchanged)   {t_again:8.2f} s   ratio {t_again / read:5.2f}x   unchanged {again.unchanged:,}"
        )
        print(f"dry run             {t_dry:8.2f} s   ratio {t_dry / read:5.2f}x")
        if pg:
            connection.close()
            for name in [args.db_name, *copies]:
                drop_postgres(args.database_url, name)


if __name__ == "__main__":
    main()
