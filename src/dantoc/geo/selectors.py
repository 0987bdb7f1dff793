"""Reads on administrative units: time-aware, scoped, set-based."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.http import Http404

from dantoc.core.imports.bulk import id_list
from dantoc.core.scoping import scoped
from dantoc.core.text import fold
from dantoc.geo.models import (
    LEVEL_DEPTH,
    AdminUnit,
    EthnicGroup,
    UnitChange,
    UnitClassification,
    UnitLineage,
    UnitStatistic,
    valid_on,
)

MAX_HOPS = 12


def units(
    user: Any,
    *,
    on: dt.date | None = None,
    level: str | None = None,
    within: AdminUnit | None = None,
    q: str | None = None,
    code: str | None = None,
) -> QuerySet[AdminUnit]:
    """Units the user may see, valid on `on` when given."""
    qs = scoped(AdminUnit.objects.all(), user)
    if on is not None:
        qs = qs.filter(valid_on(on))
    if level:
        qs = qs.filter(level=level)
    if within is not None:
        qs = qs.filter(path__startswith=within.path).exclude(pk=within.pk)
    if code:
        qs = qs.filter(code=code)
    if q:
        for word in fold(q).split():
            qs = qs.filter(name_folded__contains=word)
    return qs.select_related("parent")


def unit(user: Any, pk: int) -> AdminUnit:
    obj = scoped(AdminUnit.objects.select_related("parent"), user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def descendants(root: AdminUnit, on: dt.date | None = None, level: str | None = None) -> QuerySet[AdminUnit]:
    qs = AdminUnit.objects.filter(path__startswith=root.path).exclude(pk=root.pk)
    if on is not None:
        qs = qs.filter(valid_on(on))
    if level:
        qs = qs.filter(level=level)
    return qs


def children(root: AdminUnit | None, on: dt.date | None) -> QuerySet[AdminUnit]:
    qs = AdminUnit.objects.filter(parent=root) if root else AdminUnit.objects.filter(parent__isnull=True)
    if on is not None:
        qs = qs.filter(valid_on(on))
    return qs.order_by("level", "name")


def lineage(target: AdminUnit) -> dict[str, list[UnitLineage]]:
    """Direct predecessors and successors of a unit, with the change that links them."""
    preds = UnitLineage.objects.filter(successor=target).select_related(
        "change", "predecessor", "predecessor__parent"
    )
    succs = UnitLineage.objects.filter(predecessor=target).select_related(
        "change", "successor", "successor__parent"
    )
    return {
        "predecessors": sorted(
            preds, key=lambda e: (e.change.effective_date, e.predecessor.name if e.predecessor else "")
        ),
        "successors": sorted(
            succs, key=lambda e: (e.change.effective_date, e.successor.name if e.successor else "")
        ),
    }


def changes_of(target: AdminUnit) -> QuerySet[UnitChange]:
    return UnitChange.objects.filter(Q(edges__predecessor=target) | Q(edges__successor=target)).distinct()


class Rule:
    SAME = "same"  # the unit is valid on the target date
    WHOLE = "whole"  # merge or rename: the whole figure passes on
    SHARE = "share"  # split with known shares: apportioned
    PRIMARY = "primary"  # split without shares: all to the primary successor
    ABOLISHED = "abolished"  # no successor


@dataclass(frozen=True)
class Allocation:
    source_id: int
    target_id: int | None
    weight: Decimal
    rules: tuple[str, ...]


def _choose(edges: list[UnitLineage]) -> list[tuple[int, Decimal, str]]:
    """Successors of one unit across its outgoing edges, with the weight and the rule."""
    succ = [e for e in edges if e.successor_id is not None]
    if not succ:
        return []
    distinct = {e.successor_id for e in succ}
    if len(distinct) == 1:
        return [(succ[0].successor_id, Decimal(1), Rule.WHOLE)]  # type: ignore[list-item]
    if all(e.share is not None for e in succ):
        total = sum((e.share for e in succ if e.share is not None), Decimal(0))
        return [(e.successor_id, (e.share or Decimal(0)) / total, Rule.SHARE) for e in succ]  # type: ignore[misc]
    primary = next((e for e in succ if e.is_primary), None) or min(succ, key=lambda e: e.pk)
    return [(primary.successor_id, Decimal(1), Rule.PRIMARY)]  # type: ignore[list-item]


def _step(ids: set[int], forward: bool) -> dict[int, list[UnitLineage]]:
    field = "predecessor_id" if forward else "successor_id"
    grouped: dict[int, list[UnitLineage]] = defaultdict(list)
    for edge in UnitLineage.objects.filter(**{f"{field}__in": id_list(ids)}).order_by("pk"):
        grouped[getattr(edge, field)].append(edge)
    return grouped


def rebase_map(unit_ids: set[int], on: dt.date) -> list[Allocation]:
    """Where each unit's territory lies on `on`, following lineage edges forward, hop by hop."""
    valid = set(
        AdminUnit.objects.filter(pk__in=id_list(unit_ids)).filter(valid_on(on)).values_list("pk", flat=True)
    )
    result = [Allocation(u, u, Decimal(1), (Rule.SAME,)) for u in unit_ids if u in valid]
    frontier: dict[int, list[tuple[int, Decimal, tuple[str, ...]]]] = {
        u: [(u, Decimal(1), ())] for u in unit_ids if u not in valid
    }
    for _hop in range(MAX_HOPS):
        if not frontier:
            break
        current = {cur for paths in frontier.values() for cur, _w, _r in paths}
        edges = _step(current, forward=True)
        nxt_ids = {e.successor_id for es in edges.values() for e in es if e.successor_id}
        ok = set(
            AdminUnit.objects.filter(pk__in=id_list(nxt_ids))
            .filter(valid_on(on))
            .values_list("pk", flat=True)
        )
        new_frontier: dict[int, list[tuple[int, Decimal, tuple[str, ...]]]] = {}
        for source, paths in frontier.items():
            for cur, weight, rules in paths:
                choices = _choose(edges.get(cur, []))
                if not choices:
                    result.append(Allocation(source, None, weight, (*rules, Rule.ABOLISHED)))
                    continue
                for target, w, rule in choices:
                    if target in ok:
                        result.append(Allocation(source, target, weight * w, (*rules, rule)))
                    else:
                        new_frontier.setdefault(source, []).append((target, weight * w, (*rules, rule)))
        frontier = new_frontier
    return result


