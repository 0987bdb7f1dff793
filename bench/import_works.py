"""Benchmark of the works and disbursements imports: a generated works-and-payments workbook.

    .venv/bin/python bench/import_works.py                         # 100,000 rows on SQLite (temporary file)
    .venv/bin/python bench/import_works.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/import_works.py --million               # and 1,000,000 rows, peak memory

The workbook has two sheets, as a province's consolidated file would: "Danh mục công trình" (a fifth of
the rows: works of Programme 135, 2018, coded, at 65 communes) and "Giải ngân" (the other four fifths:
four payments per work, by work code, NSTW/NSĐP, with voucher numbers), both below title rows. The whole
import is `works` then `disbursements` on the same file (read, validate, write with audit entries);
the bare read is calamine opening the file and iterating every row of both sheets, timed in the same
run (best of three). The ratio is whole import / bare read; the target is at most 6.

With --million, a 1,000,000-row workbook of the same shape (200,000 works, 800,000 payments) is
imported by a child process into a fresh database; the child reports its peak resident memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which is the child's own high-water mark) — target
under 500 MB. Such a sheet is above `reading.STREAM_XML_BYTES`, so it is streamed, and the kinds take
it in batches of `engine.BATCH_ROWS` rows.

With a PostgreSQL URL the benchmark creates (and drops) its own databases (`--db-name`, default
`dantoc_bench_h10`, and that name + `_m` for the million run) on that server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
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
TITLE = [
    ["UBND TỈNH LẠNG SƠN", "", "", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    ["BAN DÂN TỘC", "", "", "Độc lập - Tự do - Hạnh phúc"],
    [],
]
KINDS = [
    ("Đường giao thông", "Đường bê tông thôn"),
    ("Thuỷ lợi", "Kênh mương nội đồng thôn"),
    ("Trường học", "Nhà lớp học điểm trường thôn"),
    ("Nhà văn hoá", "Nhà văn hoá thôn"),
    ("Nước sinh hoạt", "Công trình nước sinh hoạt thôn"),
    ("Cầu", "Cầu treo thôn"),
]


# --- databases -----------------------------------------------------------------------------------
def seed() -> Any:
    """The province, 65 communes, the seeded catalogue (migrations) and a provincial officer."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dantoc.accounts.models import Role
    from dantoc.accounts.services import create_user
    from dantoc.geo.models import AdminUnit, Kind, Level

    province = AdminUnit(level=Level.PROVINCE, kind=Kind.TINH, code="20", name="Lạng Sơn")
    province.save()
    for i in range(COMMUNES):
        AdminUnit(
            level=Level.COMMUNE, kind=Kind.XA, code=f"9{i:04d}", name=f"Thử Nghiệm {i}", parent=province
        ).save()
    return create_user(username="bench", password=None, role=Role.OFFICER, scope=province)


