"""Spreadsheet imports of investment works (`works`) and their payments (`disbursements`).

Both kinds follow the rules of `dantoc.works.services` (a work at a commune valid in its plan year,
codes `CT-<year>-<seq>` when the file has none, the 31 January cut-off of a year's capital and its
carry-over extension) but check and write all rows at once: a few queries per batch of rows, never
one per row, bulk inserts with their audit entries in the engine's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Max
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.imports import bulk
from dantoc.core.imports.base import (
    ImportContext,
    ImportKind,
    Row,
    Status,
    duplicate_message,
    seen_keys,
)
from dantoc.core.imports.columns import Choice, Code, Date, Money, Option, Text, Year
from dantoc.core.imports.registry import register
from dantoc.core.models import AuditEntry
from dantoc.core.scoping import user_scope_prefix
from dantoc.core.text import fold
from dantoc.geo.imports import (
    COMMUNE_ALIASES,
    DISTRICT_ALIASES,
    VILLAGE_ALIASES,
    MatchError,
    UnitMatcher,
    UnitRef,
    name_key,
    split_prefix,
)
from dantoc.geo.models import KIND_LEVEL, AdminUnit, Kind, Level
from dantoc.programs.imports import (
    CAPITAL_TYPE_CHOICES,
    CatalogueError,
    ComponentIndex,
    ProgramIndex,
    SourceIndex,
    ctx_index,
    year_from_title,
)
from dantoc.programs.models import CapitalType, PlanDecision, Program
from dantoc.works.models import Disbursement, Work, WorkKind, WorkStatus, WorkStatusChange
from dantoc.works.services import next_code

MAX_AMOUNT = 10**15
CODE_GENERATED = re.compile(r"^CT-\d{4}-\d+$")


def _d(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _year_span(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# --- shared column definitions ---------------------------------------------------------------------
CODE_ALIASES = ("Mã", "Mã CT", "Mã số công trình", "Mã dự án", "Mã số", "Mã công trình, dự án")
NAME_ALIASES = (
    "Công trình",
    "Tên dự án",
    "Tên công trình, dự án",
    "Danh mục công trình",
    "Tên danh mục công trình",
    "Danh mục",
    "Tên công trình/dự án",
    "Nội dung công trình",
)
WORK_KIND_CHOICES = {
    WorkKind.ROAD: [
        "Đường giao thông",
        "Đường",
        "Giao thông",
        "Đường GTNT",
        "GTNT",
        "Đường giao thông nông thôn",
        "Đường nội đồng",
        "Đường liên thôn",
        "Đường bê tông",
    ],
    WorkKind.BRIDGE: ["Cầu", "Cầu, ngầm", "Ngầm", "Cầu treo", "Tràn", "Ngầm tràn", "Cầu dân sinh"],
    WorkKind.SCHOOL: [
        "Trường học",
        "Trường, lớp học",
        "Trường",
        "Lớp học",
        "Giáo dục",
        "Nhà lớp học",
        "Phòng học",
        "Điểm trường",
    ],
    WorkKind.IRRIGATION: [
        "Thuỷ lợi",
        "Kênh mương",
        "Mương",
        "Kênh",
        "Đập",
        "Hồ chứa",
        "Phai",
        "Thuỷ lợi nhỏ",
    ],
    WorkKind.WATER: [
        "Nước sinh hoạt",
        "Nước sạch",
        "Cấp nước",
        "NSH",
        "Công trình nước",
        "Nước sinh hoạt tập trung",
        "Bể nước",
    ],
    WorkKind.POWER: ["Điện", "Lưới điện", "Điện sinh hoạt", "Trạm biến áp", "Đường điện", "Điện nông thôn"],
    WorkKind.CULTURAL_HOUSE: ["Nhà văn hoá", "Nhà văn hoá thôn", "NVH", "Nhà sinh hoạt cộng đồng"],
    WorkKind.MARKET: ["Chợ", "Chợ nông thôn"],
    WorkKind.HEALTH_POST: ["Trạm y tế", "Y tế", "Trạm y tế xã"],
    WorkKind.OTHER: ["Khác", "Công trình khác"],
}
# Words of a work's name that tell its kind when the file has no kind ("Đường vào bản Khiếng" → road).
_KIND_WORDS: list[tuple[str, str]] = [
    ("duong dien", WorkKind.POWER),
    ("luoi dien", WorkKind.POWER),
    ("tram bien ap", WorkKind.POWER),
    ("dien", WorkKind.POWER),
    ("duong", WorkKind.ROAD),
    ("cau", WorkKind.BRIDGE),
    ("ngam", WorkKind.BRIDGE),
    ("tran", WorkKind.BRIDGE),
    ("truong", WorkKind.SCHOOL),
    ("lop hoc", WorkKind.SCHOOL),
    ("phong hoc", WorkKind.SCHOOL),
    ("thuy loi", WorkKind.IRRIGATION),
    ("kenh", WorkKind.IRRIGATION),
    ("muong", WorkKind.IRRIGATION),
    ("dap", WorkKind.IRRIGATION),
    ("ho chua", WorkKind.IRRIGATION),
    ("phai", WorkKind.IRRIGATION),
    ("nuoc", WorkKind.WATER),
    ("gieng", WorkKind.WATER),
    ("nha van hoa", WorkKind.CULTURAL_HOUSE),
    ("nha sinh hoat cong dong", WorkKind.CULTURAL_HOUSE),
    ("cho", WorkKind.MARKET),
    ("tram y te", WorkKind.HEALTH_POST),
]
_KIND_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(w) for w, _k in sorted(_KIND_WORDS, key=lambda x: -len(x[0]))) + r")\b"
)
_KIND_OF_WORD = dict(_KIND_WORDS)


def kind_from_name(name: str) -> str:
    """The kind a work's name suggests (its first telling word), else "other"."""
    m = _KIND_PATTERN.search(fold(name))
    return str(_KIND_OF_WORD[m.group(1)]) if m else str(WorkKind.OTHER)


def _unit_levels(text: str) -> list[str]:
    """A work sits at a commune, or (before 1 July 2025) at a district when the cell says "Huyện …"."""
    hint, _bare = split_prefix(text)
    if hint and KIND_LEVEL.get(Kind(hint)) == Level.DISTRICT:
        return [Level.DISTRICT]
    return [Level.COMMUNE]


