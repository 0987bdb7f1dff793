"""Reads on programmes and capital plans.

The catalogue (programmes, components, funding sources) is reference data: everyone logged in reads
all of it. Capital plan lines are located at their unit and scoped by its path; a plan decision is
visible when its own unit or one of its lines lies in the user's area, and shows (and totals) only
the lines in that area. Totals are one aggregate query each; carry-over lines are reported apart and
never added to the year's plan.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from dantoc.core.scoping import scoped, user_scope_prefix
from dantoc.core.text import fold
from dantoc.geo.models import AdminUnit, valid_on
from dantoc.programs.models import CapitalPlanLine, Component, FundingSource, PlanDecision, Program

CARRY_OVER = PlanDecision.Revision.CARRY_OVER

# Dimensions a total can be grouped by, and the lookup each reads.
DIMENSIONS: dict[str, str] = {
    "year": "decision__year",
    "program": "component__program__code",
    "component": "component_id",
    "unit": "unit_id",
    "source": "source__code",
    "capital_type": "capital_type",
}

ProgramRef = Program | str | int | None


# --- catalogue -------------------------------------------------------------------------------------


def programs(q: str | None = None, year: int | None = None) -> QuerySet[Program]:
    qs = Program.objects.all()
    if year is not None:
        qs = qs.filter(start_year__lte=year).filter(Q(end_year__isnull=True) | Q(end_year__gte=year))
    if q:
        for word in fold(q).split():
            matching = [p.pk for p in qs if word in fold(f"{p.code} {p.name} {p.short_name}")]
            qs = qs.filter(pk__in=matching)
    return qs.order_by("start_year", "code")


def program(code: str) -> Program:
    found = Program.objects.filter(code__iexact=code).first()
    if found is None:
        raise Http404
    return found


def component(pk: int) -> Component:
    found = Component.objects.select_related("program", "parent").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def components(program: ProgramRef = None) -> QuerySet[Component]:
    qs = Component.objects.select_related("program")
    if program is not None:
        qs = qs.filter(_program_q(program, "program"))
    return qs.order_by("program__start_year", "program__code", "order", "code")


def component_tree(program: Program) -> list[tuple[Component, int]]:
    """The programme's components depth-first (parent before children) with their depth."""
    rows = list(Component.objects.filter(program=program).order_by("order", "code"))
    children: dict[int | None, list[Component]] = defaultdict(list)
    for c in rows:
        children[c.parent_id].append(c)
    out: list[tuple[Component, int]] = []

    def visit(parent: int | None, depth: int) -> None:
        for c in children.get(parent, []):
            out.append((c, depth))
            visit(c.pk, depth + 1)

    visit(None, 0)
    return out


def descendant_ids(component: Component) -> set[int]:
    """The component and everything under it (one query over its programme)."""
    pairs = list(Component.objects.filter(program_id=component.program_id).values_list("pk", "parent_id"))
    found = {component.pk}
    grew = True
    while grew:
        grew = False
        for pk, parent in pairs:
            if parent in found and pk not in found:
                found.add(pk)
                grew = True
    return found


def funding_sources() -> QuerySet[FundingSource]:
    return FundingSource.objects.order_by("order", "code")


def source_by_code(code: str) -> FundingSource | None:
    return FundingSource.objects.filter(code=code).first()


# --- plan lines and totals -------------------------------------------------------------------------


def _program_q(program: ProgramRef, prefix: str) -> Q:
    if isinstance(program, Program):
        return Q(**{f"{prefix}": program})
    if isinstance(program, int):
        return Q(**{f"{prefix}_id": program})
    return Q(**{f"{prefix}__code__iexact": str(program)})


def plan_lines(
    user: Any,
    *,
    year: int | Sequence[int] | None = None,
    program: ProgramRef = None,
    component: Component | None = None,
    unit: AdminUnit | None = None,
    source: FundingSource | str | None = None,
    capital_type: str | None = None,
    revision: str | None = None,
) -> QuerySet[CapitalPlanLine]:
    """Plan lines in the user's area; `unit` takes the unit's whole subtree, `component` its sub-tree."""
    qs = scoped(CapitalPlanLine.objects.all(), user)
    if isinstance(year, int):
        qs = qs.filter(decision__year=year)
    elif year is not None:
        qs = qs.filter(decision__year__in=list(year))
    if program is not None:
        qs = qs.filter(_program_q(program, "component__program"))
    if component is not None:
        qs = qs.filter(component_id__in=descendant_ids(component))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if isinstance(source, FundingSource):
        qs = qs.filter(source=source)
    elif source:
        qs = qs.filter(source__code=source)
    if capital_type:
        qs = qs.filter(capital_type=capital_type)
    if revision:
        qs = qs.filter(decision__revision=revision)
    return qs


def _sums() -> dict[str, Any]:
    return {
        "plan_vnd": Coalesce(Sum("amount_vnd", filter=~Q(decision__revision=CARRY_OVER)), Value(0)),
        "carry_over_vnd": Coalesce(Sum("amount_vnd", filter=Q(decision__revision=CARRY_OVER)), Value(0)),
    }


