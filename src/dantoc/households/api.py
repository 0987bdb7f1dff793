"""Households, persons and support records over HTTP (/api/v1/): the same scope and masking rules as the UI.

ID numbers are masked unless `reveal=true` is asked by a user who may see them (officers, leaders and
admins with an area; never viewers), with a `reason`; `GET /persons/{id}` always needs a `reason`
(the personal-data access log records every opening of a full record).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from dantoc.core.api_errors import domain_errors
from dantoc.geo.models import AdminUnit, EthnicGroup
from dantoc.households import privacy, report, selectors, services
from dantoc.households.models import Household, Person, PovertyStatus, SupportRecord
from dantoc.programs.models import CapitalPlanLine

router = Router(tags=["households"])

MAX_LIMIT = 500


class ErrorOut(Schema):
    detail: Any


ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _reason_required() -> DjangoValidationError:
    return DjangoValidationError(
        {
            "reason": [
                _(
                    "Cần nêu lý do (tham số reason) để mở hồ sơ đầy đủ; lý do được ghi vào nhật ký truy cập. "
                    "/ A reason (parameter `reason`) is required to open a full record; it is written to the access log."
                )
            ]
        }
    )


def _unit(user: Any, pk: int | None) -> AdminUnit | None:
    return selectors.unit(user, pk) if pk else None


def _ethnic_code(value: str | None) -> str:
    """An ethnic group given by code ("07") or name ("Nùng", "nung")."""
    if not value:
        return ""
    if value.isdigit():
        return value.zfill(2)
    from dantoc.core.text import fold

    key = fold(value)
    for g in EthnicGroup.objects.all():
        if fold(g.name) == key:
            return g.code
    return "??"


# --- schemas --------------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    full_name: str
    birth_year: int
    sex: str
    ethnic_group: str
    ethnic_group_code: str
    id_number: str = Field(description="masked (•••••••••456) unless revealed")
    relation: str
    household: int
    household_code: str
    village: str
    village_id: int


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


class PersonDetail(PersonOut):
    birth_date: dt.date | None
    commune: str
    merged_into: int | None
    version: int
    revealed: bool


class PersonFilters(Schema):
    q: str | None = Field(
        None, description="name without tone marks (words as prefixes, any order) or an ID number"
    )
    unit: int | None = Field(None, description="an administrative unit id (its whole territory)")
    village: str | None = Field(None, description="village name (tone marks ignored)")
    ethnic_group: str | None = Field(None, description="code (07) or name (Nùng)")
    sex: str | None = None
    poverty: str | None = Field(None, description="poor, near_poor, escaped, none, unknown (of `year`)")
    year: int | None = Field(
        None, description="poverty status year; with `program` (or alone): supported that year"
    )
    program: str | None = Field(None, description="programme code, e.g. 30A: persons of households supported")
    reveal: bool = False
    reason: str | None = None
    limit: int = 50
    offset: int = 0


class PersonIn(Schema):
    household: int
    full_name: str
    sex: str
    birth_year: int | None = None
    birth_date: dt.date | None = None
    ethnic_group: str
    id_number: str = ""
    relation: str


class PersonPatch(Schema):
    version: int
    full_name: str | None = None
    sex: str | None = None
    birth_year: int | None = None
    birth_date: dt.date | None = None
    ethnic_group: str | None = None
    id_number: str | None = None
    relation: str | None = None
    household: int | None = None


class MergeIn(Schema):
    kept: int
    other: int
    kept_version: int | None = None
    other_version: int | None = None


class PairIn(Schema):
    a: int
    b: int


class DecisionOut(Schema):
    id: int
    kept: int
    other: int
    decision: str


class DuplicateOut(Schema):
    a: PersonOut
    b: PersonOut
    score: float


class HouseholdOut(Schema):
    id: int
    code: str
    village: str
    village_id: int
    commune: str
    address: str
    phone: str
    version: int


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdOut]


class PovertyOut(Schema):
    year: int
    status: str
    source: str


class SupportOut(Schema):
    id: int
    household: int
    household_code: str
    program: str
    component: str
    year: int
    kind: str
    quantity: Decimal
    measure: str
    value_vnd: int
    plan_line: int | None
    note: str
    version: int


class HouseholdDetail(HouseholdOut):
    members: list[PersonOut]
    poverty: list[PovertyOut]
    support: list[SupportOut]


class HouseholdFilters(Schema):
    q: str | None = Field(None, description="household code or the head's name")
    unit: int | None = None
    village: str | None = None
    poverty: str | None = None
    year: int | None = None
    program: str | None = None
    ethnic_group: str | None = Field(None, description="of the head")
    sex: str | None = Field(None, description="of the head")
    limit: int = 50
    offset: int = 0


class HouseholdIn(Schema):
    village: int
    code: str = Field("", description="left blank: a code is given")
    address: str = ""
    phone: str = ""


class PovertyIn(Schema):
    year: int
    status: str
    source: str = ""


class SupportPage(Schema):
    count: int
    value_vnd: int
    items: list[SupportOut]


class SupportFilters(Schema):
    household: int | None = None
    year: int | None = None
    program: str | None = None
    component: str | None = None
    kind: str | None = None
    unit: int | None = None
    limit: int = 50
    offset: int = 0


class SupportIn(Schema):
    household: int
    program: str | None = Field(None, description="programme code (30A, P135…)")
    component: str | None = Field(
        None,
        description="component code; may be omitted when the programme has "
        "exactly one production-development component",
    )
    year: int
    kind: str
    quantity: Decimal = Decimal(1)
    measure: str = ""
    value_vnd: int
    plan_line: int | None = None
    note: str = ""


# --- persons --------------------------------------------------------------------------------------------


def person_out(p: Person, revealed: bool) -> dict[str, Any]:
    return {
        "id": p.pk,
        "full_name": p.full_name,
        "birth_year": p.birth_year,
        "sex": p.sex,
        "ethnic_group": p.ethnic_group.name,
        "ethnic_group_code": p.ethnic_group.code,
        "id_number": privacy.shown_id(p.id_number, revealed),
        "relation": p.relation,
        "household": p.household_id,
        "household_code": p.household.code,
        "village": p.household.village.name,
        "village_id": p.household.village_id,
    }


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


@router.get("/persons", response={200: PersonPage, **ERRORS})
@domain_errors
def list_persons(request: HttpRequest, filters: Query[PersonFilters]) -> Any:
    """Persons in the caller's area. `id_number` is masked unless `reveal=true` with a `reason` (logged)."""
    user = request.auth  # type: ignore[attr-defined]
    f = selectors.PersonFilters(
        q=filters.q or "",
        unit=_unit(user, filters.unit),
        village=filters.village or "",
        ethnic_group=_ethnic_code(filters.ethnic_group),
        sex=filters.sex or "",
        poverty=filters.poverty or "",
        year=filters.year,
        program=filters.program or "",
    )
    qs = selectors.persons(user, f)
    limit, offset = _page(filters.limit, filters.offset)
    count, items = selectors.window(qs, offset, limit, browse=not f.q)
    if filters.reveal:
        privacy.ensure_may_reveal(user)
        subject = privacy.list_subject({**f.as_dict(), "offset": offset, "limit": limit}, len(items))
        services.log_reveal(user, subject, filters.reason or "", services.client_ip(request))
    return 200, {"count": count, "items": [person_out(p, filters.reveal) for p in items]}


