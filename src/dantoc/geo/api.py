from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from dantoc.geo import selectors
from dantoc.geo.models import AdminUnit, UnitLineage

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
        "id": u.pk, "code": u.code, "name": u.full_name, "level": u.level, "kind": u.kind,
        "parent": u.parent_id, "valid_from": u.valid_from, "valid_to": u.valid_to,
    }


@router.get("/units", response=UnitPage)
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> dict[str, Any]:
    """Units valid on `on` (default today) in the caller's area; `count` is the total before paging."""
    user = request.auth  # type: ignore[attr-defined]
    within = selectors.unit(user, filters.within) if filters.within else None
    qs = selectors.units(
        user, on=filters.on or dt.date.today(), level=filters.level, within=within, q=filters.q, code=filters.code
    ).order_by("path")
    limit = max(1, min(filters.limit, 1000))
    offset = max(0, filters.offset)
    return {"count": qs.count(), "items": [unit_out(u) for u in qs[offset : offset + limit]]}


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    return unit_out(selectors.unit(request.auth, unit_id))  # type: ignore[attr-defined]


def _edge(e: UnitLineage, other: AdminUnit) -> dict[str, Any]:
    return {
        "unit": unit_out(other), "change_kind": e.change.kind, "effective_date": e.change.effective_date,
        "legal_basis": e.change.legal_basis, "basis_number": e.change.basis_number,
        "basis_date": e.change.basis_date, "share": float(e.share) if e.share is not None else None,
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
