"""Programmes, components and capital plans over HTTP: reads through selectors, writes through services.

Errors: 403 outside the caller's area or role, 404 unknown or out-of-area object, 409 stale `version`,
422 invalid input (bilingual messages).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from dantoc.core.api_errors import domain_errors
from dantoc.core.scoping import scoped
from dantoc.geo.models import AdminUnit
from dantoc.programs import selectors, services
from dantoc.programs.models import CapitalPlanLine, Component, PlanDecision, Program

router = Router(tags=["programs"])


# --- schemas ---------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: Any


class ComponentOut(Schema):
    id: int
    program: str
    parent: int | None
    code: str
    name: str
    level: str
    category: str
    order: int
    depth: int
    version: int


class ProgramOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    start_year: int
    end_year: int | None
    basis_number: str
    basis_date: dt.date | None
    owner_agency: str
    description: str
    version: int


class ProgramDetailOut(ProgramOut):
    components: list[ComponentOut]


class ProgramPage(Schema):
    count: int
    items: list[ProgramOut]


class ProgramIn(Schema):
    code: str
    name: str
    short_name: str = ""
    start_year: int
    end_year: int | None = None
    basis_number: str = ""
    basis_date: dt.date | None = None
    owner_agency: str = ""
    description: str = ""


class ProgramPatch(Schema):
    version: int
    code: str | None = None
    name: str | None = None
    short_name: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    basis_number: str | None = None
    basis_date: dt.date | None = None
    owner_agency: str | None = None
    description: str | None = None


class ComponentPage(Schema):
    count: int
    items: list[ComponentOut]


class ComponentIn(Schema):
    program: str
    code: str
    name: str
    parent: int | None = None
    level: str = Component.Level.PROJECT
    category: str = Component.Category.OTHER
    order: int | None = None


class ComponentPatch(Schema):
    version: int
    code: str | None = None
    name: str | None = None
    parent: int | None = None
    level: str | None = None
    category: str | None = None
    order: int | None = None


class SourceOut(Schema):
    code: str
    name: str


class UnitRef(Schema):
    id: int
    code: str
    name: str


class ComponentRef(Schema):
    id: int
    program: str
    code: str
    name: str


class LineOut(Schema):
    id: int
    component: ComponentRef
    unit: UnitRef
    source: str
    capital_type: str
    amount_vnd: int


class LineIn(Schema):
    component: int
    unit: int
    source: str
    capital_type: str
    amount_vnd: int


class DecisionOut(Schema):
    id: int
    year: int
    revision: str
    authority: str
    number: str
    date: dt.date
    unit: UnitRef
    disburse_until: dt.date
    note: str
    version: int
    total_vnd: int
    lines: list[LineOut]


class DecisionPage(Schema):
    count: int
    items: list[DecisionOut]


class DecisionIn(Schema):
    year: int
    revision: str = PlanDecision.Revision.INITIAL
    authority: str
    number: str
    date: dt.date
    unit: int
    disburse_until: dt.date | None = None
    note: str = ""
    lines: list[LineIn]


class DecisionPatch(Schema):
    version: int
    year: int | None = None
    revision: str | None = None
    authority: str | None = None
    number: str | None = None
    date: dt.date | None = None
    unit: int | None = None
    disburse_until: dt.date | None = None
    note: str | None = None
    lines: list[LineIn] | None = None


class DecisionFilters(Schema):
    year: int | None = None
    program: str | None = None
    unit: int | None = None
    revision: str | None = None
    limit: int = 100
    offset: int = 0


class TotalsFilters(Schema):
    year: int | None = None
    program: str | None = None
    unit: int | None = None
    source: str | None = None
    capital_type: str | None = None
    by: str = "year,program"
    unit_level: str | None = None


class TotalsOut(Schema):
    plan_vnd: int
    carry_over_vnd: int
    items: list[dict[str, Any]]


# --- helpers ---------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


WRITE_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _program_out(p: Program) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "short_name": p.short_name,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "basis_number": p.basis_number,
        "basis_date": p.basis_date,
        "owner_agency": p.owner_agency,
        "description": p.description,
        "version": p.version,
    }


def _component_out(c: Component, depth: int = 0, program_code: str | None = None) -> dict[str, Any]:
    return {
        "id": c.pk,
        "program": program_code or c.program.code,
        "parent": c.parent_id,
        "code": c.code,
        "name": c.name,
        "level": c.level,
        "category": c.category,
        "order": c.order,
        "depth": depth,
        "version": c.version,
    }


def _program_detail(p: Program) -> dict[str, Any]:
    tree = selectors.component_tree(p)
    return {**_program_out(p), "components": [_component_out(c, d, p.code) for c, d in tree]}


def _unit_ref(u: AdminUnit) -> dict[str, Any]:
    return {"id": u.pk, "code": u.code, "name": u.full_name}


def _line_out(line: CapitalPlanLine) -> dict[str, Any]:
    c = line.component
    return {
        "id": line.pk,
        "component": {"id": c.pk, "program": c.program.code, "code": c.code, "name": c.name},
        "unit": _unit_ref(line.unit),
        "source": line.source.code,
        "capital_type": line.capital_type,
        "amount_vnd": line.amount_vnd,
    }


def _decision_out(d: PlanDecision, lines: list[CapitalPlanLine]) -> dict[str, Any]:
    return {
        "id": d.pk,
        "year": d.year,
        "revision": d.revision,
        "authority": d.authority,
        "number": d.number,
        "date": d.date,
        "unit": _unit_ref(d.unit),
        "disburse_until": d.disburse_until,
        "note": d.note,
        "version": d.version,
        "total_vnd": sum(ln.amount_vnd for ln in lines),
        "lines": [_line_out(ln) for ln in lines],
    }


def _invalid(field: str, message: str) -> DjangoValidationError:
    return DjangoValidationError({field: [message]})


def _any_unit(pk: int, field: str) -> AdminUnit:
    """A unit named in a request body; scope is checked by the services (403), not hidden (404)."""
    found = AdminUnit.objects.filter(pk=pk).first()
    if found is None:
        raise _invalid(field, _("Không có đơn vị #%(pk)s. / No unit #%(pk)s.") % {"pk": pk})
    return found


def _scoped_unit(user: Any, pk: int) -> AdminUnit:
    found = scoped(AdminUnit.objects.all(), user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _program_by_code(code: str, field: str = "program") -> Program:
    found = Program.objects.filter(code__iexact=code).first()
    if found is None:
        raise _invalid(field, _("Không có chương trình %(code)s. / No programme %(code)s.") % {"code": code})
    return found


def _component_of(program: Program, pk: int | None) -> Component | None:
    if pk is None:
        return None
    found = Component.objects.filter(pk=pk, program=program).first()
    if found is None:
        raise _invalid(
            "parent",
            _("Không có dự án #%(pk)s trong chương trình. / No component #%(pk)s in this programme.")
            % {"pk": pk},
        )
    return found


def _line_specs(items: list[LineIn]) -> list[services.LineSpec]:
    comps = Component.objects.select_related("program").in_bulk({i.component for i in items})
    units = AdminUnit.objects.in_bulk({i.unit for i in items})
    sources = {s.code: s for s in selectors.funding_sources()}
    specs: list[services.LineSpec] = []
    for n, item in enumerate(items, start=1):
        where = {"row": n}
        comp = comps.get(item.component)
        if comp is None:
            raise _invalid(
                "lines",
                _("Dòng %(row)s: không có dự án thành phần này. / Line %(row)s: unknown component.") % where,
            )
        unit = units.get(item.unit)
        if unit is None:
            raise _invalid(
                "lines", _("Dòng %(row)s: không có đơn vị này. / Line %(row)s: unknown unit.") % where
            )
        source = sources.get(item.source)
        if source is None:
            raise _invalid(
                "lines",
                _("Dòng %(row)s: không có nguồn vốn %(code)s. / Line %(row)s: unknown source %(code)s.")
                % {**where, "code": item.source},
            )
        specs.append(services.LineSpec(comp, unit, source, item.capital_type, item.amount_vnd))
    return specs


# --- programmes and components ---------------------------------------------------------------------


@router.get("/programs", response=ProgramPage)
def list_programs(request: HttpRequest, q: str | None = None, year: int | None = None) -> dict[str, Any]:
    """The programme catalogue (reference data: the same for every user)."""
    qs = selectors.programs(q=q, year=year)
    return {"count": qs.count(), "items": [_program_out(p) for p in qs]}


@router.get("/programs/{code}", response=ProgramDetailOut)
def get_program(request: HttpRequest, code: str, response: HttpResponse) -> dict[str, Any]:
    """One programme by its code, with its component tree (parents first, `depth` from 0)."""
    found = selectors.program(code)
    response["ETag"] = f'"{found.version}"'
    return _program_detail(found)


@router.post("/programs", response={201: ProgramDetailOut, **WRITE_ERRORS})
@domain_errors
def create_program(request: HttpRequest, payload: ProgramIn) -> Any:
    """Add a programme (system administrators)."""
    created = services.create_program(_user(request), **payload.model_dump())
    return 201, _program_detail(created)


@router.patch("/programs/{code}", response={200: ProgramDetailOut, **WRITE_ERRORS})
@domain_errors
def update_program(request: HttpRequest, code: str, payload: ProgramPatch) -> Any:
    """Edit a programme (system administrators); `version` is the one you read, 409 if it moved."""
    target = selectors.program(code)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    return 200, _program_detail(services.update_program(_user(request), target, changes, version))


@router.get("/components", response=ComponentPage)
def list_components(request: HttpRequest, program: str | None = None) -> dict[str, Any]:
    """Components of every programme, or of one (`program` = its code), parents first."""
    if program:
        found = selectors.program(program)
        tree = selectors.component_tree(found)
        return {"count": len(tree), "items": [_component_out(c, d, found.code) for c, d in tree]}
    items = [_component_out(c) for c in selectors.components()]
    return {"count": len(items), "items": items}


@router.post("/components", response={201: ComponentOut, **WRITE_ERRORS})
@domain_errors
def create_component(request: HttpRequest, payload: ComponentIn) -> Any:
    """Add a project, sub-project or content to a programme (system administrators)."""
    program = _program_by_code(payload.program)
    data = payload.model_dump(exclude={"program"})
    data["parent"] = _component_of(program, data.get("parent"))
    if data.get("order") is None:
        data.pop("order")
    created = services.create_component(_user(request), program, **data)
    return 201, _component_out(created)


@router.patch("/components/{component_id}", response={200: ComponentOut, **WRITE_ERRORS})
@domain_errors
def update_component(request: HttpRequest, component_id: int, payload: ComponentPatch) -> Any:
    """Edit a component (system administrators); `version` is the one you read, 409 if it moved."""
    target = selectors.component(component_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if "parent" in changes:
        changes["parent"] = _component_of(target.program, changes["parent"])
    return 200, _component_out(services.update_component(_user(request), target, changes, version))


@router.get("/funding-sources", response=list[SourceOut])
def list_funding_sources(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"code": s.code, "name": s.name} for s in selectors.funding_sources()]


# --- capital plans ---------------------------------------------------------------------------------


@router.get("/capital-plans", response=DecisionPage)
def list_plan_decisions(request: HttpRequest, filters: Query[DecisionFilters]) -> dict[str, Any]:
    """Plan decisions in the caller's area with their lines there; `unit` takes the unit's subtree and
    `program` a programme code. `total_vnd` is the sum of the lines shown."""
    user = _user(request)
    unit = _scoped_unit(user, filters.unit) if filters.unit else None
    qs = selectors.plan_decisions(
        user, year=filters.year, program=filters.program or None, unit=unit, revision=filters.revision
    )
    limit = max(1, min(filters.limit, 500))
    offset = max(0, filters.offset)
    page = list(qs[offset : offset + limit])
    lines = selectors.lines_of(user, page)
    if filters.program or unit is not None:
        code = (filters.program or "").lower()
        for pk, ls in lines.items():
            lines[pk] = [
                ln
                for ln in ls
                if (not code or ln.component.program.code.lower() == code)
                and (unit is None or ln.unit.path.startswith(unit.path))
            ]
    return {"count": qs.count(), "items": [_decision_out(d, lines.get(d.pk, [])) for d in page]}


@router.get("/capital-plans/totals", response=TotalsOut)
def plan_totals(request: HttpRequest, filters: Query[TotalsFilters]) -> Any:
    """Capital plan per group (`by`: any of year, program, component, unit, source, capital_type);
    carry-over is reported apart (`carry_over_vnd`), never added to `plan_vnd`."""
    user = _user(request)
    by = [d.strip() for d in filters.by.split(",") if d.strip()]
    unknown = [d for d in by if d not in selectors.DIMENSIONS]
    if unknown:
        raise Http404
    unit = _scoped_unit(user, filters.unit) if filters.unit else None
    rows = selectors.plan_totals(
        user,
        by=by,
        unit_level=filters.unit_level,
        year=filters.year,
        program=filters.program or None,
        unit=unit,
        source=filters.source or None,
        capital_type=filters.capital_type or None,
    )
    return {
        "plan_vnd": sum(r["plan_vnd"] for r in rows),
        "carry_over_vnd": sum(r["carry_over_vnd"] for r in rows),
        "items": rows,
    }


@router.get("/capital-plans/{decision_id}", response=DecisionOut)
def get_plan_decision(request: HttpRequest, decision_id: int, response: HttpResponse) -> dict[str, Any]:
    """One decision with its lines in the caller's area; its version (for `PATCH`) is in `ETag`."""
    user = _user(request)
    found = selectors.plan_decision(user, decision_id)
    response["ETag"] = f'"{found.version}"'
    return _decision_out(found, list(selectors.decision_lines(user, found)))