@router.get("/persons/duplicates", response={200: list[DuplicateOut], **ERRORS})
@domain_errors
def list_duplicates(request: HttpRequest, unit: int) -> Any:
    """Likely duplicates (folded name + birth year + village) in a unit, not yet decided; IDs masked."""
    user = request.auth  # type: ignore[attr-defined]
    pairs = selectors.likely_duplicates(user, selectors.unit(user, unit))
    return 200, [{"a": person_out(d.a, False), "b": person_out(d.b, False), "score": d.score} for d in pairs]


@router.post("/persons/merge", response={200: DecisionOut, **ERRORS})
@domain_errors
def merge(request: HttpRequest, payload: MergeIn) -> Any:
    """Merge `other` into `kept` (support records and household links move; `other` is kept as merged)."""
    user = request.auth  # type: ignore[attr-defined]
    kept, other = selectors.person(user, payload.kept), selectors.person(user, payload.other)
    d = services.merge_persons(
        user, kept, other, kept_version=payload.kept_version, other_version=payload.other_version
    )
    return 200, {"id": d.pk, "kept": d.kept_id, "other": d.other_id, "decision": d.decision}


@router.post("/persons/{person_id}/unmerge", response={200: PersonOut, **ERRORS})
@domain_errors
def unmerge(request: HttpRequest, person_id: int) -> Any:
    """Undo the merge that merged this person away: the record is active again, support records, poverty
    statuses and members that moved go back, and fields filled from it are taken back. ID masked."""
    user = request.auth  # type: ignore[attr-defined]
    decision = selectors.merge_of(user, selectors.person(user, person_id))
    if decision is None:
        raise Http404
    return 200, person_out(services.undo_merge(user, decision), False)


