"""Administrative units over HTTP: reads through scoped selectors, writes through `geo.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from dantoc.core.api_errors import domain_errors
from dantoc.core.scoping import ensure_admin
from dantoc.geo import selectors, services
from dantoc.geo.models import AdminUnit, UnitChange, UnitLineage

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None


class UnitPage(Schema):
    count: int
    items: list[UnitOut]


class UnitFilters(Schema):
    level: str | None = None
    on: dt.date | None = None
    within: int | None = None
    q: str | None = None
    code: str | None = None
    limit: int = 100
    offset: int = 0


class EdgeOut(Schema):
    unit: UnitOut
    change_kind: str
    effective_date: dt.date
    legal_basis: str
    basis_number: str
    basis_date: dt.date | None
    share: float | None
    is_primary: bool


class LineageOut(Schema):
    predecessors: list[EdgeOut]
    successors: list[EdgeOut]


class EthnicGroupOut(Schema):
    code: str
    code_1979: str
    name: str
    aliases: list[str]


def unit_out(u: AdminUnit) -> dict[str, Any]:
    return {
        "id": u.pk,
        "code": u.code,
        "name": u.full_name,
        "level": u.level,
        "kind": u.kind,
        "parent": u.parent_id,
        "valid_from": u.valid_from,
        "valid_to": u.valid_to,
    }


@router.get("/units", response=UnitPage)
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> dict[str, Any]:
    """Units valid on `on` in the caller's area; `count` is the total before paging.

    `on` defaults to today, except for a name search (`q`) without `on`, which looks through every
    period so that abolished and merged units are found too.
    """
    user = request.auth  # type: ignore[attr-defined]
    within = selectors.unit(user, filters.within) if filters.within else None
    on = filters.on or (None if filters.q else dt.date.today())
    qs = selectors.units(
        user,
        on=on,
        level=filters.level,
        within=within,
        q=filters.q,
        code=filters.code,
    ).order_by("path")
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    return {"count": qs.count(), "items": [unit_out(u) for u in qs[offset : offset + limit]]}


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int, response: HttpResponse) -> dict[str, Any]:
    """One unit. Its version (for `PATCH`) is in the `ETag` header."""
    found = selectors.unit(request.auth, unit_id)  # type: ignore[attr-defined]
    response["ETag"] = f'"{found.version}"'
    return unit_out(found)


def _edge(e: UnitLineage, other: AdminUnit) -> dict[str, Any]:
    return {
        "unit": unit_out(other),
        "change_kind": e.change.kind,
        "effective_date": e.change.effective_date,
        "legal_basis": e.change.legal_basis,
        "basis_number": e.change.basis_number,
        "basis_date": e.change.basis_date,
        "share": float(e.share) if e.share is not None else None,
        "is_primary": e.is_primary,
    }


@router.get("/units/{unit_id}/lineage", response=LineageOut)
def unit_lineage(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    target = selectors.unit(request.auth, unit_id)  # type: ignore[attr-defined]
    edges = selectors.lineage(target)
    return {
        "predecessors": [_edge(e, e.predecessor) for e in edges["predecessors"] if e.predecessor],
        "successors": [_edge(e, e.successor) for e in edges["successors"] if e.successor],
    }


@router.get("/ethnic-groups", response=list[EthnicGroupOut])
def list_ethnic_groups(request: HttpRequest) -> Any:
    return list(selectors.ethnic_groups())


# --- writes --------------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: Any


class UnitIn(Schema):
    kind: str
    name: str
    code: str = ""
    parent: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str = ""


class UnitPatch(Schema):
    version: int
    name: str | None = None
    code: str | None = None
    kind: str | None = None
    parent: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str | None = None


class UnitWriteOut(UnitOut):
    version: int


class NewUnitIn(Schema):
    kind: str
    name: str
    code: str = ""
    parent: int | None = None
    note: str = ""


class SuccessorIn(Schema):
    unit: int | None = None
    new: NewUnitIn | None = None
    share: Decimal | None = Field(default=None, description="Fraction of the predecessor (0 < share <= 1).")
    primary: bool = False


class ChangeIn(Schema):
    kind: str = Field(description="create, abolish, merge, split, rename or reparent")
    effective_date: dt.date
    basis_number: str = ""
    basis_date: dt.date | None = None
    note: str = ""
    predecessors: list[int] = []
    successors: list[SuccessorIn] = []
    new_name: str = ""
    new_kind: str | None = None
    new_code: str | None = None
    new_parent: int | None = None


class ChangeEdgeOut(Schema):
    predecessor: UnitOut | None
    successor: UnitOut | None
    share: float | None
    is_primary: bool


class ChangeOut(Schema):
    id: int
    kind: str
    effective_date: dt.date
    legal_basis: str
    basis_number: str
    basis_date: dt.date | None
    note: str
    edges: list[ChangeEdgeOut]


def _write_out(u: AdminUnit) -> dict[str, Any]:
    return {**unit_out(u), "version": u.version}


def _any_unit(pk: int | None, field: str) -> AdminUnit | None:
    """A unit named in a request body; scope is checked by the services (403), not hidden (404)."""
    if pk is None:
        return None
    found = AdminUnit.objects.filter(pk=pk).first()
    if found is None:
        raise DjangoValidationError({field: [_("Không có đơn vị #%(pk)s. / No unit #%(pk)s.") % {"pk": pk}]})
    return found


WRITE_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.post("/units", response={201: UnitWriteOut, **WRITE_ERRORS})
@domain_errors
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    """Add a village (officers in the commune's area) or a historical unit (system administrators)."""
    unit = services.create_unit(
        request.auth,  # type: ignore[attr-defined]
        kind=payload.kind,
        name=payload.name,
        code=payload.code,
        parent=_any_unit(payload.parent, "parent"),
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        note=payload.note,
    )
    return 201, _write_out(unit)


@router.patch("/units/{unit_id}", response={200: UnitWriteOut, **WRITE_ERRORS})
@domain_errors
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    """Correct a unit. `version` is the one you read (`ETag` of `GET /units/{id}`); 409 if it moved."""
    user = request.auth  # type: ignore[attr-defined]
    target = selectors.unit(user, unit_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    if "parent" in changes:
        changes["parent"] = _any_unit(changes["parent"], "parent")
    return 200, _write_out(services.update_unit(user, target, changes, version))


def _change_out(change: UnitChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "kind": change.kind,
        "effective_date": change.effective_date,
        "legal_basis": change.legal_basis,
        "basis_number": change.basis_number,
        "basis_date": change.basis_date,
        "note": change.note,
        "edges": [
            {
                "predecessor": unit_out(e.predecessor) if e.predecessor else None,
                "successor": unit_out(e.successor) if e.successor else None,
                "share": float(e.share) if e.share is not None else None,
                "is_primary": e.is_primary,
            }
            for e in selectors.change_edges(change)
        ],
    }


@router.post("/unit-changes", response={201: ChangeOut, **WRITE_ERRORS})
@domain_errors
def record_change(request: HttpRequest, payload: ChangeIn) -> Any:
    """Record a merge, split, rename, re-parent, creation or abolition (system administrators).

    Successors are existing units (`unit`) or new ones (`new`); a split gives every successor a `share`
    (fractions adding up to 1) or none, and then marks one `primary`.
    """
    user = request.auth  # type: ignore[attr-defined]
    ensure_admin(user)
    preds = [u for pk in payload.predecessors if (u := _any_unit(pk, "predecessors"))]
    succs = [
        services.SuccessorSpec(
            unit=_any_unit(s.unit, "successors"),
            new=services.NewUnit(
                kind=s.new.kind,
                name=s.new.name,
                code=s.new.code,
                parent=_any_unit(s.new.parent, "successors"),
                note=s.new.note,
            )
            if s.new
            else None,
            share=s.share,
            primary=s.primary,
        )
        for s in payload.successors
    ]
    change = services.record_change(
        user,
        payload.kind,
        date=payload.effective_date,
        predecessors=preds,
        successors=succs,
        basis_number=payload.basis_number,
        basis_date=payload.basis_date,
        note=payload.note,
        new_name=payload.new_name,
        new_kind=payload.new_kind,
        new_code=payload.new_code,
        new_parent=_any_unit(payload.new_parent, "new_parent"),
    )
    return 201, _change_out(change)
