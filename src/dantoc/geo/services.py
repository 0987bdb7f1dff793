"""Writes on administrative units: every function is atomic, audited and scope-checked.

Rules:
- Structure above village level, and every recorded `UnitChange`, is for system administrators
  (`ensure_admin`) within their area; villages may be added and edited by any user who can write
  in the commune's area.
- A change never rewrites a unit row's history: merge, split and abolish close the predecessors the
  day before the effective date (unless already closed); rename and re-parent create a new row valid
  from the date, close the old row, and link both with a `UnitChange` and its `UnitLineage` edges.
- Children still valid on or after the date are moved to the successor row. Their paths (and their
  whole subtrees') are rewritten set-based: one UPDATE that swaps the old path prefix for the new one
  (`Concat(new_prefix, Substr(path, len(old_prefix) + 1))`) over the moved subtrees. Nothing walks
  the tree in Python; only the direct children get an audit entry (their `parent` changed; `path` is
  derived data and never audited).
- Validation errors are bilingual ("Vietnamese / English") and raised before anything is written.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dantoc.core import audit
from dantoc.core import services as core
from dantoc.core.models import AuditEntry
from dantoc.core.money import number
from dantoc.core.scoping import ensure_admin, ensure_can_write
from dantoc.core.services import ConcurrentEditError
from dantoc.core.text import fold, nfc
from dantoc.geo.models import KIND_LEVEL, AdminUnit, Kind, Level, UnitChange, UnitLineage

__all__ = [
    "ConcurrentEditError",
    "NewUnit",
    "SuccessorSpec",
    "create_unit",
    "record_abolish",
    "record_change",
    "record_create",
    "record_merge",
    "record_split",
    "rename_unit",
    "reparent_unit",
    "update_unit",
]

DAY = dt.timedelta(days=1)
# Levels a unit may hang under (communes sit under a district before 2025, under the province after).
PARENT_LEVELS: dict[str, tuple[str, ...]] = {
    Level.PROVINCE: (),
    Level.DISTRICT: (Level.PROVINCE,),
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.VILLAGE: (Level.COMMUNE,),
}
EDITABLE_FIELDS = {"name", "code", "kind", "note", "valid_from", "valid_to", "parent"}
SHARE_TOLERANCE = Decimal("0.001")
SHARE_PLACES = Decimal("0.000001")  # UnitLineage.share keeps six decimals
MOVE_CHUNK = 300  # OR-ed prefix conditions per UPDATE (SQLite's expression depth limit is 1000)


@dataclass
class NewUnit:
    """A unit to be created by a change (valid from the change's effective date)."""

    kind: str
    name: str
    code: str = ""
    parent: AdminUnit | None = None  # None: the predecessors' common parent
    note: str = ""


@dataclass
class SuccessorSpec:
    """One successor of a split: an existing unit or a new one, with its share (0 < share <= 1)."""

    unit: AdminUnit | None = None
    new: NewUnit | None = None
    share: Decimal | None = None
    primary: bool = False


# --- helpers ---------------------------------------------------------------------------------------


def _d(value: dt.date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _err(message: str, field: str | None = None) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _level_of(kind: str) -> str:
    try:
        return str(KIND_LEVEL[Kind(kind)])
    except ValueError as exc:
        raise _err(_("Loại đơn vị không hợp lệ. / Unknown kind of unit."), "kind") from exc


def _valid_on(unit: AdminUnit, on: dt.date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= on) and (
        unit.valid_to is None or unit.valid_to >= on
    )


def _ensure_may_edit(actor: Any, unit: AdminUnit | None, level: str) -> None:
    """Villages: anyone who can write in the area; other levels: system administrators."""
    if level != Level.VILLAGE:
        ensure_admin(actor)
    ensure_can_write(actor, unit)


def _check_parent(level: str, parent: AdminUnit | None) -> None:
    allowed = PARENT_LEVELS[level]
    if not allowed:
        if parent is not None:
            raise _err(
                _("Đơn vị cấp tỉnh không có đơn vị cấp trên. / A province has no parent unit."), "parent"
            )
        return
    if parent is None:
        raise _err(_("Hãy chọn đơn vị cấp trên. / Choose the parent unit."), "parent")
    if parent.level not in allowed:
        raise _err(
            _(
                "Đơn vị cấp %(level)s không thể trực thuộc %(parent)s. "
                "/ A unit of level %(level)s cannot sit under %(parent)s."
            )
            % {"level": Level(level).label, "parent": parent.full_name},
            "parent",
        )


def _check_period(
    level: str, parent: AdminUnit | None, valid_from: dt.date | None, valid_to: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """Open ends take the parent's bounds; explicit dates must fall inside the parent's period."""
    if parent is not None:
        if valid_from is None:
            valid_from = parent.valid_from
        elif parent.valid_from and valid_from < parent.valid_from:
            raise _err(
                _(
                    "Đơn vị cấp trên chỉ có hiệu lực từ %(date)s. "
                    "/ The parent unit is valid only from %(date)s."
                )
                % {"date": _d(parent.valid_from)},
                "valid_from",
            )
        if valid_to is None:
            valid_to = parent.valid_to
        elif parent.valid_to and valid_to > parent.valid_to:
            raise _err(
                _(
                    "Đơn vị cấp trên chỉ có hiệu lực đến %(date)s. "
                    "/ The parent unit is valid only until %(date)s."
                )
                % {"date": _d(parent.valid_to)},
                "valid_to",
            )
    if valid_from and valid_to and valid_to < valid_from:
        raise _err(
            _(
                "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực. "
                "/ The end date must not precede the start date."
            ),
            "valid_to",
        )
    return valid_from, valid_to


def _overlapping(
    qs: QuerySet[AdminUnit], valid_from: dt.date | None, valid_to: dt.date | None
) -> QuerySet[AdminUnit]:
    if valid_to is not None:
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=valid_to))
    if valid_from is not None:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    return qs


def _check_unique(
    level: str,
    code: str,
    name: str,
    parent: AdminUnit | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    exclude: int | None = None,
) -> None:
    others = AdminUnit.objects.exclude(pk=exclude) if exclude else AdminUnit.objects.all()
    if code and others.filter(level=level, code=code, valid_from=valid_from).exists():
        raise _err(
            _(
                "Mã %(code)s đã dùng cho đơn vị khác cùng cấp, cùng ngày bắt đầu hiệu lực. "
                "/ Code %(code)s is already used by another unit of this level starting on the same date."
            )
            % {"code": code},
            "code",
        )
    same_name = _overlapping(
        others.filter(parent=parent, level=level, name_folded=fold(name)), valid_from, valid_to
    )
    if same_name.exists():
        raise _err(
            _(
                "Đã có đơn vị tên “%(name)s” trực thuộc cùng đơn vị trong cùng thời kỳ. "
                "/ A unit named “%(name)s” already exists under the same parent in the same period."
            )
            % {"name": name},
            "name",
        )


def _new_row(
    actor: Any,
    *,
    level: str,
    kind: str,
    name: str,
    code: str,
    parent: AdminUnit | None,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    note: str = "",
) -> AdminUnit:
    unit = AdminUnit(
        level=level,
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )
    unit.full_clean(exclude=["path", "name_folded"])  # both derived in save()
    unit.save()
    audit.record(actor, AuditEntry.Action.CREATE, unit, None, audit.snapshot(unit))
    return unit


def _snapshot_with(unit: AdminUnit, **changes: Any) -> dict[str, Any]:
    data = audit.snapshot(unit)
    data.update(changes)
    return data


def _bulk_audit(actor: Any, rows: Iterable[tuple[AdminUnit, dict[str, Any], dict[str, Any]]]) -> None:
    ct = ContentType.objects.get_for_model(AdminUnit)
    actor_obj = actor if getattr(actor, "pk", None) else None
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor_obj,
            action=AuditEntry.Action.UPDATE,
            content_type=ct,
            object_id=str(u.pk),
            object_repr=str(u)[:255],
            before=before,
            after=after,
        )
        for u, before, after in rows
    )


