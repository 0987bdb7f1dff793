"""Loader of the real administrative units from the `vietnam-provinces` package.

It writes both structures of the 2025 reform and the lineage between them:

* before the reform (package module `vietnam_provinces.legacy`): province → district → commune,
  valid until 30/06/2025 (`valid_from` NULL: the start is unknown);
* from 01/07/2025 (`vietnam_provinces`): province → commune (xã, phường, đặc khu);
* a province whose borders did not change is one row with both ends open, parent of its old districts
  and of its new communes; merged provinces end on 30/06/2025 and the new one starts on 01/07/2025,
  linked by a merge under Resolution 202/2025/QH15.

Lineage, all effective 01/07/2025, from the package's conversion tables:

* one `UnitChange` per new commune: merge (several predecessors), rename (one predecessor that wholly
  becomes it) or split (made from part of one predecessor); Lạng Sơn's basis is Resolution
  1672/NQ-UBTVQH15, other provinces get a note (the package does not carry their resolution numbers);
* an old commune split between several new ones has one edge per new commune, `share=None`, and exactly
  one edge `is_primary=True` (rule in `_primary`); an old commune with one successor has one primary edge;
* one `abolish` per district (edge to no successor), except the island districts that had no communes
  and became a special zone whole (Côn Đảo, Lý Sơn, Cồn Cỏ, Bạch Long Vĩ, Hoàng Sa): a rename to it;
* what the package cannot link (a few old communes without successor, conversion entries whose old code
  is missing from the legacy list) is left unlinked and reported in `LoadResult.warnings`.

Rows are found by (level, code, valid_from), the key of the unique constraint, so a second run creates
nothing and changes nothing, and loading one province and then all of them gives no duplicates; a found
row whose name, kind, parent or end date differs from the package is updated. Existing lineage edges are
never modified; missing ones are added. Writes are set-based (bulk per level; paths computed in Python).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from dantoc.core.text import fold, nfc
from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage

REFORM = dt.date(2025, 7, 1)
LAST_DAY = dt.date(2025, 6, 30)
DEFAULT_PROVINCE = 20  # Lạng Sơn

# Legal bases of the 2025 reform.
PROVINCE_BASIS = ("202/2025/QH15", dt.date(2025, 6, 12))  # merger of provinces
DISTRICT_BASIS = ("203/2025/QH15", dt.date(2025, 6, 16))  # amended Constitution: districts end on 01/07/2025
COMMUNE_BASIS: dict[int, tuple[str, dt.date]] = {20: ("1672/NQ-UBTVQH15", dt.date(2025, 6, 16))}

# Stored notes are data (Vietnamese), not translated messages.
PROVINCE_NOTE = "Sắp xếp đơn vị hành chính cấp tỉnh năm 2025."
DISTRICT_NOTE = "Chấm dứt hoạt động của đơn vị hành chính cấp huyện từ ngày 01/07/2025."
COMMUNE_NOTE = (
    "Căn cứ nghị quyết năm 2025 của Ủy ban Thường vụ Quốc hội về sắp xếp các đơn vị hành chính "
    "cấp xã của {province} (số hiệu văn bản chưa có trong dữ liệu nguồn)."
)
OLD_NAME_NOTE = "Tên trong danh mục trước 01/07/2025: {name}."

LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)

# Package division types (the values of its StrEnums) → our kinds.
_KIND = {
    "tỉnh": Kind.TINH,
    "thành phố trung ương": Kind.THANH_PHO_TW,
    "huyện": Kind.HUYEN,
    "quận": Kind.QUAN,
    "thị xã": Kind.THI_XA,
    "thành phố": Kind.THANH_PHO,
    "xã": Kind.XA,
    "phường": Kind.PHUONG,
    "thị trấn": Kind.THI_TRAN,
    "đặc khu": Kind.DAC_KHU,
}
# The word that starts the package's names, per division type.
_PREFIX = {"thành phố trung ương": "thành phố"}

# Official codes are zero-padded: province "20", district "189", commune "06529" (the package keeps ints).
CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}

# Identity of a row: (level, code, valid_from), as in the unique constraint.
Key = tuple[str, str, dt.date | None]


class LoadError(Exception):
    """A request the loader cannot satisfy (e.g. an unknown province code)."""


@dataclass
class LoadResult:
    provinces: tuple[int, ...] = ()  # current (post-2025) province codes loaded
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    changes_created: int = 0
    edges_created: int = 0
    created_by_level: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.units_created or self.units_updated or self.changes_created or self.edges_created)


def official_code(level: str, number: int) -> str:
    """The official code string of a unit: 20 → "20", 6529 → "06529" for a commune."""
    return f"{number:0{CODE_WIDTH[Level(level)]}d}"


# --- the package, read once -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    code: int
    type: str  # package division type value
    name: str  # without the type prefix, NFC
    parent: int  # province code for districts and new communes, district code for old communes


@dataclass(frozen=True)
class _Package:
    old_provinces: dict[int, _Unit]
    old_districts: dict[int, _Unit]
    old_communes: dict[int, _Unit]
    new_provinces: dict[int, _Unit]
    new_communes: dict[int, _Unit]
    old_to_new: dict[int, tuple[int, ...]]  # old commune → new communes (only old codes the list knows)
    new_to_old: dict[int, tuple[int, ...]]
    partly: frozenset[int]  # old communes flagged as partly merged
    province_old_to_new: dict[int, frozenset[int]]
    province_new_to_old: dict[int, frozenset[int]]
    unknown_old_refs: tuple[tuple[int, int], ...]  # (old code missing from the legacy list, new code)


def _strip(name: str, division_type: str) -> str:
    """ "Thị trấn Lộc Bình" → "Lộc Bình": the package's names carry the type as a prefix."""
    name = nfc(name)
    prefix = _PREFIX.get(division_type, division_type) + " "
    return name[len(prefix) :] if name.lower().startswith(prefix) else name