class _Units:
    """Communes, districts and villages of the user's area (one matcher per import)."""

    def __init__(self, user: Any) -> None:
        self.matcher = UnitMatcher(user, [Level.DISTRICT, Level.COMMUNE, Level.VILLAGE])
        self.villages: dict[tuple[int, str], list[UnitRef]] = {}
        for ref in self.matcher.units.values():
            if ref.level == Level.VILLAGE and ref.parent_id is not None:
                self.villages.setdefault((ref.parent_id, name_key(ref.name)), []).append(ref)
        self._village_memo: dict[tuple[str, int, int], UnitRef | str] = {}

    def place(self, text: str, year: int, *, parent: str | None = None, on: dt.date | None = None) -> UnitRef:
        """The commune (or district) named `text` in the plan year; a start date settles a reform year."""
        levels = _unit_levels(text)
        try:
            return self.matcher.match(text, levels=levels, during=_year_span(year), parent=parent)
        except MatchError:
            if on is None or on.year != year:
                raise
            return self.matcher.match(text, levels=levels, on=on, parent=parent)

    def candidates(self, text: str, start: dt.date, end: dt.date, parent: str | None) -> list[UnitRef]:
        """Every commune (or district) of that name in the area over a period; no error when several."""
        levels = set(_unit_levels(text))
        hint, _bare = split_prefix(text)
        found = [
            r
            for r in self.matcher.by_name.get(name_key(text), [])
            if r.level in levels and r.overlaps(start, end)
        ]
        if hint:
            found = [r for r in found if r.kind == hint] or found
        if parent:
            p_key = name_key(parent)
            names = self.matcher._names
            found = [r for r in found if any(names.get(a, ("",))[0] == p_key for a in r.ancestor_ids)]
        return found

    def village(self, text: str, commune: UnitRef, year: int) -> UnitRef | str:
        memo_key = (text, commune.id, year)
        found = self._village_memo.get(memo_key)
        if found is None:
            refs = [
                r
                for r in self.villages.get((commune.id, name_key(text)), [])
                if r.overlaps(*_year_span(year))
            ]
            if len(refs) == 1:
                found = refs[0]
            else:
                found = (
                    _(
                        'Không có thôn, bản "%(name)s" thuộc %(commune)s. / No village "%(name)s" in %(commune)s.'
                    )
                    % {"name": text, "commune": commune.full_name}
                    if not refs
                    else _(
                        'Có %(count)d thôn "%(name)s" thuộc %(commune)s. / %(count)d villages "%(name)s" in '
                        "%(commune)s."
                    )
                    % {"count": len(refs), "name": text, "commune": commune.full_name}
                )
            self._village_memo[memo_key] = found
        return found


def _program_from_title(programs: ProgramIndex, lines: list[str]) -> Program | None:
    """A programme named in the title rows ("… THUỘC CHƯƠNG TRÌNH 135 NĂM 2018"), when only one is."""
    from dantoc.programs.imports import compact

    found: set[int] = set()
    by_pk = {p.pk: p for p in programs.programs}
    for line in lines:
        text = compact(line)
        for key, progs in programs.index.keys.items():
            if len(key) >= 6 and key in text and len(progs) == 1:
                found.add(progs[0].pk)
    return by_pk[found.pop()] if len(found) == 1 else None


