"""Import kinds `households` (one row per person) and `support` (one row per household's support).

`households`: a row names a person and their household — by "Mã hộ" when the file has it, else a row whose
relation is "Chủ hộ" starts a household and the rows below belong to it. Places are matched by name in
the user's area as of the year; ID numbers are checked (format, province, century-and-sex digit); an ID
held by another person (stored or twice in the file) is a row error; likely duplicates (folded name +
birth year + village) are listed, never merged (`likely_duplicates_of_last_import()` and the review page).
Persons match stored ones by ID number, else by household + folded name + birth year, so the same file
imported twice reports everything unchanged.

`support`: the household is found by the head's ID number, else by folded name + birth year + village; a
record is identified by household × component × year × kind (importing again updates quantity and value).
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dantoc.core import parallel
from dantoc.core.imports import bulk
from dantoc.core.imports.base import (
    ImportContext,
    ImportKind,
    ModelImportKind,
    Row,
    Status,
    chunks,
)
from dantoc.core.imports.columns import (
    CellContext,
    CellError,
    Choice,
    Code,
    Column,
    Money,
    Number,
    Option,
    Text,
    Year,
)
from dantoc.core.imports.parsing import MAX_YEAR, MIN_YEAR, parse_date
from dantoc.core.imports.registry import register
from dantoc.core.models import AuditEntry
from dantoc.core.scoping import scoped
from dantoc.core.text import fold, nfc
from dantoc.geo.ethnic import UnknownEthnicGroup, ethnic_matcher
from dantoc.geo.imports import MatchError, UnitMatcher
from dantoc.geo.models import Level
from dantoc.households import dedup, search, summary
from dantoc.households.ids import id_number_errors, normalize_id_number
from dantoc.households.models import Household, Person, PovertyStatus, Relation, SupportKind, SupportRecord

_last_duplicates: contextvars.ContextVar[Sequence[dict[str, Any]]] = contextvars.ContextVar(
    "dantoc_household_import_duplicates", default=()
)


def likely_duplicates_of_last_import() -> list[dict[str, Any]]:
    """Likely duplicates found by the last `households` import in this thread (for the caller to show)."""
    return list(_last_duplicates.get())


class Birth(Column):
    """ "Ngày sinh": a date (dd/mm/yyyy, Excel date or serial) or a bare year → ("date", d) / ("year", y)."""

    type_label: ClassVar[Any] = gettext_lazy("Ngày sinh hoặc năm sinh")

    def convert(self, value: object, ctx: CellContext) -> Any:
        raw: object = value
        if isinstance(value, str):
            raw = self.text(value, ctx).strip()
            if raw.isdigit() and len(raw) == 4:
                raw = int(raw)
        number = isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer()
        if number and MIN_YEAR <= int(raw) <= MAX_YEAR:  # type: ignore[call-overload]
            return ("year", int(raw))  # type: ignore[call-overload]
        try:
            found = parse_date(raw)
        except (ValueError, OverflowError):
            found = None
        if found is None:
            raise CellError(
                _(
                    'Không phải ngày sinh hợp lệ (dd/mm/yyyy hoặc năm): "%(value)s". / Not a valid birth date '
                    '(dd/mm/yyyy or a year): "%(value)s".'
                )
                % {"value": str(value)[:60]}
            )
        return ("date", found)

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        """Years and dates repeat down a list: each distinct cell is read once (ASCII text needs no repair)."""
        slow = self.convert
        seen: dict[Any, Any] = {}
        memo = (int, float, str, dt.date, dt.datetime)

        def parse(value: Any) -> Any:
            if value.__class__ not in memo or (value.__class__ is str and not value.isascii()):
                return slow(value, ctx)
            found = seen.get(value)
            if found is None:
                found = slow(value, ctx)  # an invalid cell raises and is not remembered
                if len(seen) < 50_000:
                    seen[value] = found
            return found

        return parse


class IdNumber(Column):
    """An ID number: digits only, a leading zero lost by Excel put back."""

    type_label: ClassVar[Any] = gettext_lazy("Số định danh")

    def convert(self, value: object, ctx: CellContext) -> Any:
        raw = self.text(value, ctx) if isinstance(value, str) else value
        return normalize_id_number(raw) or None

    def parser(self, ctx: CellContext) -> Callable[[Any], Any]:
        slow = self.convert

        def parse(value: Any) -> Any:
            if value.__class__ is str and len(value) in (9, 12) and value.isascii() and value.isdigit():
                return value  # already what normalising would give
            return slow(value, ctx)

        return parse


RELATIONS = {
    Relation.HEAD: ("Chủ hộ", "Chủ", "CH", "Chủ hộ gia đình"),
    Relation.SPOUSE: ("Vợ/chồng", "Vợ", "Chồng", "Vợ chồng"),
    Relation.CHILD: ("Con", "Con trai", "Con gái", "Con dâu", "Con rể", "Con nuôi"),
    Relation.PARENT: ("Bố/mẹ", "Bố", "Mẹ", "Cha", "Bố đẻ", "Mẹ đẻ", "Bố chồng", "Mẹ chồng", "Bố vợ", "Mẹ vợ"),
    Relation.GRANDCHILD: ("Cháu", "Cháu nội", "Cháu ngoại"),
    Relation.SIBLING: ("Anh/chị/em", "Anh", "Chị", "Em", "Anh trai", "Chị gái", "Em trai", "Em gái"),
    Relation.OTHER: ("Khác", "Ông", "Bà", "Ông nội", "Bà nội", "Ông ngoại", "Bà ngoại"),
}
SEXES = {"M": ("Nam", "Trai", "M", "Male"), "F": ("Nữ", "Gái", "F", "Female")}
POVERTY = {
    PovertyStatus.Status.POOR: ("Nghèo", "Hộ nghèo", "HN"),
    PovertyStatus.Status.NEAR_POOR: ("Cận nghèo", "Hộ cận nghèo", "CN", "HCN"),
    PovertyStatus.Status.ESCAPED: ("Thoát nghèo", "Hộ thoát nghèo", "Mới thoát nghèo"),
    PovertyStatus.Status.NONE: ("Không", "Không thuộc diện", "Hộ khác", "Bình thường", "Không nghèo"),
}
SUPPORT_KINDS = {
    SupportKind.LIVESTOCK: (
        "Con giống",
        "Giống vật nuôi",
        "Bò giống",
        "Trâu giống",
        "Lợn giống",
        "Dê giống",
        "Gà giống",
        "Vịt giống",
        "Bò",
        "Trâu",
        "Lợn",
        "Dê",
        "Gia súc",
        "Gia cầm",
    ),
    SupportKind.SEEDLINGS: (
        "Cây giống",
        "Giống cây trồng",
        "Giống cây",
        "Cây ăn quả",
        "Lúa giống",
        "Ngô giống",
    ),
    SupportKind.FERTILISER: ("Phân bón", "Phân", "Phân bón hoá học", "Vật tư nông nghiệp"),
    SupportKind.MACHINERY: ("Máy móc", "Máy móc, công cụ", "Máy móc thiết bị", "Công cụ", "Máy", "Nông cụ"),
    SupportKind.CASH: ("Tiền mặt", "Tiền", "Hỗ trợ tiền"),
    SupportKind.PRODUCTION_LAND: ("Đất sản xuất", "Đất", "Hỗ trợ đất sản xuất"),
    SupportKind.HOUSING: ("Nhà ở", "Nhà", "Làm nhà", "Sửa nhà", "Hỗ trợ nhà ở"),
    SupportKind.DOMESTIC_WATER: ("Nước sinh hoạt", "Nước", "Bể nước", "Téc nước", "Nước sạch"),
    SupportKind.VOCATIONAL_TRAINING: ("Đào tạo nghề", "Học nghề", "Dạy nghề", "Chuyển đổi nghề"),
    SupportKind.OTHER: ("Khác",),
}

NAME_ALIASES = ("Họ tên", "Họ và tên thành viên", "Họ tên nhân khẩu", "Tên", "Họ và tên người")
VILLAGE_ALIASES = (
    "Thôn",
    "Bản",
    "Thôn, bản",
    "Thôn/bản/tổ",
    "Tên thôn",
    "Thôn, bản, tổ dân phố",
    "Địa chỉ thôn",
)
COMMUNE_ALIASES = ("Xã, phường", "Xã/phường", "Xã, phường, thị trấn", "Tên xã", "Đơn vị cấp xã")
ID_ALIASES = (
    "Số CMND/CCCD",
    "Số CCCD/CMND",
    "CCCD",
    "CMND",
    "Số CMND",
    "Số định danh",
    "Số định danh cá nhân",
    "Số CCCD/ĐDCN",
    "Số căn cước",
)
ETHNIC_ALIASES = ("Dân tộc", "DT", "Thành phần dân tộc")


def _on(year: int | None, today: dt.date) -> dt.date:
    """The date a place is looked up on for a year: its last day (today for the current year and later)."""
    if year is None:
        return today
    return min(dt.date(year, 12, 31), today)


def _in_scope(user: Any, household_ids: Iterable[int]) -> set[int]:
    """The given households that lie in the user's area."""
    out: set[int] = set()
    for part in chunks(sorted(set(household_ids))):
        out.update(scoped(Household.objects.filter(pk__in=part), user).values_list("pk", flat=True))
    return out


