"""Spreadsheet import of capital plans (`capital-plans`), and the catalogue lookups other imports share.

`ProgramIndex`, `ComponentIndex` and `SourceIndex` find a programme, a component or a funding source
by code or name, ignoring case, tone marks and punctuation, with the usual short names ("CT135",
"NSTW"); the works and disbursements kinds use them too. They hold the whole catalogue in memory
(one query each): no query per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core.imports import bulk
from dantoc.core.imports.base import ImportContext, ImportKind, Row, Status, chunks, duplicate_message
from dantoc.core.imports.columns import Choice, Date, Money, Option, Text, Year
from dantoc.core.imports.registry import register
from dantoc.core.models import AuditEntry
from dantoc.core.text import fold, nfc
from dantoc.geo.imports import (
    COMMUNE_ALIASES,
    DISTRICT_ALIASES,
    MatchError,
    UnitMatcher,
    UnitRef,
    decision_from_text,
    split_prefix,
)
from dantoc.geo.models import KIND_LEVEL, Kind, Level
from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)
from dantoc.programs.services import default_deadline

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_PARENS = re.compile(r"\(([^()]*)\)")


def compact(text: str) -> str:
    """Comparable key of a name or code: folded, letters and digits only ("CT 135" → "ct135")."""
    return _NON_ALNUM.sub("", fold(text))


def _d(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


# --- catalogue lookups ---------------------------------------------------------------------------
# Usual ways of naming the seeded programmes in commune and district files.
PROGRAM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "P135": ("135", "CT135", "CT 135", "Chương trình 135", "Chương trình 135 giai đoạn 2016-2020"),
    "30A": ("30a", "CT30a", "Chương trình 30a", "Nghị quyết 30a", "NQ30a", "Huyện nghèo 30a"),
    "NTP-GNBV-2016": ("GNBV", "CTMTQG GNBV", "Giảm nghèo bền vững", "CTMTQG giảm nghèo bền vững"),
    "CS-DATSX": ("Đất sản xuất", "Chính sách đất sản xuất", "Chính sách đặc thù", "2085"),
    "NTP-DTTS-2021": (
        "1719",
        "CT1719",
        "Chương trình 1719",
        "CTMTQG 1719",
        "CTMTQG DTTS",
        "CTMTQG DTTS&MN",
        "CTMTQG vùng đồng bào DTTS và miền núi",
    ),
    "NTP-2026": ("CTMTQG 2026-2035", "Chương trình 2026-2035", "257"),
}
# Usual ways of writing the seeded funding sources.
SOURCE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "central": ("NSTW", "NS TW", "Ngân sách TW", "Trung ương", "Vốn trung ương", "Vốn NSTW", "TW"),
    "local": (
        "NSĐP",
        "NS ĐP",
        "Ngân sách ĐP",
        "Địa phương",
        "Vốn địa phương",
        "Ngân sách tỉnh",
        "NS tỉnh",
        "Ngân sách huyện",
        "NS huyện",
        "Ngân sách xã",
        "Đối ứng",
        "Vốn đối ứng",
    ),
    "policy-credit": (
        "Tín dụng chính sách",
        "Vốn vay",
        "NHCSXH",
        "Ngân hàng Chính sách xã hội",
        "Vay ưu đãi",
    ),
    "oda": ("ODA", "Vốn nước ngoài", "Vốn vay nước ngoài"),
    "people": ("Nhân dân đóng góp", "Dân đóng góp", "Huy động", "Vốn huy động", "Đóng góp của nhân dân"),
    "other": ("Khác", "Nguồn khác", "Vốn khác", "Lồng ghép"),
}
CAPITAL_TYPE_CHOICES = {
    CapitalType.INVESTMENT: [
        "Đầu tư",
        "Vốn đầu tư",
        "Đầu tư phát triển",
        "Vốn đầu tư phát triển",
        "ĐTPT",
        "XDCB",
        "Xây dựng cơ bản",
        "ĐT",
    ],
    CapitalType.RECURRENT: ["Sự nghiệp", "Vốn sự nghiệp", "SN", "Chi thường xuyên", "Sự nghiệp kinh tế"],
}


class CatalogueError(ValueError):
    """A reference (programme, component, source) that cannot be resolved; the message is bilingual."""


class _KeyIndex[T]:
    def __init__(self) -> None:
        self.keys: dict[str, list[T]] = {}

    def add(self, text: str | None, item: T) -> None:
        key = compact(text or "")
        if key:
            bucket = self.keys.setdefault(key, [])
            if item not in bucket:
                bucket.append(item)

    def find(self, text: str) -> list[T]:
        return list(self.keys.get(compact(text), ()))


class ProgramIndex:
    """Programmes by code, name, short name, the name's bracketed part and the usual synonyms."""

    def __init__(self, programs: Iterable[Program] | None = None) -> None:
        self.programs = list(programs if programs is not None else Program.objects.all())
        self.index: _KeyIndex[Program] = _KeyIndex()
        for p in self.programs:
            names = [p.code, p.name, p.short_name, _PARENS.sub("", p.name), _PARENS.sub("", p.short_name)]
            names += _PARENS.findall(p.name) + _PARENS.findall(p.short_name)
            names += PROGRAM_SYNONYMS.get(p.code, ())
            for name in names:
                self.index.add(name, p)
        self._memo: dict[str, Program | CatalogueError] = {}

    def match(self, text: str) -> Program:
        found = self._memo.get(text)
        if found is None:
            try:
                found = self._match(text)
            except CatalogueError as exc:
                found = exc
            self._memo[text] = found
        if isinstance(found, CatalogueError):
            raise found
        return found

    def _match(self, text: str) -> Program:
        exact = [p for p in self.programs if p.code.upper() == text.strip().upper()]
        candidates = exact or self.index.find(text)
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise CatalogueError(
                _(
                    '"%(value)s" có thể là: %(list)s. Hãy ghi mã chương trình. / "%(value)s" may be: %(list)s. '
                    "Write the programme code."
                )
                % {"value": text, "list": "; ".join(f"{p.code} ({p})" for p in candidates)}
            )
        raise CatalogueError(
            _('Không có chương trình "%(value)s"; có: %(list)s. / No programme "%(value)s"; known: %(list)s.')
            % {"value": text, "list": ", ".join(p.code for p in self.programs)}
        )