@router.post("/capital-plans", response={201: DecisionOut, **WRITE_ERRORS})
@domain_errors
def create_plan_decision(request: HttpRequest, payload: DecisionIn) -> Any:
    """Record a plan decision with its lines; `disburse_until` defaults to 31/01 of the next year
    (31/12 of the next year for a carry-over)."""
    user = _user(request)
    decision = services.create_plan_decision(
        user,
        year=payload.year,
        revision=payload.revision,
        authority=payload.authority,
        number=payload.number,
        date=payload.date,
        unit=_any_unit(payload.unit, "unit"),
        disburse_until=payload.disburse_until,
        note=payload.note,
        lines=_line_specs(payload.lines),
    )
    return 201, _decision_out(decision, list(selectors.decision_lines(user, decision)))


@router.patch("/capital-plans/{decision_id}", response={200: DecisionOut, **WRITE_ERRORS})
@domain_errors
def update_plan_decision(request: HttpRequest, decision_id: int, payload: DecisionPatch) -> Any:
    """Edit a decision; `lines`, when given, replaces its lines (matched by component, unit, source, type)."""
    user = _user(request)
    target = selectors.plan_decision(user, decision_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"lines"})
    version = changes.pop("version")
    if changes.get("unit") is not None:
        changes["unit"] = _any_unit(changes["unit"], "unit")
    changes = {k: v for k, v in changes.items() if v is not None}
    lines = _line_specs(payload.lines) if payload.lines is not None else None
    updated = services.update_plan_decision(user, target, changes, version, lines=lines)
    return 200, _decision_out(updated, list(selectors.decision_lines(user, updated)))