def _stored_heads(
    names: Iterable[str], villages: Iterable[int], years: Iterable[int] | None = None, id_less: bool = False
) -> Iterator[tuple[str, int, int, int, str]]:
    """(folded name, birth year, village, household, ID number) of the stored heads of household with one of
    the folded names in one of the villages (and, when given, born in one of the years; with `id_less`, only
    those stored without an ID number): how a list without known ID numbers finds its households."""
    village_ids = list(villages)
    narrower: dict[str, Any] = {} if years is None else {"birth_year__in": sorted(set(years))}
    if id_less:
        narrower["id_number"] = ""
    for part in chunks(sorted(names)):
        yield from (
            Person.objects.filter(
                name_folded__in=part,
                relation=Relation.HEAD,
                merged_into__isnull=True,
                household__village_id__in=village_ids,
                **narrower,
            )
            .order_by()  # no sort by household code (the default ordering)
            .values_list("name_folded", "birth_year", "household__village_id", "household_id", "id_number")
        )


def _place(ctx: ImportContext, matcher: UnitMatcher, row: Row, year: int | None) -> Any:
    """The village of a row (under its commune when given), or None with a row error."""
    village, commune = row.get("village"), row.get("commune")
    if not village:
        return None
    try:
        return matcher.match(village, levels=[Level.VILLAGE], on=_on(year, ctx.today), parent=commune)
    except MatchError as exc:
        row.error("village", str(exc))
        return None


def _duplicates_notice(pairs: int, rows: list[Row]) -> dict[str, str]:
    """Where to decide on the likely duplicates an import found: the review page of their commune."""
    communes = {r.data["household"]["village"].parent_id for r in rows}
    return {
        "message": _(
            "Cặp người có thể là một (họ tên, năm sinh, thôn gần giống): %(n)s. Không có gì được gộp tự động; "
            "hãy xem và quyết định. / Pairs of persons who may be the same (similar name, birth year, "
            "village): %(n)s. Nothing was merged; review them and decide."
        )
        % {"n": pairs},
        "route": "households:duplicates",  # resolved where the notice is shown
        "query": urlencode({"unit": next(iter(communes))}) if len(communes) == 1 else "",
        "label": str(_("Hồ sơ có thể trùng")),
    }