_PROJECT_WORDS = (
    (re.compile(r"tieuduan"), "tda"),
    (re.compile(r"duan"), "da"),
    (re.compile(r"noidung"), "nd"),
)


def _component_keys(text: str) -> list[str]:
    """A component's code or name as written, and its abbreviated form ("Dự án 4" → "da4")."""
    key = compact(text)
    short = key
    for pattern, abbreviation in _PROJECT_WORDS:
        short = pattern.sub(abbreviation, short)
    head = compact(text.split(":", 1)[0]) if ":" in text else ""
    return [k for k in dict.fromkeys((key, short, head)) if k]


class ComponentIndex:
    """Components by code or name within a programme ("P135-1", "DA4", "Dự án 4", the full name)."""

    def __init__(self, components: Iterable[Component] | None = None) -> None:
        rows = components if components is not None else Component.objects.select_related("program")
        self.by_program: dict[int, dict[str, list[Component]]] = {}
        self.all: dict[str, list[Component]] = {}
        for c in rows:
            for text in (c.code, c.name, c.name.split(":", 1)[0]):
                for key in _component_keys(text):
                    for table in (self.by_program.setdefault(c.program_id, {}), self.all):
                        bucket = table.setdefault(key, [])
                        if c not in bucket:
                            bucket.append(c)
        self._memo: dict[tuple[str, int | None], Component | CatalogueError] = {}

    def match(self, text: str, program: Program | None) -> Component:
        memo_key = (text, program.pk if program else None)
        found = self._memo.get(memo_key)
        if found is None:
            try:
                found = self._match(text, program)
            except CatalogueError as exc:
                found = exc
            self._memo[memo_key] = found
        if isinstance(found, CatalogueError):
            raise found
        return found

    def _match(self, text: str, program: Program | None) -> Component:
        table = self.by_program.get(program.pk, {}) if program is not None else self.all
        candidates: list[Component] = []
        for key in _component_keys(text):
            candidates = table.get(key, [])
            if candidates:
                break
        exact = [c for c in candidates if c.code.upper() == text.strip().upper()]
        candidates = exact or candidates
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise CatalogueError(
                _(
                    '"%(value)s" có thể là: %(list)s. Hãy ghi thêm cột Chương trình. / "%(value)s" may be: '
                    "%(list)s. Add the programme column."
                )
                % {"value": text, "list": "; ".join(f"{c.program.code} {c.code}" for c in candidates[:6])}
            )
        if program is not None:
            raise CatalogueError(
                _(
                    '%(program)s không có dự án thành phần "%(value)s". / %(program)s has no component '
                    '"%(value)s".'
                )
                % {"value": text, "program": program.code}
            )
        raise CatalogueError(
            _('Không có dự án thành phần "%(value)s". / No component "%(value)s".') % {"value": text}
        )


class SourceIndex:
    """Funding sources by code, name and the usual abbreviations ("NSTW", "Ngân sách địa phương")."""

    def __init__(self, sources: Iterable[FundingSource] | None = None) -> None:
        self.sources = list(sources if sources is not None else FundingSource.objects.all())
        self.index: _KeyIndex[FundingSource] = _KeyIndex()
        for s in self.sources:
            for name in (s.code, s.name, *SOURCE_SYNONYMS.get(s.code, ())):
                self.index.add(name, s)
        self._memo: dict[str, FundingSource | CatalogueError] = {}

    def match(self, text: str) -> FundingSource:
        found = self._memo.get(text)
        if found is None:
            candidates = self.index.find(text)
            if len(candidates) == 1:
                found = candidates[0]
            else:
                found = CatalogueError(
                    _(
                        'Không rõ nguồn vốn "%(value)s"; dùng một trong: %(list)s. / Unknown funding source '
                        '"%(value)s"; use one of: %(list)s.'
                    )
                    % {"value": text, "list": "; ".join(s.name for s in self.sources)}
                )
            self._memo[text] = found
        if isinstance(found, CatalogueError):
            raise found
        return found


