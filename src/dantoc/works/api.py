"""Works, their status, progress and disbursements over HTTP: scoped selectors, `works.services` writes.

Errors: 401 without a valid token, 403 outside the caller's area or for a read-only role, 404 for an
object the caller cannot see, 409 for a stale `version`, 422 for invalid input (bilingual messages).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from dantoc.accounts.models import User
from dantoc.core.api_errors import domain_errors
from dantoc.geo.models import AdminUnit
from dantoc.programs.models import CapitalPlanLine, Component, FundingSource, Program
from dantoc.works import selectors, services
from dantoc.works.models import Disbursement, ProgressUpdate, Work

router = Router(tags=["works"])

MAX_LIMIT = 1000


# --- schemas -----------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: Any


class UnitRef(Schema):
    id: int
    name: str


class WorkItem(Schema):
    id: int
    code: str
    name: str
    kind: str
    unit: UnitRef
    program: str
    year: int
    status: str
    total_investment_vnd: int
    disbursed_vnd: int


class WorkPage(Schema):
    count: int
    items: list[WorkItem]


class WorkFilters(Schema):
    program: str | None = Field(default=None, description="Programme code, e.g. P135")
    year: int | None = None
    unit: int | None = Field(default=None, description="A unit id: that unit and its subtree")
    status: str | None = Field(default=None, description="One status or several, comma-separated")
    kind: str | None = None
    q: str | None = Field(
        default=None, description="Words of the name (tone marks optional) or the exact code"
    )
    limit: int = 100
    offset: int = 0


class StatusChangeOut(Schema):
    status: str
    date: dt.date
    note: str


class WorkOut(WorkItem):
    version: int
    component: str | None
    village: UnitRef | None
    investor: str
    owner: str | None
    planned_start: dt.date | None
    planned_completion: dt.date | None
    actual_start: dt.date | None
    actual_completion: dt.date | None
    plan_lines: list[int]
    plan_vnd: int
    late_vnd: int
    disbursement_rate: float | None
    investment_rate: float | None
    progress_percent: int | None
    status_history: list[StatusChangeOut]
    next_statuses: list[str]


class WorkIn(Schema):
    program: str = Field(description="Programme code, e.g. P135")
    year: int
    unit: int = Field(description="Commune (or pre-2025 district) id; a village id sets the village too")
    name: str
    kind: str
    total_investment_vnd: int
    code: str = ""
    component: str | None = Field(default=None, description="Component code within the programme")
    village: int | None = None
    investor: str = ""
    planned_start: dt.date | None = None
    planned_completion: dt.date | None = None
    plan_lines: list[int] = []


class WorkPatch(Schema):
    version: int
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    program: str | None = None
    component: str | None = None
    year: int | None = None
    unit: int | None = None
    village: int | None = None
    investor: str | None = None
    total_investment_vnd: int | None = None
    planned_start: dt.date | None = None
    planned_completion: dt.date | None = None
    owner: str | None = Field(default=None, description="Username of the officer responsible for the work")
    plan_lines: list[int] | None = None


class StatusIn(Schema):
    status: str
    date: dt.date | None = Field(default=None, description="Date of the transition (default today)")
    note: str = ""
    version: int | None = None


class ProgressIn(Schema):
    date: dt.date
    percent: int
    note: str = ""


class ProgressOut(Schema):
    id: int
    date: dt.date
    percent: int
    note: str
    attachment: str | None


class DisbursementFilters(Schema):
    work: int | None = None
    year: int | None = Field(default=None, description="Plan year")
    unit: int | None = Field(default=None, description="A unit id: that unit and its subtree")
    plan_line: int | None = None
    limit: int = 100
    offset: int = 0


class DisbursementOut(Schema):
    id: int
    version: int
    work: int | None
    plan_line: int | None
    unit: UnitRef
    plan_year: int
    date: dt.date
    amount_vnd: int
    source: str
    capital_type: str
    voucher_number: str
    counted: bool = Field(description="Paid by the plan year's deadline (counts in disbursed figures)")


class DisbursementPage(Schema):
    count: int
    counted_vnd: int
    late_vnd: int
    items: list[DisbursementOut]


class DisbursementIn(Schema):
    work: int | None = None
    plan_line: int | None = None
    date: dt.date
    amount_vnd: int
    source: str = Field(description="Funding source code, e.g. central")
    capital_type: str | None = Field(
        default=None, description="investment or recurrent (default: from the plan)"
    )
    voucher_number: str = ""
    plan_year: int | None = None


class DisbursementPatch(Schema):
    version: int
    date: dt.date | None = None
    amount_vnd: int | None = None
    source: str | None = None
    capital_type: str | None = None
    voucher_number: str | None = None
    plan_year: int | None = None


# --- helpers -----------------------------------------------------------------------------------------


def _invalid(name: str, message: str) -> DjangoValidationError:
    return DjangoValidationError({name: [message]})


def _program(code: str) -> Program:
    found = Program.objects.filter(code__iexact=code.strip()).first()
    if found is None:
        raise _invalid(
            "program",
            _("Không có chương trình mã %(code)s. / No programme with code %(code)s.") % {"code": code},
        )
    return found


def _component(program: Program, code: str | None) -> Component | None:
    if not code:
        return None
    found = Component.objects.filter(program=program, code=code.strip()).first()
    if found is None:
        raise _invalid(
            "component",
            _(
                "Chương trình không có dự án thành phần mã %(code)s. / The programme has no "
                "component %(code)s."
            )
            % {"code": code},
        )
    return found


def _unit(pk: int | None, name: str) -> AdminUnit | None:
    """A unit named in a body; scope is checked by the services (403), not hidden (404)."""
    if pk is None:
        return None
    found = AdminUnit.objects.filter(pk=pk).first()
    if found is None:
        raise _invalid(name, _("Không có đơn vị #%(pk)s. / No unit #%(pk)s.") % {"pk": pk})
    return found


def _user(username: str | None) -> Any:
    if not username:
        return None
    found = User.objects.filter(username=username).first()
    if found is None:
        raise _invalid("owner", _("Không có người dùng %(name)s. / No user %(name)s.") % {"name": username})
    return found


def _source(code: str) -> FundingSource:
    found = FundingSource.objects.filter(code__iexact=code.strip()).first()
    if found is None:
        raise _invalid(
            "source",
            _("Không có nguồn vốn mã %(code)s. / No funding source with code %(code)s.") % {"code": code},
        )
    return found


def _plan_lines(ids: list[int]) -> list[CapitalPlanLine]:
    found = CapitalPlanLine.objects.select_related("component", "decision").in_bulk(ids)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise _invalid(
            "plan_lines",
            _("Không có dòng kế hoạch vốn %(ids)s. / No plan line %(ids)s.")
            % {"ids": ", ".join(map(str, missing))},
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(0, offset), max(1, min(limit, MAX_LIMIT))


def _rate(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def work_item(w: Work) -> dict[str, Any]:
    return {
        "id": w.pk,
        "code": w.code,
        "name": w.name,
        "kind": w.kind,
        "unit": {"id": w.unit_id, "name": w.unit.full_name},
        "program": w.program.code,
        "year": w.year,
        "status": w.status,
        "total_investment_vnd": w.total_investment_vnd,
        "disbursed_vnd": int(getattr(w, "disbursed_vnd", 0) or 0),
    }


def _work_out(user: Any, pk: int) -> dict[str, Any]:
    d = selectors.work_detail(user, pk)
    w = d.work
    return {
        **work_item(w),
        "disbursed_vnd": d.disbursed_vnd,
        "version": w.version,
        "component": w.component.code if w.component else None,
        "village": {"id": w.village.pk, "name": w.village.full_name} if w.village else None,
        "investor": w.investor,
        "owner": w.owner.username if w.owner else None,
        "planned_start": w.planned_start,
        "planned_completion": w.planned_completion,
        "actual_start": w.actual_start,
        "actual_completion": w.actual_completion,
        "plan_lines": [line.pk for line in d.plan_lines],
        "plan_vnd": d.plan_vnd,
        "late_vnd": d.late_vnd,
        "disbursement_rate": _rate(d.rate),
        "investment_rate": _rate(d.investment_rate),
        "progress_percent": d.latest_progress.percent if d.latest_progress else None,
        "status_history": [
            {"status": c.status, "date": c.date, "note": c.note} for c in selectors.status_changes(w)
        ],
        "next_statuses": [code for code, _label in d.next_statuses],
    }


def _progress_out(p: ProgressUpdate) -> dict[str, Any]:
    return {
        "id": p.pk,
        "date": p.date,
        "percent": p.percent,
        "note": p.note,
        "attachment": p.attachment.name or None,
    }


def _disbursement_out(d: Disbursement) -> dict[str, Any]:
    return {
        "id": d.pk,
        "version": d.version,
        "work": d.work_id,
        "plan_line": d.plan_line_id,
        "unit": {"id": d.unit_id, "name": d.unit.full_name},
        "plan_year": d.plan_year,
        "date": d.date,
        "amount_vnd": d.amount_vnd,
        "source": d.source.code,
        "capital_type": d.capital_type,
        "voucher_number": d.voucher_number,
        "counted": bool(getattr(d, "counted", True)),
    }


ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- works -------------------------------------------------------------------------------------------


@router.get("/works", response={200: WorkPage, 404: ErrorOut})
@domain_errors
def list_works(request: HttpRequest, filters: Query[WorkFilters]) -> Any:
    """Works in the caller's area with their disbursed amount (payments made by the deadline)."""
    user = request.auth  # type: ignore[attr-defined]
    unit = selectors.unit(user, filters.unit) if filters.unit else None
    qs = selectors.works(
        user,
        program=filters.program,
        year=filters.year,
        unit=unit,
        status=filters.status,
        kind=filters.kind,
        q=filters.q,
    ).order_by("-year", "code")
    offset, limit = _page(filters.limit, filters.offset)
    return 200, {"count": qs.count(), "items": [work_item(w) for w in qs[offset : offset + limit]]}


