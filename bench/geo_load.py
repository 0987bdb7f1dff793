"""Benchmark: `dantoc geo load --all` on a fresh database, against the bare cost of reading the package.

    .venv/bin/python bench/geo_load.py                 # fresh SQLite database in a temporary directory
    .venv/bin/python bench/geo_load.py --postgres postgres://postgres@127.0.0.1:5432/postgres
                                                       # also a temporary PostgreSQL database (dropped after)

Each measurement runs in a fresh interpreter, so the package import is counted in both the baseline
(import and iterate every list and conversion table of `vietnam-provinces`) and the load. Prints the
times, the load/baseline ratio, and the second (idempotent) run; exits 1 when a load takes over a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 60.0  # seconds, from the issue


def baseline() -> dict[str, float | int]:
    """Import the package and touch every record: the floor any loader pays."""
    started = time.perf_counter()
    import vietnam_provinces as new
    from vietnam_provinces import _ward_conversion_2025 as conv
    from vietnam_provinces import legacy as old

    rows: list[tuple[object, ...]] = [(p.code, p.name, p.division_type) for p in old.Province.iter_all()]
    rows += [(d.code, d.name, d.division_type, d.province_code) for d in old.District.iter_all()]
    rows += [(w.code, w.name, w.division_type, w.district_code) for w in old.Ward.iter_all()]
    rows += [(p.code, p.name, p.division_type) for p in new.Province.iter_all()]
    rows += [(w.code, w.name, w.division_type, w.province_code) for w in new.Ward.iter_all()]
    links = [(o, n.code) for o, e in conv.OLD_TO_NEW.items() for n in e.new_wards]
    return {"seconds": time.perf_counter() - started, "records": len(rows), "links": len(links)}


def run_load() -> dict[str, float | int]:
    """Time the management command in this (fresh) interpreter, then count what is in the database."""
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        call_command("geo", "load", "--all", stdout=sink)
    seconds = time.perf_counter() - started
    from dantoc.geo.models import AdminUnit, UnitChange, UnitLineage

    return {
        "seconds": seconds,
        "units": AdminUnit.objects.count(),
        "changes": UnitChange.objects.count(),
        "edges": UnitLineage.objects.count(),
    }


def child(mode: str, env: dict[str, str]) -> dict[str, float | int]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], env=env, cwd=ROOT, check=True)


def measure(label: str, env: dict[str, str], base: float) -> bool:
    migrate(env)
    first = child("load", env)
    second = child("load", env)
    print(
        f"{label}: load --all {first['seconds']:.2f} s = {first['seconds'] / base:.1f} x baseline "
        f"({first['units']} units, {first['changes']} changes, {first['edges']} edges); "
        f"second run {second['seconds']:.2f} s = {second['seconds'] / base:.1f} x baseline"
    )
    unchanged = (first["units"], first["changes"], first["edges"]) == (
        second["units"],
        second["changes"],
        second["edges"],
    )
    if not unchanged:
        print(f"{label}: the second run changed the counts", file=sys.stderr)
    return first["seconds"] <= BUDGET and second["seconds"] <= BUDGET and unchanged


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", choices=["baseline", "load"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--postgres", metavar="URL", help="PostgreSQL server URL; a temporary database is used"
    )
    args = parser.parse_args()
    if args.child == "baseline":
        print(json.dumps(baseline()))
        return 0
    if args.child == "load":
        print(json.dumps(run_load()))
        return 0

    with tempfile.TemporaryDirectory(prefix="dantoc-bench-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dantoc.settings",
            "DANTOC_VAR_DIR": tmp,
            "DANTOC_SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
            "PYTHONPATH": str(ROOT / "src"),
        }
        base = child("baseline", env)
        print(
            f"baseline (import and iterate the package: {base['records']} records, {base['links']} links): "
            f"{base['seconds']:.2f} s"
        )
        ok = measure(
            "SQLite", {**env, "DANTOC_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}, float(base["seconds"])
        )
        if args.postgres:
            ok = bench_postgres(args.postgres, env, float(base["seconds"])) and ok
    print("OK" if ok else f"FAIL (budget {BUDGET:.0f} s)")
    return 0 if ok else 1


def bench_postgres(server_url: str, env: dict[str, str], base: float) -> bool:
    import psycopg

    name = f"dantoc_bench_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(server_url)
        url = urlunsplit(parts._replace(path=f"/{name}"))
        return measure("PostgreSQL", {**env, "DANTOC_DATABASE_URL": url}, base)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