def ctx_index[T](ctx: ImportContext, key: str, factory: Callable[[], T]) -> T:
    """One index per import, shared by every batch of rows."""
    found = ctx.cache.get(key)
    if found is None:
        found = ctx.cache[key] = factory()
    return found


# --- title rows --------------------------------------------------------------------------------
_LONG_DATE = re.compile(r"ngay\s*\d{1,2}\s*thang\s*\d{1,2}\s*nam\s*\d{2,4}")
_YEAR = re.compile(r"\bnam\s*(\d{4})\b")
_ISSUER = re.compile(r"\bcua\s+((?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan|so|ban)\b.*?)\s*\)?\s*$")
_ACRONYMS = {"ubnd", "hdnd", "ubmttq", "qd", "bdt", "ldtbxh", "khdt", "tc"}
_LOWER_WORDS = {
    "tinh",
    "huyen",
    "xa",
    "phuong",
    "thi",
    "tran",
    "thanh",
    "pho",
    "ban",
    "so",
    "uy",
    "nhan",
    "dan",
}
_PLAN_WORDS = ("ke hoach", "giao von", "phan bo", "von ")


def year_from_title(lines: list[str]) -> int | None:
    """The plan year a title names ("KẾ HOẠCH VỐN … NĂM 2018"), not the year of a date in it."""
    found: list[tuple[bool, int]] = []
    for line in lines:
        folded = _LONG_DATE.sub(" ", fold(line))
        folded = re.sub(r"ngay\s*\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}", " ", folded)
        for m in _YEAR.finditer(folded):
            found.append((any(w in folded for w in _PLAN_WORDS), int(m.group(1))))
    found.sort(key=lambda f: not f[0])
    return found[0][1] if found else None


def _title_case(text: str) -> str:
    """ "UBND TỈNH LẠNG SƠN" → "UBND tỉnh Lạng Sơn"."""
    words = []
    for i, word in enumerate(text.split()):
        key = fold(word).strip(".,;:")
        if key in _ACRONYMS:
            words.append(word.upper())
        elif key in _LOWER_WORDS and i > 0:
            words.append(word.lower())
        else:
            words.append(word[:1].upper() + word[1:].lower())
    return " ".join(words)


def authority_from_title(lines: list[str]) -> str | None:
    """The issuing body: "… của UBND tỉnh Lạng Sơn)" in the decision line, else the heading "UBND TỈNH …"."""
    for line in lines:
        text = nfc(line)
        m = _ISSUER.search(fold(text))
        if m and ("quyet dinh" in fold(text) or "qd" in fold(text)):
            return _title_case(text[m.start(1) : m.end(1)].strip(" )"))
    for line in lines:
        text = nfc(line)
        folded = fold(text)
        if folded.startswith(("ubnd", "uy ban nhan dan", "hdnd", "hoi dong nhan dan", "so ")):
            cut = folded.find("cong hoa")
            head = text[:cut].strip() if cut > 0 else text
            return _title_case(head) if len(head) <= 120 else None
    return None


def revision_from_title(lines: list[str]) -> str | None:
    for line in lines:
        folded = fold(line)
        if "keo dai" in folded or "chuyen nguon" in folded:
            return PlanDecision.Revision.CARRY_OVER
        if "dieu chinh" in folded or "bo sung" in folded:
            return PlanDecision.Revision.ADJUSTMENT
    return None


_AUTHORITY_UNIT = re.compile(r"\b(tinh|thanh pho|huyen|thi xa|xa|phuong|thi tran)\s+([a-z][a-z ]*?)\s*$")


def unit_text_of_authority(authority: str) -> str | None:
    """ "UBND huyện Lộc Bình" → "Huyện Lộc Bình" (the unit whose body issued the decision)."""
    text = nfc(authority)
    folded = fold(text)
    m = _AUTHORITY_UNIT.search(folded)
    if not m:
        return None
    return text[m.start(1) :].strip()


# --- capital plans -----------------------------------------------------------------------------
REVISION_CHOICES = {
    PlanDecision.Revision.INITIAL: ["Giao đầu năm", "Giao kế hoạch", "Giao vốn", "Ban đầu", "Giao lần đầu"],
    PlanDecision.Revision.ADJUSTMENT: ["Điều chỉnh", "Bổ sung", "Điều chỉnh, bổ sung", "Điều chỉnh kế hoạch"],
    PlanDecision.Revision.CARRY_OVER: [
        "Kéo dài",
        "Kéo dài sang năm sau",
        "Chuyển nguồn",
        "Kéo dài thời gian",
    ],
}
UNIT_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
MAX_AMOUNT = 10**15