def _rebase_paths(old_parent_path: str, new_parent_path: str, moved: Sequence[AdminUnit]) -> None:
    """Swap the path prefix of the moved children's subtrees, one UPDATE per chunk of children."""
    if old_parent_path == new_parent_path:
        return
    for start in range(0, len(moved), MOVE_CHUNK):
        chunk = moved[start : start + MOVE_CHUNK]
        cond = functools.reduce(operator.or_, (Q(path__startswith=c.path) for c in chunk))
        AdminUnit.objects.filter(cond).update(
            path=Concat(Value(new_parent_path), Substr("path", len(old_parent_path) + 1))
        )


def _move_children(actor: Any, old: AdminUnit, new: AdminUnit, date: dt.date) -> int:
    """Move `old`'s children still valid on or after `date` (with their subtrees) under `new`."""
    moved = list(
        AdminUnit.objects.filter(parent=old)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=date))
        .order_by("pk")
    )
    if not moved:
        return 0
    old.refresh_from_db(fields=["path"])
    new.refresh_from_db(fields=["path"])
    _rebase_paths(old.path, new.path, moved)
    AdminUnit.objects.filter(pk__in=[c.pk for c in moved]).update(
        parent=new, version=F("version") + 1, updated_at=timezone.now()
    )
    _bulk_audit(actor, ((c, audit.snapshot(c), _snapshot_with(c, parent_id=new.pk)) for c in moved))
    return len(moved)


