"""Writes on programmes, components and capital plans: atomic, audited, scope-checked.

Rules:
- The catalogue (programmes, components) is reference data for the whole province: system
  administrators only (`ensure_admin`).
- A plan decision is recorded by anyone who can write in the area of the decision's unit, and every
  line's unit must be in the writer's area too (`ensure_can_write`), inside the decision's unit and
  valid during the plan year.
- A decision's total is the sum of its lines, never stored. Initial and carry-over lines are
  positive; an adjustment line carries the change (+/-) and may not take the year's plan for its
  component x unit x source x type below zero; a carry-over may not exceed what was planned for that
  key. The disbursement deadline defaults to 31/01 of the next year (31/12 of the next year for a
  carry-over).
- Every write leaves its audit entry in the same transaction (`dantoc.core.services`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, ProtectedError, Q, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dantoc.core import services as core
from dantoc.core.scoping import ensure_admin, ensure_can_write
from dantoc.core.services import ConcurrentEditError
from dantoc.core.text import nfc
from dantoc.geo.models import AdminUnit
from dantoc.programs.models import (
    CapitalPlanLine,
    CapitalType,
    Component,
    FundingSource,
    PlanDecision,
    Program,
)

__all__ = [
    "ConcurrentEditError",
    "LineSpec",
    "create_component",
    "create_plan_decision",
    "create_program",
    "default_deadline",
    "delete_plan_decision",
    "update_component",
    "update_plan_decision",
    "update_program",
]

PROGRAM_FIELDS = {
    "code",
    "name",
    "short_name",
    "start_year",
    "end_year",
    "basis_number",
    "basis_date",
    "owner_agency",
    "description",
}
COMPONENT_FIELDS = {"code", "name", "level", "category", "order", "parent"}
DECISION_FIELDS = {"year", "revision", "authority", "number", "date", "unit", "disburse_until", "note"}
Key = tuple[int, int, int, str]


@dataclass(frozen=True)
class LineSpec:
    """One line of a plan decision as entered: component x unit x source x capital type x amount."""

    component: Component
    unit: AdminUnit
    source: FundingSource
    capital_type: str
    amount_vnd: int

    @property
    def key(self) -> Key:
        return (self.component.pk, self.unit.pk, self.source.pk, self.capital_type)


def _err(message: str, field: str | None = None) -> ValidationError:
    return ValidationError({field: [message]} if field else message)


def _d(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _clean_text(changes: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if isinstance(changes.get(name), str):
            changes[name] = nfc(changes[name])


# --- catalogue -------------------------------------------------------------------------------------


def _check_program(values: dict[str, Any], exclude: int | None = None) -> None:
    code = values.get("code") or ""
    if not code:
        raise _err(_("Cần mã chương trình. / A programme code is required."), "code")
    if Program.objects.filter(code__iexact=code).exclude(pk=exclude or 0).exists():
        raise _err(
            _("Mã chương trình %(code)s đã có. / Programme code %(code)s already exists.") % {"code": code},
            "code",
        )
    start, end = values.get("start_year"), values.get("end_year")
    if start is not None and end is not None and end < start:
        raise _err(_("Năm kết thúc trước năm bắt đầu. / The end year is before the start year."), "end_year")


@transaction.atomic
def create_program(actor: Any, **fields: Any) -> Program:
    ensure_admin(actor)
    values = {k: v for k, v in fields.items() if k in PROGRAM_FIELDS}
    _clean_text(values, ("code", "name", "short_name", "basis_number", "owner_agency"))
    _check_program(values)
    return core.create(actor, Program(**values))


@transaction.atomic
def update_program(
    actor: Any, program: Program, changes: dict[str, Any], expected_version: int | None = None
) -> Program:
    ensure_admin(actor)
    values = {k: v for k, v in changes.items() if k in PROGRAM_FIELDS}
    _clean_text(values, ("code", "name", "short_name", "basis_number", "owner_agency"))
    merged = {f: getattr(program, f) for f in PROGRAM_FIELDS} | values
    _check_program(merged, exclude=program.pk)
    if "start_year" in values or "end_year" in values:
        _check_program_covers_plans(program, merged["start_year"], merged["end_year"])
    return core.update(actor, program, values, expected_version)


def _check_program_covers_plans(program: Program, start: int, end: int | None) -> None:
    outside = Q(decision__year__lt=start)
    if end is not None:
        outside |= Q(decision__year__gt=end)
    year = (
        CapitalPlanLine.objects.filter(component__program=program)
        .filter(outside)
        .values_list("decision__year", flat=True)
        .order_by("decision__year")
        .first()
    )
    if year is not None:
        raise _err(
            _(
                "Đã có kế hoạch vốn năm %(year)s ngoài thời gian mới của chương trình. / Capital is planned "
                "in %(year)s, outside the new period."
            )
            % {"year": year},
            "start_year",
        )


def _check_component(program: Program, values: dict[str, Any], pk: int | None = None) -> None:
    code = values.get("code") or ""
    if not code:
        raise _err(_("Cần mã dự án thành phần. / A component code is required."), "code")
    if Component.objects.filter(program=program, code__iexact=code).exclude(pk=pk or 0).exists():
        raise _err(
            _("Mã %(code)s đã có trong chương trình này. / Code %(code)s already exists in this programme.")
            % {"code": code},
            "code",
        )
    parent = values.get("parent")
    if parent is not None:
        if parent.program_id != program.pk:
            raise _err(
                _(
                    "Dự án cấp trên phải thuộc cùng chương trình. / The parent must belong to the same "
                    "programme."
                ),
                "parent",
            )
        seen = parent
        while seen is not None:  # a component tree is a few levels deep
            if pk is not None and seen.pk == pk:
                raise _err(
                    _("Không thể đặt một dự án dưới chính nó. / A component cannot sit under itself."),
                    "parent",
                )
            seen = seen.parent
    if values.get("level") and values["level"] not in Component.Level.values:
        raise _err(_("Cấp không hợp lệ. / Unknown level."), "level")
    if values.get("category") and values["category"] not in Component.Category.values:
        raise _err(_("Nhóm không hợp lệ. / Unknown category."), "category")


@transaction.atomic
def create_component(actor: Any, program: Program, **fields: Any) -> Component:
    ensure_admin(actor)
    values = {k: v for k, v in fields.items() if k in COMPONENT_FIELDS}
    _clean_text(values, ("code", "name"))
    _check_component(program, values)
    if "order" not in values:
        values["order"] = Component.objects.filter(program=program, parent=values.get("parent")).count() + 1
    return core.create(actor, Component(program=program, **values))


@transaction.atomic
def update_component(
    actor: Any, component: Component, changes: dict[str, Any], expected_version: int | None = None
) -> Component:
    ensure_admin(actor)
    values = {k: v for k, v in changes.items() if k in COMPONENT_FIELDS}
    _clean_text(values, ("code", "name"))
    merged = {f: getattr(component, f) for f in COMPONENT_FIELDS} | values
    _check_component(component.program, merged, pk=component.pk)
    return core.update(actor, component, values, expected_version)


# --- capital plans ---------------------------------------------------------------------------------


def default_deadline(year: int, revision: str) -> dt.date:
    """31/01 of the next year; 31/12 of the next year for carried-over capital."""
    if revision == PlanDecision.Revision.CARRY_OVER:
        return dt.date(year + 1, 12, 31)
    return dt.date(year + 1, 1, 31)


def _valid_during(unit: AdminUnit, year: int) -> bool:
    return (unit.valid_from is None or unit.valid_from <= dt.date(year, 12, 31)) and (
        unit.valid_to is None or unit.valid_to >= dt.date(year, 1, 1)
    )


def _check_header(header: dict[str, Any], exclude: int | None = None) -> None:
    year, revision = header["year"], header["revision"]
    if revision not in PlanDecision.Revision.values:
        raise _err(_("Loại quyết định không hợp lệ. / Unknown kind of decision."), "revision")
    if not (2000 <= year <= 2100):
        raise _err(_("Năm kế hoạch không hợp lệ. / Invalid plan year."), "year")
    for name in ("authority", "number"):
        if not header.get(name):
            raise _err(_("Trường này là bắt buộc. / This field is required."), name)
    if header["disburse_until"].year <= year:
        raise _err(
            _(
                "Hạn giải ngân phải sau năm kế hoạch (mặc định 31/01 năm sau). / The disbursement deadline "
                "must fall after the plan year (by default 31 January of the next year)."
            ),
            "disburse_until",
        )
    unit: AdminUnit = header["unit"]
    if not _valid_during(unit, year):
        raise _err(
            _("%(unit)s không còn hiệu lực trong năm %(year)s. / %(unit)s did not exist in %(year)s.")
            % {"unit": unit.full_name, "year": year},
            "unit",
        )
    # Compared in Python: SQLite's case-insensitive match ignores "Đ"/"đ".
    numbers = (
        PlanDecision.objects.filter(year=year, unit=unit)
        .exclude(pk=exclude or 0)
        .values_list("number", flat=True)
    )
    if header["number"].upper() in {n.upper() for n in numbers}:
        raise _err(
            _(
                "Quyết định số %(number)s năm %(year)s đã được nhập. / Decision %(number)s of %(year)s is "
                "already recorded."
            )
            % {"number": header["number"], "year": year},
            "number",
        )


def _check_lines(
    actor: Any, header: dict[str, Any], lines: Sequence[LineSpec], exclude: int | None = None
) -> None:
    """Every rule a set of lines must meet, checked before anything is written."""
    year, revision, unit = header["year"], header["revision"], header["unit"]
    if not lines:
        raise _err(_("Quyết định cần ít nhất một dòng vốn. / A decision needs at least one line."), "lines")
    seen: set[Key] = set()
    for i, line in enumerate(lines, start=1):
        where = {"row": i}
        ensure_can_write(actor, line.unit)
        if not line.unit.path.startswith(unit.path):
            raise _err(
                _(
                    "Dòng %(row)s: đơn vị thực hiện phải thuộc cấp giao vốn. / Line %(row)s: the "
                    "unit must lie "
                    "within the assigning unit."
                )
                % where,
                "lines",
            )
        if not _valid_during(line.unit, year):
            raise _err(
                _(
                    "Dòng %(row)s: %(unit)s không còn hiệu lực trong năm %(year)s. / Line %(row)s: "
                    "%(unit)s did "
                    "not exist in %(year)s."
                )
                % {**where, "unit": line.unit.full_name, "year": year},
                "lines",
            )
        program = line.component.program
        if year < program.start_year or (program.end_year is not None and year > program.end_year):
            raise _err(
                _(
                    "Dòng %(row)s: năm %(year)s ngoài thời gian của %(program)s. / Line %(row)s: %(year)s is "
                    "outside the period of %(program)s."
                )
                % {**where, "year": year, "program": program.code},
                "lines",
            )
        if line.capital_type not in CapitalType.values:
            raise _err(
                _("Dòng %(row)s: loại vốn không hợp lệ. / Line %(row)s: unknown capital type.") % where,
                "lines",
            )
        if line.amount_vnd == 0:
            raise _err(
                _("Dòng %(row)s: số tiền phải khác 0. / Line %(row)s: the amount must not be zero.") % where,
                "lines",
            )
        if line.amount_vnd < 0 and revision != PlanDecision.Revision.ADJUSTMENT:
            raise _err(
                _(
                    "Dòng %(row)s: chỉ quyết định điều chỉnh mới có số âm. / Line %(row)s: only an "
                    "adjustment "
                    "may be negative."
                )
                % where,
                "lines",
            )
        if abs(line.amount_vnd) >= 10**15:
            raise _err(
                _("Dòng %(row)s: số tiền quá lớn. / Line %(row)s: the amount is too large.") % where, "lines"
            )
        if line.key in seen:
            raise _err(
                _(
                    "Dòng %(row)s trùng một dòng khác (cùng dự án, đơn vị, nguồn và loại vốn). / "
                    "Line %(row)s "
                    "repeats another line (same component, unit, source and type)."
                )
                % where,
                "lines",
            )
        seen.add(line.key)
    if revision in (PlanDecision.Revision.ADJUSTMENT, PlanDecision.Revision.CARRY_OVER):
        _check_against_plan(year, revision, lines, exclude)


def _check_against_plan(year: int, revision: str, lines: Sequence[LineSpec], exclude: int | None) -> None:
    """An adjustment may not take a key below zero; a carry-over may not exceed what is left of the plan."""
    carry = PlanDecision.Revision.CARRY_OVER
    rows = (
        CapitalPlanLine.objects.filter(decision__year=year)
        .exclude(decision_id=exclude)
        .filter(component__in={ln.component.pk for ln in lines}, unit__in={ln.unit.pk for ln in lines})
        .values("component", "unit", "source", "capital_type")
        .annotate(
            plan=Sum("amount_vnd", filter=~Q(decision__revision=carry)),
            carried=Sum("amount_vnd", filter=Q(decision__revision=carry)),
        )
    )
    known: dict[Key, tuple[int, int]] = {
        (r["component"], r["unit"], r["source"], r["capital_type"]): (r["plan"] or 0, r["carried"] or 0)
        for r in rows
    }
    for i, line in enumerate(lines, start=1):
        plan, carried = known.get(line.key, (0, 0))
        if revision == PlanDecision.Revision.ADJUSTMENT and plan + line.amount_vnd < 0:
            raise _err(
                _(
                    "Dòng %(row)s: điều chỉnh giảm nhiều hơn kế hoạch đã giao. / Line %(row)s: the "
                    "cut exceeds "
                    "the capital assigned."
                )
                % {"row": i},
                "lines",
            )
        if revision == carry and line.amount_vnd > plan - carried:
            raise _err(
                _(
                    "Dòng %(row)s: vốn kéo dài vượt kế hoạch năm %(year)s còn lại. / Line %(row)s: "
                    "the carry-over "
                    "exceeds what is left of the %(year)s plan."
                )
                % {"row": i, "year": year},
                "lines",
            )


def _header(values: dict[str, Any]) -> dict[str, Any]:
    header = dict(values)
    _clean_text(header, ("authority", "number", "note"))
    header.setdefault("revision", PlanDecision.Revision.INITIAL)
    header.setdefault("note", "")
    if header.get("disburse_until") is None:
        header["disburse_until"] = default_deadline(header["year"], header["revision"])
    return header


@transaction.atomic
def create_plan_decision(
    actor: Any,
    *,
    year: int,
    authority: str,
    number: str,
    date: dt.date,
    unit: AdminUnit,
    lines: Sequence[LineSpec],
    revision: str = PlanDecision.Revision.INITIAL,
    disburse_until: dt.date | None = None,
    note: str = "",
) -> PlanDecision:
    """Record a decision with its lines (all or nothing)."""
    ensure_can_write(actor, unit)
    header = _header(
        {
            "year": year,
            "revision": revision,
            "authority": authority,
            "number": number,
            "date": date,
            "unit": unit,
            "disburse_until": disburse_until,
            "note": note,
        }
    )
    _check_header(header)
    _check_lines(actor, header, lines)
    decision = core.create(actor, PlanDecision(**header))
    for line in lines:
        core.create(
            actor,
            CapitalPlanLine(
                decision=decision,
                component=line.component,
                unit=line.unit,
                source=line.source,
                capital_type=line.capital_type,
                amount_vnd=line.amount_vnd,
            ),
        )
    return decision


def _spec(line: CapitalPlanLine) -> LineSpec:
    return LineSpec(line.component, line.unit, line.source, line.capital_type, line.amount_vnd)


@transaction.atomic
def update_plan_decision(
    actor: Any,
    decision: PlanDecision,
    changes: dict[str, Any],
    expected_version: int | None = None,
    lines: Sequence[LineSpec] | None = None,
) -> PlanDecision:
    """Change a decision's header and, when `lines` is given, replace its lines by that set.

    Lines are matched by component x unit x source x type: a changed amount updates the line, a new key
    adds one, a missing key deletes it (refused if payments were recorded against it).
    """
    current = PlanDecision.objects.select_for_update().select_related("unit").get(pk=decision.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    ensure_can_write(actor, current.unit)
    values = {k: v for k, v in changes.items() if k in DECISION_FIELDS}
    if "unit" in values:
        ensure_can_write(actor, values["unit"])
    header = _header({f: getattr(current, f) for f in DECISION_FIELDS} | values)
    if ("year" in values or "revision" in values) and "disburse_until" not in values:
        header["disburse_until"] = default_deadline(header["year"], header["revision"])
    _check_header(header, exclude=current.pk)
    existing = list(current.lines.select_related("component__program", "unit", "source"))
    for line in existing:
        ensure_can_write(actor, line.unit)
    specs = list(lines) if lines is not None else [_spec(ln) for ln in existing]
    _check_lines(actor, header, specs, exclude=current.pk)

    header_changes = {k: header[k] for k in DECISION_FIELDS if header[k] != getattr(current, k)}
    updated = core.update(actor, current, header_changes) if header_changes else current
    if (
        lines is not None
        and _replace_lines(actor, updated, existing, specs)
        and updated.version == current.version
    ):
        PlanDecision.objects.filter(pk=updated.pk).update(version=F("version") + 1)
        updated.refresh_from_db()
    return updated


def _replace_lines(
    actor: Any, decision: PlanDecision, existing: list[CapitalPlanLine], specs: Sequence[LineSpec]
) -> bool:
    by_key = {(ln.component_id, ln.unit_id, ln.source_id, ln.capital_type): ln for ln in existing}
    wanted = {s.key: s for s in specs}
    changed = False
    for key, line in by_key.items():
        if key not in wanted:
            try:
                with transaction.atomic():
                    core.delete(actor, line)
            except ProtectedError as exc:
                raise _err(
                    _(
                        "Không thể xoá dòng vốn đã có giải ngân. / A line with recorded payments cannot be "
                        "removed."
                    ),
                    "lines",
                ) from exc
            changed = True
    for key, spec in wanted.items():
        found = by_key.get(key)
        if found is None:
            core.create(
                actor,
                CapitalPlanLine(
                    decision=decision,
                    component=spec.component,
                    unit=spec.unit,
                    source=spec.source,
                    capital_type=spec.capital_type,
                    amount_vnd=spec.amount_vnd,
                ),
            )
            changed = True
        elif found.amount_vnd != spec.amount_vnd:
            core.update(actor, found, {"amount_vnd": spec.amount_vnd})
            changed = True
    return changed


@transaction.atomic
def delete_plan_decision(actor: Any, decision: PlanDecision, expected_version: int | None = None) -> None:
    """Remove a decision and its lines (refused once payments were recorded against one of them)."""
    current = PlanDecision.objects.select_for_update().select_related("unit").get(pk=decision.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError()
    ensure_can_write(actor, current.unit)
    lines = list(current.lines.select_related("unit"))
    for line in lines:
        ensure_can_write(actor, line.unit)
    try:
        with transaction.atomic():
            for line in lines:
                core.delete(actor, line)
            core.delete(actor, current)
    except ProtectedError as exc:
        raise _err(
            _(
                "Không thể xoá quyết định đã có giải ngân. / A decision with recorded payments cannot be "
                "removed."
            )
        ) from exc