@register
class CapitalPlansImport(ImportKind):
    """Capital plan decisions and their lines (kế hoạch vốn: giao đầu năm, điều chỉnh, kéo dài).

    The decision — number, date, issuing body, plan year, kind — comes from the columns, else from
    the inputs given with the file, else from the title rows ("KẾ HOẠCH VỐN … NĂM 2018", "(Kèm theo
    Quyết định số 123/QĐ-UBND ngày 15/01/2018 của UBND tỉnh Lạng Sơn)"). Then one line per row.

    Columns (aliases in brackets):
    - Số quyết định (Quyết định; Số QĐ; Căn cứ), Ngày quyết định (Ngày QĐ; Ngày ban hành),
      Cơ quan giao (Cơ quan ban hành; Cấp giao; Đơn vị giao), Năm kế hoạch (Năm; Kế hoạch năm; Năm KH),
      Loại quyết định (Loại kế hoạch; Hình thức giao): giao đầu năm, điều chỉnh, kéo dài.
    - Chương trình (Mã chương trình; Thuộc chương trình) — code or name ("P135", "CT135", "Chương
      trình 135"); optional when the component's code names one programme.
    - Dự án thành phần (Dự án; Tiểu dự án; Nội dung; Mã dự án; Hợp phần) — required: code or name
      ("P135-1", "DA4", "Dự án 4").
    - Đơn vị thực hiện (Đơn vị; Xã; Huyện; Địa bàn; Đơn vị được giao) — required: the district or
      commune (with "Huyện"/"Xã" in front when names clash), valid in the plan year, in the importing
      user's area and under the assigning unit. Huyện (Huyện, thành phố; Thuộc huyện) — the commune's
      district, to tell apart communes of the same name; alone, it names the unit.
    - Nguồn vốn (Nguồn; Mã nguồn vốn) — required: code or name ("central", "NSTW", "Ngân sách trung ương").
    - Loại vốn (Vốn đầu tư/sự nghiệp; Tính chất vốn) — đầu tư or sự nghiệp; default: đầu tư.
    - Số tiền (Kế hoạch vốn; Số vốn; Vốn giao; Kế hoạch; Tổng số) — required; the unit in its header
      ("(triệu đồng)") or an "ĐVT: triệu đồng" line counts; an adjustment may be negative.
    The assigning unit (cấp giao) is the unit named in the issuing body ("UBND huyện Lộc Bình"), else
    the importing user's area (whose People's Committee is then the issuing body). Number, date and plan
    year are required (a December decision often plans the next year, so the year is never guessed from
    the date); the kind defaults to giao đầu năm, read as điều chỉnh or kéo dài when the title says so.
    A decision is identified by year, number and assigning unit; a line by component, unit, source and
    capital type: importing the file again changes nothing, a changed amount updates its line. Lines
    stored but missing from the file are kept. The rules of `services.create_plan_decision` apply per
    row: lines inside the assigning unit and the user's area, units and programme valid in the year, no
    negative line outside an adjustment, no cut below what was assigned, no carry-over above what is left.
    """

    slug = "capital-plans"
    label = gettext_lazy("Kế hoạch vốn (quyết định giao vốn)")
    description = gettext_lazy(
        "Quyết định giao, điều chỉnh, kéo dài kế hoạch vốn: số, ngày, cơ quan giao, năm (ghi ở dòng tiêu đề "
        "hoặc ở các cột), rồi mỗi dòng một khoản vốn theo dự án thành phần, đơn vị, nguồn và loại vốn."
    )
    order = 50
    plan_after_errors = True
    columns: ClassVar = (
        Text(
            "number",
            "Số quyết định",
            ("Quyết định", "Số QĐ", "Căn cứ", "Quyết định giao vốn"),
            max_length=64,
            example="123/QĐ-UBND",
            help="Để trống khi đã ghi ở dòng tiêu đề hoặc nhập kèm tệp.",
        ),
        Date("date", "Ngày quyết định", ("Ngày QĐ", "Ngày ban hành"), example="15/01/2018"),
        Text(
            "authority",
            "Cơ quan giao",
            ("Cơ quan ban hành", "Cấp giao", "Đơn vị giao", "Cơ quan giao vốn"),
            max_length=255,
            example="UBND tỉnh Lạng Sơn",
        ),
        Year("year", "Năm kế hoạch", ("Năm", "Kế hoạch năm", "Năm KH"), example="2018"),
        Choice(
            "revision",
            "Loại quyết định",
            ("Loại kế hoạch", "Hình thức giao", "Loại giao vốn"),
            choices=REVISION_CHOICES,
            example="Giao đầu năm",
        ),
        Text(
            "program",
            "Chương trình",
            ("Mã chương trình", "Thuộc chương trình", "Tên chương trình", "Chương trình, chính sách"),
            max_length=255,
            example="P135",
        ),
        Text(
            "component",
            "Dự án thành phần",
            (
                "Dự án",
                "Tiểu dự án",
                "Nội dung",
                "Mã dự án",
                "Hợp phần",
                "Dự án, tiểu dự án",
                "Nội dung đầu tư",
            ),
            required=True,
            max_length=255,
            example="P135-1",
        ),
        Text(
            "unit",
            "Đơn vị thực hiện",
            (
                "Đơn vị",
                "Tên đơn vị",
                "Địa bàn",
                "Đơn vị được giao",
                "Xã",
                *COMMUNE_ALIASES,
            ),
            required=True,
            max_length=128,
            example="Huyện Lộc Bình",
        ),
        Text(
            "district",
            "Huyện",
            DISTRICT_ALIASES,
            max_length=128,
            help="Huyện của xã (trước 01/07/2025), để phân biệt các xã trùng tên; một mình thì là đơn vị thực hiện.",
        ),
        Text(
            "source",
            "Nguồn vốn",
            ("Nguồn", "Mã nguồn vốn", "Nguồn vốn giao"),
            required=True,
            max_length=128,
            example="Ngân sách trung ương",
        ),
        Choice(
            "capital_type",
            "Loại vốn",
            ("Vốn đầu tư/sự nghiệp", "Tính chất vốn", "Loại nguồn vốn"),
            choices=CAPITAL_TYPE_CHOICES,
            example="Đầu tư",
        ),
        Money(
            "amount",
            "Số tiền",
            (
                "Kế hoạch vốn",
                "Số vốn",
                "Vốn giao",
                "Kế hoạch",
                "Tổng số",
                "Số vốn giao",
                "Vốn",
                "Kế hoạch giao",
            ),
            required=True,
            allow_negative=True,
            example="2.000.000.000",
        ),
    )
    options: ClassVar = (
        Option(Text("number", "Số quyết định", max_length=64, help="Cho các dòng không ghi số quyết định.")),
        Option(Date("date", "Ngày quyết định")),
        Option(Text("authority", "Cơ quan giao", max_length=255, help="Ví dụ: UBND tỉnh Lạng Sơn.")),
        Option(Year("year", "Năm kế hoạch")),
        Option(Choice("revision", "Loại quyết định", choices=REVISION_CHOICES)),
        Option(Text("program", "Chương trình", max_length=255, help="Mã hoặc tên chương trình của cả tệp.")),
    )
    examples: ClassVar = (
        (
            "123/QĐ-UBND",
            "15/01/2018",
            "UBND tỉnh Lạng Sơn",
            "2018",
            "Giao đầu năm",
            "P135",
            "P135-1",
            "Huyện Lộc Bình",
            "Ngân sách trung ương",
            "Đầu tư",
            "2.000.000.000",
        ),
    )

    def adjust_header(self, columns: dict[str, int], texts: dict[str, str]) -> None:
        if "unit" not in columns and "district" in columns:  # a lone "Huyện" column names the unit
            columns["unit"] = columns.pop("district")
            texts["unit"] = texts.pop("district")

    def read_preamble(self, ctx: ImportContext, lines: list[str]) -> None:
        title: dict[str, Any] = {}
        for line in lines:
            number, date = decision_from_text(line)
            if number and "number" not in title:
                title["number"], title["date"] = number, date
        title["year"] = year_from_title(lines)
        title["authority"] = authority_from_title(lines)
        title["revision"] = revision_from_title(lines)
        ctx.cache["title"] = title

    def _header_value(self, ctx: ImportContext, row: Row, key: str) -> Any:
        value = row.get(key)
        if value is None:
            value = ctx.options.get(key)
        if value is None:
            value = ctx.cache.get("title", {}).get(key)
        return value

    # -- prepare: references, decisions, rules ----------------------------------------------------
    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        programs = ProgramIndex()
        components = ComponentIndex()
        sources = SourceIndex()
        matcher = UnitMatcher(ctx.user, UNIT_LEVELS)
        default_program: Program | None = None
        if ctx.options.get("program"):
            try:
                default_program = programs.match(ctx.options["program"])
            except CatalogueError as exc:
                for row in rows:
                    row.error("program", str(exc))
                return
        groups: dict[tuple[int, str, int], list[Row]] = {}
        for row in rows:
            if not row.ok:
                continue
            header = self._decision_of(ctx, row, matcher)
            if header is None:
                continue
            year = header["year"]
            program = default_program
            if row.get("program"):
                try:
                    program = programs.match(row.values["program"])
                except CatalogueError as exc:
                    row.error("program", str(exc))
                    continue
            try:
                component = components.match(row.values["component"], program)
            except CatalogueError as exc:
                row.error("component", str(exc))
                continue
            program = component.program
            if year < program.start_year or (program.end_year is not None and year > program.end_year):
                row.error(
                    "year" if "year" in ctx.headers else "component",
                    _(
                        "Năm %(year)s ngoài thời gian của %(program)s. / %(year)s is outside the period of "
                        "%(program)s."
                    )
                    % {"year": year, "program": program.code},
                )
                continue
            unit = self._unit(ctx, row, matcher, year, header["unit"])
            if unit is None:
                continue
            try:
                source = sources.match(row.values["source"])
            except CatalogueError as exc:
                row.error("source", str(exc))
                continue
            amount = row.values["amount"]
            if amount == 0:
                row.error("amount", _("Số tiền phải khác 0. / The amount must not be zero."))
                continue
            if amount < 0 and header["revision"] != PlanDecision.Revision.ADJUSTMENT:
                row.error(
                    "amount",
                    _("Chỉ quyết định điều chỉnh mới có số âm. / Only an adjustment may be negative."),
                )
                continue
            if abs(amount) >= MAX_AMOUNT:
                row.error("amount", _("Số tiền quá lớn. / The amount is too large."))
                continue
            row.data["line"] = {
                "component_id": component.pk,
                "unit_id": unit.id,
                "source_id": source.pk,
                "capital_type": row.get("capital_type") or CapitalType.INVESTMENT,
                "amount_vnd": amount,
            }
            row.data["header"] = header
            group_key = (header["year"], header["number"].upper(), header["unit"].id)
            groups.setdefault(group_key, []).append(row)
        for members in groups.values():
            self._check_group(ctx, members)

    def _decision_of(self, ctx: ImportContext, row: Row, matcher: UnitMatcher) -> dict[str, Any] | None:
        number = self._header_value(ctx, row, "number")
        year = self._header_value(ctx, row, "year")
        date = self._header_value(ctx, row, "date")
        authority = self._header_value(ctx, row, "authority")
        revision = self._header_value(ctx, row, "revision") or PlanDecision.Revision.INITIAL
        missing = [
            (key, message)
            for key, value, message in (
                ("number", number, _("Thiếu số quyết định. / The decision number is missing.")),
                ("date", date, _("Thiếu ngày quyết định. / The decision date is missing.")),
                ("year", year, _("Thiếu năm kế hoạch. / The plan year is missing.")),
            )
            if not value
        ]
        for key, message in missing:
            row.error(key if key in ctx.headers else None, message)
        if missing:
            return None
        if not 2000 <= year <= 2100:
            row.error("year", _("Năm kế hoạch không hợp lệ. / Invalid plan year."))
            return None
        cache = ctx.cache.setdefault("decision_units", {})
        unit_key = (authority, year)
        unit = cache.get(unit_key)
        if unit is None:
            unit = cache[unit_key] = self._assigning_unit(ctx, authority or "", year, matcher)
        if isinstance(unit, str):
            row.error("authority" if "authority" in ctx.headers else None, unit)
            return None
        if not unit.overlaps(dt.date(year, 1, 1), dt.date(year, 12, 31)):
            row.error(
                "year" if "year" in ctx.headers else None,
                _("%(unit)s không còn hiệu lực trong năm %(year)s. / %(unit)s did not exist in %(year)s.")
                % {"unit": unit.full_name, "year": year},
            )
            return None
        if not authority:  # the People's Committee of the assigning unit
            name = unit.full_name
            authority = f"UBND {name[:1].lower()}{name[1:]}"
        return {
            "year": year,
            "number": nfc(number),
            "date": date,
            "authority": nfc(authority),
            "revision": revision,
            "unit": unit,
        }

    def _assigning_unit(
        self, ctx: ImportContext, authority: str, year: int, matcher: UnitMatcher
    ) -> UnitRef | str:
        """The unit whose body issued the decision ("UBND huyện Lộc Bình"), else the user's area."""
        during = (dt.date(year, 1, 1), dt.date(year, 12, 31))
        text = unit_text_of_authority(authority)
        if text:
            hint, _bare = split_prefix(text)
            levels = [str(KIND_LEVEL[Kind(hint)])] if hint else list(UNIT_LEVELS)
            try:
                return matcher.match(text, levels=levels, during=during)
            except MatchError as exc:
                return str(exc)
        scope = getattr(ctx.user, "scope", None)
        if scope is not None:
            found = matcher.units.get(scope.pk)
            if found is not None:
                return found
        roots = [u for u in matcher.units.values() if u.level == Level.PROVINCE and u.overlaps(*during)]
        if len(roots) == 1:
            return roots[0]
        return _(
            'Không xác định được cấp giao vốn; hãy ghi cơ quan giao, ví dụ "UBND tỉnh Lạng Sơn". / '
            'The assigning unit is unknown; write the issuing body, e.g. "UBND tỉnh Lạng Sơn".'
        )

    def _unit(
        self, ctx: ImportContext, row: Row, matcher: UnitMatcher, year: int, assigning: UnitRef
    ) -> UnitRef | None:
        text = row.values["unit"]
        hint, _bare = split_prefix(text)
        levels = [str(KIND_LEVEL[Kind(hint)])] if hint else [Level.DISTRICT, Level.COMMUNE]
        try:
            unit = matcher.match(
                text,
                levels=levels,
                during=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                parent=row.get("district"),
            )
        except MatchError as exc:
            if hint is None and assigning.level == Level.PROVINCE:  # "Lạng Sơn": the province itself
                try:
                    unit = matcher.match(text, levels=[Level.PROVINCE])
                except MatchError:
                    row.error("unit", str(exc))
                    return None
            else:
                row.error("unit", str(exc))
                return None
        if not unit.path.startswith(assigning.path):
            row.error(
                "unit",
                _(
                    "Đơn vị thực hiện phải thuộc cấp giao vốn (%(unit)s). / The unit must lie within the "
                    "assigning unit (%(unit)s)."
                )
                % {"unit": assigning.full_name},
            )
            return None
        return unit

    def _check_group(self, ctx: ImportContext, rows: list[Row]) -> None:
        """One decision: its header the same on every row, each line once."""
        first = rows[0].data["header"]
        seen: dict[tuple[Any, ...], int] = {}
        for row in rows:
            header = row.data["header"]
            for key in ("date", "authority", "revision"):
                if header[key] != first[key]:
                    row.error(
                        key if key in ctx.headers else None,
                        _(
                            "Khác dòng %(row)s của cùng quyết định. / Differs from row %(row)s of the same "
                            "decision."
                        )
                        % {"row": rows[0].number},
                    )
            line = row.data["line"]
            line_key = (line["component_id"], line["unit_id"], line["source_id"], line["capital_type"])
            if line_key in seen:
                row.error(None, duplicate_message(seen[line_key]))
            else:
                seen[line_key] = row.number

    # -- plan: compare with the stored decisions and lines ---------------------------------------
    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        valid = [r for r in rows if r.ok and "line" in r.data]
        if not valid:
            return
        years = sorted({r.data["header"]["year"] for r in valid})
        units = sorted({r.data["header"]["unit"].id for r in valid})
        stored: dict[tuple[int, str, int], dict[str, Any]] = {}
        decision_fields = ["id", "version", *bulk.snapshot_fields(PlanDecision)]
        for d in PlanDecision.objects.filter(year__in=years, unit_id__in=units).values(*decision_fields):
            stored[(d["year"], d["number"].upper(), d["unit_id"])] = d
        decision_ids = [d["id"] for d in stored.values()]
        lines: dict[tuple[int, int, int, int, str], dict[str, Any]] = {}
        line_fields = ["id", "version", *bulk.snapshot_fields(CapitalPlanLine)]
        for part in chunks(decision_ids):
            for ln in CapitalPlanLine.objects.filter(decision_id__in=part).values(*line_fields):
                lines[
                    (
                        ln["decision_id"],
                        ln["component_id"],
                        ln["unit_id"],
                        ln["source_id"],
                        ln["capital_type"],
                    )
                ] = ln
        decisions: dict[tuple[int, str, int], dict[str, Any]] = ctx.cache.setdefault("decisions", {})
        for row in valid:
            header = row.data["header"]
            key = (header["year"], header["number"].upper(), header["unit"].id)
            decision = decisions.get(key)
            if decision is None:
                decision = decisions[key] = self._plan_decision(header, stored.get(key), row)
            row.data["decision"] = decision
            line = row.data["line"]
            record = None
            if decision["stored"] is not None:
                record = lines.get(
                    (
                        decision["stored"]["id"],
                        line["component_id"],
                        line["unit_id"],
                        line["source_id"],
                        line["capital_type"],
                    )
                )
            row.data["stored"] = record
            if record is None:
                row.status = Status.CREATED
            elif record["amount_vnd"] != line["amount_vnd"]:
                row.status = Status.UPDATED
            else:
                row.status = Status.UNCHANGED
        for decision in decisions.values():
            first = decision["first_row"]
            if decision["changes"] and first.status == Status.UNCHANGED:
                first.status = Status.UPDATED
        self._check_against_plan(valid)

    def _plan_decision(
        self, header: dict[str, Any], stored: dict[str, Any] | None, row: Row
    ) -> dict[str, Any]:
        until = default_deadline(header["year"], header["revision"])
        values = {
            "year": header["year"],
            "revision": header["revision"],
            "authority": header["authority"],
            "number": header["number"],
            "date": header["date"],
            "unit_id": header["unit"].id,
        }
        if stored is None:
            return {"values": {**values, "disburse_until": until, "note": ""}, "stored": None, "changes": {},
                    "first_row": row}  # fmt: skip
        changes = {k: v for k, v in values.items() if k != "number" and stored[k] != v}
        if "revision" in changes:
            changes["disburse_until"] = until
        return {"values": values, "stored": stored, "changes": changes, "first_row": row}

    def _check_against_plan(self, rows: list[Row]) -> None:
        """An adjustment may not take a key below zero; a carry-over may not exceed what is left of the plan."""
        checked = [
            r
            for r in rows
            if r.data["header"]["revision"]
            in (PlanDecision.Revision.ADJUSTMENT, PlanDecision.Revision.CARRY_OVER)
        ]
        if not checked:
            return
        carry = PlanDecision.Revision.CARRY_OVER
        years = {r.data["header"]["year"] for r in checked}
        components = {r.data["line"]["component_id"] for r in checked}
        units = {r.data["line"]["unit_id"] for r in checked}
        qs = (
            CapitalPlanLine.objects.filter(decision__year__in=years, component__in=components, unit__in=units)
            .values("decision__year", "decision_id", "component", "unit", "source", "capital_type")
            .annotate(
                plan=Sum("amount_vnd", filter=~Q(decision__revision=carry)),
                carried=Sum("amount_vnd", filter=Q(decision__revision=carry)),
            )
        )
        known: dict[tuple[Any, ...], list[tuple[int, int, int]]] = {}
        for item in qs:
            key = (
                item["decision__year"],
                item["component"],
                item["unit"],
                item["source"],
                item["capital_type"],
            )
            known.setdefault(key, []).append((item["decision_id"], item["plan"] or 0, item["carried"] or 0))
        # Lines of the other decisions of this file count as if stored (an assignment and its cut together).
        in_file: dict[tuple[Any, ...], list[tuple[int, int, int]]] = {}
        stored_ids = {id(r.data["decision"]): r.data["decision"]["stored"] for r in rows}
        for r in rows:
            if stored_ids[id(r.data["decision"])] is not None:
                continue
            h, ln = r.data["header"], r.data["line"]
            key = (h["year"], ln["component_id"], ln["unit_id"], ln["source_id"], ln["capital_type"])
            is_carry = h["revision"] == carry
            in_file.setdefault(key, []).append(
                (
                    -id(r.data["decision"]),
                    0 if is_carry else ln["amount_vnd"],
                    ln["amount_vnd"] if is_carry else 0,
                )
            )
        for row in checked:
            header, line = row.data["header"], row.data["line"]
            decision = row.data["decision"]
            own = decision["stored"]["id"] if decision["stored"] else -id(decision)
            key = (
                header["year"],
                line["component_id"],
                line["unit_id"],
                line["source_id"],
                line["capital_type"],
            )
            entries = known.get(key, []) + in_file.get(key, [])
            plan = sum(p for d, p, _c in entries if d != own)
            carried = sum(c for d, _p, c in entries if d != own)
            if header["revision"] == PlanDecision.Revision.ADJUSTMENT and plan + line["amount_vnd"] < 0:
                row.error(
                    "amount",
                    _(
                        "Điều chỉnh giảm nhiều hơn kế hoạch đã giao (%(plan)s đồng). / The cut exceeds the capital "
                        "assigned (%(plan)s đồng)."
                    )
                    % {"plan": f"{plan:,}".replace(",", ".")},
                )
            if header["revision"] == carry and line["amount_vnd"] > plan - carried:
                row.error(
                    "amount",
                    _(
                        "Vốn kéo dài vượt kế hoạch năm %(year)s còn lại (%(left)s đồng). / The carry-over exceeds "
                        "what is left of the %(year)s plan (%(left)s đồng)."
                    )
                    % {"year": header["year"], "left": f"{plan - carried:,}".replace(",", ".")},
                )

    # -- write ---------------------------------------------------------------------------------
    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        writer = bulk.AuditWriter(ctx.actor_id)
        now = timezone.now()
        decisions: dict[tuple[int, str, int], dict[str, Any]] = ctx.cache.get("decisions", {})
        valid = [r for r in rows if r.ok and "decision" in r.data]
        used = {id(r.data["decision"]) for r in valid}
        for decision in decisions.values():
            if id(decision) not in used or decision.get("written"):
                continue
            decision["written"] = True
            stored = decision["stored"]
            if stored is None:
                values = decision["values"]
                pk = bulk.insert(PlanDecision, [values])[0]
                decision["id"] = pk
                writer.add(AuditEntry.Action.CREATE, PlanDecision, pk, _describe_decision(values), None,
                           bulk.snapshot(PlanDecision, values))  # fmt: skip
            else:
                decision["id"] = stored["id"]
                if decision["changes"]:
                    before = bulk.snapshot(PlanDecision, stored)
                    after_values = {**stored, **decision["changes"]}
                    bulk.update(
                        PlanDecision,
                        [
                            (
                                stored["id"],
                                {**decision["changes"], "version": stored["version"] + 1, "updated_at": now},
                            )
                        ],
                    )
                    writer.add(AuditEntry.Action.UPDATE, PlanDecision, stored["id"], _describe_decision(after_values),
                               before, bulk.snapshot(PlanDecision, after_values))  # fmt: skip
        created = [r for r in valid if r.status == Status.CREATED]
        records = [{**r.data["line"], "decision_id": r.data["decision"]["id"]} for r in created]
        ids = bulk.insert(CapitalPlanLine, records)
        writer.add_many(
            AuditEntry.Action.CREATE,
            CapitalPlanLine,
            (
                (pk, _describe_line(pk, rec), None, bulk.snapshot(CapitalPlanLine, rec))
                for pk, rec in zip(ids, records, strict=True)
            ),
        )
        updates = []
        for row in valid:
            if row.status != Status.UPDATED or row.data["stored"] is None:
                continue
            stored = row.data["stored"]
            amount = row.data["line"]["amount_vnd"]
            if stored["amount_vnd"] == amount:
                continue
            updates.append(
                (stored["id"], {"amount_vnd": amount, "version": stored["version"] + 1, "updated_at": now})
            )
            after = {**stored, "amount_vnd": amount}
            writer.add(AuditEntry.Action.UPDATE, CapitalPlanLine, stored["id"], _describe_line(stored["id"], after),
                       bulk.snapshot(CapitalPlanLine, stored), bulk.snapshot(CapitalPlanLine, after))  # fmt: skip
        bulk.update(CapitalPlanLine, updates)
        writer.flush()


def _describe_decision(values: dict[str, Any]) -> str:
    return f"{values['number']} ({values['year']})"


def _describe_line(pk: int, values: dict[str, Any]) -> str:
    return f"{values['decision_id']} {values['component_id']} {values['unit_id']} {values['amount_vnd']}"