@router.post("/persons/keep-apart", response={200: DecisionOut, **ERRORS})
@domain_errors
def keep_apart(request: HttpRequest, payload: PairIn) -> Any:
    """Two likely duplicates are different people: the pair is not proposed again."""
    user = request.auth  # type: ignore[attr-defined]
    d = services.keep_apart(user, selectors.person(user, payload.a), selectors.person(user, payload.b))
    return 200, {"id": d.pk, "kept": d.kept_id, "other": d.other_id, "decision": d.decision}


@router.get("/persons/{person_id}", response={200: PersonDetail, **ERRORS})
@domain_errors
def get_person(
    request: HttpRequest,
    person_id: int,
    response: HttpResponse,
    reason: str | None = None,
    reveal: bool = False,
) -> Any:
    """A person's full record. `reason` is required (access log "view"); `reveal=true` shows the ID number
    to users who may see it (access log "reveal"). The version (for `PATCH`) is also in `ETag`."""
    user = request.auth  # type: ignore[attr-defined]
    p = selectors.person(user, person_id)
    if not (reason or "").strip():
        raise _reason_required()
    if reveal:
        privacy.ensure_may_reveal(user)
    ip = services.client_ip(request)
    with transaction.atomic():
        services.log_view(user, p, reason or "", ip)
        if reveal:
            services.log_reveal(user, privacy.person_subject(p), reason or "", ip)
    response["ETag"] = f'"{p.version}"'
    village = p.household.village
    return 200, {
        **person_out(p, reveal),
        "birth_date": p.birth_date,
        "merged_into": p.merged_into_id,
        "commune": village.parent.full_name if village.parent else "",
        "version": p.version,
        "revealed": reveal,
    }


@router.get("/persons/{person_id}/export", response={200: dict[str, Any], **ERRORS})
@domain_errors
def export_person(request: HttpRequest, person_id: int, reason: str | None = None) -> Any:
    """Everything held on one person (an access request by that person); logged as an export."""
    user = request.auth  # type: ignore[attr-defined]
    p = selectors.person(user, person_id)
    privacy.ensure_may_export_personal(user)
    if not (reason or "").strip():
        raise _reason_required()
    services.log_export(user, privacy.person_subject(p), reason or "", services.client_ip(request))
    return 200, selectors.person_data(p)