def _close_subtree(actor: Any, unit: AdminUnit, last_day: dt.date) -> None:
    """Close every descendant still open after `last_day` (an abolition without a successor)."""
    open_rows = list(
        AdminUnit.objects.filter(path__startswith=unit.path)
        .exclude(pk=unit.pk)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=last_day))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=last_day))
    )
    if not open_rows:
        return
    AdminUnit.objects.filter(pk__in=[u.pk for u in open_rows]).update(
        valid_to=last_day, version=F("version") + 1, updated_at=timezone.now()
    )
    _bulk_audit(
        actor, ((u, audit.snapshot(u), _snapshot_with(u, valid_to=last_day.isoformat())) for u in open_rows)
    )


def _close(actor: Any, unit: AdminUnit, date: dt.date) -> None:
    """Close `unit` the day before `date`, unless it is already closed by then."""
    last_day = date - DAY
    if unit.valid_to is None or unit.valid_to > last_day:
        core.update(actor, unit, {"valid_to": last_day})
        unit.refresh_from_db()


def _check_predecessor(unit: AdminUnit, date: dt.date) -> None:
    if unit.valid_from is not None and unit.valid_from >= date:
        raise _err(
            _(
                "%(unit)s chỉ có hiệu lực từ %(from)s, không thể thay đổi từ %(date)s. "
                "/ %(unit)s is valid only from %(from)s and cannot change on %(date)s."
            )
            % {"unit": unit.full_name, "from": _d(unit.valid_from), "date": _d(date)},
            "predecessors",
        )
    if unit.valid_to is not None and unit.valid_to < date - DAY:
        raise _err(
            _(
                "%(unit)s đã hết hiệu lực từ %(to)s, trước ngày thay đổi %(date)s. "
                "/ %(unit)s ended on %(to)s, before the change date %(date)s."
            )
            % {"unit": unit.full_name, "to": _d(unit.valid_to), "date": _d(date)},
            "predecessors",
        )
    later = UnitLineage.objects.filter(predecessor=unit).select_related("change").first()
    if later is not None:
        raise _err(
            _(
                "%(unit)s đã có thay đổi “%(kind)s” ngày %(date)s; không ghi thêm thay đổi khác. "
                "/ %(unit)s already has a recorded change (%(kind)s, %(date)s)."
            )
            % {
                "unit": unit.full_name,
                "kind": later.change.get_kind_display(),
                "date": _d(later.change.effective_date),
            },
            "predecessors",
        )


def _check_successor(unit: AdminUnit, date: dt.date, level: str) -> None:
    if not _valid_on(unit, date):
        raise _err(
            _("%(unit)s không có hiệu lực vào ngày %(date)s. / %(unit)s is not valid on %(date)s.")
            % {"unit": unit.full_name, "date": _d(date)},
            "successors",
        )
    if unit.level != level:
        raise _err(
            _(
                "Đơn vị kế thừa phải cùng cấp với đơn vị bị thay đổi. "
                "/ Successors must be of the same level as the predecessors."
            ),
            "successors",
        )


def _check_basis(date: dt.date | None) -> dt.date:
    if date is None:
        raise _err(_("Hãy nhập ngày hiệu lực. / Enter the effective date."), "effective_date")
    return date


def _new_change(
    actor: Any, kind: str, date: dt.date, basis_number: str, basis_date: dt.date | None, note: str
) -> UnitChange:
    return core.create(
        actor,
        UnitChange(
            kind=kind,
            effective_date=date,
            basis_number=nfc(basis_number or ""),
            basis_date=basis_date,
            note=note or "",
        ),
    )


def _edge(
    actor: Any,
    change: UnitChange,
    pred: AdminUnit | None,
    succ: AdminUnit | None,
    share: Decimal | None = None,
    primary: bool = False,
) -> UnitLineage:
    edge = UnitLineage(change=change, predecessor=pred, successor=succ, share=share, is_primary=primary)
    edge.full_clean()
    edge.save()
    audit.record(actor, AuditEntry.Action.CREATE, edge, None, audit.snapshot(edge))
    return edge