# --- works -------------------------------------------------------------------------------------
@register
class WorksImport(ImportKind):
    """Investment works (công trình) of a programme and plan year, at their commune.

    Columns (aliases in brackets):
    - Mã công trình (Mã; Mã CT; Mã số công trình; Mã dự án) — optional; without it a work is known by
      its commune, year, programme and name, and gets a code `CT-<năm>-<số>` when created.
    - Tên công trình (Công trình; Tên dự án; Danh mục công trình) — required.
    - Loại công trình (Loại; Loại hình; Lĩnh vực) — đường giao thông, cầu, trường học, thuỷ lợi, nước
      sinh hoạt, điện, nhà văn hoá, chợ, trạm y tế, khác (and usual variants: "Đường GTNT", "Kênh
      mương", "NVH"…); when empty, a new work's kind follows its name ("Đường vào bản…" → road).
    - Xã (Xã, phường; Tên xã; Đơn vị cấp xã; Địa bàn) — required: the commune's name with or without
      "Xã"/"Phường"/"Thị trấn", valid in the plan year, in the importing user's area; "Huyện …" for a
      district-level work before 1 July 2025. Huyện (Huyện, thành phố) — optional, to tell apart
      communes of the same name.
    - Thôn/bản (Thôn; Bản; Tên thôn, bản) — optional: a village of that commune.
    - Chủ đầu tư (Đơn vị chủ đầu tư; CĐT) — optional.
    - Tổng mức đầu tư (TMĐT; Tổng vốn đầu tư; Tổng dự toán; Giá trị dự toán; Kinh phí) — required; the
      unit in its header ("(triệu đồng)") or an "ĐVT: …" line counts.
    - Ngày khởi công (Khởi công; Thời gian khởi công), Ngày hoàn thành (kế hoạch) (Ngày hoàn thành;
      Hoàn thành; Thời gian hoàn thành; Dự kiến hoàn thành) — dd/mm/yyyy or a year.
    - Chương trình (Mã chương trình; Thuộc chương trình) — a programme code or name ("P135", "CT135",
      "Chương trình 135"), tone-insensitive; Dự án thành phần (Tiểu dự án; Mã dự án thành phần) — optional.
    - Năm (Năm kế hoạch; Kế hoạch năm; Năm KH) — the plan year.
    Programme and year may instead be given with the file, or read from the title ("DANH SÁCH CÔNG
    TRÌNH CHƯƠNG TRÌNH 135 NĂM 2018"). A new work is proposed, owned by the importing user; importing
    the file again changes nothing; a changed row updates its work (never its status or actual dates).
    """

    slug = "works"
    label = gettext_lazy("Công trình đầu tư")
    description = gettext_lazy(
        "Danh sách công trình theo chương trình và năm kế hoạch: tên, loại, xã (thôn), chủ đầu tư, tổng mức "
        "đầu tư, ngày khởi công, ngày hoàn thành kế hoạch. Có mã thì cập nhật theo mã; không có mã thì theo "
        "xã, năm, chương trình và tên."
    )
    order = 60
    batched = True
    plan_after_errors = True
    sheet_hints: ClassVar = ("cong trinh", "danh muc", "du an")
    columns: ClassVar = (
        Code("code", "Mã công trình", CODE_ALIASES, max_length=32, example="CT-2018-0001"),
        Text("name", "Tên công trình", NAME_ALIASES, required=True, example="Đường bê tông thôn Nà Pàn"),
        Choice(
            "kind",
            "Loại công trình",
            ("Loại", "Loại hình", "Lĩnh vực", "Loại công trình, dự án", "Loại hình công trình"),
            choices=WORK_KIND_CHOICES,
            example="Đường giao thông",
        ),
        Text(
            "commune",
            "Xã",
            (*COMMUNE_ALIASES, "Địa bàn", "Địa điểm xây dựng"),
            required=True,
            max_length=128,
            example="Xã Lộc Bình",
        ),
        Text("district", "Huyện", DISTRICT_ALIASES, max_length=128),
        Text("village", "Thôn/bản", VILLAGE_ALIASES, max_length=128, example="Thôn Nà Pàn"),
        Text(
            "investor",
            "Chủ đầu tư",
            ("Đơn vị chủ đầu tư", "CĐT", "Chủ đầu tư (đơn vị)"),
            example="UBND xã Lộc Bình",
        ),
        Money(
            "total",
            "Tổng mức đầu tư",
            (
                "TMĐT",
                "Tổng mức đầu tư được duyệt",
                "Tổng vốn đầu tư",
                "Tổng dự toán",
                "Giá trị dự toán",
                "Dự toán được duyệt",
                "Kinh phí",
                "Tổng kinh phí",
                "Vốn đầu tư",
            ),
            required=True,
            example="1.234.567.000",
        ),
        Date(
            "start",
            "Ngày khởi công",
            ("Khởi công", "Thời gian khởi công", "Ngày khởi công (kế hoạch)", "Khởi công (kế hoạch)"),
            example="01/03/2018",
        ),
        Date(
            "completion",
            "Ngày hoàn thành (kế hoạch)",
            (
                "Ngày hoàn thành",
                "Hoàn thành",
                "Thời gian hoàn thành",
                "Hoàn thành (kế hoạch)",
                "Dự kiến hoàn thành",
                "Ngày hoàn thành dự kiến",
            ),
            year_end=True,
            example="30/11/2018",
        ),
        Text(
            "program",
            "Chương trình",
            ("Mã chương trình", "Thuộc chương trình", "Tên chương trình", "Chương trình, chính sách"),
            example="P135",
        ),
        Text(
            "component",
            "Dự án thành phần",
            ("Tiểu dự án", "Mã dự án thành phần", "Thuộc dự án", "Dự án, tiểu dự án"),
            example="P135-1",
        ),
        Year("year", "Năm", ("Năm kế hoạch", "Kế hoạch năm", "Năm KH", "Năm đầu tư"), example="2018"),
    )
    options: ClassVar = (
        Option(
            Text(
                "program",
                "Chương trình",
                help="Mã hoặc tên chương trình của cả tệp (khi tệp không có cột này).",
            )
        ),
        Option(Year("year", "Năm", help="Năm kế hoạch của cả tệp (khi tệp không có cột này).")),
    )
    examples: ClassVar = (
        (
            "",
            "Đường bê tông thôn Nà Pàn",
            "Đường giao thông",
            "Xã Lộc Bình",
            "",
            "Thôn Nà Pàn",
            "UBND xã Lộc Bình",
            "1.200.000.000",
            "01/03/2018",
            "30/11/2018",
            "P135",
            "",
            "2018",
        ),
    )

    def read_preamble(self, ctx: ImportContext, lines: list[str]) -> None:
        ctx.cache["title_year"] = year_from_title(lines)
        ctx.cache["title_lines"] = lines

    # -- prepare: references and in-file rules (no stored works needed) ------------------------
    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        units = ctx_index(ctx, "units", lambda: _Units(ctx.user))
        programs = ctx_index(ctx, "programs", ProgramIndex)
        components = ctx_index(ctx, "components", ComponentIndex)
        default_program = self._default_program(ctx, programs)
        if isinstance(default_program, str):
            for row in rows:
                row.error(None, default_program)
            return
        default_year = ctx.options.get("year") or ctx.cache.get("title_year")
        headers = ctx.headers
        has = {
            key: key in headers for key in ("kind", "village", "investor", "start", "completion", "component")
        }
        for row in rows:
            if not row.ok:
                continue
            v = row.values
            year = v["year"] or default_year
            if year is None:
                row.error("year", _("Thiếu năm kế hoạch. / The plan year is missing."))
                continue
            program = default_program
            if v["program"]:
                try:
                    program = programs.match(v["program"])
                except CatalogueError as exc:
                    row.error("program", str(exc))
                    continue
            if program is None:
                row.error("program", _("Thiếu chương trình. / The programme is missing."))
                continue
            if year < program.start_year or (program.end_year is not None and year > program.end_year):
                row.error(
                    "year",
                    _(
                        "Năm %(year)s nằm ngoài thời kỳ của chương trình (%(period)s). "
                        "/ The year %(year)s is outside the programme's period (%(period)s)."
                    )
                    % {"year": year, "period": f"{program.start_year}-{program.end_year or '…'}"},
                )
                continue
            start, completion = v["start"], v["completion"]
            try:
                unit = units.place(v["commune"], year, parent=v["district"], on=start)
            except MatchError as exc:
                row.error("commune", str(exc))
                continue
            values: dict[str, Any] = {
                "name": v["name"],
                "name_folded": fold(v["name"]),
                "program_id": program.pk,
                "year": year,
                "unit_id": unit.id,
                "total_investment_vnd": v["total"],
            }
            if v["total"] >= MAX_AMOUNT:
                row.error("total", _("Số tiền quá lớn. / The amount is too large."))
            if has["village"]:
                village = None
                if v["village"]:
                    found = units.village(v["village"], unit, year)
                    if isinstance(found, str):
                        row.error("village", found)
                        continue
                    village = found.id
                values["village_id"] = village
            if has["component"]:
                component = None
                if v["component"]:
                    try:
                        component = components.match(v["component"], program).pk
                    except CatalogueError as exc:
                        row.error("component", str(exc))
                        continue
                values["component_id"] = component
            if has["kind"] and v["kind"]:
                values["kind"] = v["kind"]
            if has["investor"]:
                values["investor"] = v["investor"] or ""
            if has["start"]:
                values["planned_start"] = start
            if has["completion"]:
                values["planned_completion"] = completion
            if start and completion and completion < start:
                row.error(
                    "completion",
                    _(
                        "Ngày hoàn thành kế hoạch phải sau ngày khởi công. / The planned completion must not "
                        "precede the planned start."
                    ),
                )
                continue
            row.data["values"] = values
            row.data["code"] = v["code"]

    def _default_program(self, ctx: ImportContext, programs: ProgramIndex) -> Program | str | None:
        if "default_program" in ctx.cache:
            return ctx.cache["default_program"]
        found: Program | str | None = None
        if ctx.options.get("program"):
            try:
                found = programs.match(ctx.options["program"])
            except CatalogueError as exc:
                found = str(exc)
        elif "program" not in ctx.headers:
            found = _program_from_title(programs, ctx.cache.get("title_lines", []))
        ctx.cache["default_program"] = found
        return found

    # -- plan: which stored work each row names, and what changes -----------------------------
    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        valid = [r for r in rows if r.ok and "values" in r.data]
        if not valid:
            return
        fields = ["id", "version", "name_folded", "unit__path", *bulk.snapshot_fields(Work)]
        by_code = _works_by_code({r.data["code"] for r in valid if r.data["code"]}, fields)
        prefix = user_scope_prefix(ctx.user) or ""
        pending: list[Row] = []
        for row in valid:
            code = row.data["code"]
            if not code:
                pending.append(row)
                continue
            record = by_code.get(code.upper())
            if record is None:
                pending.append(row)
            elif not record["unit__path"].startswith(prefix):
                row.error(
                    "code",
                    _(
                        "Công trình mã %(code)s thuộc đơn vị ngoài phạm vi của bạn. / Work %(code)s belongs to "
                        "a unit outside your area."
                    )
                    % {"code": code},
                )
            else:
                row.data["stored"] = record
        natural = _works_by_natural_key(pending, fields)
        for row in pending:
            found = natural.get(_natural_key(row.data["values"]), [])
            if row.data["code"]:
                # A code fills in the code of a work first imported without one (its code was generated); a work
                # its owner coded differently stays another work.
                found = [r for r in found if CODE_GENERATED.match(r["code"])]
                if len(found) == 1:
                    row.data["stored"] = found[0]
            elif len(found) == 1:
                row.data["stored"] = found[0]
            elif found:
                row.error(
                    "name",
                    _(
                        "Có %(count)d công trình cùng tên, xã, năm và chương trình (mã %(codes)s): hãy ghi "
                        "Mã công trình. / %(count)d works share this name, commune, year and programme "
                        "(codes %(codes)s): write the work's code."
                    )
                    % {"count": len(found), "codes": ", ".join(r["code"] for r in found[:5])},
                )
        self._check_duplicates(ctx, valid)
        self._check_updates(valid)

    def _check_duplicates(self, ctx: ImportContext, rows: list[Row]) -> None:
        seen_ids = seen_keys(ctx, "work_ids")
        seen_codes = seen_keys(ctx, "work_codes")
        seen_natural = seen_keys(ctx, "work_natural")  # row * 2 + (1 when the row has a code)
        for row in rows:
            if row.errors:
                continue
            code = row.data["code"]
            stored = row.data.get("stored")
            first = seen_ids.add(stored["id"], row.number) if stored is not None else None
            if first is None and code:
                first = seen_codes.add(code.upper(), row.number)
            key = _natural_key(row.data["values"])
            other = seen_natural.first(key)
            if other is None:
                seen_natural.add(key, row.number * 2 + bool(code))
            elif first is None and (not code or not other & 1):
                first = other >> 1
            if first is not None:
                row.error(None, duplicate_message(first))

    def _check_updates(self, rows: list[Row]) -> None:
        """Set the status of each row; refuse the changes `services.update_work` refuses."""
        moving: dict[int, Row] = {}
        reprogrammed: dict[int, Row] = {}
        for row in rows:
            if not row.ok:
                continue
            stored = row.data.get("stored")
            values = row.data["values"]
            if stored is None:
                row.status = Status.CREATED
                continue
            code = row.data["code"]
            if code and code.upper() != stored["code"].upper():
                values["code"] = code
            changes = {k: v for k, v in values.items() if stored[k] != v}
            start = changes.get("planned_start", stored["planned_start"])
            completion = changes.get("planned_completion", stored["planned_completion"])
            if start and completion and completion < start:
                row.error(
                    "completion" if "planned_completion" in values else "start",
                    _(
                        "Ngày hoàn thành kế hoạch phải sau ngày khởi công. / The planned completion must not "
                        "precede the planned start."
                    ),
                )
                continue
            row.data["changes"] = changes
            row.status = Status.UPDATED if changes else Status.UNCHANGED
            if "unit_id" in changes or "year" in changes:
                moving[stored["id"]] = row
            if "program_id" in changes:
                reprogrammed[stored["id"]] = row
            if "program_id" in changes and "component_id" not in values and stored["component_id"]:
                changes["component_id"] = None  # a component belongs to its programme
        if moving:
            for work_id in set(
                Disbursement.objects.filter(work_id__in=bulk.id_list(moving)).values_list(
                    "work_id", flat=True
                )
            ):
                row = moving[work_id]
                row.error(
                    "commune" if "unit_id" in row.data["changes"] else "year",
                    _(
                        "Công trình đã có giải ngân, không đổi được xã hay năm kế hoạch. / The work has payments; "
                        "its commune and plan year cannot change."
                    ),
                )
        links = Work.plan_lines.through.objects
        if reprogrammed:
            for work_id in set(
                links.filter(work_id__in=bulk.id_list(reprogrammed)).values_list("work_id", flat=True)
            ):
                reprogrammed[work_id].error(
                    "program",
                    _(
                        "Hãy bỏ các dòng kế hoạch vốn trước khi đổi chương trình. / Unlink the plan lines before "
                        "changing the programme."
                    ),
                )

    # -- write ---------------------------------------------------------------------------------
    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        writer = bulk.AuditWriter(ctx.actor_id)
        created = [r for r in rows if r.status == Status.CREATED and r.ok]
        if created:
            self._create(ctx, created, writer)
        _write_updates(Work, [r for r in rows if r.status == Status.UPDATED and r.ok], writer,
                       lambda after: f"{after['code']} {after['name']}")  # fmt: skip
        writer.flush()

    def _create(self, ctx: ImportContext, rows: list[Row], writer: bulk.AuditWriter) -> None:
        taken: set[str] = ctx.cache.setdefault("codes_in_file", set())  # codes of the generated pattern only
        taken.update(
            c for c in (r.data["code"].upper() for r in rows if r.data["code"]) if CODE_GENERATED.match(c)
        )
        codes = _CodeSequence(ctx, taken)
        actor = ctx.actor_id
        records = []
        for row in rows:
            values = row.data["values"]
            record = {
                "kind": values.get("kind") or kind_from_name(values["name"]),
                "component_id": None,
                "village_id": None,
                "investor": "",
                "planned_start": None,
                "planned_completion": None,
                **values,
                "code": row.data["code"] or codes.next(values["year"]),
                "status": WorkStatus.PROPOSED,
                "owner_id": actor,
            }
            records.append(record)
        ids = bulk.insert_new(Work, records, lambda done, total: ctx.report("write", done, total))
        today = ctx.today
        bulk.insert(
            WorkStatusChange,
            [{"work_id": pk, "status": WorkStatus.PROPOSED, "date": today, "by_id": actor} for pk in ids],
            returning=False,
        )
        writer.add_created(Work, ids, ("code", "name"))  # as Work.__str__


