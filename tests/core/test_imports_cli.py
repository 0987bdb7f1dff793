"""`dantoc import KIND FILE [--dry-run] [--format json] [--errors-out FILE] [--user USERNAME]`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dantoc.core.models import AuditEntry
from dantoc.geo.models import AdminUnit, Level
from tests.core.test_imports_support import read_back, xlsx

ROOT = Path(__file__).resolve().parents[2]

GOOD = [
    ["UBND TỈNH LẠNG SƠN"],
    [],
    ["Xã", "Thôn, bản", "Ghi chú"],
    ["Xã Lộc Bình", "Thôn Nà Pàn", ""],
    ["Lộc Bình", "Bản Khiếng", "mới"],
]
BAD = [
    ["UBND TỈNH LẠNG SƠN"],
    [],
    ["Xã", "Thôn, bản", "Ghi chú"],
    ["Xã Lộc Bình", "Thôn Nà Lừa", ""],
    ["Xã Không Có", "Bản Khiếng", ""],
    ["Lộc Bình", "", "=1+2"],
]


def cli(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("import", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def write(tmp_path: Path, rows: list[list[Any]], name: str = "thon.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return str(path)


def villages() -> list[str]:
    return sorted(AdminUnit.objects.filter(level=Level.VILLAGE).values_list("name", flat=True))


def test_import_prints_json_and_exits_0(tree: Any, users: Any, tmp_path: Path) -> None:
    code, out = cli("villages", write(tmp_path, GOOD), "--format", "json", "--user", "tinh")
    assert code == 0
    data = json.loads(out)
    assert data == {"rows": 2, "created": 1, "updated": 0, "unchanged": 1, "errors": []}  # Nà Pàn exists
    assert villages() == ["Khiếng", "Nà Pàn"]
    entry = AuditEntry.objects.filter(object_repr="Bản Khiếng").get()
    assert entry.actor == users.officer and entry.action == "create"


def test_a_clean_dry_run_exits_0_and_writes_nothing(tree: Any, users: Any, tmp_path: Path) -> None:
    code, out = cli("villages", write(tmp_path, GOOD), "--format", "json", "--dry-run")
    assert code == 0
    assert json.loads(out)["created"] == 1
    assert villages() == ["Nà Pàn"]


def test_rejected_import_exits_1_writes_nothing_and_gives_the_error_workbook(
    tree: Any, users: Any, tmp_path: Path
) -> None:
    errors_out = tmp_path / "loi.xlsx"
    code, out = cli("villages", write(tmp_path, BAD), "--format", "json", "--errors-out", str(errors_out))
    assert code == 1
    data = json.loads(out)
    assert data["created"] == data["updated"] == data["unchanged"] == 0
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(5, "Xã"), (6, "Thôn, bản")]
    assert villages() == ["Nà Pàn"]
    sheet = read_back(errors_out.read_bytes())
    assert sheet[2][3] == "Lỗi / Errors"
    assert sheet[5][2] == "'=1+2"


def test_text_output(tree: Any, users: Any, tmp_path: Path) -> None:
    code, out = cli("villages", write(tmp_path, BAD))
    assert code == 1
    assert out.startswith("rejected: 3 rows") and "row 5 [Xã]" in out


@pytest.mark.parametrize(
    "args",
    [
        ("nosuchkind", "FILE"),
        ("villages", "/nonexistent/thon.xlsx"),
        ("villages", "FILE", "--user", "nobody"),
        ("villages", "FILE.pdf"),
        ("villages", "FILE", "--option", "novalue"),
    ],
)
def test_usage_errors_exit_2(tree: Any, users: Any, tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write(tmp_path, GOOD)
    pdf = tmp_path / "thon.pdf"
    pdf.write_bytes(b"%PDF")
    real = [path if a == "FILE" else str(pdf) if a == "FILE.pdf" else a for a in args]
    code, _out = cli(*real)
    assert code == 2


def test_scope_is_applied_with_user(tree: Any, users: Any, tmp_path: Path) -> None:
    rows = [["Xã", "Thôn, bản"], ["Xã Cao Lộc", "Thôn Mới"]]
    code, out = cli("villages", write(tmp_path, rows), "--format", "json", "--user", "xa")
    assert code == 1
    assert "ngoài phạm vi" in json.loads(out)["errors"][0]["message"]
    code, out = cli("villages", write(tmp_path, rows), "--format", "json", "--user", "xem")
    assert code == 1  # a viewer may not import at all


def test_argument_errors_exit_2_from_the_command_line() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "django", "import"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert "usage" in proc.stderr.lower()