def _prepare_new(
    actor: Any, spec: NewUnit, level: str, date: dt.date, default_parent: AdminUnit | None
) -> tuple[str, str, str, AdminUnit | None]:
    """Validate a unit to be created by a change; returns (kind, name, code, parent)."""
    if _level_of(spec.kind) != level:
        raise _err(
            _("Đơn vị mới phải cùng cấp với đơn vị bị thay đổi. / The new unit must be of the same level."),
            "kind",
        )
    name = nfc(spec.name or "")
    if not name:
        raise _err(_("Hãy nhập tên đơn vị mới. / Enter the new unit's name."), "name")
    parent = spec.parent or default_parent
    _check_parent(level, parent)
    if parent is not None:
        if not _valid_on(parent, date):
            raise _err(
                _(
                    "Đơn vị cấp trên %(unit)s không có hiệu lực vào ngày %(date)s. "
                    "/ The parent %(unit)s is not valid on %(date)s."
                )
                % {"unit": parent.full_name, "date": _d(date)},
                "parent",
            )
        ensure_can_write(actor, parent)
    else:
        ensure_can_write(actor, None)
    code = (spec.code or "").strip()
    _check_unique(level, code, name, parent, date, parent.valid_to if parent else None)
    return spec.kind, name, code, parent


def _common_parent(units: Sequence[AdminUnit], date: dt.date) -> AdminUnit | None:
    parents = {u.parent_id for u in units}
    if len(parents) != 1 or units[0].parent is None:
        return None
    parent = units[0].parent
    return parent if _valid_on(parent, date) else None


def _distinct(units: Sequence[AdminUnit]) -> list[AdminUnit]:
    seen: dict[int, AdminUnit] = {}
    for u in units:
        seen.setdefault(u.pk, u)
    return list(seen.values())


def _lock(units: Sequence[AdminUnit]) -> list[AdminUnit]:
    """Re-read the units under a row lock (fresh validity and version)."""
    fresh = {u.pk: u for u in AdminUnit.objects.select_for_update().filter(pk__in=[u.pk for u in units])}
    return [fresh[u.pk] for u in units]


# --- units -----------------------------------------------------------------------------------------


@transaction.atomic
def create_unit(
    actor: Any,
    *,
    kind: str,
    name: str,
    parent: AdminUnit | None,
    code: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
) -> AdminUnit:
    """Add a unit without a change event: a village, or a historical unit the official lists lack.

    Open ends take the parent's validity (a village under a commune created on 01/07/2025 starts then).
    """
    level = _level_of(kind)
    _ensure_may_edit(actor, parent, level)
    name = nfc(name or "")
    if not name:
        raise _err(_("Hãy nhập tên đơn vị. / Enter the unit's name."), "name")
    _check_parent(level, parent)
    valid_from, valid_to = _check_period(level, parent, valid_from, valid_to)
    code = (code or "").strip()
    _check_unique(level, code, name, parent, valid_from, valid_to)
    return _new_row(
        actor,
        level=level,
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note or "",
    )


