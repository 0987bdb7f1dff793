"""Spreadsheets: the households-support report as a Vietnamese administrative report, lists of persons,
one person's data (access request) and aggregate figures. Text through `neutralise` (no formula runs)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.imports.export import neutralise
from dantoc.households.models import PovertyStatus, Relation, Sex, SupportKind
from dantoc.households.privacy import shown_id

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Sheet:
    """A worksheet written by type: numbers as numbers, text neutralised, never a formula."""

    def __init__(self, book: xlsxwriter.Workbook, name: str) -> None:
        self.book = book
        self.ws = book.add_worksheet(name[:31])
        self.row = 0
        self.f = {
            "bold": book.add_format({"bold": True}),
            "head": book.add_format(
                {
                    "bold": True,
                    "bg_color": "#EEF1F4",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "vcenter",
                    "align": "center",
                }
            ),
            "cell": book.add_format({"border": 1, "valign": "top", "text_wrap": True}),
            "num": book.add_format({"border": 1, "num_format": "#,##0"}),
            "numb": book.add_format({"border": 1, "num_format": "#,##0", "bold": True}),
            "cellb": book.add_format({"border": 1, "bold": True}),
            "dec": book.add_format({"border": 1, "num_format": "#,##0.##"}),
            "title": book.add_format({"bold": True, "font_size": 14, "align": "center"}),
            "center": book.add_format({"align": "center"}),
            "centerb": book.add_format({"bold": True, "align": "center"}),
            "motto": book.add_format({"bold": True, "underline": True, "align": "center"}),
            "italic_c": book.add_format({"italic": True, "align": "center"}),
            "italic_r": book.add_format({"italic": True, "align": "right"}),
            "small": book.add_format({"italic": True, "font_size": 9}),
        }

    def put(self, row: int, col: int, value: Any, fmt: str | None = None) -> None:
        f = self.f[fmt] if fmt else None
        if value is None or value == "":
            if f is not None:
                self.ws.write_blank(row, col, None, f)
        elif isinstance(value, bool):
            self.ws.write_string(row, col, _("Có") if value else _("Không"), f)
        elif isinstance(value, int | float):
            self.ws.write_number(row, col, value, f)
        elif isinstance(value, dt.datetime | dt.date):
            self.ws.write_string(row, col, value.strftime("%d/%m/%Y"), f)
        else:
            self.ws.write_string(row, col, neutralise(str(value)), f)

    def line(self, values: Sequence[Any], fmts: Sequence[str | None] | str | None = None) -> None:
        for col, value in enumerate(values):
            fmt = fmts if isinstance(fmts, str) or fmts is None else fmts[col]
            if fmt == "num" and not isinstance(value, int | float):
                fmt = "cell"
            self.put(self.row, col, value, fmt)
        self.row += 1

    def merged(self, first_col: int, last_col: int, value: str, fmt: str) -> None:
        self.ws.merge_range(self.row, first_col, self.row, last_col, neutralise(value), self.f[fmt])


def _done(book: xlsxwriter.Workbook, buffer: io.BytesIO) -> bytes:
    book.close()
    return buffer.getvalue()


def _new() -> tuple[xlsxwriter.Workbook, io.BytesIO]:
    buffer = io.BytesIO()
    return xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    ), buffer


# --- the report -----------------------------------------------------------------------------------------


def fig_head() -> list[str]:
    return [_("Số hộ"), _("Số nhân khẩu"), _("Giá trị (đồng)")]


def _province_name(data: dict[str, Any]) -> str:
    from dantoc.geo.models import AdminUnit

    unit = data.get("unit")
    if unit:
        found = AdminUnit.objects.filter(pk=unit["id"]).first()
        if found is not None:
            top = found.ancestors().first()
            if top is not None:
                return top.name
    return "Lạng Sơn"


def report_xlsx(data: dict[str, Any]) -> bytes:
    """The households-support report laid out as a Vietnamese administrative report."""
    book, buffer = _new()
    s = Sheet(book, _("Báo cáo"))
    ws = s.ws
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 5, 16)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    province = _province_name(data)
    today = timezone.localdate()
    s.merged(0, 1, f"UBND TỈNH {province.upper()}", "centerb")
    s.merged(2, 5, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "centerb")
    s.row += 1
    s.merged(0, 1, str(settings.ORG_NAME).upper(), "centerb")
    s.merged(2, 5, "Độc lập - Tự do - Hạnh phúc", "motto")
    s.row += 2
    s.merged(2, 5, f"{province}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}", "italic_c")
    s.row += 2
    s.merged(0, 5, _("BÁO CÁO"), "title")
    s.row += 1
    s.merged(0, 5, _("Kết quả hỗ trợ hộ gia đình năm %(y)s") % {"y": data["year"]}, "centerb")
    s.row += 1
    unit = data["unit"]["name"] if data.get("unit") else _("toàn bộ")
    structure = (
        _("cơ cấu đơn vị hành chính hiện nay")
        if data["structure"] == "current"
        else _("cơ cấu đơn vị hành chính tại ngày %(d)s")
        % {"d": f"{dt.date.fromisoformat(data['structure_date']):%d/%m/%Y}"}
    )
    s.merged(
        0,
        5,
        _("(Địa bàn: %(u)s; %(s)s; số liệu tính từ các bản ghi hỗ trợ)") % {"u": unit, "s": structure},
        "italic_c",
    )
    s.row += 2

    def table(
        title: str, first: str, rows: Iterable[tuple[str, dict[str, Any]]], quantity: bool = False
    ) -> None:
        s.line([title], ["bold"])
        head = [_("STT"), first, *fig_head()] + ([_("Số lượng")] if quantity else [])
        s.line(head, "head")
        for i, (label, f) in enumerate(rows, start=1):
            values: list[Any] = [i, label, f["households"], f["persons"], f["value_vnd"]]
            if quantity:
                values.append(f.get("quantity", 0))
            s.line(values, ["cell", "cell", "num", "num", "num", "dec"])
        s.row += 1

    table(
        _("I. TỔNG HỢP THEO CHƯƠNG TRÌNH"),
        _("Chương trình"),
        [(f"{p['code']} — {p['name']}", p) for p in data["programs"]],
    )
    s.line(
        [
            "",
            _("Tổng số hộ được hỗ trợ (không trùng lặp)"),
            data["households"],
            data["persons"],
            data["value_vnd"],
        ],
        ["cellb", "cellb", "numb", "numb", "numb"],
    )
    s.row += 1
    poverty = dict(PovertyStatus.Status.choices)
    sexes = dict(Sex.choices)
    for n, p in enumerate(data["programs"], start=1):
        s.line([f"II.{n}. {p['code']} — {p['name']}"], ["bold"])
        s.row += 1
        table(
            _("Theo dự án thành phần"),
            _("Dự án thành phần"),
            [(f"{c['code']} {c['name']}", c) for c in p["components"]],
        )
        table(
            _("Theo nội dung hỗ trợ"),
            _("Nội dung hỗ trợ"),
            [(k["label"], k) for k in p["by_kind"].values()],
            True,
        )
        table(
            _("Theo dân tộc của chủ hộ"),
            _("Dân tộc"),
            [(e["name"], e) for e in p["by_ethnic_group"].values()],
        )
        table(
            _("Theo giới tính của chủ hộ"),
            _("Giới tính"),
            [(str(sexes.get(k, _("Chưa rõ"))), f) for k, f in p["by_sex"].items()],
        )
        table(
            _("Theo phân loại hộ năm %(y)s") % {"y": data["year"]},
            _("Phân loại hộ"),
            [(str(poverty.get(k, _("Chưa rà soát"))), f) for k, f in p["by_poverty"].items()],
        )
        table(
            _("Theo đơn vị hành chính"),
            _("Đơn vị"),
            [(("    " if u["level"] in ("commune", "village") else "") + u["name"], u) for u in p["units"]],
        )
    s.row += 1
    s.put(s.row, 0, _("Nơi nhận:"), "bold")
    s.merged(2, 3, _("NGƯỜI LẬP BIỂU"), "centerb")
    ws.merge_range(s.row, 4, s.row, 5, _("THỦ TRƯỞNG CƠ QUAN"), s.f["centerb"])
    s.row += 1
    s.put(s.row, 0, _("- Như trên;"))
    s.merged(2, 3, _("(Ký, ghi rõ họ tên)"), "italic_c")
    ws.merge_range(s.row, 4, s.row, 5, _("(Ký tên, đóng dấu)"), s.f["italic_c"])
    s.row += 1
    s.put(s.row, 0, _("- Lưu: VT."))
    return _done(book, buffer)


# --- lists and one person's data ------------------------------------------------------------------------


def person_head() -> list[str]:
    return [
        _("STT"),
        _("Họ và tên"),
        _("Năm sinh"),
        _("Giới tính"),
        _("Dân tộc"),
        _("Số định danh"),
        _("Quan hệ với chủ hộ"),
        _("Mã hộ"),
        _("Thôn, bản"),
        _("Xã"),
    ]


def persons_xlsx(rows: Iterable[Any], reveal: bool) -> bytes:
    book, buffer = _new()
    s = Sheet(book, _("Nhân khẩu"))
    s.ws.set_column(1, 1, 28)
    s.ws.set_column(5, 9, 16)
    s.line(person_head(), "head")
    relations = dict(Relation.choices)
    sexes = dict(Sex.choices)
    for i, p in enumerate(rows, start=1):
        v = p.household.village
        s.line(
            [
                i,
                p.full_name,
                p.birth_year,
                str(sexes.get(p.sex, p.sex)),
                p.ethnic_group.name,
                shown_id(p.id_number, reveal),
                str(relations.get(p.relation, p.relation)),
                p.household.code,
                v.name,
                v.parent.name if v.parent_id and v.parent else "",
            ],
            ["cell", "cell", "num", "cell", "cell", "cell", "cell", "cell", "cell", "cell"],
        )
    return _done(book, buffer)


def person_data_xlsx(data: dict[str, Any]) -> bytes:
    book, buffer = _new()
    for title, section in ((_("Nhân khẩu"), "person"), (_("Hộ gia đình"), "household")):
        s = Sheet(book, title)
        s.ws.set_column(0, 1, 30)
        for key, value in data[section].items():
            s.line([key, value])
    for title, section in (
        (_("Phân loại hộ"), "poverty"),
        (_("Hỗ trợ"), "support"),
        (_("Gộp hồ sơ"), "merges"),
        (_("Lịch sử sửa"), "history"),
        (_("Nhật ký truy cập"), "access_log"),
    ):
        s = Sheet(book, title)
        rows = data[section]
        if not rows:
            s.line([_("Không có")])
            continue
        keys = list(rows[0])
        s.line(keys, "head")
        for r in rows:
            s.line([r[k] if not isinstance(r[k], list) else repr(r[k]) for k in keys])
    return _done(book, buffer)


def aggregates_xlsx(rows: list[dict[str, Any]]) -> bytes:
    book, buffer = _new()
    s = Sheet(book, _("Tổng hợp"))
    s.ws.set_column(0, 1, 26)
    sexes = dict(Sex.choices)
    s.line([_("Xã"), _("Dân tộc"), _("Giới tính"), _("Số nhân khẩu"), _("Số hộ")], "head")
    for r in rows:
        s.line(
            [
                r["commune"],
                r["ethnic_group"],
                str(sexes.get(r["sex"], r["sex"])),
                r["persons"],
                r["households"],
            ],
            ["cell", "cell", "cell", "num", "num"],
        )
    return _done(book, buffer)


def kind_label(kind: str) -> str:
    return str(dict(SupportKind.choices).get(kind, kind))