class _PackageUnit(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def code(self) -> Any: ...
    @property
    def division_type(self) -> Any: ...


def _unit(obj: _PackageUnit, parent: int) -> _Unit:
    division_type = str(obj.division_type)
    return _Unit(int(obj.code), division_type, _strip(obj.name, division_type), parent)


@functools.cache
def read_package() -> _Package:
    """The package's lists and 2025 conversion tables, as plain dictionaries keyed by code."""
    import vietnam_provinces as new
    from vietnam_provinces import _ward_conversion_2025 as ward_conv
    from vietnam_provinces import legacy as old

    old_provinces = {int(p.code): _unit(p, 0) for p in old.Province.iter_all()}
    old_districts = {int(d.code): _unit(d, int(d.province_code)) for d in old.District.iter_all()}
    old_communes = {int(w.code): _unit(w, int(w.district_code)) for w in old.Ward.iter_all()}
    new_provinces = {int(p.code): _unit(p, 0) for p in new.Province.iter_all()}
    new_communes = {int(w.code): _unit(w, int(w.province_code)) for w in new.Ward.iter_all()}

    old_to_new: dict[int, tuple[int, ...]] = {}
    partly: set[int] = set()
    unknown: list[tuple[int, int]] = []
    for code, entry in ward_conv.OLD_TO_NEW.items():
        targets = tuple(n.code for n in entry.new_wards if n.code in new_communes)
        if code not in old_communes:
            unknown.extend((code, n) for n in targets)
            continue
        old_to_new[code] = targets
        if entry.old_ward.is_partly_merged or len(targets) > 1:
            partly.add(code)
    new_to_old: dict[int, list[int]] = defaultdict(list)
    for code, back in ward_conv.NEW_TO_OLD.items():
        new_to_old[code] = [o.code for o in back.old_wards if code in old_to_new.get(o.code, ())]

    # Province links are derived from the commune links, taking the old province from the legacy list
    # itself (the package's own province table carries a stray link from one mislabelled ward).
    p_old_new: dict[int, set[int]] = defaultdict(set)
    p_new_old: dict[int, set[int]] = defaultdict(set)
    for code, targets in old_to_new.items():
        op = old_districts[old_communes[code].parent].parent  # not the conversion table's province code
        for target in targets:
            np = new_communes[target].parent
            p_old_new[op].add(np)
            p_new_old[np].add(op)
    return _Package(
        old_provinces,
        old_districts,
        old_communes,
        new_provinces,
        new_communes,
        old_to_new,
        {k: tuple(v) for k, v in new_to_old.items()},
        frozenset(partly),
        {k: frozenset(v) for k, v in p_old_new.items()},
        {k: frozenset(v) for k, v in p_new_old.items()},
        tuple(unknown),
    )


# --- what should be in the database ------------------------------------------------------------------------


@dataclass
class _Row:
    level: str
    kind: str
    code: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    parent: Key | None
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.level, self.code, self.valid_from)


