"""Spreadsheet imports of administrative units: `units`, `villages`, `classifications`, `unit-statistics`.

Each kind lists its columns below (the template workbook documents them too). Units are matched by
name — with or without "Xã"/"Phường"/"Thị trấn"/"Huyện"/"Thôn"/"Bản" in front, ignoring case and tone
marks — or by official code, within the importing user's area, as of a date; an unknown or ambiguous
name is a row error that names the candidates. `UnitMatcher` is public: other modules' imports
(works, households…) use it for their "Xã" and "Thôn/bản" columns.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from dantoc.core import audit
from dantoc.core.imports import bulk
from dantoc.core.imports.base import (
    ImportContext,
    ImportKind,
    ModelImportKind,
    Row,
    Status,
    chunks,
    duplicate_message,
)
from dantoc.core.imports.columns import Choice, Code, Date, Integer, Option, Text, Year
from dantoc.core.imports.registry import register
from dantoc.core.models import AuditEntry
from dantoc.core.scoping import user_scope_prefix
from dantoc.core.text import fold, nfc
from dantoc.geo.models import (
    KIND_LEVEL,
    AdminUnit,
    ClassificationType,
    Kind,
    Level,
    UnitChange,
    UnitClassification,
    UnitLineage,
    UnitStatistic,
)

DAY = dt.timedelta(days=1)
# Levels a unit may sit under (communes under a district before 2025, under the province after).
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    Level.PROVINCE: (),
    Level.DISTRICT: (Level.PROVINCE,),
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.VILLAGE: (Level.COMMUNE,),
}

# Folded prefixes naming a unit's kind, longest first ("Thị trấn Lộc Bình", "TT. Lộc Bình", "Bản Xâm").
_PREFIXES: list[tuple[str, str]] = sorted(
    [
        ("tinh", Kind.TINH),
        ("thanh pho truc thuoc trung uong", Kind.THANH_PHO_TW),
        ("huyen", Kind.HUYEN),
        ("quan", Kind.QUAN),
        ("thi xa", Kind.THI_XA),
        ("thanh pho", Kind.THANH_PHO),
        ("tp.", Kind.THANH_PHO),
        ("tp", Kind.THANH_PHO),
        ("xa", Kind.XA),
        ("x.", Kind.XA),
        ("phuong", Kind.PHUONG),
        ("p.", Kind.PHUONG),
        ("thi tran", Kind.THI_TRAN),
        ("tt.", Kind.THI_TRAN),
        ("tt", Kind.THI_TRAN),
        ("dac khu", Kind.DAC_KHU),
        ("thon", Kind.THON),
        ("ban", Kind.BAN),
        ("to dan pho", Kind.TO_DAN_PHO),
        ("tdp", Kind.TO_DAN_PHO),
        ("khoi pho", Kind.KHOI),
        ("khoi", Kind.KHOI),
        ("khu pho", Kind.KHOI),
        ("lang", Kind.LANG),
        ("ap", Kind.AP),
    ],
    key=lambda p: len(p[0]),
    reverse=True,
)
_SPLIT = re.compile(r"\s*[;\n]\s*")


@lru_cache(maxsize=65536)
def split_prefix(text: str) -> tuple[str | None, str]:
    """(kind named by a leading prefix, the name without it) — "Thị trấn Lộc Bình" → ("thi_tran", "Lộc Bình")."""
    name = " ".join(unicodedata.normalize("NFC", text).split())  # = dantoc.core.text.nfc
    folded = fold(name)
    for prefix, kind in _PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            rest = folded[len(prefix) :]
            if prefix.endswith(".") or rest[0] == " ":
                bare = name[len(prefix) :].strip(" .")
                if bare:
                    return str(kind), bare
    return None, name


_fold = lru_cache(maxsize=65536)(fold)


def name_key(text: str) -> str:
    return _fold(split_prefix(text)[1])


def _d(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "…"


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: int
    level: str
    kind: str
    code: str
    name: str
    parent_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    path: str

    def valid_on(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or self.valid_to >= on
        )

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= end) and (
            self.valid_to is None or self.valid_to >= start
        )

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]

    @property
    def full_name(self) -> str:
        return unit_label(self.kind, self.name)


def unit_label(kind: str, name: str) -> str:
    """The full name of a unit ("Thôn Nà Pàn"), as AdminUnit.full_name, without its per-call cost."""
    label = _kind_label(kind)
    return name if not label or _fold(name).startswith(_fold(label)) else f"{label} {name}"


@lru_cache(maxsize=64)
def _kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else ""


class MatchError(ValueError):
    pass


_FIELDS = ("id", "level", "kind", "code", "name", "parent_id", "valid_from", "valid_to", "path")


class UnitMatcher:
    """Units of some levels in the user's area, indexed by folded name and code (a couple of queries).

    `match()` finds one unit by name or code, valid on a date (or during a period), optionally under
    a named parent; it raises MatchError with a bilingual message naming the candidates.
    """

    def __init__(self, user: Any, levels: Iterable[str]) -> None:
        self.user = user
        self.levels = {str(lv) for lv in levels}
        prefix = user_scope_prefix(user)
        qs = AdminUnit.objects.filter(level__in=self.levels)
        if prefix is None:
            qs = qs.none()
        elif prefix:
            qs = qs.filter(path__startswith=prefix)
        self.units: dict[int, UnitRef] = {}
        self.by_name: dict[str, list[UnitRef]] = {}
        self.by_code: dict[str, list[UnitRef]] = {}
        for values in qs.values_list(*_FIELDS):
            self.add(UnitRef(*values))
        self._names: dict[int, tuple[str, str, str]] = {}  # ancestor id → (name key, code, full name)
        self._load_ancestors(self.units.values())
        self._outside: dict[str, list[UnitRef]] = {}
        self._memo: dict[tuple[Any, ...], UnitRef | MatchError] = {}

    def add(self, ref: UnitRef) -> None:
        self.units[ref.id] = ref
        for key in {name_key(ref.name), fold(ref.name)}:
            self.by_name.setdefault(key, []).append(ref)
        if ref.code:
            self.by_code.setdefault(ref.code, []).append(ref)

    def _load_ancestors(self, refs: Iterable[UnitRef]) -> None:
        ids = {a for r in refs for a in r.ancestor_ids} - set(self._names)
        for part in chunks(sorted(ids)):
            for pk, kind, name, code in AdminUnit.objects.filter(pk__in=part).values_list(
                "id", "kind", "name", "code"
            ):
                ref = UnitRef(pk, "", kind, code, name, None, None, None, "")
                self._names[pk] = (name_key(name), code, ref.full_name)

    def describe(self, ref: UnitRef) -> str:
        parent = self._names.get(ref.parent_id or 0)
        period = ""
        if ref.valid_from or ref.valid_to:
            period = f"{_d(ref.valid_from)}–{_d(ref.valid_to)}"
        extra = ", ".join(
            x for x in ((parent[2] if parent else ""), (f"mã {ref.code}" if ref.code else ""), period) if x
        )
        return f"{ref.full_name} ({extra})" if extra else ref.full_name

    def _outside_scope(self, key: str, levels: set[str]) -> list[UnitRef]:
        found = self._outside.get(key)
        if found is None:
            qs = AdminUnit.objects.filter(level__in=levels).filter(Q(name_folded=key) | Q(code=key))
            found = [UnitRef(*v) for v in qs.values_list(*_FIELDS)[:20]]
            self._outside[key] = found
        return [r for r in found if r.id not in self.units]

    def suggestions(self, key: str, levels: set[str], limit: int = 3) -> list[str]:
        names = sorted({fold(r.name) for refs in self.by_name.values() for r in refs if r.level in levels})
        hits = process.extract(key, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
        by_key = {fold(r.name): r for refs in self.by_name.values() for r in refs if r.level in levels}
        return [by_key[h[0]].full_name for h in hits]

    def match(
        self,
        text: str,
        *,
        levels: Iterable[str] | None = None,
        on: dt.date | None = None,
        during: tuple[dt.date, dt.date] | None = None,
        parent: str | None = None,
        code: str | None = None,
    ) -> UnitRef:
        """One unit by name or code; the same question asked again (rows of one commune) is answered from memory."""
        memo_key = (text, tuple(sorted(levels)) if levels else None, on, during, parent, code)
        found = self._memo.get(memo_key)
        if found is None:
            try:
                found = self._match(text, levels=levels, on=on, during=during, parent=parent, code=code)
            except MatchError as exc:
                found = exc
            self._memo[memo_key] = found
        if isinstance(found, MatchError):
            raise found
        return found

    def _match(
        self,
        text: str,
        *,
        levels: Iterable[str] | None,
        on: dt.date | None,
        during: tuple[dt.date, dt.date] | None,
        parent: str | None,
        code: str | None,
    ) -> UnitRef:
        wanted = {str(lv) for lv in levels} if levels else self.levels
        kind_hint, bare = split_prefix(text or "")
        key = _fold(bare)
        if code:
            candidates = [r for r in self.by_code.get(code, []) if r.level in wanted]
            shown = code
        else:  # `shown` is only needed for messages
            candidates = [
                r for r in self.by_name.get(key, []) or self.by_name.get(_fold(text), []) if r.level in wanted
            ]
            if not candidates and bare.isdigit():
                candidates = [r for r in self.by_code.get(bare, []) if r.level in wanted]
            shown = text
        if not candidates:
            outside = self._outside_scope(code or key, wanted)
            if outside:
                raise MatchError(
                    _('"%(name)s" nằm ngoài phạm vi của bạn. / "%(name)s" is outside your area.')
                    % {"name": shown}
                )
            close = self.suggestions(key, wanted) if not code else []
            if close:
                raise MatchError(
                    _(
                        'Không tìm thấy "%(name)s". Có phải: %(close)s? / "%(name)s" not found. '
                        "Did you mean: %(close)s?"
                    )
                    % {"name": shown, "close": "; ".join(close)}
                )
            raise MatchError(
                _('Không tìm thấy "%(name)s" trong phạm vi của bạn. / "%(name)s" was not found in your area.')
                % {"name": shown}
            )
        if kind_hint:
            same_kind = [r for r in candidates if r.kind == kind_hint]
            candidates = same_kind or candidates
        if parent:
            _p_kind, p_bare = split_prefix(parent)
            p_key = fold(p_bare)
            under = [
                r
                for r in candidates
                if any(
                    self._names.get(a, ("", "", ""))[0] == p_key
                    or self._names.get(a, ("", "", ""))[1] == p_bare
                    for a in r.ancestor_ids
                )
            ]
            if not under:
                raise MatchError(
                    _(
                        'Không có "%(name)s" thuộc "%(parent)s". Có: %(candidates)s. / '
                        'No "%(name)s" under "%(parent)s". Found: %(candidates)s.'
                    )
                    % {
                        "name": shown,
                        "parent": nfc(parent),
                        "candidates": "; ".join(self.describe(r) for r in candidates[:6]),
                    }
                )
            candidates = under
        timely = candidates
        if on is not None:
            timely = [r for r in candidates if r.valid_on(on)]
        elif during is not None:
            timely = [r for r in candidates if r.overlaps(*during)]
        if not timely:
            when = _d(on) if on else f"{_d(during[0])}–{_d(during[1])}" if during else ""
            raise MatchError(
                _(
                    '"%(name)s" không có hiệu lực vào %(when)s. Có: %(candidates)s. / '
                    '"%(name)s" is not valid on %(when)s. Found: %(candidates)s.'
                )
                % {
                    "name": shown,
                    "when": when,
                    "candidates": "; ".join(self.describe(r) for r in candidates[:6]),
                }
            )
        if len(timely) > 1:
            raise MatchError(
                _(
                    'Có %(count)d đơn vị "%(name)s": %(candidates)s. Hãy ghi thêm mã hoặc đơn vị cấp '
                    'trên. / %(count)d units match "%(name)s": %(candidates)s. Add the code or the '
                    "parent unit."
                )
                % {
                    "count": len(timely),
                    "name": shown,
                    "candidates": "; ".join(self.describe(r) for r in timely[:6]),
                }
            )
        return timely[0]


def _period_error(row: Row, start: dt.date | None, end: dt.date | None, column: str = "valid_to") -> bool:
    if start and end and end < start:
        row.error(column, _("Ngày kết thúc trước ngày bắt đầu. / The end date precedes the start date."))
        return True
    return False


PARENT_PATH = "__parent_path"  # carried with a new record, not a model field


# --- villages -----------------------------------------------------------------------------------
VILLAGE_KINDS = {
    Kind.THON: ["Thôn"],
    Kind.BAN: ["Bản"],
    Kind.TO_DAN_PHO: ["Tổ dân phố", "TDP"],
    Kind.KHOI: ["Khối phố", "Khối"],
    Kind.LANG: ["Làng"],
    Kind.AP: ["Ấp"],
}
COMMUNE_ALIASES = (
    "Xã, phường",
    "Xã/phường",
    "Xã, phường, thị trấn",
    "Xã (phường, thị trấn)",
    "Đơn vị cấp xã",
    "Tên xã",
    "Tên xã, phường",
    "Thuộc xã",
    "Tên đơn vị hành chính cấp xã",
    "Xã, phường, đặc khu",
)
DISTRICT_ALIASES = (
    "Huyện, thành phố",
    "Huyện/thành phố",
    "Tên huyện",
    "Thuộc huyện",
    "Huyện, thị xã, thành phố",
)
VILLAGE_ALIASES = (
    "Thôn/bản",
    "Thôn, bản, tổ dân phố",
    "Tên thôn",
    "Tên thôn, bản",
    "Tên thôn, bản, tổ dân phố",
    "Thôn",
    "Bản",
    "Tổ dân phố",
    "Thôn, bản, khối phố",
    "Tên thôn (bản, tổ dân phố)",
)


@register
class VillagesImport(ModelImportKind):
    """Villages (thôn, bản, tổ dân phố) under their commune.

    Columns (aliases in brackets):
    - Xã (Xã, phường; Xã, phường, thị trấn; Đơn vị cấp xã; Tên xã; Thuộc xã) — required: the commune's
      name with or without "Xã"/"Phường"/"Thị trấn", matched in the user's area as of "Hiệu lực từ"
      or the "Ngày áp dụng" given with the file (default today).
    - Huyện (Huyện, thành phố; Tên huyện) — optional, to tell apart communes of the same name.
    - Thôn, bản (Thôn/bản; Tên thôn; Tên thôn, bản; Tổ dân phố) — required; a leading "Thôn"/"Bản"/
      "Tổ dân phố" sets the kind.
    - Loại (Loại thôn) — thôn, bản, tổ dân phố, khối phố, làng, ấp.
    - Mã thôn (Mã; Mã số) — optional official code.
    - Hiệu lực từ (Từ ngày; Ngày thành lập), Hiệu lực đến (Đến ngày; Ngày giải thể), Ghi chú.
    A village is identified by its commune and its name ignoring tone marks: importing it again
    updates its spelling, kind, code, dates and note.
    """

    slug = "villages"
    label = gettext_lazy("Thôn, bản, tổ dân phố")
    description = gettext_lazy(
        "Danh sách thôn, bản, tổ dân phố theo xã. Xã được tìm theo tên (có hoặc không có chữ “Xã”, "
        "“Phường”, “Thị trấn”) trong phạm vi của người nhập, tại ngày hiệu lực."
    )
    order = 20
    model = AdminUnit
    key_fields = ("parent_id", "name_folded")
    value_fields = ("name", "kind", "code", "valid_from", "valid_to", "note")
    columns: ClassVar = (
        Text(
            "commune",
            "Xã",
            COMMUNE_ALIASES,
            required=True,
            example="Xã Lộc Bình",
            help="Tên xã, phường, thị trấn (có hoặc không có chữ “Xã”).",
            max_length=128,
        ),
        Text(
            "district",
            "Huyện",
            DISTRICT_ALIASES,
            example="Lộc Bình",
            help="Huyện (trước 01/07/2025), để phân biệt các xã trùng tên.",
            max_length=128,
        ),
        Text(
            "name",
            "Thôn, bản",
            VILLAGE_ALIASES,
            required=True,
            example="Thôn Nà Pàn",
            max_length=128,
            help="Tên thôn, bản, tổ dân phố; chữ “Thôn”/“Bản” ở đầu cho biết loại.",
        ),
        Choice("kind", "Loại", ("Loại thôn", "Loại đơn vị"), choices=VILLAGE_KINDS, example="Thôn"),
        Code("code", "Mã thôn", ("Mã", "Mã số", "Mã đơn vị")),
        Date(
            "valid_from", "Hiệu lực từ", ("Từ ngày", "Ngày thành lập", "Ngày hiệu lực"), example="01/07/2025"
        ),
        Date("valid_to", "Hiệu lực đến", ("Đến ngày", "Ngày giải thể", "Ngày hết hiệu lực"), year_end=True),
        Text("note", "Ghi chú", ("Ghi chú",), max_length=2000),
    )
    options: ClassVar = (
        Option(
            Date(
                "on",
                "Ngày áp dụng",
                help="Ngày dùng để tìm xã khi dòng không ghi “Hiệu lực từ” (mặc định: hôm nay).",
            )
        ),
    )
    examples: ClassVar = (
        ("Xã Lộc Bình", "", "Thôn Nà Pàn", "Thôn", "", "01/07/2025", "", ""),
        ("Đồng Bục", "Lộc Bình", "Bản Khiếng", "Bản", "", "", "30/06/2025", ""),
    )

    def resolve(self, ctx: ImportContext, rows: list[Row]) -> None:
        matcher = UnitMatcher(ctx.user, [Level.COMMUNE])
        on = ctx.options.get("on") or ctx.today
        for row in rows:
            if not row.ok:
                continue
            start, end = row.get("valid_from"), row.get("valid_to")
            if _period_error(row, start, end):
                continue
            when = start or (end if end and end < on else on)
            try:
                row.data["commune"] = matcher.match(
                    row.values["commune"], on=when, parent=row.get("district")
                )
            except MatchError as exc:
                row.error("commune", str(exc))

    def build(self, ctx: ImportContext, row: Row) -> dict[str, Any] | None:
        commune: UnitRef = row.data["commune"]
        given, headers = row.values, ctx.headers
        hint, name = split_prefix(given["name"])
        if hint not in VILLAGE_KINDS:
            hint, name = None, nfc(given["name"])
        values: dict[str, Any] = {"parent_id": commune.id, "name_folded": fold(name), "name": name}
        defaults = ctx.cache.get((commune.id, hint))  # shared by the rows of a commune (read only)
        if defaults is None:
            defaults = ctx.cache[(commune.id, hint)] = {
                "level": Level.VILLAGE,
                "kind": hint or Kind.THON,
                PARENT_PATH: commune.path,
                "valid_from": commune.valid_from,
                "valid_to": commune.valid_to,
            }
        kind = given.get("kind") or hint
        if kind or "kind" in headers:
            values["kind"] = kind or Kind.THON
        if "code" in headers:
            values["code"] = given.get("code") or ""
        start, end = given.get("valid_from"), given.get("valid_to")
        if "valid_from" in headers:
            values["valid_from"] = start = start or commune.valid_from
        if "valid_to" in headers:
            values["valid_to"] = end = end or commune.valid_to
        if start and commune.valid_from and start < commune.valid_from:
            row.error(
                "valid_from",
                _("Xã chỉ có hiệu lực từ %(date)s. / The commune is valid only from %(date)s.")
                % {"date": _d(commune.valid_from)},
            )
        if end and commune.valid_to and end > commune.valid_to:
            row.error(
                "valid_to",
                _("Xã chỉ có hiệu lực đến %(date)s. / The commune is valid only until %(date)s.")
                % {"date": _d(commune.valid_to)},
            )
        if "note" in headers:
            values["note"] = given.get("note") or ""
        row.data["defaults"] = defaults
        return values

    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        super().prepare(ctx, rows)
        self._check_codes(rows)

    def _check_codes(self, rows: list[Row]) -> None:
        """Official codes are unique per level and start date (a database constraint): report clashes per row."""
        coded = [r for r in rows if r.ok and r.data.get("values", {}).get("code")]
        if not coded:
            return
        seen: dict[tuple[str, Any], int] = {}
        for row in coded:
            v = row.data["values"]
            k = (v["code"], v.get("valid_from", row.data["defaults"].get("valid_from")))
            if k in seen:
                row.error("code", duplicate_message(seen[k]))
            seen[k] = row.number
        codes = sorted({c for c, _f in seen})
        taken: dict[tuple[str, Any], tuple[int | None, str]] = {}
        stored = AdminUnit.objects.filter(level=Level.VILLAGE).exclude(code="")
        queries = [stored] if len(codes) > 2000 else [stored.filter(code__in=part) for part in chunks(codes)]
        for qs in queries:  # many codes: one scan beats long IN lists
            for code, start, parent_id, folded in qs.values_list(
                "code", "valid_from", "parent_id", "name_folded"
            ):
                taken[(code, start)] = (parent_id, folded)
        for row in coded:
            v = row.data["values"]
            k = (v["code"], v.get("valid_from", row.data["defaults"].get("valid_from")))
            owner = taken.get(k)
            if owner is not None and owner != (v["parent_id"], v["name_folded"]):
                row.error(
                    "code",
                    _("Mã %(code)s đã dùng cho thôn khác. / Code %(code)s belongs to another village.")
                    % {"code": v["code"]},
                )

    def existing(self, ctx: ImportContext, keys: list[tuple[Any, ...]]) -> Iterable[dict[str, Any]]:
        parents = sorted({k[0] for k in keys})
        for part in chunks(parents):
            yield from AdminUnit.objects.filter(level=Level.VILLAGE, parent_id__in=part).values(
                *self.stored_fields()
            )

    def pick(self, candidates: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
        start = values.get("valid_from")
        for c in candidates:
            if start is not None and c["valid_from"] == start:
                return c
        return next((c for c in candidates if c["valid_to"] is None), candidates[0])

    def before_insert(self, ctx: ImportContext, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["path"] = f"{row[PARENT_PATH]}{row['id']}/"

    def after_create(self, ctx: ImportContext, ids: list[int], rows: list[dict[str, Any]]) -> None:
        bulk.update(
            AdminUnit, [(pk, {"path": f"{row[PARENT_PATH]}{pk}/"}) for pk, row in zip(ids, rows, strict=True)]
        )

    def describe(self, values: dict[str, Any]) -> str:
        return unit_label(values["kind"], values["name"])


# --- units --------------------------------------------------------------------------------------
LEVEL_CHOICES = {
    Level.PROVINCE: ["Tỉnh", "Cấp tỉnh"],
    Level.DISTRICT: ["Huyện", "Cấp huyện"],
    Level.COMMUNE: ["Xã", "Cấp xã"],
    Level.VILLAGE: ["Thôn", "Cấp thôn", "Bản"],
}
KIND_CHOICES = {str(k): [str(k.label)] for k in Kind}
KIND_CHOICES[Kind.TO_DAN_PHO].append("TDP")
KIND_CHOICES[Kind.THANH_PHO].append("Thành phố")
CHANGE_CHOICES = {
    UnitChange.ChangeKind.MERGE: ["Sáp nhập", "Nhập", "Hợp nhất"],
    UnitChange.ChangeKind.SPLIT: ["Chia tách", "Tách", "Chia"],
    UnitChange.ChangeKind.RENAME: ["Đổi tên"],
    UnitChange.ChangeKind.REPARENT: ["Điều chỉnh trực thuộc", "Chuyển trực thuộc"],
    UnitChange.ChangeKind.ABOLISH: ["Giải thể"],
}


@register
class UnitsImport(ImportKind):
    """Administrative units the loaded package lacks (historical units, e.g. Nhượng Bạn), with their changes.

    Columns (aliases in brackets):
    - Cấp — tỉnh, huyện, xã, thôn (optional: follows from Loại).
    - Loại — required: tỉnh, huyện, quận, thị xã, thành phố, xã, phường, thị trấn, đặc khu, thôn, bản…
    - Mã (Mã đơn vị; Mã số) — official code, optional.
    - Tên (Tên đơn vị; Tên đơn vị hành chính) — required.
    - Trực thuộc (Đơn vị cấp trên; Thuộc; Mã đơn vị cấp trên) — the parent's name or code: a unit of
      this file or a stored one valid at the unit's start (or end) date; required below province level.
    - Hiệu lực từ (Từ ngày; Ngày thành lập), Hiệu lực đến (Đến ngày; Ngày giải thể).
    - Đơn vị kế thừa (Sáp nhập vào; Đơn vị sau sắp xếp) — successor names or codes separated by ";",
      valid the day after "Hiệu lực đến": records the change (merge for one successor, split for more).
    - Hình thức thay đổi (Hình thức) — sáp nhập, chia tách, đổi tên, điều chỉnh trực thuộc, giải thể.
    - Tỷ lệ chia (%) — for a split, each successor's share, ";"-separated in the same order.
    - Số văn bản (Căn cứ; Số nghị quyết), Ngày văn bản — the legal basis; Ghi chú.
    System administrators only. A unit is identified by level, code and start date, or without a
    code by level, parent, folded name and start date. Such lists are short: units are written one
    by one through `AdminUnit.save()` (paths, folded names), audit entries in bulk.
    """

    slug = "units"
    label = gettext_lazy("Đơn vị hành chính (lịch sử, bổ sung)")
    description = gettext_lazy(
        "Đơn vị hành chính còn thiếu (đơn vị đã giải thể trước 2025…) kèm thay đổi sáp nhập, chia tách. "
        "Chỉ quản trị hệ thống."
    )
    admin_only = True
    order = 10
    columns: ClassVar = (
        Choice("level", "Cấp", ("Cấp hành chính",), choices=LEVEL_CHOICES),
        Choice(
            "kind", "Loại", ("Loại đơn vị", "Loại hình"), required=True, choices=KIND_CHOICES, example="Xã"
        ),
        Code("code", "Mã", ("Mã đơn vị", "Mã số", "Mã ĐVHC"), example="6355"),
        Text(
            "name",
            "Tên",
            ("Tên đơn vị", "Tên đơn vị hành chính"),
            required=True,
            max_length=128,
            example="Nhượng Bạn",
        ),
        Text(
            "parent",
            "Trực thuộc",
            ("Đơn vị cấp trên", "Thuộc", "Cấp trên", "Mã đơn vị cấp trên", "Tên đơn vị cấp trên"),
            max_length=128,
            example="Huyện Lộc Bình",
        ),
        Date("valid_from", "Hiệu lực từ", ("Từ ngày", "Ngày thành lập")),
        Date(
            "valid_to",
            "Hiệu lực đến",
            ("Đến ngày", "Ngày giải thể", "Ngày chấm dứt"),
            year_end=True,
            example="09/01/2020",
        ),
        Text(
            "successors",
            "Đơn vị kế thừa",
            ("Sáp nhập vào", "Kế thừa", "Đơn vị sau sắp xếp", "Chuyển thành"),
            max_length=1000,
            example="Xã Đồng Bục",
        ),
        Choice("change_kind", "Hình thức thay đổi", ("Hình thức", "Loại thay đổi"), choices=CHANGE_CHOICES),
        Text("shares", "Tỷ lệ chia (%)", ("Tỷ lệ", "Tỷ lệ (%)"), max_length=200),
        Text(
            "basis_number",
            "Số văn bản",
            ("Căn cứ", "Số nghị quyết", "Số quyết định", "Văn bản"),
            max_length=64,
            example="864/NQ-UBTVQH14",
        ),
        Date("basis_date", "Ngày văn bản", ("Ngày nghị quyết", "Ngày quyết định", "Ngày ban hành")),
        Text("note", "Ghi chú", (), max_length=2000),
    )
    examples: ClassVar = (
        (
            "Xã",
            "Xã",
            "6355",
            "Nhượng Bạn",
            "Huyện Lộc Bình",
            "",
            "09/01/2020",
            "Xã Đồng Bục",
            "Sáp nhập",
            "",
            "864/NQ-UBTVQH14",
            "10/01/2020",
            "",
        ),
    )

    # -- prepare: parse, resolve parents and successors --------------------------------------
    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        matcher = UnitMatcher(ctx.user, list(Level.values))
        file_units: dict[str, list[Row]] = {}
        for row in rows:
            if not row.ok:
                continue
            kind = row.values["kind"]
            level = row.get("level") or str(KIND_LEVEL[Kind(kind)])
            if KIND_LEVEL[Kind(kind)] != level:
                row.error(
                    "kind", _("Loại đơn vị không thuộc cấp đã ghi. / The kind does not belong to the level.")
                )
                continue
            _period_error(row, row.get("valid_from"), row.get("valid_to"))
            hint, name = split_prefix(row.values["name"])
            row.data.update(level=level, name=name if hint == kind else nfc(row.values["name"]))
            for key in {fold(row.data["name"]), row.get("code") or ""} - {""}:
                file_units.setdefault(key, []).append(row)
        for row in rows:
            if row.ok:
                self._resolve_parent(ctx, row, matcher, file_units)
        for row in rows:
            if row.ok and row.get("successors"):
                self._resolve_successors(row, matcher, file_units)
        seen: dict[tuple[Any, ...], int] = {}
        for row in rows:
            if row.ok:
                key = (
                    row.data["level"],
                    row.get("code") or fold(row.data["name"]),
                    row.data.get("parent_id") or f"row{getattr(row.data.get('parent_row'), 'number', '')}",
                    row.get("valid_from"),
                )
                if key in seen:
                    row.error(None, duplicate_message(seen[key]))
                seen[key] = row.number

    @staticmethod
    def _when(row: Row) -> dt.date:
        return row.get("valid_from") or row.get("valid_to") or dt.date.today()

    def _in_file(
        self,
        text: str,
        levels: Iterable[str],
        on: dt.date | None,
        file_units: dict[str, list[Row]],
        exclude: Row,
    ) -> list[Row]:
        key = text.strip() if text.strip().isdigit() else name_key(text)
        found = []
        for other in file_units.get(key, []):
            if other is exclude or not other.ok or other.data["level"] not in levels:
                continue
            start, end = other.get("valid_from"), other.get("valid_to")
            if on is None or ((start is None or start <= on) and (end is None or end >= on)):
                found.append(other)
        return found

    def _resolve_parent(
        self, ctx: ImportContext, row: Row, matcher: UnitMatcher, file_units: dict[str, list[Row]]
    ) -> None:
        level = row.data["level"]
        allowed = PARENT_LEVELS[level]
        parent_text = row.get("parent")
        if not allowed:
            if parent_text:
                row.error(
                    "parent", _("Đơn vị cấp tỉnh không có đơn vị cấp trên. / A province has no parent unit.")
                )
            elif not getattr(ctx.user, "is_system_admin", False) or ctx.scope_prefix:
                row.error(
                    "parent",
                    _("Chỉ quản trị toàn quốc được thêm tỉnh. / Only unscoped administrators add provinces."),
                )
            return
        if not parent_text:
            row.error("parent", _("Hãy ghi đơn vị cấp trên. / Enter the parent unit."))
            return
        when = self._when(row)
        in_file = self._in_file(parent_text, allowed, when, file_units, row)
        if len(in_file) == 1:
            row.data["parent_row"] = in_file[0]
            return
        try:
            code = parent_text.strip() if parent_text.strip().isdigit() else None
            ref = matcher.match(parent_text, levels=allowed, on=when, code=code)
        except MatchError as exc:
            row.error("parent", str(exc))
            return
        if not ctx.in_scope(AdminUnit(path=ref.path)):
            row.error(
                "parent", _("Đơn vị cấp trên nằm ngoài phạm vi của bạn. / The parent is outside your area.")
            )
            return
        row.data["parent_id"] = ref.id
        row.data["parent_ref"] = ref

    def _resolve_successors(self, row: Row, matcher: UnitMatcher, file_units: dict[str, list[Row]]) -> None:
        end = row.get("valid_to")
        if end is None:
            row.error(
                "valid_to",
                _(
                    "Có đơn vị kế thừa thì phải ghi ngày hết hiệu lực. / A unit with successors "
                    "needs its end date."
                ),
            )
            return
        date = end + DAY
        level = row.data["level"]
        successors: list[tuple[Row | None, int | None]] = []
        for text in [t for t in _SPLIT.split(row.values["successors"]) if t]:
            in_file = self._in_file(text, [level], date, file_units, row)
            if len(in_file) == 1:
                successors.append((in_file[0], None))
                continue
            try:
                code = text.strip() if text.strip().isdigit() else None
                ref = matcher.match(text, levels=[level], on=date, code=code)
                successors.append((None, ref.id))
            except MatchError as exc:
                row.error("successors", str(exc))
        shares: list[Decimal | None] = [None] * len(successors)
        if row.get("shares"):
            try:
                parts = [
                    Decimal(p.replace(",", ".").strip().rstrip("%"))
                    for p in _SPLIT.split(row.values["shares"])
                    if p.strip()
                ]
            except InvalidOperation:
                row.error("shares", _("Tỷ lệ phải là số. / Shares must be numbers."))
                return
            if len(parts) != len(successors):
                row.error(
                    "shares", _("Số tỷ lệ khác số đơn vị kế thừa. / As many shares as successors, please.")
                )
                return
            scale = Decimal(100) if sum(parts) > Decimal("1.5") else Decimal(1)
            shares = [p / scale for p in parts]
            if any(not (0 < s <= 1) for s in shares if s is not None):
                row.error(
                    "shares",
                    _(
                        "Mỗi tỷ lệ phải lớn hơn 0 và không quá 100%. / Each share must be above 0 and "
                        "at most 100%."
                    ),
                )
                return
        change_kind = row.get("change_kind") or (
            UnitChange.ChangeKind.SPLIT if len(successors) > 1 else UnitChange.ChangeKind.MERGE
        )
        row.data["change"] = (str(change_kind), date, successors, shares)

    # -- plan and write ----------------------------------------------------------------------
    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        valid = [r for r in rows if r.ok]
        depth = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.VILLAGE: 3}
        valid.sort(key=lambda r: depth[r.data["level"]])
        coded = {r.values["code"] for r in valid if r.get("code")}
        by_code: dict[tuple[str, str, Any], AdminUnit] = {}
        for part in chunks(sorted(coded)):
            for u in AdminUnit.objects.filter(code__in=part):
                by_code[(u.level, u.code, u.valid_from)] = u
        by_name: dict[tuple[Any, ...], AdminUnit] = {}
        names = {fold(r.data["name"]) for r in valid}
        for part in chunks(sorted(names)):
            qs = AdminUnit.objects.filter(name_folded__in=part)
            for u in qs:
                by_name.setdefault((u.level, u.parent_id, u.name_folded, u.valid_from), u)
        for row in valid:
            parent_row = row.data.get("parent_row")
            parent_id = row.data.get("parent_id")
            if parent_row is not None:
                parent_obj = parent_row.data.get("instance")
                parent_id = parent_obj.pk if parent_obj is not None and parent_obj.pk else None
            existing = None
            if row.get("code"):
                existing = by_code.get((row.data["level"], row.values["code"], row.get("valid_from")))
            if existing is None and (parent_id is not None or parent_row is None):
                existing = by_name.get(
                    (row.data["level"], parent_id, fold(row.data["name"]), row.get("valid_from"))
                )
            wanted = self._values(row, parent_id)
            if existing is None:
                row.status = Status.CREATED
                row.data["instance"] = AdminUnit(**{k: v for k, v in wanted.items() if k != "parent_id"})
                continue
            row.data["instance"] = existing
            changes = {
                k: v
                for k, v in wanted.items()
                if k != "parent_id" or parent_row is None
                if getattr(existing, k) != v
            }
            row.data["changes"] = changes
            row.status = Status.UPDATED if changes else Status.UNCHANGED
        self._plan_changes(valid)

    def _values(self, row: Row, parent_id: int | None) -> dict[str, Any]:
        return {
            "level": row.data["level"],
            "kind": row.values["kind"],
            "code": row.get("code", ""),
            "name": row.data["name"],
            "parent_id": parent_id,
            "valid_from": row.get("valid_from"),
            "valid_to": row.get("valid_to"),
            "note": row.get("note", ""),
        }

    def _plan_changes(self, rows: list[Row]) -> None:
        stored = [r.data["instance"].pk for r in rows if r.data.get("change") and r.data["instance"].pk]
        edges: set[tuple[int, int | None, dt.date]] = set()
        for part in chunks(stored):
            for pred, succ, date in UnitLineage.objects.filter(predecessor_id__in=part).values_list(
                "predecessor_id", "successor_id", "change__effective_date"
            ):
                edges.add((pred, succ, date))
        for row in rows:
            change = row.data.get("change")
            if not change:
                continue
            kind, date, successors, _shares = change
            pk = row.data["instance"].pk
            targets: list[int | None] = []
            for successor_row, successor_id in successors:
                if successor_id is None and successor_row is not None:
                    successor_id = getattr(successor_row.data.get("instance"), "pk", None)
                targets.append(successor_id)
            if not successors and kind == UnitChange.ChangeKind.ABOLISH:
                targets = [None]
            # New edges: a new unit or successor, or an edge not yet recorded on that date.
            missing = pk is None or any(
                (t is None and successors) or (pk, t, date) not in edges for t in targets
            )
            row.data["new_edges"] = bool(missing and targets)
            if missing and row.status == Status.UNCHANGED:
                row.status = Status.UPDATED

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        buffer = bulk.AuditWriter(ctx.actor_id)
        valid = [r for r in rows if r.ok]
        depth = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.VILLAGE: 3}
        valid.sort(key=lambda r: depth[r.data["level"]])
        for row in valid:
            unit: AdminUnit = row.data["instance"]
            parent_row = row.data.get("parent_row")
            parent_id = (
                parent_row.data["instance"].pk if parent_row is not None else row.data.get("parent_id")
            )
            if row.status == Status.CREATED:
                unit.parent_id = parent_id
                unit.save()
                buffer.add(
                    AuditEntry.Action.CREATE, AdminUnit, unit.pk, unit.full_name, None, audit.snapshot(unit)
                )
            elif row.data.get("changes"):
                before = audit.snapshot(unit)
                for k, v in row.data["changes"].items():
                    setattr(unit, k, v)
                if parent_row is not None:
                    unit.parent_id = parent_id
                unit.version += 1
                unit.save()
                buffer.add(
                    AuditEntry.Action.UPDATE, AdminUnit, unit.pk, unit.full_name, before, audit.snapshot(unit)
                )
        changes: dict[tuple[Any, ...], UnitChange] = {}
        for row in valid:
            if not row.data.get("new_edges"):
                continue
            kind, date, successors, shares = row.data["change"]
            unit = row.data["instance"]
            succ_ids = [s[1] if s[1] is not None else s[0].data["instance"].pk for s in successors]
            group = (
                kind,
                date,
                row.get("basis_number", ""),
                tuple(sorted(succ_ids)) if kind != "split" else unit.pk,
            )
            change = changes.get(group)
            if change is None:
                change = (
                    UnitChange.objects.filter(
                        kind=kind,
                        effective_date=date,
                        basis_number=row.get("basis_number", ""),
                        edges__successor_id__in=succ_ids or [0],
                    ).first()
                    if kind == UnitChange.ChangeKind.MERGE
                    else None
                )
                if change is None:
                    change = UnitChange.objects.create(
                        kind=kind,
                        effective_date=date,
                        basis_number=row.get("basis_number", ""),
                        basis_date=row.get("basis_date"),
                        note=row.get("note", ""),
                    )
                    buffer.add(
                        AuditEntry.Action.CREATE,
                        UnitChange,
                        change.pk,
                        str(change),
                        None,
                        audit.snapshot(change),
                    )
                changes[group] = change
            existing = set(
                UnitLineage.objects.filter(change=change, predecessor=unit).values_list(
                    "successor_id", flat=True
                )
            )
            targets: list[int | None] = list(succ_ids) or [None]
            for i, succ in enumerate(targets):
                if succ in existing:
                    continue
                share = shares[i] if successors and i < len(shares) else None
                edge = UnitLineage.objects.create(
                    change=change,
                    predecessor=unit,
                    successor_id=succ,
                    share=share,
                    is_primary=(i == 0 and kind == UnitChange.ChangeKind.SPLIT),
                )
                buffer.add(
                    AuditEntry.Action.CREATE, UnitLineage, edge.pk, str(edge), None, audit.snapshot(edge)
                )
        buffer.flush()


# --- classifications ----------------------------------------------------------------------------
_DECISION = re.compile(r"(?:quyet dinh|nghi quyet|qd|nq)\s*(?:so)?\s*:?\s*(\d+[\w./-]*)", re.IGNORECASE)
_DECISION_DATE = re.compile(
    r"ngay\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})|"
    r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})"
)


def decision_from_text(line: str) -> tuple[str | None, dt.date | None]:
    """("861/QĐ-TTg", 04/06/2021) from "… kèm theo Quyết định số 861/QĐ-TTg ngày 04/6/2021 …"."""
    folded = fold(line)
    number = None
    m = _DECISION.search(folded)
    if m:
        start, end = m.span(1)
        number = nfc(line)[start:end].strip(" .,;")
    date = None
    d = _DECISION_DATE.search(folded[m.end() if m else 0 :])
    if d:
        parts = [int(x) for x in d.groups() if x]
        try:
            date = dt.date(parts[2], parts[1], parts[0])
        except ValueError:
            date = None
    return number, date


@register
class ClassificationsImport(ModelImportKind):
    """A classification list: a decision (number and date), then its units.

    The decision may be given with the file, read from the title rows ("… Quyết định số 861/QĐ-TTg
    ngày 04/6/2021 …") or given per row. Columns (aliases in brackets):
    - Phân loại (Loại phân loại; Mã phân loại; Diện; Khu vực) — a classification type's code or name
      (required unless given with the file).
    - Tên đơn vị (Đơn vị; Tên xã; Xã, phường, thị trấn; Tên thôn; Thôn, bản) — required.
    - Mã đơn vị (Mã xã; Mã thôn) — optional; Thuộc (Huyện; Thuộc huyện; Thuộc xã; Đơn vị cấp trên).
    - Từ ngày (Hiệu lực từ; Áp dụng từ) — default: the decision date; Đến ngày (Hiệu lực đến).
    - Số quyết định (Quyết định; Số QĐ), Ngày quyết định (Ngày QĐ).
    Identified by unit, type and start date; a second import updates end date and basis.
    """

    slug = "classifications"
    label = gettext_lazy("Phân loại đơn vị (khu vực, ĐBKK, biên giới, CT135…)")
    description = gettext_lazy(
        "Danh sách đơn vị theo một quyết định phân loại: số và ngày quyết định, rồi các xã, thôn."
    )
    order = 30
    model = UnitClassification
    key_fields = ("unit_id", "type_id", "valid_from")
    value_fields = ("valid_to", "basis_number", "basis_date")
    columns: ClassVar = (
        Text(
            "type",
            "Phân loại",
            ("Loại phân loại", "Mã phân loại", "Diện", "Khu vực", "Loại"),
            max_length=128,
            example="Xã khu vực III",
        ),
        Text(
            "unit",
            "Tên đơn vị",
            (
                "Đơn vị",
                "Tên xã",
                "Tên xã, phường",
                "Xã, phường, thị trấn",
                "Tên thôn",
                "Thôn, bản",
                "Tên thôn, bản",
                "Tên xã, thôn",
                "Đơn vị hành chính",
            ),
            required=True,
            max_length=128,
            example="Xã Đồng Bục",
        ),
        Code("unit_code", "Mã đơn vị", ("Mã xã", "Mã thôn", "Mã")),
        Text(
            "parent",
            "Thuộc",
            ("Huyện", "Thuộc huyện", "Thuộc xã", "Xã", "Đơn vị cấp trên", "Huyện, thành phố"),
            max_length=128,
        ),
        Date("valid_from", "Từ ngày", ("Hiệu lực từ", "Áp dụng từ", "Từ năm")),
        Date("valid_to", "Đến ngày", ("Hiệu lực đến", "Áp dụng đến", "Đến năm"), year_end=True),
        Text("basis_number", "Số quyết định", ("Quyết định", "Số QĐ", "Căn cứ", "Văn bản"), max_length=64),
        Date("basis_date", "Ngày quyết định", ("Ngày QĐ", "Ngày ban hành")),
    )
    options: ClassVar = (
        Option(
            Text("decision_number", "Số quyết định", max_length=64, help="Áp dụng cho các dòng không ghi.")
        ),
        Option(Date("decision_date", "Ngày quyết định", help="Cũng là ngày hiệu lực mặc định.")),
        Option(
            Text("type", "Phân loại", max_length=128, help="Mã hoặc tên loại phân loại cho cả danh sách.")
        ),
    )
    examples: ClassVar = (
        ("Xã khu vực III", "Xã Đồng Bục", "", "Huyện Lộc Bình", "04/06/2021", "", "861/QĐ-TTg", "04/06/2021"),
    )

    def adjust_header(self, columns: dict[str, int], texts: dict[str, str]) -> None:
        if "unit" not in columns and "parent" in columns:  # a lone "Xã"/"Huyện" column names the unit
            columns["unit"] = columns.pop("parent")
            texts["unit"] = texts.pop("parent")

    def read_preamble(self, ctx: ImportContext, lines: list[str]) -> None:
        for line in lines:
            number, date = decision_from_text(line)
            if number and not ctx.options.get("decision_number"):
                ctx.options["decision_number"] = number
            if date and not ctx.options.get("decision_date"):
                ctx.options["decision_date"] = date

    def resolve(self, ctx: ImportContext, rows: list[Row]) -> None:
        types = TypeIndex(ClassificationType.objects.all())
        matcher = UnitMatcher(ctx.user, [Level.COMMUNE, Level.VILLAGE, Level.DISTRICT])
        default_type = ctx.options.get("type")
        for row in rows:
            if not row.ok:
                continue
            text = row.get("type") or default_type
            if not text:
                row.error("type", _("Thiếu loại phân loại. / The classification type is missing."))
                continue
            candidates = types.find(text)
            if not candidates:
                row.error(
                    "type",
                    _(
                        'Không có loại phân loại "%(value)s"; có: %(types)s. / Unknown classification '
                        '"%(value)s"; known: %(types)s.'
                    )
                    % {"value": text, "types": types.listing()},
                )
                continue
            start = row.get("valid_from") or row.get("basis_date") or ctx.options.get("decision_date")
            if start is None:
                row.error(
                    "valid_from",
                    _(
                        "Thiếu ngày hiệu lực (Từ ngày hoặc ngày quyết định). / The start date "
                        "(or the decision date) is missing."
                    ),
                )
                continue
            if _period_error(row, start, row.get("valid_to")):
                continue
            # "ĐBKK" names a commune type and a village type: the unit's level decides.
            found: list[tuple[ClassificationType, UnitRef]] = []
            first_error = ""
            for ctype in candidates:
                try:
                    unit = matcher.match(
                        row.values["unit"],
                        levels=[ctype.applies_to],
                        on=start,
                        parent=row.get("parent"),
                        code=row.get("unit_code"),
                    )
                    found.append((ctype, unit))
                except MatchError as exc:
                    first_error = first_error or str(exc)
            if len(found) != 1:
                row.error(
                    "unit" if not found else "type",
                    first_error
                    or _(
                        '"%(value)s" có thể là: %(types)s. Hãy ghi mã loại phân loại. / "%(value)s" may be: %(types)s. '
                        "Write the classification code."
                    )
                    % {"value": text, "types": "; ".join(f"{t.code} ({t.name})" for t, _u in found)},
                )
                continue
            row.data.update(type=found[0][0], unit=found[0][1], start=start)

    def build(self, ctx: ImportContext, row: Row) -> dict[str, Any] | None:
        number = row.get("basis_number") or ctx.options.get("decision_number") or ""
        if not number:
            row.error("basis_number", _("Thiếu số quyết định. / The decision number is missing."))
            return None
        return {
            "unit_id": row.data["unit"].id,
            "type_id": row.data["type"].pk,
            "valid_from": row.data["start"],
            "valid_to": row.get("valid_to"),
            "basis_number": nfc(number),
            "basis_date": row.get("basis_date") or ctx.options.get("decision_date"),
        }


def _compact(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", fold(text))


# Usual ways of writing the standard classification types in decisions and lists.
TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "region-1": ("Khu vực I", "KV I", "KV1", "Khu vực 1"),
    "region-2": ("Khu vực II", "KV II", "KV2", "Khu vực 2"),
    "region-3": ("Khu vực III", "KV III", "KV3", "Khu vực 3"),
    "dbkk-commune": ("ĐBKK", "Xã ĐBKK", "Đặc biệt khó khăn", "Xã đặc biệt khó khăn"),
    "dbkk-village": ("ĐBKK", "Thôn ĐBKK", "Đặc biệt khó khăn", "Thôn đặc biệt khó khăn", "Bản ĐBKK"),
    "border-commune": ("Biên giới", "Xã biên giới"),
    "atk-commune": ("ATK", "An toàn khu", "Xã ATK", "Xã an toàn khu"),
    "p135-commune": ("135", "CT135", "P135", "Chương trình 135", "Xã 135"),
    "p135-village": ("135", "CT135", "P135", "Chương trình 135", "Thôn 135"),
    "30a-district": ("30a", "Huyện 30a", "Huyện nghèo"),
}


class TypeIndex:
    """Classification types by code, name, the name without "Xã"/"Thôn", and the usual synonyms."""

    def __init__(self, types: Iterable[ClassificationType]) -> None:
        self.types = list(types)
        self.keys: dict[str, list[ClassificationType]] = {}
        for t in self.types:
            names = [t.code, t.name, split_prefix(t.name)[1], *TYPE_SYNONYMS.get(t.code, ())]
            names += re.findall(r"\(([^()]+)\)", t.name)
            for name in names:
                for key in {_compact(name), _compact(re.sub(r"\([^()]*\)", "", name))} - {""}:
                    bucket = self.keys.setdefault(key, [])
                    if t not in bucket:
                        bucket.append(t)

    def find(self, text: str) -> list[ClassificationType]:
        exact = [t for t in self.types if t.code == text.strip()]
        return exact or self.keys.get(_compact(text), [])

    def listing(self) -> str:
        return "; ".join(f"{t.code} ({t.name})" for t in self.types[:30])


# --- unit statistics ----------------------------------------------------------------------------
@register
class UnitStatisticsImport(ModelImportKind):
    """Population, households, ethnic-minority and poor households per unit and year (optionally per group).

    Columns (aliases in brackets):
    - Đơn vị (Tên đơn vị; Xã; Tên xã; Xã, phường, thị trấn; Địa bàn) — required; matched at the level
      given ("Cấp", default commune) unless its prefix says otherwise ("Huyện Lộc Bình"), among units
      valid during the year.
    - Mã đơn vị; Thuộc (Huyện; Thuộc huyện; Đơn vị cấp trên) to tell apart units of the same name.
    - Năm — required unless given with the file. Dân tộc (Tên dân tộc; Mã dân tộc) — optional.
    - Dân số (Số dân; Số nhân khẩu; Tổng số khẩu), Số hộ (Tổng số hộ), Số hộ DTTS (Hộ DTTS; Hộ dân tộc
      thiểu số), Số khẩu DTTS (Nhân khẩu DTTS; Số người DTTS), Số hộ nghèo (Hộ nghèo),
      Số hộ cận nghèo (Hộ cận nghèo). A group header "Số hộ" over "Tổng số", "DTTS", "Nghèo",
      "Cận nghèo" is understood.
    Identified by unit, year and ethnic group; only the figure columns present in the file are written.
    """

    slug = "unit-statistics"
    label = gettext_lazy("Số liệu dân số, hộ, hộ nghèo theo đơn vị")
    description = gettext_lazy(
        "Dân số, số hộ, hộ và nhân khẩu dân tộc thiểu số, hộ nghèo, cận nghèo theo đơn vị, năm và dân tộc."
    )
    order = 40
    model = UnitStatistic
    key_fields = ("unit_id", "year", "ethnic_group_id")
    value_fields = (
        "population",
        "households",
        "em_households",
        "em_population",
        "poor_households",
        "near_poor_households",
    )
    FIGURES: ClassVar = value_fields
    columns: ClassVar = (
        Text(
            "unit",
            "Đơn vị",
            (
                "Tên đơn vị",
                "Xã",
                "Tên xã",
                "Xã, phường, thị trấn",
                "Đơn vị hành chính",
                "Địa bàn",
                "Tên thôn",
                "Thôn, bản",
            ),
            required=True,
            max_length=128,
            example="Xã Lộc Bình",
        ),
        Code("unit_code", "Mã đơn vị", ("Mã xã", "Mã")),
        Text(
            "parent",
            "Thuộc",
            ("Huyện", "Thuộc huyện", "Thuộc xã", "Đơn vị cấp trên", "Huyện, thành phố"),
            max_length=128,
        ),
        Choice("level", "Cấp", (), choices=LEVEL_CHOICES),
        Year("year", "Năm", ("Năm số liệu",), example="2024"),
        Text("ethnic_group", "Dân tộc", ("Tên dân tộc", "Mã dân tộc"), max_length=64, example="Nùng"),
        Integer(
            "population",
            "Dân số",
            ("Số dân", "Tổng số dân", "Số nhân khẩu", "Nhân khẩu", "Tổng số khẩu", "Số khẩu", "Tổng dân số"),
            example="12.345",
        ),
        Integer("households", "Số hộ", ("Tổng số hộ", "Hộ", "Số hộ dân", "Số hộ tổng số")),
        Integer(
            "em_households",
            "Số hộ DTTS",
            ("Hộ DTTS", "Hộ dân tộc thiểu số", "Số hộ dân tộc thiểu số", "Số hộ đồng bào DTTS"),
        ),
        Integer(
            "em_population",
            "Số khẩu DTTS",
            (
                "Nhân khẩu DTTS",
                "Số nhân khẩu DTTS",
                "Số người DTTS",
                "Dân số DTTS",
                "Khẩu DTTS",
                "Số khẩu dân tộc thiểu số",
            ),
        ),
        Integer("poor_households", "Số hộ nghèo", ("Hộ nghèo",)),
        Integer("near_poor_households", "Số hộ cận nghèo", ("Hộ cận nghèo",)),
    )
    options: ClassVar = (
        Option(Year("year", "Năm", help="Năm của số liệu, khi tệp không có cột Năm.")),
        Option(Choice("level", "Cấp", choices=LEVEL_CHOICES, help="Cấp của đơn vị (mặc định: xã).")),
    )
    examples: ClassVar = (
        ("Xã Lộc Bình", "", "", "", "2024", "", "12.345", "3.100", "2.800", "11.200", "420", "310"),
    )

    def adjust_header(self, columns: dict[str, int], texts: dict[str, str]) -> None:
        if "unit" not in columns and "parent" in columns:
            columns["unit"] = columns.pop("parent")
            texts["unit"] = texts.pop("parent")

    def resolve(self, ctx: ImportContext, rows: list[Row]) -> None:
        from dantoc.geo.ethnic import EthnicMatcher
        from dantoc.geo.models import EthnicGroup

        groups = EthnicMatcher(EthnicGroup.objects.all())
        matcher = UnitMatcher(ctx.user, list(Level.values))
        default_level = ctx.options.get("level") or Level.COMMUNE
        for row in rows:
            if not row.ok:
                continue
            year = row.get("year") or ctx.options.get("year")
            if year is None:
                row.error("year", _("Thiếu năm. / The year is missing."))
                continue
            hint, _bare = split_prefix(row.values["unit"])
            level = row.get("level") or (str(KIND_LEVEL[Kind(hint)]) if hint else default_level)
            try:
                unit = matcher.match(
                    row.values["unit"],
                    levels=[level],
                    during=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
                    parent=row.get("parent"),
                    code=row.get("unit_code"),
                )
            except MatchError as exc:
                row.error("unit", str(exc))
                continue
            group = None
            if row.get("ethnic_group"):
                try:
                    group = groups.match(row.values["ethnic_group"])
                except ValueError as exc:
                    row.error("ethnic_group", str(exc))
                    continue
            row.data.update(unit=unit, year=year, group=group)
            self._check_totals(ctx, row)

    @staticmethod
    def _check_totals(ctx: ImportContext, row: Row) -> None:
        pairs = (
            ("em_households", "households"),
            ("poor_households", "households"),
            ("near_poor_households", "households"),
            ("em_population", "population"),
        )
        for part, whole in pairs:
            a, b = row.get(part), row.get(whole)
            if a is not None and b is not None and a > b:
                row.error(
                    part,
                    _('"%(part)s" lớn hơn "%(whole)s". / "%(part)s" exceeds "%(whole)s".')
                    % {"part": ctx.column_name(part), "whole": ctx.column_name(whole)},
                )

    def build(self, ctx: ImportContext, row: Row) -> dict[str, Any] | None:
        group = row.data["group"]
        values: dict[str, Any] = {
            "unit_id": row.data["unit"].id,
            "year": row.data["year"],
            "ethnic_group_id": group.pk if group is not None else None,
        }
        present = [f for f in self.FIGURES if f in ctx.headers]
        if not present:
            row.error(None, _("Tệp không có cột số liệu nào. / The file has no figure columns."))
            return None
        for name in present:
            values[name] = row.get(name)
        return values

    def existing(self, ctx: ImportContext, keys: list[tuple[Any, ...]]) -> Iterable[dict[str, Any]]:
        units = sorted({k[0] for k in keys})
        years = sorted({k[1] for k in keys})
        for part in chunks(units):
            yield from UnitStatistic.objects.filter(unit_id__in=part, year__in=years).values(
                *self.stored_fields()
            )

    def describe(self, values: dict[str, Any]) -> str:
        return f"{values['unit_id']} {values['year']}"