def plan_totals(
    user: Any,
    *,
    by: Sequence[str] = ("year", "program"),
    unit_level: str | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Plan (initial + adjustments) and carry-over per group, in one aggregate query.

    `by` names dimensions of `DIMENSIONS`; filters are those of `plan_lines`. With "unit" in `by`,
    `unit_level` ("district", "commune"…) rolls each unit up to its ancestor at that level (rows of
    units above that level keep their own unit).
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimensions: {unknown}")
    lookups = [DIMENSIONS[d] for d in by]
    qs = plan_lines(user, **filters).order_by()
    if not lookups:
        return [qs.aggregate(**_sums())]
    rows = [
        {
            **{d: r[DIMENSIONS[d]] for d in by},
            "plan_vnd": r["plan_vnd"],
            "carry_over_vnd": r["carry_over_vnd"],
        }
        for r in qs.values(*lookups).annotate(**_sums()).order_by(*lookups)
    ]
    if unit_level and "unit" in by:
        rows = _rollup(rows, list(by), unit_level)
    return rows


def _rollup(rows: list[dict[str, Any]], by: list[str], level: str) -> list[dict[str, Any]]:
    """Re-key grouped rows from their unit to its ancestor at `level` (over the grouped rows, not the lines)."""
    units = {u.pk: u for u in AdminUnit.objects.filter(pk__in={r["unit"] for r in rows}).only("pk", "path")}
    ancestor_ids = {int(p) for u in units.values() for p in u.path.strip("/").split("/") if p}
    at_level = set(AdminUnit.objects.filter(pk__in=ancestor_ids, level=level).values_list("pk", flat=True))
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        unit = units.get(r["unit"])
        path = [int(p) for p in unit.path.strip("/").split("/") if p] if unit else []
        target = next((p for p in path if p in at_level), r["unit"])
        key = tuple(target if d == "unit" else r[d] for d in by)
        row = merged.setdefault(key, {**dict(zip(by, key, strict=True)), "plan_vnd": 0, "carry_over_vnd": 0})
        row["plan_vnd"] += r["plan_vnd"]
        row["carry_over_vnd"] += r["carry_over_vnd"]
    return list(merged.values())


def plan_total(
    user: Any,
    year: int | Sequence[int] | None,
    program: ProgramRef = None,
    unit: AdminUnit | None = None,
    *,
    component: Component | None = None,
    source: FundingSource | str | None = None,
    capital_type: str | None = None,
    carry_over: bool = False,
) -> int:
    """The capital plan of a year in đồng (initial + adjustments), or its carry-over with `carry_over=True`."""
    totals = plan_lines(
        user,
        year=year,
        program=program,
        component=component,
        unit=unit,
        source=source,
        capital_type=capital_type,
    ).aggregate(**_sums())
    return int(totals["carry_over_vnd" if carry_over else "plan_vnd"])


def plan_years(user: Any, program: ProgramRef = None) -> list[int]:
    qs = plan_lines(user, program=program).order_by("decision__year")
    return list(qs.values_list("decision__year", flat=True).distinct())


# --- plan decisions --------------------------------------------------------------------------------


def _visible_lines(user: Any) -> QuerySet[CapitalPlanLine]:
    return scoped(CapitalPlanLine.objects.all(), user)


def plan_decisions(
    user: Any,
    *,
    year: int | None = None,
    program: ProgramRef = None,
    unit: AdminUnit | None = None,
    revision: str | None = None,
) -> QuerySet[PlanDecision]:
    """Decisions the user may see, each annotated with `total_vnd` and `line_count` of its visible lines
    (restricted to `program` and `unit` when given)."""
    prefix = user_scope_prefix(user)
    if prefix is None:
        return PlanDecision.objects.none()
    lines = _visible_lines(user)
    if program is not None:
        lines = lines.filter(_program_q(program, "component__program"))
    if unit is not None:
        lines = lines.filter(unit__path__startswith=unit.path)
    own = lines.filter(decision=OuterRef("pk"))
    qs = PlanDecision.objects.select_related("unit")
    if prefix:
        qs = qs.filter(Q(unit__path__startswith=prefix) | Exists(own))
    if program is not None or unit is not None:
        qs = qs.filter(Exists(own))
    if year is not None:
        qs = qs.filter(year=year)
    if revision:
        qs = qs.filter(revision=revision)
    sums = own.order_by().values("decision")
    return qs.annotate(
        total_vnd=Coalesce(
            Subquery(sums.annotate(s=Sum("amount_vnd")).values("s")), Value(0), output_field=IntegerField()
        ),
        line_count=Coalesce(
            Subquery(sums.annotate(n=Count("pk")).values("n")), Value(0), output_field=IntegerField()
        ),
    ).order_by("-year", "-date", "number")


def plan_decision(user: Any, pk: int) -> PlanDecision:
    found = plan_decisions(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def decision_lines(user: Any, decision: PlanDecision) -> QuerySet[CapitalPlanLine]:
    """The decision's lines in the user's area."""
    return (
        _visible_lines(user)
        .filter(decision=decision)
        .select_related("component", "component__program", "unit", "unit__parent", "source")
        .order_by(
            "component__program__code",
            "component__order",
            "component__code",
            "unit__path",
            "source__order",
            "capital_type",
        )
    )


def lines_of(user: Any, decisions: Iterable[PlanDecision]) -> dict[int, list[CapitalPlanLine]]:
    """Visible lines of several decisions in one query."""
    out: dict[int, list[CapitalPlanLine]] = defaultdict(list)
    qs = (
        _visible_lines(user)
        .filter(decision__in=[d.pk for d in decisions])
        .select_related("component", "component__program", "unit", "source")
        .order_by("decision", "component__code", "unit__path", "source__order", "capital_type")
    )
    for line in qs:
        out[line.decision_id].append(line)
    return out


def units_for_lines(user: Any, year: int) -> QuerySet[AdminUnit]:
    """Units a plan line of `year` may name: province, district and commune rows of that year in the area."""
    mid = dt.date(year, 7, 1)
    return (
        scoped(AdminUnit.objects.all(), user)
        .filter(valid_on(mid), level__in=("province", "district", "commune"))
        .order_by("path")
    )