@dataclass
class _Change:
    kind: str
    basis: tuple[str, dt.date | None]
    note: str
    anchor: Key  # the successor (or, for an abolition, the predecessor) that identifies the change
    edges: list[tuple[Key | None, Key | None, bool]]  # predecessor, successor, is_primary


def _resolve(pkg: _Package, codes: Iterable[int] | None, all_provinces: bool) -> tuple[set[int], set[int]]:
    """Current and old province codes to load: the request, closed under the province links."""
    if all_provinces:
        return set(pkg.new_provinces), set(pkg.old_provinces)
    new: set[int] = set()
    for code in codes or [DEFAULT_PROVINCE]:
        if code in pkg.new_provinces:
            new.add(code)
        elif code in pkg.old_provinces:
            new |= pkg.province_old_to_new.get(code, frozenset())
        else:
            raise LoadError(
                _("Không có tỉnh, thành phố mã %(code)s / No province with code %(code)s") % {"code": code}
            )
    old: set[int] = set()
    while True:
        old_next = {o for n in new for o in pkg.province_new_to_old.get(n, ())}
        new_next = new | {n for o in old_next for n in pkg.province_old_to_new.get(o, ())}
        if old_next == old and new_next == new:
            return new, old
        old, new = old_next, new_next


def _unchanged_province(pkg: _Package, code: int) -> bool:
    """Same borders before and after: one old province became the same new one and nothing else."""
    return pkg.province_new_to_old.get(code) == {code} and pkg.province_old_to_new.get(code) == {code}


def _primary(name: str, code: int, candidates: list[tuple[int, str]]) -> int:
    """The main successor of a unit split between several: the one that inherits its name (tone-insensitive),
    else the one that keeps its code, else the first the package lists.
    """
    folded = fold(name)
    for cand_code, cand_name in candidates:
        if fold(cand_name) == folded:
            return cand_code
    for cand_code, _name in candidates:
        if cand_code == code:
            return cand_code
    return candidates[0][0]


def _change_kind(predecessors: int, partly: bool) -> str:
    """Merge when several units form the new one; rename when one unit wholly becomes it; split when it
    is made from part of one unit.
    """
    if predecessors > 1:
        return UnitChange.ChangeKind.MERGE
    return UnitChange.ChangeKind.SPLIT if partly else UnitChange.ChangeKind.RENAME


def _full(unit: _Unit) -> str:
    return f"{_PREFIX.get(unit.type, unit.type).capitalize()} {unit.name}"