def _person_values(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    if "ethnic_group" in data and data["ethnic_group"] is not None:
        code = _ethnic_code(data["ethnic_group"])
        group = EthnicGroup.objects.filter(code=code).first()
        if group is None:
            raise DjangoValidationError(
                {
                    "ethnic_group": [
                        _("Không có dân tộc “%(v)s”. / No ethnic group “%(v)s”.")
                        % {"v": data["ethnic_group"]}
                    ]
                }
            )
        data["ethnic_group"] = group
    if "household" in data and data["household"] is not None:
        data["household"] = _writable_household(user, data["household"])
    return data


def _writable_household(user: Any, pk: int) -> Household:
    """A household named in a body: 404 when it does not exist or lies outside the area."""
    return selectors.household(user, pk)


@router.post("/persons", response={201: PersonDetail, **ERRORS})
@domain_errors
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    data = _person_values(user, payload.model_dump())
    hh = data.pop("household")
    p = services.create_person(user, hh, **data)
    p = Person.objects.select_related(
        "household", "household__village", "household__village__parent", "ethnic_group"
    ).get(pk=p.pk)
    village = p.household.village
    return 201, {
        **person_out(p, False),
        "birth_date": p.birth_date,
        "merged_into": None,
        "commune": village.parent.full_name if village.parent else "",
        "version": p.version,
        "revealed": False,
    }


@router.patch("/persons/{person_id}", response={200: PersonDetail, **ERRORS})
@domain_errors
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    """Correct a person's record; `version` is the one you read (409 if it moved)."""
    user = request.auth  # type: ignore[attr-defined]
    p = selectors.person(user, person_id)
    changes = _person_values(user, payload.model_dump(exclude_unset=True))
    version = changes.pop("version")
    services.update_person(user, p, changes, version)
    p = selectors.person(user, person_id)
    village = p.household.village
    return 200, {
        **person_out(p, False),
        "birth_date": p.birth_date,
        "merged_into": p.merged_into_id,
        "commune": village.parent.full_name if village.parent else "",
        "version": p.version,
        "revealed": False,
    }


# --- households -----------------------------------------------------------------------------------------


def household_out(h: Household) -> dict[str, Any]:
    v = h.village
    return {
        "id": h.pk,
        "code": h.code,
        "village": v.name,
        "village_id": v.pk,
        "commune": v.parent.full_name if v.parent else "",
        "address": h.address,
        "phone": h.phone,
        "version": h.version,
    }


def support_out(r: SupportRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "household": r.household_id,
        "household_code": r.household.code,
        "program": r.component.program.code,
        "component": r.component.code,
        "year": r.year,
        "kind": r.kind,
        "quantity": r.quantity,
        "measure": r.measure,
        "value_vnd": r.value_vnd,
        "plan_line": r.plan_line_id,
        "note": r.note,
        "version": r.version,
    }


@router.get("/households", response={200: HouseholdPage, **ERRORS})
@domain_errors
def list_households(request: HttpRequest, filters: Query[HouseholdFilters]) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    f = selectors.HouseholdFilters(
        q=filters.q or "",
        unit=_unit(user, filters.unit),
        village=filters.village or "",
        poverty=filters.poverty or "",
        year=filters.year,
        program=filters.program or "",
        ethnic_group=_ethnic_code(filters.ethnic_group),
        sex=filters.sex or "",
    )
    qs = selectors.households(user, f)
    limit, offset = _page(filters.limit, filters.offset)
    count, items = selectors.window(qs, offset, limit, key="code", browse=not f.q)
    return 200, {"count": count, "items": [household_out(h) for h in items]}


@router.get("/households/{household_id}", response={200: HouseholdDetail, **ERRORS})
@domain_errors
def get_household(request: HttpRequest, household_id: int) -> Any:
    """A household with its members (ID numbers masked), poverty status by year and support received."""
    user = request.auth  # type: ignore[attr-defined]
    h = selectors.household(user, household_id)
    members = list(selectors.members(h).select_related("household", "household__village"))
    return 200, {
        **household_out(h),
        "members": [person_out(p, False) for p in members],
        "poverty": [
            {"year": s.year, "status": s.status, "source": s.source} for s in selectors.poverty_history(h)
        ],
        "support": [support_out(r) for r in selectors.household_support(h).select_related("household")],
    }


@router.post("/households", response={201: HouseholdOut, **ERRORS})
@domain_errors
def create_household(request: HttpRequest, payload: HouseholdIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    village = AdminUnit.objects.filter(pk=payload.village).first()
    if village is None:
        raise DjangoValidationError(
            {"village": [_("Không có thôn #%(pk)s. / No village #%(pk)s.") % {"pk": payload.village}]}
        )
    code = payload.code.strip() or services.next_household_code(village)
    h = services.create_household(
        user, code=code, village=village, address=payload.address, phone=payload.phone
    )
    return 201, household_out(selectors.household(user, h.pk))


@router.put("/households/{household_id}/poverty", response={200: PovertyOut, **ERRORS})
@domain_errors
def set_poverty(request: HttpRequest, household_id: int, payload: PovertyIn) -> Any:
    """Record a household's poverty status of a year (the annual poverty review)."""
    user = request.auth  # type: ignore[attr-defined]
    h = selectors.household(user, household_id)
    s: PovertyStatus = services.set_poverty_status(user, h, payload.year, payload.status, payload.source)
    return 200, {"year": s.year, "status": s.status, "source": s.source}


# --- support records ------------------------------------------------------------------------------------


@router.get("/support-records", response={200: SupportPage, **ERRORS})
@domain_errors
def list_support(request: HttpRequest, filters: Query[SupportFilters]) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    f = selectors.SupportFilters(
        household=filters.household,
        year=filters.year,
        program=filters.program or "",
        component=filters.component or "",
        kind=filters.kind or "",
        unit=_unit(user, filters.unit),
    )
    qs = selectors.support_records(user, f)
    limit, offset = _page(filters.limit, filters.offset)
    totals = selectors.support_totals(qs)
    return 200, {
        "count": totals["records"],
        "value_vnd": totals["value"],
        "items": [support_out(r) for r in qs[offset : offset + limit]],
    }


@router.get("/support-records/{record_id}", response={200: SupportOut, **ERRORS})
@domain_errors
def get_support(request: HttpRequest, record_id: int) -> Any:
    return 200, support_out(selectors.support_record(request.auth, record_id))  # type: ignore[attr-defined]


@router.post("/support-records", response={201: SupportOut, **ERRORS})
@domain_errors
def create_support(request: HttpRequest, payload: SupportIn) -> Any:
    """Record support given to a household. `program` alone names its one production-development component."""
    user = request.auth  # type: ignore[attr-defined]
    h = selectors.household(user, payload.household)
    component = services.resolve_component(payload.program, payload.component)
    line = None
    if payload.plan_line is not None:
        line = CapitalPlanLine.objects.select_related("decision").filter(pk=payload.plan_line).first()
        if line is None:
            raise DjangoValidationError(
                {
                    "plan_line": [
                        _("Không có dòng kế hoạch vốn #%(pk)s. / No plan line #%(pk)s.")
                        % {"pk": payload.plan_line}
                    ]
                }
            )
    r = services.create_support_record(
        user,
        h,
        component=component,
        year=payload.year,
        kind=payload.kind,
        quantity=payload.quantity,
        measure=payload.measure,
        value_vnd=payload.value_vnd,
        plan_line=line,
        note=payload.note,
    )
    return 201, support_out(selectors.support_record(user, r.pk))


# --- report ---------------------------------------------------------------------------------------------


@router.get("/support-report", response={200: dict[str, Any], **ERRORS})
@domain_errors
def support_report(
    request: HttpRequest, year: int, unit: int | None = None, structure: str | None = None
) -> Any:
    """Report households-support (aggregates only): households and persons supported in `year`."""
    user = request.auth  # type: ignore[attr-defined]
    return 200, report.build(year, _unit(user, unit), structure, user=user)