@router.post("/works", response={201: WorkOut, **ERRORS})
@domain_errors
def create_work(request: HttpRequest, payload: WorkIn) -> Any:
    """Add a work (officers, in their area). The code is generated (`CT-<year>-<seq>`) when omitted."""
    user = request.auth  # type: ignore[attr-defined]
    program = _program(payload.program)
    unit = _unit(payload.unit, "unit")
    assert unit is not None
    work = services.create_work(
        user,
        program=program,
        year=payload.year,
        unit=unit,
        name=payload.name,
        kind=payload.kind,
        total_investment_vnd=payload.total_investment_vnd,
        code=payload.code,
        component=_component(program, payload.component),
        village=_unit(payload.village, "village"),
        investor=payload.investor,
        planned_start=payload.planned_start,
        planned_completion=payload.planned_completion,
        plan_lines=_plan_lines(payload.plan_lines),
    )
    return 201, _work_out(user, work.pk)


@router.get("/works/{work_id}", response={200: WorkOut, 404: ErrorOut})
@domain_errors
def get_work(request: HttpRequest, work_id: int, response: HttpResponse) -> Any:
    """One work with its figures. Its version (for `PATCH`) is also in the `ETag` header."""
    out = _work_out(request.auth, work_id)  # type: ignore[attr-defined]
    response["ETag"] = f'"{out["version"]}"'
    return 200, out


