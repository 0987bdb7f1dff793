"""Reports over HTTP: the same computations as the pages and the `report` command."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from dantoc.reports import selectors
from dantoc.reports.program_summary import program_summary as build_summary
from dantoc.works import monitoring

router = Router(tags=["reports"])


class SummaryFilters(Schema):
    year: int = Field(ge=2000, le=2100)
    unit: int | None = None
    structure: Literal["historical", "current"] = "historical"
    as_of: dt.date | None = None


class MonitoringFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    on: dt.date | None = None
    unit: int | None = None
    program: str | None = None
    source: str | None = None
    level: Literal["district", "commune", "village"] | None = None
    pace: Literal["linear", "s-curve"] | None = None


def _unit(user: Any, pk: int | None) -> Any:
    try:
        return selectors.resolve_unit(user, pk)
    except Http404 as exc:
        raise HttpError(
            404, _("Không tìm thấy đơn vị trong phạm vi của bạn. / Unit not found in your area.")
        ) from exc


def _selection(user: Any, f: MonitoringFilters) -> monitoring.Selection:
    year = f.year or selectors.default_year(user)
    return monitoring.Selection(
        year,
        f.on or monitoring.default_on(year),
        within=_unit(user, f.unit),
        program=f.program,
        source=f.source,
    )


@router.get("/reports/program-summary", response=dict[str, Any])
def program_summary(request: HttpRequest, filters: Query[SummaryFilters]) -> dict[str, Any]:
    """Per programme and component: communes and villages covered, capital plan by source and type, works
    by status, disbursed and rate (cut off on 31 January), rolled up by unit level. `structure=current`
    re-bases onto today's administrative units and says which rules it applied."""
    user = request.auth  # type: ignore[attr-defined]
    return build_summary(
        user, filters.year, unit=_unit(user, filters.unit), structure=filters.structure, on=filters.as_of
    )


def _point(p: monitoring.Point) -> dict[str, Any]:
    return {
        "month": p.month,
        "label": p.label,
        "plan_vnd": p.plan_vnd,
        "disbursed_vnd": p.disbursed_vnd,
        "rate": p.rate,
    }


def _row(r: monitoring.Row) -> dict[str, Any]:
    return {
        "key": r.key,
        "code": r.code,
        "name": r.name,
        "plan_vnd": r.plan_vnd,
        "disbursed_vnd": r.disbursed_vnd,
        "rate": r.rate,
        "below_pace": r.below_pace,
        "owner": r.owner.name if r.owner else None,
        "months": [_point(p) for p in r.points],
    }


def _item(i: monitoring.LateItem) -> dict[str, Any]:
    return {
        "kind": i.kind,
        "id": i.id,
        "code": i.code,
        "name": i.name,
        "url": i.url,
        "unit": i.unit_name,
        "program": i.program,
        "owner": i.owner.name if i.owner else None,
        "owner_assigned": bool(i.owner and i.owner.assigned),
        "flags": i.flags,
        "planned_completion": i.planned_completion,
        "days_overdue": i.days_overdue,
        "last_update": i.last_update,
        "days_since_update": i.days_since_update,
        "percent": i.percent,
        "rate": i.rate,
        "expected": i.expected,
    }


@router.get("/reports/monitoring", response=dict[str, Any])
def monitoring_overview(request: HttpRequest, filters: Query[MonitoringFilters]) -> dict[str, Any]:
    """Cumulative disbursement against plan month by month (13 months: January to January of the next
    year), by programme, unit and source, the previous year's curve, the expected pace and the flags."""
    user = request.auth  # type: ignore[attr-defined]
    sel = _selection(user, filters)
    ov = monitoring.overview(user, sel, level=filters.level, pace=filters.pace)
    co = ov.carry_over
    return {
        "year": sel.year,
        "on": sel.on,
        "deadline": monitoring.deadline(sel.year),
        "level": ov.level,
        "pace": ov.pace,
        "expected": ov.expected,
        "tolerance": monitoring.tolerance(),
        "total": _row(ov.total),
        "previous_year": [_point(p) for p in ov.previous],
        "expected_curve": ov.expected_curve,
        "carry_over": {
            "plan_vnd": co.plan_vnd,
            "disbursed_vnd": co.disbursed_vnd,
            "outside_window_vnd": co.outside_window_vnd,
        },
        "by_program": [_row(r) for r in ov.by_program],
        "by_unit": [_row(r) for r in ov.by_unit],
        "by_source": [_row(r) for r in ov.by_source],
        "flags": ov.flag_counts,
    }


@router.get("/reports/late", response=dict[str, Any])
def late_list(
    request: HttpRequest, filters: Query[MonitoringFilters], sort: str | None = None, descending: bool = True
) -> dict[str, Any]:
    """The late list: units below the expected pace and works overdue, stale or below pace, with owners."""
    user = request.auth  # type: ignore[attr-defined]
    sel = _selection(user, filters)
    items = monitoring.sort_items(
        monitoring.late_items(user, sel, pace=filters.pace, level=filters.level), sort, descending
    )
    return {"year": sel.year, "on": sel.on, "count": len(items), "items": [_item(i) for i in items]}
