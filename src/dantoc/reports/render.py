"""Writing the `program-summary` report as JSON, a Vietnamese administrative xlsx report, or HTML."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import TYPE_CHECKING, Any

import xlsxwriter
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.geo.models import AdminUnit, Level
from dantoc.programs.models import CapitalType
from dantoc.works.models import WorkStatus

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_PLACE = "Lạng Sơn"


def neutralise(value: str) -> str:
    """A text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, default=str)


def _province(report: dict[str, Any]) -> AdminUnit | None:
    uid = report["unit"]["id"]
    unit = AdminUnit.objects.filter(pk=uid).first() if uid else None
    if unit is not None:
        top = unit.path.strip("/").split("/")[0]
        return AdminUnit.objects.filter(pk=int(top), level=Level.PROVINCE).first()
    return AdminUnit.objects.filter(level=Level.PROVINCE, parent__isnull=True, valid_to__isnull=True).first()


def heading(report: dict[str, Any], today: dt.date | None = None) -> dict[str, str]:
    """The texts above and below the table of a Vietnamese administrative report."""
    today = today or dt.date.today()
    province = _province(report)
    place = getattr(settings, "ORG_PLACE", "") or (province.name if province else DEFAULT_PLACE)
    authority = _("UBND %(unit)s") % {"unit": province.full_name} if province else ""
    structure = report["structure"]
    if structure["mode"] == "current":
        rules = ", ".join(f"{RULE_LABELS.get(k, k)}: {v}" for k, v in structure["rules"].items())
        basis = _("Cơ cấu đơn vị hành chính: quy đổi sang đơn vị hiện nay (ngày %(on)s; %(rules)s)") % {
            "on": dt.date.fromisoformat(structure["on"]).strftime("%d/%m/%Y"),
            "rules": rules or "-",
        }
    else:
        basis = _("Cơ cấu đơn vị hành chính: theo đơn vị tại thời điểm phát sinh (năm %(year)s)") % {
            "year": report["year"]
        }
    return {
        "authority": authority.upper(),
        "agency": str(settings.ORG_NAME).upper(),
        "motto": _("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        "motto2": _("Độc lập - Tự do - Hạnh phúc"),
        "number": _("Số:        /BC"),
        "date_line": _("%(place)s, ngày %(day)02d tháng %(month)02d năm %(year)d")
        % {"place": place, "day": today.day, "month": today.month, "year": today.year},
        "title": _("BÁO CÁO TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHƯƠNG TRÌNH NĂM %(year)s")
        % {"year": report["year"]},
        "subtitle": _("Địa bàn: %(unit)s; số liệu giải ngân đến ngày %(on)s (hạn giải ngân %(deadline)s)")
        % {
            "unit": report["unit"]["name"],
            "on": dt.date.fromisoformat(report["as_of"]).strftime("%d/%m/%Y"),
            "deadline": dt.date.fromisoformat(report["deadline"]).strftime("%d/%m/%Y"),
        },
        "basis": basis,
        "money_unit": _("Đơn vị tính: đồng"),
        "preparer": _("NGƯỜI LẬP BIỂU"),
        "preparer_note": _("(Ký, ghi rõ họ tên)"),
        "head": _("THỦ TRƯỞNG CƠ QUAN"),
        "head_note": _("(Ký tên, đóng dấu)"),
    }


RULE_LABELS = {
    "same": gettext_lazy("giữ nguyên"),
    "whole": gettext_lazy("sáp nhập, đổi tên"),
    "share": gettext_lazy("chia tách theo tỷ lệ"),
    "primary": gettext_lazy("chia tách, giao đơn vị kế thừa chính"),
    "abolished": gettext_lazy("giải thể, chưa phân bổ"),
}


def used_sources(report: dict[str, Any]) -> list[dict[str, str]]:
    """Funding sources with capital in the report, in catalogue order."""
    used = {code for p in report["programs"] for code in p["capital_plan_by_source"]}
    return [s for s in report["sources"] if s["code"] in used]


def roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def numbered_components(components: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Administrative numbering of the component tree: 1, 1.1, 1.1.1 …"""
    counters: list[int] = []
    out = []
    for c in components:
        depth = c["depth"]
        counters = counters[: depth + 1]
        while len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        out.append((".".join(str(n) for n in counters), c))
    return out


class _Sheet:
    """Cells by type; text always through `neutralise`, never a formula."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet

    def text(self, row: int, col: int, value: str, fmt: Format | None = None) -> None:
        self.sheet.write_string(row, col, neutralise(str(value)), fmt)

    def merged(self, row: int, first: int, last: int, value: str, fmt: Format) -> None:
        if last > first:
            self.sheet.merge_range(row, first, row, last, neutralise(str(value)), fmt)
        else:
            self.text(row, first, value, fmt)

    def number(self, row: int, col: int, value: float | int | None, fmt: Format) -> None:
        if value is None:
            self.sheet.write_blank(row, col, None, fmt)
        else:
            self.sheet.write_number(row, col, value, fmt)


def to_xlsx(report: dict[str, Any], today: dt.date | None = None, preparer: str = "") -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    fmt = _formats(book)
    head = heading(report, today)
    sources = used_sources(report)
    statuses = list(WorkStatus.choices)
    types = list(CapitalType.choices)

    # Columns of the summary sheet.
    columns: list[tuple[str, str, str]] = [
        ("stt", "", _("STT")),
        ("name", "", _("Chương trình, dự án thành phần")),
        ("communes", "", _("Số xã")),
        ("villages", "", _("Số thôn")),
    ]
    plan_group = _("Kế hoạch vốn năm %(year)s") % {"year": report["year"]}
    columns.append(("plan", plan_group, _("Tổng số")))
    columns += [(f"src:{s['code']}", plan_group, s["name"]) for s in sources]
    columns += [(f"type:{code}", plan_group, str(label)) for code, label in types]
    columns += [("paid", "", _("Đã giải ngân")), ("rate", "", _("Tỷ lệ giải ngân"))]
    works_group = _("Công trình")
    columns.append(("works", works_group, _("Tổng số")))
    columns += [(f"status:{code}", works_group, str(label)) for code, label in statuses]
    last = len(columns) - 1

    sheet = book.add_worksheet(_("Tổng hợp"))
    ws = _Sheet(sheet)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 46)
    sheet.set_column(2, 3, 8)
    sheet.set_column(4, last, 16)
    split = 3  # left block: columns 0..3; right block: 4..last
    ws.merged(0, 0, split, head["authority"], fmt["center"])
    ws.merged(1, 0, split, head["agency"], fmt["center_bold"])
    ws.merged(2, 0, split, head["number"], fmt["center"])
    ws.merged(0, split + 1, last, head["motto"], fmt["center_bold"])
    ws.merged(1, split + 1, last, head["motto2"], fmt["motto2"])
    ws.merged(2, split + 1, last, head["date_line"], fmt["center_italic"])
    ws.merged(4, 0, last, head["title"], fmt["title"])
    ws.merged(5, 0, last, head["subtitle"], fmt["center_italic"])
    ws.merged(6, 0, last, head["basis"], fmt["center_italic"])
    ws.merged(7, 0, last, head["money_unit"], fmt["right_italic"])

    top, sub = 8, 9
    col = 0
    while col <= last:
        group = columns[col][1]
        if not group:
            sheet.merge_range(top, col, sub, col, neutralise(columns[col][2]), fmt["th"])
            col += 1
            continue
        end = col
        while end + 1 <= last and columns[end + 1][1] == group:
            end += 1
        ws.merged(top, col, end, group, fmt["th"])
        for c in range(col, end + 1):
            ws.text(sub, c, columns[c][2], fmt["th"])
        col = end + 1
    row = sub + 1
    for i in range(last + 1):
        ws.text(row, i, f"({i + 1})", fmt["th_small"])
    row += 1

    def values(item: dict[str, Any]) -> dict[str, Any]:
        v: dict[str, Any] = {
            "communes": item["communes"],
            "villages": item["villages"],
            "plan": item["capital_plan_vnd"],
            "paid": item["disbursed_vnd"],
            "rate": item["disbursement_rate"],
            "works": item["works"],
        }
        for s in sources:
            v[f"src:{s['code']}"] = item["capital_plan_by_source"].get(s["code"], {}).get("total", 0)
        for code, _label in types:
            v[f"type:{code}"] = item["capital_plan_by_type"].get(code, 0)
        for code, _label in statuses:
            v[f"status:{code}"] = item["works_by_status"].get(code, 0)
        return v

    def write_row(number: str, name: str, item: dict[str, Any], bold: bool, depth: int = 0) -> None:
        v = values(item)
        ws.text(row, 0, number, fmt["cell_center_bold" if bold else "cell_center"])
        ws.text(row, 1, ("    " * depth) + name, fmt["cell_bold" if bold else "cell"])
        for i, (key, _g, _l) in enumerate(columns[2:], start=2):
            style = (
                "pct"
                if key == "rate"
                else (
                    "int"
                    if key in {"communes", "villages", "works"} or key.startswith("status:")
                    else "money"
                )
            )
            ws.number(row, i, v.get(key), fmt[style + ("_bold" if bold else "")])

    for n, program in enumerate(report["programs"], start=1):
        write_row(roman(n), f"{program['name']} ({program['code']})", program, True)
        row += 1
        for number, comp in numbered_components(program["components"]):
            write_row(number, comp["name"], comp, False, comp["depth"])
            row += 1
    row += 1
    _signature(ws, row, last, head, fmt, preparer)

    _units_sheet(book, fmt, report, head, preparer)
    book.close()
    return out.getvalue()


def _signature(
    ws: _Sheet, row: int, last: int, head: dict[str, str], fmt: dict[str, Format], preparer: str
) -> None:
    right = max(4, last - 5)
    ws.merged(row, 0, 3, head["preparer"], fmt["center_bold"])
    ws.merged(row, right, last, head["head"], fmt["center_bold"])
    ws.merged(row + 1, 0, 3, head["preparer_note"], fmt["center_italic"])
    ws.merged(row + 1, right, last, head["head_note"], fmt["center_italic"])
    if preparer:
        ws.merged(row + 5, 0, 3, preparer, fmt["center_bold"])


def _units_sheet(
    book: xlsxwriter.Workbook,
    fmt: dict[str, Format],
    report: dict[str, Any],
    head: dict[str, str],
    preparer: str,
) -> None:
    sheet = book.add_worksheet(_("Theo đơn vị"))
    ws = _Sheet(sheet)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 3, 8)
    sheet.set_column(4, 7, 18)
    last = 7
    ws.merged(0, 0, 3, head["authority"], fmt["center"])
    ws.merged(1, 0, 3, head["agency"], fmt["center_bold"])
    ws.merged(0, 4, last, head["motto"], fmt["center_bold"])
    ws.merged(1, 4, last, head["motto2"], fmt["motto2"])
    ws.merged(2, 4, last, head["date_line"], fmt["center_italic"])
    ws.merged(4, 0, last, head["title"], fmt["title"])
    ws.merged(5, 0, last, _("Tổng hợp theo đơn vị hành chính"), fmt["center_bold"])
    ws.merged(6, 0, last, head["basis"], fmt["center_italic"])
    ws.merged(7, 0, last, head["money_unit"], fmt["right_italic"])
    titles = [
        _("STT"),
        _("Chương trình, đơn vị"),
        _("Số xã"),
        _("Số thôn"),
        _("Kế hoạch vốn"),
        _("Đã giải ngân"),
        _("Tỷ lệ giải ngân"),
        _("Số công trình"),
    ]
    for i, t in enumerate(titles):
        ws.text(8, i, t, fmt["th"])
    row = 9
    for n, program in enumerate(report["programs"], start=1):
        items = [(roman(n), f"{program['name']} ({program['code']})", program, True)]
        items += [(str(i), u["name"], u, False) for i, u in enumerate(program["units"], start=1)]
        for number, name, item, bold in items:
            b = "_bold" if bold else ""
            ws.text(row, 0, number, fmt["cell_center" + b])
            ws.text(row, 1, name, fmt["cell" + b])
            ws.number(row, 2, item["communes"], fmt["int" + b])
            ws.number(row, 3, item["villages"], fmt["int" + b])
            ws.number(row, 4, item["capital_plan_vnd"], fmt["money" + b])
            ws.number(row, 5, item["disbursed_vnd"], fmt["money" + b])
            ws.number(row, 6, item["disbursement_rate"], fmt["pct" + b])
            ws.number(row, 7, item["works"], fmt["int" + b])
            row += 1
    _signature(ws, row + 1, last, head, fmt, preparer)