def _changes_anything(info: dict[str, Any]) -> bool:
    plan = info.get("poverty_plan")
    return bool(
        info.get("changes")
        or (plan is not None and plan[0] != "same")
        or any(r.status in (Status.CREATED, Status.UPDATED) for r in info["members"])
    )


class _PersonMemo:
    """Per-import memos of what lists repeat: names (NFC and folded), ethnic groups, and the ID checks,
    which depend only on the first six digits of a CCCD, the birth year and the sex."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self._names: dict[str, tuple[str, str]] = {}
        self._ethnic: dict[str, int | str] = {}
        self._ids: dict[tuple[str, int | None, str | None], list[str]] = {}

    def name(self, raw: str) -> tuple[str, str]:
        found = self._names.get(raw)
        if found is None:
            name = nfc(raw)
            found = (name, fold(name))
            if len(self._names) < self.LIMIT:
                self._names[raw] = found
        return found

    def ethnic(self, text: str) -> int | str:
        """The group's id, or the message saying why the name is not one."""
        found = self._ethnic.get(text)
        if found is None:
            try:
                found = int(ethnic_matcher().match(text).pk)
            except UnknownEthnicGroup as exc:
                found = str(exc)
            self._ethnic[text] = found
        return found

    def id_errors(self, number: str, year: int | None, sex: str | None) -> list[str]:
        if len(number) != 12 or not number.isdigit():
            return id_number_errors(number, year, sex)
        key = (number[:6], year, sex)
        found = self._ids.get(key)
        if found is None:
            found = id_number_errors(number, year, sex)
            if len(self._ids) < self.LIMIT:
                self._ids[key] = found
        return found