@transaction.atomic
def update_unit(
    actor: Any, unit: AdminUnit, changes: dict[str, Any], expected_version: int | None
) -> AdminUnit:
    """Correct a unit's fields (no change event). Refused with `ConcurrentEditError` if the version moved.

    A new `parent` moves the unit's whole subtree (one set-based path update).
    """
    current = AdminUnit.objects.select_for_update().get(pk=unit.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    _ensure_may_edit(actor, current, current.level)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise _err(
            _("Không sửa được trường: %(fields)s. / These fields cannot be edited: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    changes = dict(changes)
    if "kind" in changes and _level_of(changes["kind"]) != current.level:
        raise _err(_("Loại mới phải cùng cấp với đơn vị. / The new kind must keep the unit's level."), "kind")
    if "name" in changes:
        changes["name"] = nfc(changes["name"] or "")
        if not changes["name"]:
            raise _err(_("Hãy nhập tên đơn vị. / Enter the unit's name."), "name")
    if "code" in changes:
        changes["code"] = (changes["code"] or "").strip()
    if "note" in changes:
        changes["note"] = changes["note"] or ""
    parent = changes.get("parent", current.parent)
    moving = "parent" in changes and (parent.pk if parent else None) != current.parent_id
    if moving:
        _check_parent(current.level, parent)
        if parent is not None and parent.path.startswith(current.path):
            raise _err(
                _(
                    "Không thể chuyển đơn vị vào chính nó hoặc cấp dưới của nó. "
                    "/ A unit cannot move under itself or its own descendants."
                ),
                "parent",
            )
        _ensure_may_edit(actor, parent, current.level)
    valid_from = changes.get("valid_from", current.valid_from)
    valid_to = changes.get("valid_to", current.valid_to)
    if valid_from and valid_to and valid_to < valid_from:
        raise _err(
            _(
                "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực. "
                "/ The end date must not precede the start date."
            ),
            "valid_to",
        )
    check_from = moving or "valid_from" in changes
    check_to = moving or "valid_to" in changes
    if parent is not None:
        if check_from and parent.valid_from and (valid_from is None or valid_from < parent.valid_from):
            raise _err(
                _(
                    "Đơn vị cấp trên chỉ có hiệu lực từ %(date)s. "
                    "/ The parent unit is valid only from %(date)s."
                )
                % {"date": _d(parent.valid_from)},
                "valid_from",
            )
        if check_to and parent.valid_to and (valid_to is None or valid_to > parent.valid_to):
            raise _err(
                _(
                    "Đơn vị cấp trên chỉ có hiệu lực đến %(date)s. "
                    "/ The parent unit is valid only until %(date)s."
                )
                % {"date": _d(parent.valid_to)},
                "valid_to",
            )
    if check_to and valid_to is not None:
        outliving = AdminUnit.objects.filter(parent=current).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=valid_to)
        )
        if outliving.exists():
            raise _err(
                _(
                    "Còn %(n)s đơn vị trực thuộc có hiệu lực sau ngày này; "
                    "hãy ghi nhận thay đổi (sáp nhập, giải thể…) thay vì sửa ngày. "
                    "/ %(n)s child units remain valid after this date; "
                    "record a change (merge, abolition…) instead of editing the date."
                )
                % {"n": outliving.count()},
                "valid_to",
            )
    if changes.keys() & {"name", "code", "parent", "valid_from", "valid_to"}:
        code = changes.get("code", current.code)
        name = changes.get("name", current.name)
        _check_unique(current.level, code, name, parent, valid_from, valid_to, exclude=current.pk)
    old_path = current.path
    updated = core.update(actor, current, changes, expected_version)
    if moving and updated.path != old_path:
        AdminUnit.objects.filter(path__startswith=old_path).exclude(pk=updated.pk).update(
            path=Concat(Value(updated.path), Substr("path", len(old_path) + 1))
        )
    return updated


# --- changes ---------------------------------------------------------------------------------------


def _successor_row(
    actor: Any, target: AdminUnit | NewUnit, level: str, date: dt.date, default_parent: AdminUnit | None
) -> AdminUnit:
    if isinstance(target, AdminUnit):
        return target
    kind, name, code, parent = _prepare_new(actor, target, level, date, default_parent)
    return _new_row(
        actor,
        level=level,
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        valid_from=date,
        valid_to=parent.valid_to if parent else None,
        note=target.note or "",
    )


@transaction.atomic
def record_merge(
    actor: Any,
    predecessors: Sequence[AdminUnit],
    successor: AdminUnit | NewUnit,
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    note: str = "",
) -> UnitChange:
    """Predecessors merge into an existing unit (which continues) or into a new one valid from `date`.

    The predecessors close the day before; their children still valid move to the successor.
    """
    ensure_admin(actor)
    date = _check_basis(date)
    preds = _lock(_distinct(predecessors))
    if not preds:
        raise _err(_("Hãy chọn các đơn vị được sáp nhập. / Choose the units being merged."), "predecessors")
    level = preds[0].level
    if any(p.level != level for p in preds):
        raise _err(
            _("Các đơn vị sáp nhập phải cùng cấp. / Merged units must be of the same level."), "predecessors"
        )
    for p in preds:
        ensure_can_write(actor, p)
        _check_predecessor(p, date)
    if isinstance(successor, AdminUnit):
        successor = _lock([successor])[0]
        if successor.pk in {p.pk for p in preds}:
            raise _err(
                _(
                    "Đơn vị tiếp nhận vẫn tồn tại: chỉ chọn nó là đơn vị kế thừa, "
                    "không chọn là đơn vị bị sáp nhập. "
                    "/ The receiving unit continues: choose it as the successor only, not as a merged unit."
                ),
                "successors",
            )
        _check_successor(successor, date, level)
        ensure_can_write(actor, successor)
    elif len(preds) < 2:
        raise _err(
            _(
                "Sáp nhập thành đơn vị mới cần ít nhất hai đơn vị. "
                "/ A merge into a new unit needs at least two units."
            ),
            "predecessors",
        )
    change = _new_change(actor, UnitChange.ChangeKind.MERGE, date, basis_number, basis_date, note)
    succ = _successor_row(actor, successor, level, date, _common_parent(preds, date))
    for p in preds:
        _close(actor, p, date)
        _edge(actor, change, p, succ, primary=True)
        _move_children(actor, p, succ, date)
    return change


@transaction.atomic
def record_split(
    actor: Any,
    predecessor: AdminUnit,
    successors: Sequence[SuccessorSpec],
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    note: str = "",
) -> UnitChange:
    """One unit is divided among several successors, existing or new.

    Either every successor has a share (they must add up to 1) or none has, and then exactly one
    is the primary successor that receives figures when they are re-based. Children still valid
    move to the primary successor, or the one with the largest share.
    """
    ensure_admin(actor)
    date = _check_basis(date)
    pred = _lock([predecessor])[0]
    ensure_can_write(actor, pred)
    _check_predecessor(pred, date)
    if len(successors) < 2:
        raise _err(
            _("Chia tách cần ít nhất hai đơn vị kế thừa. / A split needs at least two successors."),
            "successors",
        )
    shares = [s.share.quantize(SHARE_PLACES) if s.share is not None else None for s in successors]
    for spec, share in zip(successors, shares, strict=True):
        spec.share = share
    if any(s is not None for s in shares):
        if any(s is None for s in shares):
            raise _err(
                _(
                    "Hãy nhập tỷ lệ cho mọi đơn vị kế thừa, hoặc để trống tất cả. "
                    "/ Give a share for every successor, or for none."
                ),
                "successors",
            )
        if any(s is None or s <= 0 or s > 1 for s in shares):
            raise _err(
                _(
                    "Mỗi tỷ lệ phải lớn hơn 0 và không quá 100%%. "
                    "/ Each share must be above 0 and at most 100%%."
                )
                % {},
                "successors",
            )
        total = sum((s for s in shares if s is not None), Decimal(0))
        if abs(total - 1) > SHARE_TOLERANCE:
            raise _err(
                _(
                    "Tổng tỷ lệ phải bằng 100%% (hiện là %(total)s%%). / The shares must add up to 100%% "
                    "(they add up to %(total)s%%)."
                )
                % {"total": number(total * 100, 1)},
                "successors",
            )
    primaries = [s for s in successors if s.primary]
    if len(primaries) > 1:
        raise _err(_("Chỉ chọn một đơn vị kế thừa chính. / Choose only one primary successor."), "successors")
    if shares[0] is None and not primaries:
        raise _err(
            _(
                "Khi không có tỷ lệ, hãy chọn đơn vị kế thừa chính (nhận số liệu khi quy đổi). "
                "/ Without shares, choose the primary successor (it receives re-based figures)."
            ),
            "successors",
        )
    existing = [s.unit for s in successors if s.unit is not None]
    if len({u.pk for u in existing}) != len(existing):
        raise _err(_("Một đơn vị được chọn hai lần. / A unit was chosen twice."), "successors")
    for s in successors:
        if (s.unit is None) == (s.new is None):
            raise _err(
                _(
                    "Mỗi đơn vị kế thừa là một đơn vị có sẵn hoặc một đơn vị mới. "
                    "/ Each successor is either an existing unit or a new one."
                ),
                "successors",
            )
        if s.unit is not None:
            if s.unit.pk == pred.pk:
                raise _err(
                    _(
                        "Đơn vị bị chia tách không thể là đơn vị kế thừa; phần còn lại là một đơn vị mới. "
                        "/ The divided unit cannot be its own successor; its remainder is a new unit."
                    ),
                    "successors",
                )
            _check_successor(s.unit, date, pred.level)
            ensure_can_write(actor, s.unit)
    change = _new_change(actor, UnitChange.ChangeKind.SPLIT, date, basis_number, basis_date, note)
    default_parent = pred.parent if pred.parent and _valid_on(pred.parent, date) else None
    rows: list[tuple[AdminUnit, SuccessorSpec]] = []
    for s in successors:
        target: AdminUnit | NewUnit = s.unit if s.unit is not None else s.new  # type: ignore[assignment]
        rows.append((_successor_row(actor, target, pred.level, date, default_parent), s))
    _close(actor, pred, date)
    for row, s in rows:
        _edge(actor, change, pred, row, share=s.share, primary=s.primary)
    heir = next((r for r, s in rows if s.primary), None) or max(rows, key=lambda rs: rs[1].share or 0)[0]
    _move_children(actor, pred, heir, date)
    return change


def _continue_as(
    actor: Any,
    change_kind: str,
    unit: AdminUnit,
    date: dt.date,
    basis_number: str,
    basis_date: dt.date | None,
    note: str,
    **fields: Any,
) -> UnitChange:
    """Rename / re-parent: a new row from `date`, the old one closed, children moved to the new row."""
    change = _new_change(actor, change_kind, date, basis_number, basis_date, note)
    row = _new_row(
        actor,
        level=unit.level,
        kind=fields.get("kind", unit.kind),
        name=fields.get("name", unit.name),
        code=fields.get("code", unit.code),
        parent=fields.get("parent", unit.parent),
        valid_from=date,
        valid_to=unit.valid_to if unit.valid_to and unit.valid_to >= date else None,
        note=unit.note,
    )
    _close(actor, unit, date)
    _edge(actor, change, unit, row, primary=True)
    _move_children(actor, unit, row, date)
    return change


@transaction.atomic
def rename_unit(
    actor: Any,
    unit: AdminUnit,
    new_name: str,
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    *,
    kind: str | None = None,
    code: str | None = None,
    note: str = "",
) -> UnitChange:
    """The unit continues under a new name (and optionally a new kind, e.g. xã → thị trấn, or code)."""
    ensure_admin(actor)
    date = _check_basis(date)
    unit = _lock([unit])[0]
    ensure_can_write(actor, unit)
    _check_predecessor(unit, date)
    name = nfc(new_name or "")
    if not name:
        raise _err(_("Hãy nhập tên mới. / Enter the new name."), "new_name")
    kind = kind or unit.kind
    if _level_of(kind) != unit.level:
        raise _err(
            _("Loại mới phải cùng cấp với đơn vị. / The new kind must keep the unit's level."), "new_kind"
        )
    code = unit.code if code is None else code.strip()
    if name == unit.name and kind == unit.kind and code == unit.code:
        raise _err(_("Tên, loại và mã đều không đổi. / Name, kind and code are all unchanged."), "new_name")
    if unit.parent is not None and not _valid_on(unit.parent, date):
        raise _err(
            _(
                "Đơn vị cấp trên không có hiệu lực vào ngày đổi tên. "
                "/ The parent unit is not valid on the date of the change."
            ),
            "effective_date",
        )
    valid_to = unit.valid_to if unit.valid_to and unit.valid_to >= date else None
    _check_unique(unit.level, code, name, unit.parent, date, valid_to, exclude=unit.pk)
    return _continue_as(
        actor,
        UnitChange.ChangeKind.RENAME,
        unit,
        date,
        basis_number,
        basis_date,
        note,
        name=name,
        kind=kind,
        code=code,
    )


@transaction.atomic
def reparent_unit(
    actor: Any,
    unit: AdminUnit,
    new_parent: AdminUnit,
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    note: str = "",
) -> UnitChange:
    """The unit moves under another parent from `date` (a new row; the old one keeps the old structure)."""
    ensure_admin(actor)
    date = _check_basis(date)
    unit = _lock([unit])[0]
    ensure_can_write(actor, unit)
    ensure_can_write(actor, new_parent)
    _check_predecessor(unit, date)
    _check_parent(unit.level, new_parent)
    if new_parent.pk == unit.parent_id:
        raise _err(
            _("Đơn vị đã trực thuộc %(parent)s. / The unit already sits under %(parent)s.")
            % {"parent": new_parent.full_name},
            "new_parent",
        )
    if new_parent.path.startswith(unit.path):
        raise _err(
            _(
                "Không thể chuyển đơn vị vào chính nó hoặc cấp dưới của nó. "
                "/ A unit cannot move under itself or its own descendants."
            ),
            "new_parent",
        )
    if not _valid_on(new_parent, date):
        raise _err(
            _("%(unit)s không có hiệu lực vào ngày %(date)s. / %(unit)s is not valid on %(date)s.")
            % {"unit": new_parent.full_name, "date": _d(date)},
            "new_parent",
        )
    valid_to = unit.valid_to if unit.valid_to and unit.valid_to >= date else None
    if new_parent.valid_to and (valid_to is None or valid_to > new_parent.valid_to):
        valid_to = new_parent.valid_to
    _check_unique(unit.level, unit.code, unit.name, new_parent, date, valid_to, exclude=unit.pk)
    return _continue_as(
        actor, UnitChange.ChangeKind.REPARENT, unit, date, basis_number, basis_date, note, parent=new_parent
    )


@transaction.atomic
def record_create(
    actor: Any,
    new: NewUnit,
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    note: str = "",
) -> UnitChange:
    """A unit established on `date` (a change event with no predecessor)."""
    ensure_admin(actor)
    date = _check_basis(date)
    level = _level_of(new.kind)
    if new.parent is None and level != Level.PROVINCE:
        raise _err(_("Hãy chọn đơn vị cấp trên. / Choose the parent unit."), "new_parent")
    change = _new_change(actor, UnitChange.ChangeKind.CREATE, date, basis_number, basis_date, note)
    row = _successor_row(actor, new, level, date, None)
    _edge(actor, change, None, row, primary=True)
    return change


@transaction.atomic
def record_abolish(
    actor: Any,
    unit: AdminUnit,
    date: dt.date,
    basis_number: str = "",
    basis_date: dt.date | None = None,
    successor: AdminUnit | None = None,
    note: str = "",
) -> UnitChange:
    """The unit ceases on `date`. With a successor its territory (and children) pass to it;
    without one its still-open descendants close with it."""
    ensure_admin(actor)
    date = _check_basis(date)
    unit = _lock([unit])[0]
    ensure_can_write(actor, unit)
    _check_predecessor(unit, date)
    if successor is not None:
        successor = _lock([successor])[0]
        if successor.pk == unit.pk:
            raise _err(_("Đơn vị không thể kế thừa chính nó. / A unit cannot succeed itself."), "successors")
        _check_successor(successor, date, unit.level)
        ensure_can_write(actor, successor)
    change = _new_change(actor, UnitChange.ChangeKind.ABOLISH, date, basis_number, basis_date, note)
    _close(actor, unit, date)
    _edge(actor, change, unit, successor, primary=successor is not None)
    if successor is not None:
        _move_children(actor, unit, successor, date)
    else:
        _close_subtree(actor, unit, date - DAY)
    return change


def record_change(
    actor: Any,
    kind: str,
    *,
    date: dt.date | None,
    predecessors: Sequence[AdminUnit] = (),
    successors: Sequence[SuccessorSpec] = (),
    basis_number: str = "",
    basis_date: dt.date | None = None,
    note: str = "",
    new_name: str = "",
    new_kind: str | None = None,
    new_code: str | None = None,
    new_parent: AdminUnit | None = None,
) -> UnitChange:
    """One entry point for the change form and the API: checks the shape of the request per kind."""
    ensure_admin(actor)
    date = _check_basis(date)
    preds = _distinct(predecessors)
    K = UnitChange.ChangeKind

    def one_pred() -> AdminUnit:
        if len(preds) != 1:
            raise _err(
                _("Hãy chọn đúng một đơn vị bị thay đổi. / Choose exactly one unit to change."),
                "predecessors",
            )
        return preds[0]

    if kind == K.MERGE:
        if len(successors) != 1:
            raise _err(
                _(
                    "Sáp nhập cần đúng một đơn vị kế thừa (có sẵn hoặc mới). "
                    "/ A merge needs exactly one successor (existing or new)."
                ),
                "successors",
            )
        s = successors[0]
        target: AdminUnit | NewUnit | None = s.unit or s.new
        if target is None:
            raise _err(_("Hãy chọn đơn vị kế thừa. / Choose the successor."), "successors")
        if isinstance(target, NewUnit) and target.parent is None:
            target.parent = new_parent
        return record_merge(actor, preds, target, date, basis_number, basis_date, note)
    if kind == K.SPLIT:
        pred = one_pred()
        for s in successors:
            if s.new is not None and s.new.parent is None:
                s.new.parent = new_parent
        return record_split(actor, pred, successors, date, basis_number, basis_date, note)
    if kind == K.RENAME:
        return rename_unit(
            actor,
            one_pred(),
            new_name,
            date,
            basis_number,
            basis_date,
            kind=new_kind or None,
            code=new_code,
            note=note,
        )
    if kind == K.REPARENT:
        if new_parent is None:
            raise _err(_("Hãy chọn đơn vị cấp trên mới. / Choose the new parent unit."), "new_parent")
        return reparent_unit(actor, one_pred(), new_parent, date, basis_number, basis_date, note)
    if kind == K.CREATE:
        news = [s.new for s in successors if s.new is not None]
        if len(news) != 1 or len(successors) != 1:
            raise _err(
                _("Thành lập cần đúng một đơn vị mới. / A creation needs exactly one new unit."), "successors"
            )
        if news[0].parent is None:
            news[0].parent = new_parent
        return record_create(actor, news[0], date, basis_number, basis_date, note)
    if kind == K.ABOLISH:
        if len(successors) > 1 or any(s.unit is None for s in successors):
            raise _err(
                _(
                    "Giải thể có tối đa một đơn vị kế thừa có sẵn. "
                    "/ An abolition has at most one existing successor."
                ),
                "successors",
            )
        return record_abolish(
            actor,
            one_pred(),
            date,
            basis_number,
            basis_date,
            successor=successors[0].unit if successors else None,
            note=note,
        )
    raise _err(_("Loại thay đổi không hợp lệ. / Unknown kind of change."), "kind")