def current_territory(target: AdminUnit, on: dt.date | None = None) -> list[Allocation]:
    return rebase_map({target.pk}, on or dt.date.today())


def former_units(target: AdminUnit, before: dt.date) -> QuerySet[AdminUnit]:
    """The reverse: units valid on `before` whose territory is now (partly) in `target`."""
    found: set[int] = set()
    frontier = {target.pk}
    for _hop in range(MAX_HOPS):
        edges = _step(frontier, forward=False)
        preds = {e.predecessor_id for es in edges.values() for e in es if e.predecessor_id}
        if not preds:
            break
        found |= preds
        frontier = preds
    return AdminUnit.objects.filter(pk__in=found).filter(valid_on(before))


@dataclass
class RebasedFigure:
    unit_id: int
    value: Decimal
    sources: list[dict[str, Any]]


def rebase(figures: dict[int, Decimal | int], on: dt.date) -> dict[int | None, RebasedFigure]:
    """Re-base figures recorded on (possibly historical) units onto the structure valid on `on`.

    Merges add up, splits apportion by share or go to the primary successor; every source
    says which rules were applied.
    """
    out: dict[int | None, RebasedFigure] = {}
    for alloc in rebase_map(set(figures), on):
        value = Decimal(figures[alloc.source_id]) * alloc.weight
        fig = out.setdefault(alloc.target_id, RebasedFigure(alloc.target_id or 0, Decimal(0), []))
        fig.value += value
        fig.sources.append(
            {"unit_id": alloc.source_id, "weight": alloc.weight, "value": value, "rules": list(alloc.rules)}
        )
    return out


def rollup(figures: dict[int, Decimal | int], level_depth: int) -> dict[int, Decimal]:
    """Sum figures up to the ancestor at `level_depth` (0 province, 1 district, 2 commune)
    on each unit's own path."""
    paths = dict(AdminUnit.objects.filter(pk__in=list(figures)).values_list("pk", "path"))
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for uid, value in figures.items():
        parts = paths[uid].strip("/").split("/")
        if len(parts) > level_depth:
            totals[int(parts[level_depth])] += Decimal(value)
    return dict(totals)


def classifications(user: Any, target: AdminUnit) -> QuerySet[UnitClassification]:
    return (
        scoped(UnitClassification.objects.filter(unit=target), user)
        .select_related("type")
        .order_by("-valid_from")
    )


def statistics(user: Any, target: AdminUnit) -> QuerySet[UnitStatistic]:
    return (
        scoped(UnitStatistic.objects.filter(unit=target), user)
        .select_related("ethnic_group")
        .order_by("-year", "ethnic_group__code")
    )


def ethnic_groups() -> QuerySet[EthnicGroup]:
    return EthnicGroup.objects.all()


# --- reads for the unit pages and forms (added with the unit UI) -------------------------------------

CONTINUING = (UnitChange.ChangeKind.RENAME, UnitChange.ChangeKind.REPARENT)


def default_on(user: Any) -> dt.date:
    """Today, or the last day of the user's scope unit when it no longer exists (a historical district)."""
    today = dt.date.today()
    scope = getattr(user, "scope", None)
    if scope is not None and scope.valid_to is not None and scope.valid_to < today:
        return scope.valid_to
    return today


def roots(user: Any, on: dt.date) -> list[AdminUnit]:
    """Top of the user's tree: their scope unit, or (unscoped admins) the units without a parent."""
    scope = getattr(user, "scope", None)
    if scope is not None:
        return list(
            scoped(AdminUnit.objects.filter(pk=scope.pk), user).annotate(has_children=_has_children(on))
        )
    return list(
        scoped(AdminUnit.objects.filter(parent__isnull=True), user)
        .filter(valid_on(on))
        .annotate(has_children=_has_children(on))
        .order_by("name")
    )