def _plan(pkg: _Package, new_sel: set[int], old_sel: set[int]) -> tuple[list[_Row], list[_Change], list[str]]:
    rows: list[_Row] = []
    changes: list[_Change] = []
    warnings: list[str] = []
    old_pkey: dict[int, Key] = {}
    new_pkey: dict[int, Key] = {}

    def add(
        level: str,
        unit: _Unit,
        since: dt.date | None,
        until: dt.date | None,
        parent: Key | None,
        note: str = "",
        kind: str | None = None,
    ) -> Key:
        kind = kind or _KIND[unit.type]
        row = _Row(level, kind, official_code(level, unit.code), unit.name, since, until, parent, note)
        rows.append(row)
        return row.key

    # Provinces.
    for code in sorted(new_sel):
        unit = pkg.new_provinces[code]
        if _unchanged_province(pkg, code):
            before = pkg.old_provinces[code]
            note = OLD_NAME_NOTE.format(name=_full(before)) if _full(before) != _full(unit) else ""
            old_pkey[code] = new_pkey[code] = add(Level.PROVINCE, unit, None, None, None, note)
        else:
            new_pkey[code] = add(Level.PROVINCE, unit, REFORM, None, None)
    for code in sorted(old_sel - set(old_pkey)):
        unit = pkg.old_provinces[code]
        old_pkey[code] = add(Level.PROVINCE, unit, None, LAST_DAY, None)

    # Old districts and communes.
    dkey: dict[int, Key] = {}
    empty_districts: dict[int, list[int]] = defaultdict(list)  # old province → districts without communes
    with_communes = {c.parent for c in pkg.old_communes.values()}
    for code, unit in sorted(pkg.old_districts.items()):
        if unit.parent not in old_sel:
            continue
        kind = _KIND[unit.type]
        if kind == Kind.THANH_PHO and pkg.old_provinces[unit.parent].type == "thành phố trung ương":
            kind = Kind.THANH_PHO_THUOC_TP
        dkey[code] = add(Level.DISTRICT, unit, None, LAST_DAY, old_pkey[unit.parent], kind=kind)
        if code not in with_communes:
            empty_districts[unit.parent].append(code)
    ckey_old: dict[int, Key] = {}
    for code, unit in sorted(pkg.old_communes.items()):
        if unit.parent in dkey:
            ckey_old[code] = add(Level.COMMUNE, unit, None, LAST_DAY, dkey[unit.parent])

    # New communes.
    ckey_new: dict[int, Key] = {}
    for code, unit in sorted(pkg.new_communes.items()):
        if unit.parent in new_sel:
            ckey_new[code] = add(Level.COMMUNE, unit, REFORM, None, new_pkey[unit.parent])

    # Province changes.
    for code in sorted(new_sel):
        if _unchanged_province(pkg, code):
            continue
        preds = sorted(pkg.province_new_to_old.get(code, ()))
        if not preds:
            continue
        edges: list[tuple[Key | None, Key | None, bool]] = []
        for p in preds:
            succs = sorted(pkg.province_old_to_new[p])
            main = _primary(pkg.old_provinces[p].name, p, [(s, pkg.new_provinces[s].name) for s in succs])
            edges.append((old_pkey[p], new_pkey[code], main == code))
        how = _change_kind(len(preds), pkg.province_old_to_new[preds[0]] != {code})
        changes.append(_Change(how, PROVINCE_BASIS, PROVINCE_NOTE, new_pkey[code], edges))

    # Commune changes: one per new commune.
    linked_districts: set[int] = set()
    for code in sorted(ckey_new):
        unit = pkg.new_communes[code]
        province = pkg.new_provinces[unit.parent]
        basis: tuple[str, dt.date | None] = COMMUNE_BASIS.get(unit.parent, ("", None))
        note = "" if basis[0] else COMMUNE_NOTE.format(province=_full(province))
        preds = [p for p in pkg.new_to_old.get(code, ()) if p in ckey_old]
        if not preds:
            # A special zone made from a whole district that had no communes (Côn Đảo, Lý Sơn, Cồn Cỏ…).
            district = next(
                (
                    d
                    for o in sorted(pkg.province_new_to_old.get(unit.parent, ()))
                    for d in empty_districts[o]
                    if fold(pkg.old_districts[d].name) == fold(unit.name)
                ),
                None,
            )
            if district is None:
                warnings.append(
                    _(
                        "%(unit)s (mã %(code)s): không có đơn vị tiền thân trong dữ liệu nguồn / "
                        "no predecessor in the package data"
                    )
                    % {"unit": _full(unit), "code": code}
                )
                continue
            linked_districts.add(district)
            changes.append(
                _Change(
                    UnitChange.ChangeKind.RENAME,
                    basis,
                    note,
                    ckey_new[code],
                    [(dkey[district], ckey_new[code], True)],
                )
            )
            continue
        edges = []
        for p in preds:
            succs = list(pkg.old_to_new[p])
            main = _primary(pkg.old_communes[p].name, p, [(s, pkg.new_communes[s].name) for s in succs])
            edges.append((ckey_old[p], ckey_new[code], main == code))
        how = _change_kind(len(preds), preds[0] in pkg.partly)
        changes.append(_Change(how, basis, note, ckey_new[code], edges))

    # Districts are abolished (except those that became a special zone whole).
    for code in sorted(dkey):
        if code not in linked_districts:
            changes.append(
                _Change(
                    UnitChange.ChangeKind.ABOLISH,
                    DISTRICT_BASIS,
                    DISTRICT_NOTE,
                    dkey[code],
                    [(dkey[code], None, False)],
                )
            )

    # What the package cannot link.
    for code in sorted(ckey_old):
        if not pkg.old_to_new.get(code):
            unit = pkg.old_communes[code]
            where = {"unit": _full(unit), "code": code, "district": _full(pkg.old_districts[unit.parent])}
            warnings.append(
                _(
                    "%(unit)s (mã %(code)s), %(district)s: không có đơn vị kế thừa trong dữ liệu nguồn / "
                    "no successor in the package data"
                )
                % where
            )
    for old_code, new_code in pkg.unknown_old_refs:
        if new_code in ckey_new:
            warnings.append(
                _(
                    "Mã xã cũ %(old)s (tiền thân của %(unit)s) không có trong danh mục trước 2025 / "
                    "old commune code %(old)s is missing from the pre-2025 list"
                )
                % {"old": old_code, "unit": _full(pkg.new_communes[new_code])}
            )
    return rows, changes, warnings