@register
class HouseholdsImport(ImportKind):
    """Households and their members, one row per person (see the module docstring)."""

    slug = "households"
    label = gettext_lazy("Hộ gia đình, nhân khẩu")
    description = gettext_lazy(
        "Danh sách nhân khẩu theo hộ: mỗi dòng một người. Không có cột “Mã hộ” thì dòng “Chủ hộ” mở một hộ "
        "mới và các dòng dưới thuộc hộ đó. Thôn, xã được tìm theo tên trong phạm vi của người nhập."
    )
    order = 60
    sheet_hints: ClassVar = ("nhan khau", "ho gia dinh", "danh sach")
    columns: ClassVar = (
        Code("household_code", "Mã hộ", ("Mã số hộ", "Mã hộ gia đình", "Số hộ")),
        Text("full_name", "Họ và tên", NAME_ALIASES, required=True, max_length=128, example="Vi Thị Mai"),
        Choice(
            "relation",
            "Quan hệ với chủ hộ",
            ("Quan hệ", "Quan hệ với CH", "QH với chủ hộ"),
            choices=RELATIONS,
            example="Chủ hộ",
        ),
        Birth(
            "birth_date",
            "Ngày sinh",
            ("Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Sinh ngày"),
            example="15/03/1986",
        ),
        Year("birth_year", "Năm sinh", ("Năm sinh (yyyy)",), example="1986"),
        Choice("sex", "Giới tính", ("Giới", "GT", "Nam/Nữ"), choices=SEXES, example="Nữ"),
        Text("ethnic", "Dân tộc", ETHNIC_ALIASES[1:], max_length=64, example="Nùng"),
        IdNumber("id_number", "Số CCCD", ID_ALIASES, example="020186001456"),
        Text("village", "Thôn/bản", VILLAGE_ALIASES, max_length=128, example="Nà Pàn"),
        Text("commune", "Xã", COMMUNE_ALIASES, max_length=128, example="Lộc Bình"),
        Choice(
            "poverty",
            "Phân loại hộ",
            ("Phân loại", "Diện hộ", "Hộ nghèo/cận nghèo"),
            choices=POVERTY,
            example="Nghèo",
        ),
        # not "Năm" alone: it folds like "Nam" (male), which would read a data row as a header row
        Year("year", "Năm rà soát", ("Năm phân loại", "Năm phân loại hộ", "Năm xét duyệt"), example="2018"),
    )
    options: ClassVar = (
        Option(Year("year", "Năm", help="Năm của danh sách (rà soát hộ nghèo), khi tệp không có cột “Năm”.")),
        Option(Text("source", "Nguồn", help="Nguồn phân loại hộ (quyết định phê duyệt kết quả rà soát).")),
    )
    examples: ClassVar = (
        (
            "",
            "Vi Thị Mai",
            "Chủ hộ",
            "15/03/1986",
            "",
            "Nữ",
            "Nùng",
            "020186001456",
            "Nà Pàn",
            "Lộc Bình",
            "Nghèo",
            "2018",
        ),
        ("", "Hoàng Văn Nam", "Con", "2010", "", "Nam", "Nùng", "", "", "", "", ""),
    )

    # --- prepare: parse, group into households, resolve places, check IDs -------------------------
    def prepare(self, ctx: ImportContext, rows: list[Row]) -> None:
        _last_duplicates.set([])
        matcher = UnitMatcher(ctx.user, [Level.COMMUNE, Level.VILLAGE])
        option_year = ctx.options.get("year")
        groups: dict[Any, list[Row]] = {}
        current: list[Row] | None = None
        has_code = "household_code" in ctx.headers
        for row in rows:
            self._person(ctx, row)
            v = row.values
            year = v.get("year") or option_year
            row.data["year"] = year
            if v.get("poverty") and year is None:
                row.error(
                    "year",
                    _(
                        "Thiếu năm phân loại hộ (cột “Năm” hoặc tuỳ chọn Năm). / The year of the "
                        "household classification is missing (a “Năm” column or the Year option)."
                    ),
                )
            code = v.get("household_code") if has_code else None
            if code:
                group = groups.setdefault(("code", code), [])
            elif v.get("relation") == Relation.HEAD:
                group = groups.setdefault(("row", row.number), [])
            elif current is not None and not has_code:
                group = current
            else:
                row.error(
                    "relation",
                    _(
                        "Dòng không thuộc hộ nào: chưa có dòng “Chủ hộ” phía trên hoặc thiếu mã hộ. / "
                        "The row belongs to no household: no “Chủ hộ” row above it, or no household "
                        "code."
                    ),
                )
                continue
            group.append(row)
            current = group
            row.data["village"] = _place(ctx, matcher, row, year) if v.get("village") else None
        for key, members in groups.items():
            self._household(ctx, key, members)
        self._check_ids(rows)

    def _person(self, ctx: ImportContext, row: Row) -> None:
        memo = ctx.cache.get("person_memo")
        if memo is None:
            memo = ctx.cache["person_memo"] = _PersonMemo()
        v = row.values  # column key → parsed value (None when empty); read directly, once per cell
        birth = v.get("birth_date")
        year, date = v.get("birth_year"), None
        if birth is not None:
            if birth[0] == "date":
                date = birth[1]
                if year is not None and year != date.year:
                    row.error(
                        "birth_year",
                        _(
                            "Năm sinh khác năm của ngày sinh. / The birth year differs from the "
                            "birth date's year."
                        ),
                    )
                year = date.year
            else:
                year = year or birth[1]
        if year is None:
            row.error("birth_date", _("Thiếu ngày sinh hoặc năm sinh. / The birth date or year is missing."))
        elif year > ctx.today.year:
            row.error("birth_date", _("Năm sinh ở tương lai. / The birth year is in the future."))
        sex, relation = v.get("sex"), v.get("relation")
        if not sex:
            row.error("sex", _("Thiếu giới tính (Nam/Nữ). / The sex (Nam/Nữ) is missing."))
        if not relation and "household_code" not in ctx.headers:
            row.error("relation", _("Thiếu quan hệ với chủ hộ. / The relation to the head is missing."))
        ethnic = v.get("ethnic")
        group = None
        if ethnic:
            group = memo.ethnic(ethnic)
            if group.__class__ is str:
                row.error("ethnic", group)
                group = None
        else:
            row.error("ethnic", _("Thiếu dân tộc. / The ethnic group is missing."))
        name, folded = memo.name(v.get("full_name") or "")
        number = v.get("id_number") or ""
        if number:
            for message in memo.id_errors(number, year, sex):
                row.error("id_number", message)
        row.data["person"] = {
            "full_name": name,
            "name_folded": folded,
            "sex": sex,
            "birth_date": date,
            "birth_year": year,
            "ethnic_group_id": group,
            "id_number": number,
            "relation": relation or Relation.OTHER,
        }

    def _household(self, ctx: ImportContext, key: tuple[str, Any], members: list[Row]) -> None:
        village = next((r.data["village"] for r in members if r.data.get("village")), None)
        named = [r for r in members if r.get("village")]
        if village is None and not any(r.errors for r in named):
            members[0].error("village", _("Thiếu thôn/bản của hộ. / The household's village is missing."))
        heads = [r for r in members if r.get("relation") == Relation.HEAD]
        if len(heads) > 1:
            for r in heads[1:]:
                r.error(
                    "relation",
                    _("Hộ có hai chủ hộ (dòng %(row)s). / The household has two heads (row %(row)s).")
                    % {"row": heads[0].number},
                )
        for r in named:
            ref = r.data.get("village")
            if village is not None and ref is not None and ref.id != village.id:
                r.error("village", _("Khác thôn với chủ hộ. / Not the same village as the head."))
        statuses = {r.get("poverty") for r in members if r.get("poverty")}
        if len(statuses) > 1:
            members[0].error(
                "poverty",
                _(
                    "Các dòng của hộ ghi phân loại khác nhau. / The household's rows give "
                    "different classifications."
                ),
            )
        info = {
            "key": key,
            "code": key[1] if key[0] == "code" else None,
            "village": village,
            "head": heads[0] if heads else None,
            "members": members,
            "poverty": next(iter(statuses), None),
            "year": next((r.data["year"] for r in members if r.data.get("year")), None),
        }
        for r in members:
            r.data["household"] = info

    def _check_ids(self, rows: list[Row]) -> None:
        first: dict[str, int] = {}
        for row in rows:
            number = row.data.get("person", {}).get("id_number")
            if not number:
                continue
            if number in first:
                row.error(
                    "id_number",
                    _("Số định danh %(n)s trùng với dòng %(row)s. / ID number %(n)s duplicates row %(row)s.")
                    % {"n": number, "row": first[number]},
                )
            else:
                first[number] = row.number

    # --- plan: compare with the database ------------------------------------------------------------
    def plan(self, ctx: ImportContext, rows: list[Row]) -> None:
        households = {id(r.data["household"]): r.data["household"] for r in rows if "household" in r.data}
        numbers = [r.data["person"]["id_number"] for r in rows if r.data.get("person", {}).get("id_number")]
        stored_ids = dedup.existing_id_numbers(numbers)
        self._find_households(ctx, list(households.values()), stored_ids)
        members = self._stored_members([h["stored"]["id"] for h in households.values() if h.get("stored")])
        poverty = self._stored_poverty([h for h in households.values() if h.get("stored") and h["year"]])
        for info in households.values():
            self._plan_household(ctx, info, stored_ids, members, poverty)
        if not any(r.errors for r in rows):
            self._likely_duplicates(ctx, rows)

    def _find_households(
        self, ctx: ImportContext, infos: list[dict[str, Any]], stored_ids: dict[str, tuple[int, int, str]]
    ) -> None:
        fields = ("id", "code", "village_id", *bulk.snapshot_fields(Household))
        fields = tuple(dict.fromkeys(fields))
        codes = [i["code"] for i in infos if i["code"]]
        by_code: dict[str, dict[str, Any]] = {}
        for part in chunks(sorted(set(codes))):
            for h in Household.objects.filter(code__in=part).values(*fields):
                by_code[h["code"]] = h
        for info in infos:
            if info["code"]:
                info["stored_id"] = by_code.get(info["code"], {}).get("id")
                continue
            head = info["head"]
            number = head.data["person"]["id_number"] if head else ""
            if number and number in stored_ids:
                info["stored_id"] = stored_ids[number][1]
        # heads without a stored ID: by folded name + birth year + village. A head with an ID number not
        # stored can only be a stored head without one (a namesake whose ID differs is another person).
        loose = [i for i in infos if not i["code"] and not i.get("stored_id") and i["head"] and i["village"]]
        for with_id in (False, True):
            group = [i for i in loose if bool(i["head"].data["person"]["id_number"]) == with_id]
            if not group:
                continue
            persons = [i["head"].data["person"] for i in group]
            found: dict[tuple[str, int | None, int], int] = {}
            for name, year, village, household, _number in _stored_heads(
                {p["name_folded"] for p in persons},
                {i["village"].id for i in group},
                years={p["birth_year"] for p in persons if p["birth_year"]},
                id_less=with_id,
            ):
                found.setdefault((name, year, village), household)
            for info, p in zip(group, persons, strict=True):
                hit = found.get((p["name_folded"], p["birth_year"], info["village"].id))
                if hit is not None:
                    info["stored_id"] = hit
        ids = {i["stored_id"] for i in infos if i.get("stored_id")} - {h["id"] for h in by_code.values()}
        stored = {h["id"]: h for h in by_code.values()}
        for part in chunks(sorted(ids)):
            for h in Household.objects.filter(pk__in=part).values(*fields):
                stored[h["id"]] = h
        allowed = _in_scope(ctx.user, stored)
        for info in infos:
            info["stored"] = stored.get(info.get("stored_id") or 0)
            if info["stored"] is not None and info["stored"]["id"] not in allowed:
                info["stored"] = None
                row = info["head"] or info["members"][0]
                row.error(
                    "household_code",
                    _("Hộ “%(code)s” nằm ngoài phạm vi của bạn. / Household “%(code)s” is outside your area.")
                    % {"code": info["code"] or ""},
                )

    def _stored_poverty(self, infos: list[dict[str, Any]]) -> dict[tuple[int, int], dict[str, Any]]:
        fields = tuple(
            dict.fromkeys(
                ("id", "household_id", "year", "status", "version", *bulk.snapshot_fields(PovertyStatus))
            )
        )
        years = {i["year"] for i in infos}
        out: dict[tuple[int, int], dict[str, Any]] = {}
        for part in chunks(sorted({i["stored"]["id"] for i in infos})):
            for p in PovertyStatus.objects.filter(household_id__in=part, year__in=years).values(*fields):
                out[(p["household_id"], p["year"])] = p
        return out

    def _stored_members(self, household_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        fields = tuple(
            dict.fromkeys(
                (
                    "id",
                    "household_id",
                    "full_name",
                    "name_folded",
                    "sex",
                    "birth_date",
                    "birth_year",
                    "ethnic_group_id",
                    "id_number",
                    "relation",
                    *bulk.snapshot_fields(Person),
                )
            )
        )
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for part in chunks(sorted(set(household_ids))):
            rows = Person.objects.filter(household_id__in=part, merged_into__isnull=True).order_by()
            for p in rows.values(*fields):
                out[p["household_id"]].append(p)
        return out

    def _plan_household(
        self,
        ctx: ImportContext,
        info: dict[str, Any],
        stored_ids: dict[str, tuple[int, int, str]],
        members: dict[int, list[dict[str, Any]]],
        poverty: dict[tuple[int, int], dict[str, Any]],
    ) -> None:
        stored = info["stored"]
        hid = stored["id"] if stored else None
        info["changes"] = {}
        if stored and info["village"] is not None and stored["village_id"] != info["village"].id:
            info["changes"]["village_id"] = info["village"].id
        pool = list(members.get(hid, [])) if hid else []
        by_key = {(p["name_folded"], p["birth_year"]): p for p in pool}
        by_number = {p["id_number"]: p for p in pool if p["id_number"]}
        for row in info["members"]:
            if row.errors:
                continue
            values = row.data["person"]
            number = values["id_number"]
            match = None
            if number and number in stored_ids:
                holder = stored_ids[number]
                if holder[1] != hid:
                    row.error(
                        "id_number",
                        _(
                            "Số định danh %(n)s đã thuộc người khác: %(name)s (hộ #%(h)s). / "
                            "ID number %(n)s already belongs to another person: %(name)s "
                            "(household #%(h)s)."
                        )
                        % {"n": number, "name": holder[2], "h": holder[1]},
                    )
                    continue
                match = by_number.get(number)
            if match is None:
                match = by_key.get((values["name_folded"], values["birth_year"]))
            if match is None:
                row.status = Status.CREATED
                continue
            row.data["stored"] = match
            changes = {f: v for f, v in values.items() if match.get(f) != v}
            if number == "" and match.get("id_number"):
                changes.pop("id_number", None)  # a file without the number keeps the stored one
            if values["birth_date"] is None and match.get("birth_date"):
                changes.pop("birth_date", None)
            row.data["changes"] = changes
            row.status = Status.UPDATED if changes else Status.UNCHANGED
        info["poverty_plan"] = None
        if info["poverty"] and info["year"]:
            current = poverty.get((hid, info["year"])) if hid else None
            if current is None:
                info["poverty_plan"] = ("create", None)
            else:
                info["poverty_plan"] = ("same" if current["status"] == info["poverty"] else "update", current)
        changed = bool(info["changes"]) or (
            info["poverty_plan"] is not None and info["poverty_plan"][0] != "same"
        )
        if changed:
            first = next((r for r in info["members"] if r.ok), None)
            if first is not None and first.status == Status.UNCHANGED:
                first.status = Status.UPDATED

    def _likely_duplicates(self, ctx: ImportContext, rows: list[Row]) -> None:
        """Likely duplicates of the new persons, in the file and among those stored: the database is read
        here; the comparison runs beside the writes (`parallel.beside`) and is collected after them."""
        new = [r for r in rows if r.status == Status.CREATED and r.data["household"]["village"] is not None]
        if not new:
            return
        # the database is read here, in the import's transaction; all else is computed in `compare`
        villages = {r.data["household"]["village"].id for r in new}
        family = dedup.village_families(villages)
        stored = dedup.stored_rows(villages, {r.data["person"]["birth_year"] for r in new}, family)

        def compare() -> list[dict[str, Any]]:
            cands = [
                dedup.Candidate(
                    r.number,
                    r.data["person"]["full_name"],
                    r.data["person"]["birth_year"],
                    r.data["household"]["village"].id,
                    r.data["person"]["sex"],
                    folded=r.data["person"]["name_folded"],
                )
                for r in new
            ]
            blocks = dedup.blocks_of(cands, family)
            found: list[dict[str, Any]] = [
                {"row": m.a, "other_row": m.b, "score": round(m.score, 1)}
                for m in dedup.likely_duplicates(cands, family, blocks)
            ]
            found += [
                {"row": m.a, "person": m.b, "score": round(m.score, 1)}
                for m in dedup.match_stored(blocks, dedup.blocks_of_stored(stored, family))
            ]
            return found

        # a dry run writes nothing to overlap with: it compares in place
        task = parallel.beside(compare) if not ctx.dry_run else parallel.done(compare())
        ctx.cache["likely_duplicates_pending"] = (task, new)
        if ctx.dry_run:
            self._collect_duplicates(ctx)

    def _collect_duplicates(self, ctx: ImportContext) -> None:
        pending = ctx.cache.pop("likely_duplicates_pending", None)
        if pending is None:
            return
        task, new = pending
        found = task.result()
        ctx.cache["likely_duplicates"] = found
        _last_duplicates.set(found)
        if found:
            listed = {f["row"] for f in found}
            ctx.notices.append(_duplicates_notice(len(found), [r for r in new if r.number in listed]))

    # --- write ------------------------------------------------------------------------------------------
    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        writer = bulk.AuditWriter(ctx.actor_id)
        infos = list(
            {id(r.data["household"]): r.data["household"] for r in rows if "household" in r.data}.values()
        )
        # stored households whose members, village or poverty status this file changes: their support
        # figures are refreshed where they were and where they are (new households have no support yet)
        touched = [i["stored"]["id"] for i in infos if i["stored"] is not None and _changes_anything(i)]
        before = summary.slices_of_households(touched)
        self._write_households(ctx, infos, writer)
        self._write_persons(ctx, rows, writer)
        self._write_poverty(ctx, infos, writer)
        writer.flush()
        summary.refresh_households(touched, extra=before)
        self._collect_duplicates(ctx)

    def _write_households(
        self, ctx: ImportContext, infos: list[dict[str, Any]], writer: bulk.AuditWriter
    ) -> None:
        new = [i for i in infos if i["stored"] is None]
        codes = self._codes([i for i in new if not i["code"]])
        records = [
            {"code": i["code"] or codes[id(i)], "village_id": i["village"].id, "address": "", "phone": ""}
            for i in new
        ]
        ids = bulk.insert_new(Household, records)
        for info, rec in zip(new, records, strict=True):
            info["stored"] = rec
        writer.add_created(Household, ids, ("code",))  # as Household.__str__
        changes = []
        now = dt.datetime.now(dt.UTC)
        for info in infos:
            if info["changes"] and info["stored"].get("version") is not None:
                rec = info["stored"]
                before = bulk.snapshot(Household, rec)
                rec.update(info["changes"])
                changes.append(
                    (rec["id"], {**info["changes"], "version": rec["version"] + 1, "updated_at": now})
                )
                writer.add(
                    AuditEntry.Action.UPDATE,
                    Household,
                    rec["id"],
                    rec["code"],
                    before,
                    bulk.snapshot(Household, rec),
                )
        bulk.update(Household, changes)

    def _codes(self, infos: list[dict[str, Any]]) -> dict[int, str]:
        """Free codes "<village id>-<n>" for new households without one (a few queries, not one per row)."""
        by_village: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for info in infos:
            by_village[info["village"].id].append(info)
        counts = dict(
            Household.objects.filter(village_id__in=list(by_village))
            .values("village_id")
            .annotate(n=Count("id"))
            .values_list("village_id", "n")
        )
        out: dict[int, str] = {}
        pending = {v: (counts.get(v, 0) + 1, items) for v, items in by_village.items()}
        while pending:
            proposed = {
                v: [f"{v}-{n:04d}" for n in range(start, start + len(items))]
                for v, (start, items) in pending.items()
            }
            flat = [c for codes in proposed.values() for c in codes]
            taken = set(
                Household.objects.filter(code__in=bulk.text_list(flat)).values_list("code", flat=True)
            )
            retry = {}
            for v, (start, items) in pending.items():
                if taken.intersection(proposed[v]):
                    retry[v] = (start + len(items) + len(taken.intersection(proposed[v])), items)
                    continue
                for info, code in zip(items, proposed[v], strict=True):
                    out[id(info)] = code
            pending = retry
        return out

    def _write_persons(self, ctx: ImportContext, rows: list[Row], writer: bulk.AuditWriter) -> None:
        created = [r for r in rows if r.status == Status.CREATED]
        records = [{**r.data["person"], "household_id": r.data["household"]["stored"]["id"]} for r in created]
        with search.bulk_indexing():
            ids = bulk.insert_new(Person, records, extra=search.bulk_columns())
        writer.add_created(Person, ids, ("full_name",))  # as Person.__str__
        now = dt.datetime.now(dt.UTC)
        changes = []
        for row in rows:
            if row.status != Status.UPDATED or not row.data.get("changes"):
                continue
            rec = row.data["stored"]
            before = bulk.snapshot(Person, rec)
            rec.update(row.data["changes"])
            changes.append(
                (rec["id"], {**row.data["changes"], "version": rec.get("version", 1) + 1, "updated_at": now})
            )
            writer.add(
                AuditEntry.Action.UPDATE,
                Person,
                rec["id"],
                rec["full_name"],
                before,
                bulk.snapshot(Person, rec),
            )
        bulk.update(Person, changes)

    def _write_poverty(
        self, ctx: ImportContext, infos: list[dict[str, Any]], writer: bulk.AuditWriter
    ) -> None:
        source = ctx.options.get("source") or ""
        new = []
        changes = []
        now = dt.datetime.now(dt.UTC)
        for info in infos:
            plan = info.get("poverty_plan")
            if plan is None:
                continue
            if plan[0] == "create":
                new.append(
                    {
                        "household_id": info["stored"]["id"],
                        "year": info["year"],
                        "status": info["poverty"],
                        "source": source,
                    }
                )
            elif plan[0] == "update":
                rec = plan[1]
                before = bulk.snapshot(PovertyStatus, rec)
                rec["status"] = info["poverty"]
                changes.append(
                    (rec["id"], {"status": info["poverty"], "version": rec["version"] + 1, "updated_at": now})
                )
                writer.add(
                    AuditEntry.Action.UPDATE,
                    PovertyStatus,
                    rec["id"],
                    str(info["year"]),
                    before,
                    bulk.snapshot(PovertyStatus, rec),
                )
        ids = bulk.insert_new(PovertyStatus, new)
        writer.add_created(PovertyStatus, ids, ("household", "year", "status"))  # as PovertyStatus.__str__
        bulk.update(PovertyStatus, changes)


@register
class SupportImport(ModelImportKind):
    """Support records, one row per household and kind of support (see the module docstring)."""

    slug = "support"
    label = gettext_lazy("Hỗ trợ hộ gia đình")
    description = gettext_lazy(
        "Danh sách hộ được hỗ trợ: hộ được tìm theo số CCCD của chủ hộ, hoặc họ tên + năm sinh + thôn. Chương "
        "trình, dự án thành phần và năm lấy từ cột của tệp hoặc từ các ô tuỳ chọn."
    )
    order = 61
    sheet_hints: ClassVar = ("ho tro",)
    model = SupportRecord
    key_fields = ("household_id", "component_id", "year", "kind")
    value_fields = ("quantity", "measure", "value_vnd")
    lookup_field = "household_id"
    columns: ClassVar = (
        Text(
            "head_name",
            "Họ và tên chủ hộ",
            ("Chủ hộ", "Tên chủ hộ", "Họ tên chủ hộ", *NAME_ALIASES),
            required=True,
            max_length=128,
            example="Vi Thị Mai",
        ),
        Year("birth_year", "Năm sinh", ("Năm sinh chủ hộ",), example="1986"),
        Text("ethnic", "Dân tộc", ETHNIC_ALIASES[1:], max_length=64, example="Nùng"),
        IdNumber("id_number", "Số CCCD", ID_ALIASES, example="020186001456"),
        Text("village", "Thôn/bản", VILLAGE_ALIASES, required=True, max_length=128, example="Nà Pàn"),
        Text("commune", "Xã", COMMUNE_ALIASES, max_length=128, example="Lộc Bình"),
        Choice(
            "kind",
            "Nội dung hỗ trợ",
            ("Nội dung", "Hình thức hỗ trợ", "Loại hỗ trợ"),
            required=True,
            choices=SUPPORT_KINDS,
            example="Con giống",
        ),
        Number("quantity", "Số lượng", ("SL",), example="1"),
        Text("measure", "Đơn vị tính", ("ĐVT", "Đơn vị"), max_length=32, example="con"),
        Money(
            "value_vnd",
            "Thành tiền (đồng)",
            ("Thành tiền", "Số tiền", "Kinh phí", "Giá trị"),
            required=True,
            example="5.000.000",
        ),
        Code("program", "Chương trình", ("Mã chương trình",), example="30A"),
        Code(
            "component", "Dự án thành phần", ("Tiểu dự án", "Mã dự án thành phần", "Dự án"), example="30A-2"
        ),
        Year("year", "Năm", ("Năm hỗ trợ",), example="2018"),
    )
    options: ClassVar = (
        Option(Code("program", "Chương trình", help="Mã chương trình khi tệp không có cột “Chương trình”.")),
        Option(
            Code(
                "component", "Dự án thành phần", help="Mã dự án thành phần (bỏ trống: dự án hỗ trợ sản xuất)."
            )
        ),
        Option(Year("year", "Năm", help="Năm hỗ trợ khi tệp không có cột “Năm”.")),
    )
    examples: ClassVar = (
        (
            "Vi Thị Mai",
            "1986",
            "Nùng",
            "020186001456",
            "Nà Pàn",
            "Lộc Bình",
            "Con giống",
            "1",
            "con",
            "5.000.000",
            "30A",
            "",
            "2018",
        ),
    )

    def resolve(self, ctx: ImportContext, rows: list[Row]) -> None:
        from django.core.exceptions import ValidationError

        from dantoc.households.services import resolve_component

        matcher = UnitMatcher(ctx.user, [Level.COMMUNE, Level.VILLAGE])
        components: dict[tuple[Any, Any], Any] = {}
        for row in rows:
            year = row.get("year") or ctx.options.get("year")
            if year is None:
                row.error(
                    "year",
                    _(
                        "Thiếu năm hỗ trợ (cột “Năm” hoặc tuỳ chọn Năm). / The year is missing (a "
                        "“Năm” column or the Year option)."
                    ),
                )
            program = row.get("program") or ctx.options.get("program")
            component = row.get("component") or ctx.options.get("component")
            key = (program, component)
            if key not in components:
                try:
                    components[key] = resolve_component(program, component).pk
                except ValidationError as exc:
                    components[key] = exc
            found = components[key]
            if isinstance(found, ValidationError):
                column = "component" if "component" in found.message_dict else "program"
                row.error(column, "; ".join(found.messages))
            row.data["year"] = year
            row.data["component_id"] = found if not isinstance(found, ValidationError) else None
            row.data["village"] = _place(ctx, matcher, row, year)
            if row.get("birth_year") is None and not row.get("id_number"):
                row.error(
                    "birth_year",
                    _(
                        "Cần số CCCD hoặc năm sinh của chủ hộ để tìm hộ. / The head's ID number "
                        "or birth year is needed to find the household."
                    ),
                )
        self._find(ctx, [r for r in rows if r.ok])

    def _find(self, ctx: ImportContext, rows: list[Row]) -> None:
        numbers = {r.get("id_number") for r in rows if r.get("id_number")}
        by_number = dedup.existing_id_numbers(n for n in numbers if n)
        loose = [r for r in rows if r.get("id_number") not in by_number]
        found: dict[tuple[str, int, int], list[int]] = defaultdict(list)
        names = {fold(nfc(r.get("head_name"))) for r in loose}
        villages = {r.data["village"].id for r in loose if r.data.get("village")}
        for name, year, village, household, _number in _stored_heads(names, villages):
            found[(name, year, village)].append(household)
        allowed = _in_scope(ctx.user, {h for _p, h, _n in by_number.values()})
        for row in rows:
            number = row.get("id_number")
            if number and number in by_number:
                household = by_number[number][1]
                if household not in allowed:
                    row.error(
                        "id_number",
                        _(
                            "Hộ của người có số định danh này nằm ngoài phạm vi của bạn. / The "
                            "household of this ID number is outside your area."
                        ),
                    )
                    continue
                row.data["household_id"] = household
                continue
            place = row.data.get("village")
            hits = found.get(
                (fold(nfc(row.get("head_name"))), row.get("birth_year"), place.id if place else 0), []
            )
            if len(hits) == 1:
                row.data["household_id"] = hits[0]
            elif not hits:
                row.error(
                    "head_name",
                    _(
                        "Không tìm thấy hộ có chủ hộ “%(name)s” (năm sinh %(y)s) ở thôn này. / No "
                        "household headed by “%(name)s” (born %(y)s) in this village."
                    )
                    % {"name": nfc(row.get("head_name")), "y": row.get("birth_year") or "?"},
                )
            else:
                row.error(
                    "head_name",
                    _(
                        "Có %(n)s hộ có chủ hộ “%(name)s” cùng năm sinh ở thôn này: hãy ghi số CCCD. "
                        "/ %(n)s households are headed by “%(name)s” of that birth year in this "
                        "village: give the ID number."
                    )
                    % {"n": len(hits), "name": nfc(row.get("head_name"))},
                )

    def build(self, ctx: ImportContext, row: Row) -> dict[str, Any] | None:
        quantity = row.get("quantity")
        if quantity is not None and quantity <= 0:
            row.error("quantity", _("Số lượng phải lớn hơn 0. / The quantity must be greater than 0."))
            return None
        values: dict[str, Any] = {
            "household_id": row.data["household_id"],
            "component_id": row.data["component_id"],
            "year": row.data["year"],
            "kind": row.values["kind"],
            "value_vnd": row.values["value_vnd"],
        }
        if "quantity" in ctx.headers:
            values["quantity"] = quantity if quantity is not None else 1
        if "measure" in ctx.headers:
            values["measure"] = row.get("measure") or ""
        return values

    def describe(self, values: dict[str, Any]) -> str:
        return f"{values['household_id']} {values['year']} {values['kind']}"

    def write(self, ctx: ImportContext, rows: list[Row]) -> None:
        super().write(ctx, rows)
        written = [r for r in rows if r.status in (Status.CREATED, Status.UPDATED)]
        summary.refresh_records({(r.data["year"], r.data["household_id"]) for r in written})