# --- the workbook --------------------------------------------------------------------------------
def workbook(path: Path, rows: int) -> tuple[int, int]:
    """Works and their payments in two sheets; returns (works, payments)."""
    import datetime as dt

    import xlsxwriter

    works = max(1, rows // 5)
    payments = rows - works
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = book.add_format({"num_format": "dd/mm/yyyy"})

    ws = book.add_worksheet("Danh mục công trình")
    title = [*TITLE, ["DANH MỤC CÔNG TRÌNH CHƯƠNG TRÌNH 135 NĂM 2018"]]
    for i, line in enumerate(title):
        for j, v in enumerate(line):
            ws.write_string(i, j, v)
    header = ["STT", "Mã công trình", "Tên công trình", "Loại công trình", "Xã", "Chủ đầu tư",
              "Tổng mức đầu tư (đồng)", "Ngày khởi công", "Ngày hoàn thành (kế hoạch)", "Chương trình", "Năm"]  # fmt: skip
    r = len(title)
    for j, h in enumerate(header):
        ws.write_string(r, j, h)
    start = dt.datetime(2018, 3, 1)
    for i in range(works):
        row = r + 1 + i
        kind, stem = KINDS[i % len(KINDS)]
        commune = i % COMMUNES
        ws.write_number(row, 0, i + 1)
        ws.write_string(row, 1, f"LS-{i + 1:07d}")
        ws.write_string(row, 2, f"{stem} Nà Pàn số {i // COMMUNES + 1}")
        ws.write_string(row, 3, kind)
        ws.write_string(row, 4, f"Xã Thử Nghiệm {commune}")
        ws.write_string(row, 5, f"UBND xã Thử Nghiệm {commune}")
        ws.write_number(row, 6, 500_000_000 + (i % 1000) * 1_000_000)
        ws.write_datetime(row, 7, start + dt.timedelta(days=i % 90), date_fmt)
        ws.write_datetime(row, 8, start + dt.timedelta(days=200 + i % 90), date_fmt)
        ws.write_string(row, 9, "P135")
        ws.write_number(row, 10, 2018)

    ws = book.add_worksheet("Giải ngân")
    title = [*TITLE, ["TỔNG HỢP GIẢI NGÂN VỐN CHƯƠNG TRÌNH 135 NĂM 2018"]]
    for i, line in enumerate(title):
        for j, v in enumerate(line):
            ws.write_string(i, j, v)
    header = ["STT", "Mã công trình", "Ngày giải ngân", "Số tiền (đồng)", "Nguồn vốn", "Số chứng từ"]
    r = len(title)
    for j, h in enumerate(header):
        ws.write_string(r, j, h)
    first = dt.datetime(2018, 4, 1)
    for i in range(payments):
        row = r + 1 + i
        ws.write_number(row, 0, i + 1)
        ws.write_string(row, 1, f"LS-{i % works + 1:07d}")
        ws.write_datetime(row, 2, first + dt.timedelta(days=(i * 7) % 300), date_fmt)
        ws.write_number(row, 3, 50_000_000 + (i % 500) * 100_000)
        ws.write_string(row, 4, "NSTW" if i % 3 else "Ngân sách địa phương")
        ws.write_string(row, 5, f"UNC-{i + 1:07d}")
    book.close()
    return works, payments


def bare_read(path: Path) -> float:
    """calamine alone: open the file and iterate every row of every sheet."""
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        for _row in book.get_sheet_by_name(name).iter_rows():
            pass
    book.close()
    return time.perf_counter() - t0


class Phases:
    """When each phase of an import starts (through the engine's progress callback)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.first.setdefault(phase, time.perf_counter() - self.start)

    def describe(self, total: float) -> str:
        marks = sorted(self.first.items(), key=lambda kv: kv[1])
        return ", ".join(
            f"{name} {(marks[i + 1][1] if i + 1 < len(marks) else total) - at:.2f}"
            for i, (name, at) in enumerate(marks)
        )


def timed(kind: str, path: Path, user: Any, dry_run: bool = False) -> tuple[float, Any, str]:
    from dantoc.core.imports.engine import run_import

    phases = Phases()
    t0 = time.perf_counter()
    result = run_import(kind, path, user=user, dry_run=dry_run, progress=phases)
    total = time.perf_counter() - t0
    if result.errors:
        print(f"{kind} rejected:", result.errors[:5], file=sys.stderr)
        sys.exit(1)
    return total, result, phases.describe(total)


# --- modes ---------------------------------------------------------------------------------------
def run_100k(args: argparse.Namespace, workdir: Path) -> None:
    if args.database_url and args.database_url.startswith("postgres"):
        url = create_postgres(args.database_url, args.db_name)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    django_setup(url, workdir)
    from django.db import connection

    from dantoc.core.models import AuditEntry

    user = seed()
    path = workdir / "congtrinh-giaingan.xlsx"
    t0 = time.perf_counter()
    n_works, n_payments = workbook(path, args.rows)
    generated = time.perf_counter() - t0

    read = min(bare_read(path) for _ in range(3))
    t_works, works, p_works = timed("works", path, user)
    t_pay, pay, p_pay = timed("disbursements", path, user)
    total = t_works + t_pay
    audits = AuditEntry.objects.count()
    a_works, again_w, _p = timed("works", path, user)
    a_pay, again_p, _p = timed("disbursements", path, user)
    d_works, _r, _p = timed("works", path, user, dry_run=True)
    d_pay, _r, _p = timed("disbursements", path, user, dry_run=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    where = url.split("@")[-1] if "@" in url else "temporary file"
    print(f"database            {connection.vendor} ({where})")
    print(f"workbook            {args.rows:,} rows: {n_works:,} works + {n_payments:,} payments, "
          f"{path.stat().st_size / 1e6:.1f} MB xlsx (generated in {generated:.1f} s)")  # fmt: skip
    print(f"bare calamine read  {read:8.2f} s   (both sheets, best of 3)")
    print(f"import works        {t_works:8.2f} s   created {works.created:,}   phases (s): {p_works}")
    print(f"import payments     {t_pay:8.2f} s   created {pay.created:,}   phases (s): {p_pay}")
    print(f"whole import        {total:8.2f} s   ratio {total / read:5.2f}x the bare read (target <= 6x); "
          f"audit entries {audits:,}")  # fmt: skip
    print(f"again (unchanged)   {a_works + a_pay:8.2f} s   ratio {(a_works + a_pay) / read:5.2f}x   "
          f"unchanged {again_w.unchanged + again_p.unchanged:,}")  # fmt: skip
    print(f"dry run             {d_works + d_pay:8.2f} s   ratio {(d_works + d_pay) / read:5.2f}x")
    print(f"peak memory         {peak:8.0f} MB (this process, 100,000-row run)")
    if url.startswith("postgres"):
        connection.close()
        drop_postgres(args.database_url, args.db_name)


def run_million(args: argparse.Namespace, workdir: Path) -> None:
    path = workdir / "million.xlsx"
    t0 = time.perf_counter()
    n_works, n_payments = workbook(path, args.million_rows)
    print(f"\nmillion workbook    {args.million_rows:,} rows: {n_works:,} works + {n_payments:,} payments, "
          f"{path.stat().st_size / 1e6:.1f} MB xlsx (generated in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
    if args.database_url and args.database_url.startswith("postgres"):
        url = create_postgres(args.database_url, f"{args.db_name}_m")
    else:
        url = f"sqlite:///{workdir / 'million.sqlite3'}"
    child = [sys.executable, str(Path(__file__).resolve()), "--database-url", url, "--workdir", str(workdir)]
    subprocess.run([*child, "--mode", "seed"], check=True)
    proc = subprocess.run(
        [*child, "--mode", "import", "--file", str(path)], check=True, capture_output=True, text=True
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for kind in ("works", "disbursements"):
        r = data[kind]
        print(
            f"import {kind:<13}{r['seconds']:8.1f} s   rows {r['rows']:,}, created {r['created']:,}, "
            f"maxrss so far {r['maxrss_mb']:.0f} MB"
        )
    print(f"peak memory         {data['maxrss_mb']:8.0f} MB (child process maxrss; target < 500 MB)")
    print(
        f"                    of which at most {data['peak']['RssAnon']} MB anonymous (the import's own memory) "
        f"and {data['peak']['RssFile']} MB file-backed (mapped files: SQLite's mmap of its database, libraries)"
    )
    print(
        f"                    after reading: {data['baseline_mb']:.0f} MB for Python, Django and the database driver"
    )
    if url.startswith("postgres"):
        drop_postgres(args.database_url, f"{args.db_name}_m")


def child_seed(args: argparse.Namespace) -> None:
    django_setup(args.database_url, Path(args.workdir))
    seed()


class MemorySampler:
    """Peak of the process's anonymous and file-backed resident memory (/proc/self/status), every 0.2 s.

    maxrss counts both; file-backed pages are mostly SQLite's memory-mapped database file (`mmap_size`),
    page cache the kernel can drop, not memory the import holds.
    """

    def __init__(self) -> None:
        import threading

        self.peak = {"RssAnon": 0, "RssFile": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                text = Path("/proc/self/status").read_text()
            except OSError:
                return
            for line in text.splitlines():
                key, _sep, value = line.partition(":")
                if key in self.peak:
                    self.peak[key] = max(self.peak[key], int(value.split()[0]) // 1024)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peak


def child_import(args: argparse.Namespace) -> None:
    django_setup(args.database_url, Path(args.workdir))
    from dantoc.accounts.models import User
    from dantoc.core.imports.engine import run_import

    user = User.objects.select_related("scope").get(username="bench")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out: dict[str, Any] = {"baseline_mb": baseline}
    sampler = MemorySampler()
    for kind in ("works", "disbursements"):
        t0 = time.perf_counter()
        result = run_import(kind, Path(args.file), user=user)
        if result.errors:
            print(f"{kind} rejected:", result.errors[:5], file=sys.stderr)
            sys.exit(1)
        out[kind] = {
            "seconds": time.perf_counter() - t0,
            "rows": result.rows,
            "created": result.created,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak"] = sampler.stop()
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--db-name", default="dantoc_bench_h10")
    parser.add_argument(
        "--million", action="store_true", help="also import 1,000,000 rows and report peak memory"
    )
    parser.add_argument("--million-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-100k", action="store_true", help="only the --million run")
    parser.add_argument(
        "--mode", choices=("bench", "seed", "import"), default="bench", help=argparse.SUPPRESS
    )
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "seed":
        child_seed(args)
        return
    if args.mode == "import":
        child_import(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_100k:
            run_100k(args, workdir)
        if args.million:
            run_million(args, workdir)


if __name__ == "__main__":
    main()
