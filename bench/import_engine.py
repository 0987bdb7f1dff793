"""Benchmark of the import engine: a generated 100,000-row workbook, read by calamine alone and imported.

    .venv/bin/python bench/import_engine.py                        # SQLite in a temporary file
    .venv/bin/python bench/import_engine.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/import_engine.py --kind unit-statistics --rows 100000

With a PostgreSQL URL the benchmark creates (and drops) its own database `dantoc_bench_imports` on
that server. It prints the bare calamine read time, the whole import (read, validate, write with
audit entries), a second import of the same file (all unchanged) and a dry run, with their ratios
to the bare read, and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
BENCH_DB = "dantoc_bench_imports"


def _postgres(url: str) -> str:
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return f"{base}/{BENCH_DB}"


def _drop_postgres(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def setup(database_url: str | None, workdir: Path) -> str:
    if database_url and database_url.startswith("postgres"):
        url = _postgres(database_url)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DANTOC_DATABASE_URL"] = url
    os.environ.setdefault("DANTOC_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")
    os.environ.setdefault("DANTOC_VAR_DIR", str(workdir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dantoc.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def seed(communes: int) -> tuple[Any, list[Any]]:
    from dantoc.accounts.models import Role
    from dantoc.accounts.services import create_user
    from dantoc.core.text import fold
    from dantoc.geo.models import AdminUnit, Kind, Level

    province = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lạng Sơn")
    province.save()
    units = [
        AdminUnit(
            level=Level.COMMUNE,
            kind=Kind.XA,
            code=f"9{i:04d}",
            name=f"Xã Thử {i}",
            name_folded=fold(f"Xã Thử {i}"),
            parent=province,
        )
        for i in range(communes)
    ]
    AdminUnit.objects.bulk_create(units)
    for u in units:
        u.path = f"{province.path}{u.pk}/"
    AdminUnit.objects.bulk_update(units, ["path"])
    user = create_user(username="bench", password=None, role=Role.OFFICER, scope=province)
    from dantoc.geo.ethnic import ensure_ethnic_groups

    ensure_ethnic_groups()
    return user, units


TITLE = [["UBND TỈNH LẠNG SƠN"], ["BAN DÂN TỘC"], [], ["DANH SÁCH THÔN, BẢN TRÊN ĐỊA BÀN TỈNH"], []]


def villages_workbook(path: Path, rows: int, communes: list[Any]) -> None:
    import datetime as dt

    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("Danh sách")
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    for i, row in enumerate(TITLE):
        for j, v in enumerate(row):
            ws.write_string(i, j, v)
    header = ["STT", "Xã", "Tên thôn, bản", "Loại", "Mã thôn", "Hiệu lực từ", "Ghi chú"]
    r = len(TITLE)
    for j, h in enumerate(header):
        ws.write_string(r, j, h)
    for j in range(len(header)):
        ws.write_number(r + 1, j, j + 1)
    start = dt.datetime(2025, 7, 1)
    for i in range(rows):
        commune = communes[i % len(communes)]
        ws.write_number(r + 2 + i, 0, i + 1)
        ws.write_string(r + 2 + i, 1, commune.name)
        ws.write_string(r + 2 + i, 2, f"Thôn Nà Pàn {i // len(communes) + 1}")
        ws.write_string(r + 2 + i, 3, "Thôn")
        ws.write_string(r + 2 + i, 4, f"{i + 1:06d}")
        ws.write_datetime(r + 2 + i, 5, start, date_fmt)
        ws.write_string(r + 2 + i, 6, "")
    book.close()


def statistics_workbook(path: Path, rows: int, communes: list[Any]) -> None:
    import xlsxwriter

    from dantoc.geo.ethnic import ETHNIC_GROUPS

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("Số liệu")
    for i, row in enumerate(TITLE):
        for j, v in enumerate(row):
            ws.write_string(i, j, v)
    r = len(TITLE)
    header = [
        "STT",
        "Xã",
        "Năm",
        "Dân tộc",
        "Dân số",
        "Số hộ",
        "Số hộ DTTS",
        "Số khẩu DTTS",
        "Số hộ nghèo",
        "Số hộ cận nghèo",
    ]
    for j, h in enumerate(header):
        ws.write_string(r, j, h)
    groups = [g.name for g in ETHNIC_GROUPS]
    per_year = len(communes) * len(groups)
    for i in range(rows):
        commune = communes[i % len(communes)]
        group = groups[(i // len(communes)) % len(groups)]
        year = 2000 + i // per_year
        row = r + 1 + i
        ws.write_number(row, 0, i + 1)
        ws.write_string(row, 1, commune.name)
        ws.write_number(row, 2, year)
        ws.write_string(row, 3, group)
        population, households = 1000 + i % 500, 250 + i % 100
        figures = (population, households, households - 10, population - 50, 30 + i % 20, 20 + i % 10)
        for j, v in enumerate(figures):
            ws.write_number(row, 4 + j, v)
    book.close()


def bare_read(path: Path) -> tuple[float, int]:
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    n = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
    book.close()
    return time.perf_counter() - t0, n


class Phases:
    """Records when each phase of the import starts (through the engine's progress callback)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.first.setdefault(phase, time.perf_counter() - self.start)

    def describe(self, total: float) -> str:
        marks = sorted(self.first.items(), key=lambda kv: kv[1])
        parts = []
        for i, (name, at) in enumerate(marks):
            end = marks[i + 1][1] if i + 1 < len(marks) else total
            parts.append(f"{name} {end - at:.2f}")
        return ", ".join(parts)


def timed_import(kind: str, path: Path, user: Any, dry_run: bool = False) -> tuple[float, Any, str]:
    from dantoc.core.imports.engine import run_import

    phases = Phases()
    t0 = time.perf_counter()
    result = run_import(kind, path, user=user, dry_run=dry_run, progress=phases)
    total = time.perf_counter() - t0
    return total, result, phases.describe(total)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=("villages", "unit-statistics"), default="villages")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--communes", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = setup(args.database_url, workdir)
        from django.db import connection

        user, communes = seed(args.communes)
        path = workdir / f"{args.kind}.xlsx"
        t0 = time.perf_counter()
        (villages_workbook if args.kind == "villages" else statistics_workbook)(path, args.rows, communes)
        generate = time.perf_counter() - t0

        read_times = []
        rows = 0
        for _ in range(3):
            t, rows = bare_read(path)
            read_times.append(t)
        read = min(read_times)
        t_import, result, p_import = timed_import(args.kind, path, user)
        if result.errors:
            print("import rejected:", result.errors[:5], file=sys.stderr)
            sys.exit(1)
        t_again, again, p_again = timed_import(args.kind, path, user)
        t_dry, dry, _p_dry = timed_import(args.kind, path, user, dry_run=True)
        from dantoc.core.models import AuditEntry

        audits = AuditEntry.objects.count()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(
            f"database           {connection.vendor} ({url.split('@')[-1] if '@' in url else 'temporary file'})"
        )
        print(
            f"kind               {args.kind}, {args.rows:,} data rows ({rows:,} sheet rows), "
            f"{path.stat().st_size / 1e6:.1f} MB xlsx (generated in {generate:.1f} s)"
        )
        print(f"bare calamine read {read:8.2f} s   (best of 3)")
        print(
            f"import (write)     {t_import:8.2f} s   ratio {t_import / read:5.1f}x   "
            f"created {result.created:,}, audit entries {audits:,}"
        )
        print(f"                   phases (s): {p_import}")
        print(
            f"import again       {t_again:8.2f} s   ratio {t_again / read:5.1f}x   unchanged {again.unchanged:,}"
        )
        print(f"                   phases (s): {p_again}")
        print(f"dry run            {t_dry:8.2f} s   ratio {t_dry / read:5.1f}x   unchanged {dry.unchanged:,}")
        print(f"peak memory        {peak_mb:8.0f} MB")
        if url.startswith("postgres"):
            _drop_postgres(args.database_url)


if __name__ == "__main__":
    main()