def _formats(book: xlsxwriter.Workbook) -> dict[str, Format]:
    base = {"font_name": "Times New Roman", "font_size": 12}
    cell = {**base, "border": 1, "valign": "vcenter"}

    def f(**kw: Any) -> Format:
        return book.add_format({**base, **kw})

    def c(**kw: Any) -> Format:
        return book.add_format({**cell, **kw})

    return {
        "center": f(align="center"),
        "center_bold": f(align="center", bold=True),
        "center_italic": f(align="center", italic=True),
        "right_italic": f(align="right", italic=True),
        "motto2": f(align="center", bold=True, underline=1),
        "title": f(align="center", bold=True, font_size=14),
        "th": c(bold=True, align="center", text_wrap=True, bg_color="#EEF1F4"),
        "th_small": c(italic=True, align="center", font_size=10),
        "cell": c(text_wrap=True),
        "cell_bold": c(text_wrap=True, bold=True),
        "cell_center": c(align="center"),
        "cell_center_bold": c(align="center", bold=True),
        "money": c(num_format="#,##0"),
        "money_bold": c(num_format="#,##0", bold=True),
        "int": c(num_format="#,##0"),
        "int_bold": c(num_format="#,##0", bold=True),
        "pct": c(num_format="0.0%"),
        "pct_bold": c(num_format="0.0%", bold=True),
    }


def context(report: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """Template context shared by the page and the standalone HTML file."""
    programs = []
    for n, p in enumerate(report["programs"], start=1):
        programs.append({**p, "roman": roman(n), "numbered": numbered_components(p["components"])})
    return {
        "report": report,
        "programs": programs,
        "head": heading(report, today),
        "sources": used_sources(report),
        "types": list(CapitalType.choices),
        "statuses": list(WorkStatus.choices),
    }


def to_html(report: dict[str, Any], today: dt.date | None = None) -> str:
    """A self-contained HTML document (for the command's `--format html`)."""
    return render_to_string(
        "reports/program_summary_standalone.html", {**context(report, today), "standalone": True}
    )