@router.patch("/works/{work_id}", response={200: WorkOut, **ERRORS})
@domain_errors
def update_work(request: HttpRequest, work_id: int, payload: WorkPatch) -> Any:
    """Correct a work. `version` is the one you read; 409 if someone saved in between."""
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.work(user, work_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    lines = changes.pop("plan_lines", None)
    if "program" in changes:
        changes["program"] = _program(changes["program"] or "")
    if "component" in changes:
        changes["component"] = _component(changes.get("program", target.program), changes["component"])
    for name in ("unit", "village"):
        if name in changes:
            changes[name] = _unit(changes[name], name)
    if "owner" in changes:
        changes["owner"] = _user(changes["owner"])
    with transaction.atomic():  # fields and plan lines together, or nothing
        work = services.update_work(user, target, changes, version) if changes else target
        if lines is not None:
            services.set_plan_lines(user, work, _plan_lines(lines), None if changes else version)
    return 200, _work_out(user, work_id)


@router.post("/works/{work_id}/status", response={200: WorkOut, **ERRORS})
@domain_errors
def change_status(request: HttpRequest, work_id: int, payload: StatusIn) -> Any:
    """Move the work along its workflow: proposed → approved → under_construction → completed → handed_over;
    suspended and cancelled where allowed (`next_statuses` of `GET /works/{id}`)."""
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.work(user, work_id)
    services.change_status(
        user, target, payload.status, date=payload.date, note=payload.note, expected_version=payload.version
    )
    return 200, _work_out(user, work_id)


@router.get("/works/{work_id}/progress", response={200: list[ProgressOut], 404: ErrorOut})
@domain_errors
def list_progress(request: HttpRequest, work_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.work(user, work_id)
    return 200, [_progress_out(p) for p in selectors.progress_updates(user, target)]


@router.post("/works/{work_id}/progress", response={201: ProgressOut, **ERRORS})
@domain_errors
def record_progress(request: HttpRequest, work_id: int, payload: ProgressIn) -> Any:
    """Record physical progress (per cent). A lower figure than the last one needs a `note` saying why."""
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.work(user, work_id)
    update = services.record_progress(
        user, target, date=payload.date, percent=payload.percent, note=payload.note
    )
    return 201, _progress_out(update)


# --- disbursements -------------------------------------------------------------------------------------


@router.get("/disbursements", response={200: DisbursementPage, 404: ErrorOut})
@domain_errors
def list_disbursements(request: HttpRequest, filters: Query[DisbursementFilters]) -> Any:
    """Payments in the caller's area, newest first, with the counted and late totals of the selection."""
    user = request.auth  # type: ignore[attr-defined]
    unit = selectors.unit(user, filters.unit) if filters.unit else None
    qs = selectors.disbursements(
        user, work_id=filters.work, year=filters.year, unit=unit, plan_line_id=filters.plan_line
    ).order_by("-date", "-id")
    offset, limit = _page(filters.limit, filters.offset)
    return 200, {
        "count": qs.count(),
        **selectors.totals(qs),
        "items": [_disbursement_out(d) for d in qs[offset : offset + limit]],
    }


@router.post("/disbursements", response={201: DisbursementOut, **ERRORS})
@domain_errors
def record_disbursement(request: HttpRequest, payload: DisbursementIn) -> Any:
    """Record a payment against a work and/or a plan line. Unit and plan year come from the work or line;
    the capital type defaults to the work's plan line's type, else investment."""
    user = request.auth  # type: ignore[attr-defined]
    work = selectors.work(user, payload.work) if payload.work is not None else None
    line = None
    if payload.plan_line is not None:
        line = CapitalPlanLine.objects.select_related("decision", "unit").filter(pk=payload.plan_line).first()
        if line is None:
            raise _invalid(
                "plan_line",
                _("Không có dòng kế hoạch vốn %(ids)s. / No plan line %(ids)s.") % {"ids": payload.plan_line},
            )
    payment = services.record_disbursement(
        user,
        work=work,
        plan_line=line,
        date=payload.date,
        amount_vnd=payload.amount_vnd,
        source=_source(payload.source),
        capital_type=payload.capital_type,
        voucher_number=payload.voucher_number,
        plan_year=payload.plan_year,
    )
    return 201, _disbursement_out(selectors.disbursement(user, payment.pk))


@router.get("/disbursements/{disbursement_id}", response={200: DisbursementOut, 404: ErrorOut})
@domain_errors
def get_disbursement(request: HttpRequest, disbursement_id: int) -> Any:
    return 200, _disbursement_out(selectors.disbursement(request.auth, disbursement_id))  # type: ignore[attr-defined]


@router.patch("/disbursements/{disbursement_id}", response={200: DisbursementOut, **ERRORS})
@domain_errors
def update_disbursement(request: HttpRequest, disbursement_id: int, payload: DisbursementPatch) -> Any:
    """Correct a payment. `version` is the one you read; 409 if someone saved in between."""
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.disbursement(user, disbursement_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if "source" in changes:
        changes["source"] = _source(changes["source"] or "")
    services.update_disbursement(user, target, changes, version)
    return 200, _disbursement_out(selectors.disbursement(user, disbursement_id))