# --- writing ----------------------------------------------------------------------------------------------

_FIELDS = ("kind", "name", "name_folded", "parent_id", "valid_to")


def _write_units(rows: list[_Row], result: LoadResult) -> dict[Key, AdminUnit]:
    existing: dict[Key, AdminUnit] = {
        (u.level, u.code, u.valid_from): u
        for u in AdminUnit.objects.filter(level__in=LEVELS)
        .exclude(code="")
        .only(
            "id",
            "level",
            "code",
            "valid_from",
            "valid_to",
            "kind",
            "name",
            "name_folded",
            "parent_id",
            "path",
            "version",
        )
    }
    units: dict[Key, AdminUnit] = {}
    now = timezone.now()
    for level in LEVELS:
        to_create: list[AdminUnit] = []
        to_update: list[AdminUnit] = []
        for row in rows:
            if row.level != level:
                continue
            name = nfc(row.name)
            parent_id = units[row.parent].pk if row.parent else None
            wanted = {
                "kind": str(row.kind),
                "name": name,
                "name_folded": fold(name),
                "parent_id": parent_id,
                "valid_to": row.valid_to,
            }
            unit = existing.get(row.key)
            if unit is None:
                unit = AdminUnit(
                    level=level, code=row.code, valid_from=row.valid_from, note=row.note, **wanted
                )
                to_create.append(unit)
            elif any(getattr(unit, f) != v for f, v in wanted.items()):
                for f, v in wanted.items():
                    setattr(unit, f, v)
                unit.updated_at = now
                unit.version += 1
                to_update.append(unit)
            else:
                result.units_unchanged += 1
            units[row.key] = unit
        AdminUnit.objects.bulk_create(to_create, batch_size=2000)
        AdminUnit.objects.bulk_update(to_update, [*_FIELDS, "updated_at", "version"], batch_size=500)
        result.units_created += len(to_create)
        result.units_updated += len(to_update)
        result.created_by_level[str(level)] = len(to_create)
    return units