def _has_children(on: dt.date) -> Any:
    return Exists(AdminUnit.objects.filter(parent=OuterRef("pk")).filter(valid_on(on))) | Exists(
        UnitLineage.objects.filter(predecessor=OuterRef("pk"), change__kind__in=CONTINUING)
    )


def continuations(unit_id: int) -> set[int]:
    """Rows that continue `unit_id` after a rename or re-parent (its children live on under them)."""
    found: set[int] = set()
    frontier = {unit_id}
    for _hop in range(MAX_HOPS):
        nxt = (
            set(
                UnitLineage.objects.filter(
                    predecessor_id__in=frontier, change__kind__in=CONTINUING, successor__isnull=False
                ).values_list("successor_id", flat=True)
            )
            - found
            - {unit_id}
        )
        if not nxt:
            break
        found |= nxt
        frontier = nxt
    return found


def tree_children(user: Any, parent: AdminUnit, on: dt.date) -> QuerySet[AdminUnit]:
    """Children valid on `on`, in the user's area. Children moved to a renamed or re-parented
    continuation of `parent` still answer here for dates when `parent` was the valid row."""
    parents = {parent.pk}
    if parent.valid_to is not None and on <= parent.valid_to:
        parents |= continuations(parent.pk)
    return (
        scoped(AdminUnit.objects.filter(parent_id__in=parents), user)
        .filter(valid_on(on))
        .annotate(has_children=_has_children(on))
        .order_by("level", "name_folded")
    )


def _ended_by() -> Any:
    return Subquery(
        UnitLineage.objects.filter(predecessor=OuterRef("pk"))
        .order_by("change__effective_date")
        .values("change__kind")[:1]
    )


def search(user: Any, q: str, *, on: dt.date | None = None, level: str | None = None) -> QuerySet[AdminUnit]:
    """Tone-insensitive name search over every period ("dong buc" finds Đồng Bục), current units first."""
    if not fold(q or ""):
        return AdminUnit.objects.none()
    today = dt.date.today()
    return (
        units(user, on=on, level=level, q=q)
        .select_related("parent", "parent__parent")
        .annotate(
            ended_by=_ended_by(),
            historical=Case(When(valid_to__lt=today, then=1), default=0, output_field=IntegerField()),
            depth=Case(
                *(When(level=lv, then=d) for lv, d in LEVEL_DEPTH.items()), output_field=IntegerField()
            ),
        )
        .order_by("historical", "depth", "name_folded", "-valid_from")
    )


def subunits(user: Any, target: AdminUnit) -> QuerySet[AdminUnit]:
    """Every child of a unit over all periods (villages of a commune, communes of a district)."""
    return (
        scoped(AdminUnit.objects.filter(parent=target), user)
        .annotate(ended_by=_ended_by())
        .order_by("-valid_to", "name_folded")
    )


def lineage_closure(target: AdminUnit, forward: bool) -> list[tuple[AdminUnit, int]]:
    """All units reached through lineage edges (successors when `forward`, else predecessors), with the
    number of hops; one query per hop, no tree walk."""
    hops: dict[int, int] = {}
    frontier = {target.pk}
    for hop in range(1, MAX_HOPS + 1):
        edges = _step(frontier, forward=forward)
        other = "successor_id" if forward else "predecessor_id"
        nxt = (
            {getattr(e, other) for es in edges.values() for e in es if getattr(e, other)}
            - set(hops)
            - {target.pk}
        )
        if not nxt:
            break
        for pk in nxt:
            hops[pk] = hop
        frontier = nxt
    found = AdminUnit.objects.filter(pk__in=hops).select_related("parent")
    return sorted(((u, hops[u.pk]) for u in found), key=lambda uh: (uh[1], uh[0].name_folded))


@dataclass(frozen=True)
class Territory:
    unit: AdminUnit | None
    weight: Decimal
    rules: tuple[str, ...]


def territory_today(target: AdminUnit, on: dt.date | None = None) -> list[Territory]:
    """Where a (historical) unit's territory lies on `on` (default today), with the units loaded."""
    allocations = current_territory(target, on)
    found = AdminUnit.objects.in_bulk([a.target_id for a in allocations if a.target_id])
    merged: dict[int | None, Territory] = {}
    for a in allocations:
        prev = merged.get(a.target_id)
        weight = a.weight + (prev.weight if prev else Decimal(0))
        rules = prev.rules if prev else a.rules
        merged[a.target_id] = Territory(found.get(a.target_id) if a.target_id else None, weight, rules)
    return sorted(merged.values(), key=lambda t: (-t.weight, t.unit.name_folded if t.unit else ""))


def change_edges(change: UnitChange) -> QuerySet[UnitLineage]:
    return change.edges.select_related("predecessor", "successor").order_by("pk")
