"""`dantoc report program-summary …` (the management command and the `dantoc` front door)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from dantoc import cli
from tests.reports.data import Dataset, M

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", "program-summary", *args, stdout=out)
    return out.getvalue()


def p135(report: dict) -> dict:
    return {p["code"]: p for p in report["programs"]}["P135"]


def test_json_as_the_system_wide_view(dataset: Dataset) -> None:
    report = json.loads(run("--year", "2018", "--format", "json", "--as-of", "2019-03-31"))
    assert report["year"] == 2018 and report["unit"]["name"] == "Tỉnh Lạng Sơn"
    program = p135(report)
    assert (program["communes"], program["villages"], program["capital_plan_vnd"], program["works"]) == (
        3,
        1,
        1_900 * M,
        4,
    )
    assert program["disbursement_rate"] == 0.5789


def test_unit_structure_and_user(dataset: Dataset, users, tree) -> None:
    report = json.loads(run("--year", "2018", "--unit", str(tree.loc_binh.pk), "--format", "json"))
    assert report["unit"]["id"] == tree.loc_binh.pk and p135(report)["communes"] == 2
    current = json.loads(run("--year", "2018", "--structure", "current", "--format", "json"))
    assert current["structure"]["mode"] == "current" and p135(current)["communes"] == 2
    scoped = json.loads(run("--year", "2018", "--user", "xa", "--format", "json"))
    assert scoped["unit"]["id"] == tree.xa_loc_binh.pk and p135(scoped)["capital_plan_vnd"] == 0
    with pytest.raises(CommandError):
        run("--year", "2018", "--user", "xa", "--unit", str(tree.ba_son.pk))
    with pytest.raises(CommandError):
        run("--year", "2018", "--user", "nobody")


def test_xlsx_and_html_files(dataset: Dataset, tmp_path: Path) -> None:
    xlsx = tmp_path / "r.xlsx"
    run("--year", "2018", "--format", "xlsx", "-o", str(xlsx))
    sheet = openpyxl.load_workbook(xlsx)["Tổng hợp"]
    assert sheet["E1"].value == "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert sheet["A5"].value == "BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHƯƠNG TRÌNH NĂM 2018"
    html = tmp_path / "r.html"
    run("--year", "2018", "--format", "html", "-o", str(html))
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'data-testid="works-P135">4<' in text


def test_the_dantoc_command(dataset: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["report", "program-summary", "--year", "2018", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert p135(report)["works"] == 4
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", "program-summary", "--year", "2018", "--format", "pdf"])
    assert exc.value.code == 2