def _write_paths(rows: list[_Row], units: dict[Key, AdminUnit]) -> None:
    """Paths computed in Python (parents come first), written in one bulk update; units that moved
    carry their other descendants (e.g. villages) along.
    """
    changed: list[AdminUnit] = []
    moved: list[tuple[str, str]] = []
    for row in rows:  # provinces, then districts, then communes
        unit = units[row.key]
        expected = (units[row.parent].path if row.parent else "/") + f"{unit.pk}/"
        if unit.path != expected:
            if unit.path:
                moved.append((unit.path, expected))
            unit.path = expected
            changed.append(unit)
    AdminUnit.objects.bulk_update(changed, ["path"], batch_size=1000)
    for old, new in sorted(moved, key=lambda m: -m[0].count("/")):  # deepest first
        AdminUnit.objects.filter(path__startswith=old).update(
            path=Concat(Value(new), Substr("path", len(old) + 1), output_field=CharField())
        )


def _write_changes(changes: list[_Change], units: dict[Key, AdminUnit], result: LoadResult) -> None:
    by_successor: dict[int, int] = {}
    by_abolished: dict[int, int] = {}
    pairs: set[tuple[int | None, int | None]] = set()
    for change_id, pred, succ in UnitLineage.objects.filter(change__effective_date=REFORM).values_list(
        "change_id", "predecessor_id", "successor_id"
    ):
        pairs.add((pred, succ))
        if succ is not None:
            by_successor.setdefault(succ, change_id)
        elif pred is not None:
            by_abolished.setdefault(pred, change_id)

    def pk(key: Key | None) -> int | None:
        return units[key].pk if key else None

    new_changes: list[tuple[UnitChange, _Change]] = []
    edges: list[UnitLineage] = []
    for plan in changes:
        anchor = units[plan.anchor].pk
        abolish = plan.kind == UnitChange.ChangeKind.ABOLISH
        existing = (by_abolished if abolish else by_successor).get(anchor)
        if existing is None:
            obj = UnitChange(
                kind=plan.kind,
                effective_date=REFORM,
                basis_number=plan.basis[0],
                basis_date=plan.basis[1],
                note=plan.note,
            )
            new_changes.append((obj, plan))
            continue
        for pred_key, succ_key, primary in plan.edges:
            if (pk(pred_key), pk(succ_key)) not in pairs:
                edges.append(
                    UnitLineage(
                        change_id=existing,
                        predecessor_id=pk(pred_key),
                        successor_id=pk(succ_key),
                        is_primary=primary,
                    )
                )
    UnitChange.objects.bulk_create([c for c, _plan in new_changes], batch_size=2000)
    for obj, plan in new_changes:
        edges.extend(
            UnitLineage(change_id=obj.pk, predecessor_id=pk(a), successor_id=pk(b), is_primary=primary)
            for a, b, primary in plan.edges
        )
    UnitLineage.objects.bulk_create(edges, batch_size=2000)
    result.changes_created = len(new_changes)
    result.edges_created = len(edges)


def load(province_codes: list[int] | None = None, *, all_provinces: bool = False) -> LoadResult:
    """Load the units of the given provinces (default Lạng Sơn) or of the whole country, with their lineage.

    A code may be a current or a pre-2025 province code; the request is widened to every province linked
    to it by the 2025 merger, so that the lineage is complete (asking for Hà Giang loads Tuyên Quang too).
    """
    pkg = read_package()
    new_sel, old_sel = _resolve(pkg, province_codes, all_provinces)
    rows, changes, warnings = _plan(pkg, new_sel, old_sel)
    result = LoadResult(provinces=tuple(sorted(new_sel)), warnings=warnings)
    with transaction.atomic():
        units = _write_units(rows, result)
        _write_paths(rows, units)
        _write_changes(changes, units, result)
    return result