class _CodeSequence:
    """Generated codes `CT-<year>-<seq>`: the next free numbers of each year, skipping codes in the file."""

    def __init__(self, ctx: ImportContext, taken: set[str]) -> None:
        self.next_of: dict[int, int] = ctx.cache.setdefault("code_seq", {})
        self.taken = taken

    def next(self, year: int) -> str:
        seq = self.next_of.get(year)
        if seq is None:
            seq = int(next_code(year).rsplit("-", 1)[1])
        while True:
            code = f"CT-{year}-{seq:04d}"
            seq += 1
            if code not in self.taken:
                self.next_of[year] = seq
                return code


def _natural_key(values: dict[str, Any]) -> tuple[Any, ...]:
    return (values["unit_id"], values["year"], values["program_id"], values["name_folded"])


def _works_by_code(written: set[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    """Stored works by upper-case code: an indexed lookup of the codes as written (and upper-cased), then a
    scan ignoring case for the few not found that way (codes are unique ignoring case, as `services` checks)."""
    if not written:
        return {}
    codes = {c.upper() for c in written}
    out = {
        r["code"].upper(): r
        for r in Work.objects.filter(code__in=bulk.text_list(written | codes)).values(*fields)
    }
    missing = codes - out.keys()
    if missing:
        qs = Work.objects.annotate(code_upper=Upper("code")).filter(code_upper__in=bulk.text_list(missing))
        out.update((r["code"].upper(), r) for r in qs.values(*fields))
    return out


def _works_by_natural_key(rows: list[Row], fields: list[str]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    out: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    if not rows:
        return out
    units = sorted({r.data["values"]["unit_id"] for r in rows})
    names = sorted({r.data["values"]["name_folded"] for r in rows})
    years = sorted({r.data["values"]["year"] for r in rows})
    qs = Work.objects.filter(
        name_folded__in=bulk.text_list(names), year__in=years, unit_id__in=bulk.id_list(units)
    )
    for record in qs.values(*fields):
        out.setdefault(_natural_key(record), []).append(record)
    return out


# --- disbursements -------------------------------------------------------------------------------
class _WorkRef:
    """What a payment needs of its work."""

    __slots__ = ("code", "id", "path", "unit_id", "year")

    def __init__(self, pk: int, code: str, unit_id: int, year: int, path: str) -> None:
        self.id, self.code, self.unit_id, self.year, self.path = pk, code, unit_id, year, path


@register
class DisbursementsImport(ImportKind):
    """Payments (giải ngân) against works.

    Columns (aliases in brackets):
    - Mã công trình (Mã; Mã CT; Mã số công trình) — the work's code; or else
      Tên công trình (Công trình; Tên dự án; Danh mục công trình) + Xã (Xã, phường; Tên xã): the work's
      name at its commune (with or without "Xã"), in the importing user's area; Huyện (Huyện, thành
      phố) tells apart communes of the same name.
    - Năm kế hoạch (Năm; Kế hoạch năm; Năm KH; Vốn năm) — the plan year the payment counts for;
      default: the work's year. It also tells apart works of the same name in different years.
    - Ngày (Ngày giải ngân; Ngày thanh toán; Ngày chứng từ) — required, dd/mm/yyyy. A year's capital
      may be paid from 1 January of the plan year until 31 January of the next year, or until the
      deadline of a carry-over decision of that year the work draws on; not after today.
    - Số tiền (Số tiền giải ngân; Giá trị giải ngân; Giải ngân; Số tiền thanh toán) — required,
      greater than 0; the unit in its header counts.
    - Nguồn vốn (Nguồn; Mã nguồn vốn) — a code or name ("central", "NSTW", "Ngân sách trung ương",
      "ngân sách địa phương"…); when empty: the source given with the file, else the single source
      of the work's plan lines.
    - Loại vốn (Vốn đầu tư/sự nghiệp) — đầu tư or sự nghiệp; default: the work's plan lines' type
      for that source when there is one, else đầu tư.
    - Số chứng từ (Chứng từ; Số CT; Số UNC; Số hiệu chứng từ) — the payment document.
    A payment is identified by its work, plan year and voucher number, or — without a voucher — by
    its work, plan year, date and source: importing the file again changes nothing; a changed amount
    or date updates the payment.
    """

    slug = "disbursements"
    label = gettext_lazy("Giải ngân")
    description = gettext_lazy(
        "Các khoản giải ngân theo công trình (mã công trình, hoặc tên công trình và xã): ngày, số tiền, nguồn "
        "vốn, số chứng từ. Vốn năm nào chỉ được giải ngân đến 31/01 năm sau (hoặc đến hạn vốn kéo dài)."
    )
    order = 70
    batched = True
    plan_after_errors = True
    sheet_hints: ClassVar = ("giai ngan", "thanh toan", "cap phat")
    columns: ClassVar = (
        Code("work_code", "Mã công trình", CODE_ALIASES, max_length=32, example="CT-2018-0001"),
        Text("work_name", "Tên công trình", NAME_ALIASES, example="Đường bê tông thôn Nà Pàn"),
        Text("commune", "Xã", (*COMMUNE_ALIASES, "Địa bàn"), max_length=128, example="Xã Lộc Bình"),
        Text("district", "Huyện", DISTRICT_ALIASES, max_length=128),
        Year("year", "Năm kế hoạch", ("Năm", "Kế hoạch năm", "Năm KH", "Vốn năm", "Vốn kế hoạch năm")),
        Date(
            "date",
            "Ngày",
            (
                "Ngày giải ngân",
                "Ngày thanh toán",
                "Ngày chứng từ",
                "Ngày chi",
                "Thời gian giải ngân",
                "Ngày rút vốn",
            ),
            required=True,
            example="20/11/2018",
        ),
        Money(
            "amount",
            "Số tiền",
            (
                "Số tiền giải ngân",
                "Giá trị giải ngân",
                "Giải ngân",
                "Số tiền thanh toán",
                "Số vốn giải ngân",
                "Giá trị thanh toán",
                "Số tiền đã giải ngân",
                "Giá trị",
            ),
            required=True,
            example="250.000.000",
        ),
        Text(
            "source",
            "Nguồn vốn",
            ("Nguồn", "Mã nguồn vốn", "Nguồn vốn giải ngân"),
            max_length=128,
            example="Ngân sách trung ương",
        ),
        Choice(
            "capital_type",
            "Loại vốn",
            ("Vốn đầu tư/sự nghiệp", "Tính chất vốn", "Loại nguồn vốn"),
            choices=CAPITAL_TYPE_CHOICES,
        ),
        Text(
            "voucher",
            "Số chứng từ",
            ("Chứng từ", "Số CT", "Số UNC", "Số hiệu chứng từ", "Số phiếu", "Số giấy rút vốn"),
            max_length=64,
            example="UNC 125",
        ),
    )
    options: ClassVar = (
        Option(Text("source", "Nguồn vốn", help="Nguồn vốn cho các dòng không ghi (mã hoặc tên).")),
    )
    examples: ClassVar = (
        (
            "CT-2018-0001",
            "",
            "",
            "",
            "",
            "20/11/2018",
            "250.000.000",
            "Ngân sách trung ương",
            "Đầu tư",
            "UNC 125",
        ),
        (
            "",
            "Đường bê tông thôn Nà Pàn",
            "Xã Lộc Bình",
            "",
            "2018",
            "15/01/2019",
            "100.000.000",
            "NSĐP",
            "",
            "",
        ),
    )

    def check_columns(self, columns: set[str]) -> str | None:
        if "work_code" in columns or {"work_name", "commune"} <= columns:
            return None
        return _(
            'Cần cột "Mã công trình", hoặc hai cột "Tên công trình" và "Xã". / The file needs a "Mã công trình" '
            'column, or both "Tên công trình" and "Xã".'
        )

    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        sources = ctx_index(ctx, "sources", SourceIndex)
        default_source = self._default_source(ctx, sources)
        if isinstance(default_source, str):
            for row in rows:
                row.error(None, default_source)
            return
        default_id = default_source.pk if default_source is not None else None
        works = self._works(ctx, rows)
        today = ctx.today
        windows: dict[int, tuple[dt.date, dt.date]] = {}
        lines: dict[int, list[tuple[int, str]]] = {}
        if default_id is None or "capital_type" not in ctx.headers:
            lines = ctx_index(ctx, "line_kinds", _plan_line_kinds)
        seen = seen_keys(ctx, "payments")
        late: list[tuple[Row, int]] = []
        investment = str(CapitalType.INVESTMENT)
        for row in rows:  # the hot loop of a payments file: plain dict and tuple work only
            if row.errors:
                continue
            v = row.values
            work = works[row.number]
            if work.__class__ is not _WorkRef:
                row.error(*work)  # type: ignore[misc]
                continue
            text = v["source"]
            source_id, stated_source = default_id, default_id is not None
            if text:
                try:
                    source_id, stated_source = sources.match(text).pk, True
                except CatalogueError as exc:
                    row.error("source", str(exc))
                    continue
            amount = v["amount"]
            if amount <= 0:
                row.error("amount", _("Số tiền phải lớn hơn 0. / The amount must be greater than zero."))
                continue
            if amount >= MAX_AMOUNT:
                row.error("amount", _("Số tiền quá lớn. / The amount is too large."))
                continue
            date = v["date"]
            if date > today:
                row.error(
                    "date",
                    _("Ngày giải ngân không được sau hôm nay. / The payment date cannot be in the future."),
                )
                continue
            work_id = work.id
            year = v["year"] or work.year
            window = windows.get(year)
            if window is None:
                window = windows[year] = _window(year)
            if not window[0] <= date <= window[1]:
                late.append((row, year))  # unless carried-over capital extends the deadline (checked below)
            ctype = v["capital_type"]
            if source_id is None or not ctype:
                own = lines.get(work_id, ())
                if source_id is None:
                    found = {s for s, _t in own}
                    if len(found) != 1:
                        row.error("source", str(_NO_SOURCE))
                        continue
                    source_id = found.pop()
                if not ctype:
                    types = {t for s, t in own if s == source_id} or {t for _s, t in own}
                    ctype = types.pop() if len(types) == 1 else investment
            voucher = v["voucher"] or ""
            key = (work_id, year, voucher.upper()) if voucher else (work_id, year, date, source_id)
            first = seen.add(key, row.number)
            if first is not None:
                row.error(None, duplicate_message(first) + ("" if voucher else " " + str(_TWO_A_DAY)))
                continue
            data = row.data
            data["values"] = {
                "work_id": work_id,
                "unit_id": work.unit_id,
                "plan_year": year,
                "date": date,
                "amount_vnd": amount,
                "source_id": source_id,
                "capital_type": ctype,
                "voucher_number": voucher,
            }
            data["key"] = key
            data["stated"] = (stated_source, bool(v["capital_type"]), bool(voucher))
        if late:
            extended = _extensions({r.data["values"]["work_id"] for r, _y in late if "values" in r.data})
            for row, year in late:
                if row.errors:
                    continue
                start, end = _window(year, extended.get(row.data["values"]["work_id"], {}).get(year))
                if not start <= row.values["date"] <= end:
                    row.error("date", _window_message(year, start, end))

    def _default_source(self, ctx: ImportContext, sources: SourceIndex) -> Any:
        if "default_source" not in ctx.cache:
            found: Any = None
            if ctx.options.get("source"):
                try:
                    found = sources.match(ctx.options["source"])
                except CatalogueError as exc:
                    found = str(exc)
            ctx.cache["default_source"] = found
        return ctx.cache["default_source"]

    def _works(self, ctx: ImportContext, rows: list[Row]) -> dict[int, _WorkRef | tuple[str, str]]:
        """Each row's work, or (column, message): by code, else by name at the commune (set-based)."""
        out: dict[int, _WorkRef | tuple[str, str]] = {}
        prefix = user_scope_prefix(ctx.user) or ""
        coded = [r for r in rows if not r.errors and r.values["work_code"]]
        refs = _work_refs_by_code(ctx, {r.values["work_code"] for r in coded})
        for row in coded:
            code = row.values["work_code"]
            ref = refs.get(code.upper())
            if ref is None:
                out[row.number] = (
                    "work_code",
                    _('Không có công trình mã "%(code)s". / No work with code "%(code)s".') % {"code": code},
                )
            elif not ref.path.startswith(prefix):
                out[row.number] = (
                    "work_code",
                    _(
                        "Công trình mã %(code)s thuộc đơn vị ngoài phạm vi của bạn. / Work %(code)s belongs to "
                        "a unit outside your area."
                    )
                    % {"code": code},
                )
            else:
                out[row.number] = ref
        named = {r.number: r for r in rows if not r.errors and not r.values["work_code"]}
        if named:
            out.update(self._works_by_name(ctx, named))
        return out

    def _works_by_name(
        self, ctx: ImportContext, named: dict[int, Row]
    ) -> dict[int, _WorkRef | tuple[str, str]]:
        out: dict[int, _WorkRef | tuple[str, str]] = {}
        units = ctx_index(ctx, "units", lambda: _Units(ctx.user))
        wanted: dict[int, tuple[list[UnitRef], str]] = {}
        for row in named.values():
            v = row.values
            if not v["work_name"] or not v["commune"]:
                out[row.number] = (
                    "commune" if v["work_name"] else "work_name",
                    _(
                        "Hãy ghi Mã công trình, hoặc Tên công trình và Xã. / Write the work's code, or its name "
                        "and commune."
                    ),
                )
                continue
            year = v["year"]
            start = dt.date(year - 1, 1, 1) if year else dt.date(v["date"].year - 1, 1, 1)
            end = dt.date(year, 12, 31) if year else v["date"]
            candidates = units.candidates(v["commune"], start, end, v["district"])
            if not candidates:
                try:  # for its message: unknown, outside the area, or not valid then
                    units.matcher.match(
                        v["commune"],
                        levels=_unit_levels(v["commune"]),
                        during=(start, end),
                        parent=v["district"],
                    )
                    message = _('Không tìm thấy "%(name)s". / "%(name)s" was not found.') % {
                        "name": v["commune"]
                    }
                except MatchError as exc:
                    message = str(exc)
                out[row.number] = ("commune", message)
                continue
            wanted[row.number] = (candidates, fold(v["work_name"]))
        unit_ids = sorted({u.id for c, _n in wanted.values() for u in c})
        paths = {u.id: u.path for c, _n in wanted.values() for u in c}
        names = sorted({n for _c, n in wanted.values()})
        index: dict[tuple[int, str], list[_WorkRef]] = {}
        if names:
            qs = Work.objects.filter(
                name_folded__in=bulk.text_list(names), unit_id__in=bulk.id_list(unit_ids)
            )
            for pk, code, unit_id, year, folded in qs.values_list(
                "id", "code", "unit_id", "year", "name_folded"
            ):
                if unit_id in paths:
                    index.setdefault((unit_id, folded), []).append(
                        _WorkRef(pk, code, unit_id, year, paths[unit_id])
                    )
        for number, (candidates, folded) in wanted.items():
            v = named[number].values
            refs = [w for u in candidates for w in index.get((u.id, folded), [])]
            if len(refs) > 1:
                # The plan year names the work's year, or a later year of capital for an older work.
                year = v["year"] or v["date"].year
                refs = [w for w in refs if w.year == year] or [
                    w for w in refs if w.year < year and (v["year"] or w.year == year - 1)
                ]
            if len(refs) == 1:
                out[number] = refs[0]
            elif not refs:
                out[number] = (
                    "work_name",
                    _('Không có công trình "%(name)s" ở %(commune)s. / No work "%(name)s" at %(commune)s.')
                    % {"name": v["work_name"], "commune": candidates[0].full_name},
                )
            else:
                out[number] = (
                    "work_name",
                    _(
                        "Có %(count)d công trình cùng tên (mã %(codes)s): hãy ghi Mã công trình hoặc Năm kế "
                        "hoạch. / %(count)d works share this name (codes %(codes)s): write the code or the "
                        "plan year."
                    )
                    % {"count": len(refs), "codes": ", ".join(w.code for w in refs[:5])},
                )
        return out

    # -- plan and write ------------------------------------------------------------------------
    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        valid = [r for r in rows if not r.errors and "values" in r.data]
        if not valid:
            return
        fields = PAYMENT_FIELDS
        i_work, i_year, i_date, i_source, i_voucher = (fields.index(f) for f in
                                                       ("work_id", "plan_year", "date", "source_id", "voucher_number"))  # fmt: skip
        by_key: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        unvouchered: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        stored = Disbursement.objects.all()
        if ctx.cache.get("first_new_payment"):  # not the payments this import wrote in earlier batches
            stored = stored.filter(pk__lt=ctx.cache["first_new_payment"])
        work_ids = {r.data["values"]["work_id"] for r in valid}
        if work_ids:
            for rec in stored.filter(work_id__in=bulk.id_list(work_ids)).values_list(*fields):
                loose = (rec[i_work], rec[i_year], rec[i_date], rec[i_source])
                if rec[i_voucher]:
                    by_key.setdefault((rec[i_work], rec[i_year], rec[i_voucher].upper()), rec)
                    by_key.setdefault(loose, rec)  # a row without voucher updates its payment
                else:
                    unvouchered.setdefault(loose, rec)
                    by_key.setdefault(loose, rec)
        if not by_key:
            for row in valid:
                row.status = Status.CREATED
            return
        claimed = seen_keys(ctx, "claimed_payments")
        for row in valid:
            values = row.data["values"]
            rec = by_key.get(row.data["key"])
            if rec is None and values["voucher_number"]:
                rec = unvouchered.get(
                    (values["work_id"], values["plan_year"], values["date"], values["source_id"])
                )
            if rec is None:
                row.status = Status.CREATED
                continue
            record = dict(zip(fields, rec, strict=True))
            first = claimed.add(record["id"], row.number)
            if first is not None:
                row.error(None, duplicate_message(first))
                continue
            row.data["stored"] = record
            # Source, capital type and voucher are compared only when the row states them.
            stated_source, stated_type, stated_voucher = row.data["stated"]
            compare = ["date", "amount_vnd"]
            compare += (
                ["source_id"] * stated_source
                + ["capital_type"] * stated_type
                + ["voucher_number"] * stated_voucher
            )
            changes = {k: values[k] for k in compare if record[k] != values[k]}
            row.data["changes"] = changes
            row.status = Status.UPDATED if changes else Status.UNCHANGED

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        writer = bulk.AuditWriter(ctx.actor_id)
        created = [r.data["values"] for r in rows if r.status == Status.CREATED and not r.errors]
        if created:
            ids = bulk.insert_new(Disbursement, created, lambda done, total: ctx.report("write", done, total))
            ctx.cache.setdefault("first_new_payment", min(ids))
            writer.add_created(Disbursement, ids, ("date", "amount_vnd"))  # as Disbursement.__str__
        _write_updates(Disbursement, [r for r in rows if r.status == Status.UPDATED and not r.errors], writer,
                       lambda after: f"{after['date']} {after['amount_vnd']}")  # fmt: skip
        writer.flush()


PAYMENT_FIELDS = ("id", "version", *bulk.snapshot_fields(Disbursement))
_NO_SOURCE = gettext_lazy(
    "Thiếu nguồn vốn (công trình không có đúng một nguồn trong kế hoạch vốn). / The funding source is missing "
    "(the work's plan lines do not name exactly one)."
)
_TWO_A_DAY = gettext_lazy(
    "Hai khoản cùng ngày, cùng nguồn cho một công trình: hãy ghi Số chứng từ. / Two payments of one work on "
    "the same day from the same source: write their voucher numbers."
)


def _window(year: int, until: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """[1 January of the plan year, 31 January of the next year or a carry-over's later deadline]."""
    end = Disbursement.default_deadline(year)
    if until and until > end:
        end = min(until, dt.date(year + 1, 12, 31))
    return dt.date(year, 1, 1), end


def _window_message(year: int, start: dt.date, end: dt.date) -> str:
    return _(
        "Vốn kế hoạch năm %(year)s chỉ được giải ngân từ %(start)s đến %(end)s. "
        "/ Capital of the %(year)s plan may be disbursed only from %(start)s to %(end)s."
    ) % {"year": year, "start": _d(start), "end": _d(end)}


def _extensions(work_ids: set[int]) -> dict[int, dict[int, dt.date]]:
    """Per work, per plan year: the latest deadline of carry-over lines it draws on (`services.deadline`)."""
    out: dict[int, dict[int, dt.date]] = {}
    links = Work.plan_lines.through.objects
    if work_ids:
        qs = (
            links.filter(
                work_id__in=bulk.id_list(work_ids),
                capitalplanline__decision__revision=PlanDecision.Revision.CARRY_OVER,
            )
            .values("work_id", "capitalplanline__decision__year")
            .annotate(until=Max("capitalplanline__decision__disburse_until"))
        )
        for item in qs:
            out.setdefault(item["work_id"], {})[item["capitalplanline__decision__year"]] = item["until"]
    return out


def _plan_line_kinds() -> dict[int, list[tuple[int, str]]]:
    """Per work: (source, capital type) of the plan lines it draws on, for payments that name neither.

    One query over all the links (a province has one or a few per work), kept for every batch.
    """
    out: dict[int, list[tuple[int, str]]] = {}
    links = Work.plan_lines.through.objects.values_list(
        "work_id", "capitalplanline__source_id", "capitalplanline__capital_type"
    )
    for work_id, source_id, ctype in links.iterator(chunk_size=20000):
        out.setdefault(work_id, []).append((source_id, ctype))
    return out


def _work_refs_by_code(ctx: ImportContext, written: set[str]) -> dict[str, _WorkRef]:
    """Works by upper-case code: an indexed lookup of the codes as written (and upper-cased), then a scan
    ignoring case for the few not found that way (codes are unique ignoring case, as `services` checks)."""
    if not written:
        return {}
    codes = {c.upper() for c in written}
    fields = ("id", "code", "unit_id", "year")
    found = list(Work.objects.filter(code__in=bulk.text_list(written | codes)).values_list(*fields))
    missing = codes - {code.upper() for _pk, code, _u, _y in found}
    if missing:
        found += (
            Work.objects.annotate(code_upper=Upper("code"))
            .filter(code_upper__in=bulk.text_list(missing))
            .values_list(*fields)
        )
    paths: dict[int, str] = ctx.cache.setdefault("unit_paths", {})
    new_units = {r[2] for r in found} - paths.keys()
    if new_units:
        paths.update(AdminUnit.objects.filter(pk__in=bulk.id_list(new_units)).values_list("id", "path"))
    return {
        code.upper(): _WorkRef(pk, code, unit_id, year, paths[unit_id]) for pk, code, unit_id, year in found
    }


def _write_updates(
    model: Any, rows: list[Row], writer: bulk.AuditWriter, label: Callable[[dict[str, Any]], str]
) -> None:
    """Apply planned changes in bulk, bumping versions, with one audit entry per changed record."""
    if not rows:
        return
    now = timezone.now()
    changes = []
    for row in rows:
        stored = row.data["stored"]
        after = {**stored, **row.data["changes"]}
        changes.append(
            (stored["id"], {**row.data["changes"], "version": stored["version"] + 1, "updated_at": now})
        )
        writer.add(AuditEntry.Action.UPDATE, model, stored["id"], label(after),
                   bulk.snapshot(model, stored), bulk.snapshot(model, after))  # fmt: skip
    bulk.update(model, changes)
