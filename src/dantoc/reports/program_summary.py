"""The `program-summary` report: per programme and component, the communes and villages covered, the
capital plan by source and type, works by status, disbursed and rate, rolled up by unit level.

One computation serves the command, the page and the API. Figures follow `dantoc.works.monitoring`
(plan of the year without carry-over, disbursement cut off on 31 January, carry-over apart).

Coverage: for a programme listed in `CLASSIFIED` (P135), the communes and villages holding its
classification at any time during the year; for the others (and for every component), the distinct
units having plan lines or works of the year, a village's commune counting as covered with it.

Structure: `historical` reports on the units as they were (each record keeps the unit of its time and
rolls up along that unit's own path); `current` re-bases every unit onto today's structure with
`dantoc.geo.selectors.rebase_map` — merges add up, splits apportion money by share (or give it all to
the primary successor), abolished units without a successor are reported as unallocated; a work and
a covered unit go whole to the successor with the largest share. The report lists how many units
each rule was applied to. Programme and component totals never depend on the structure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from dantoc.core.scoping import scoped
from dantoc.geo.models import AdminUnit, Level, UnitClassification
from dantoc.geo.selectors import rebase_map
from dantoc.programs.models import CapitalType, Component, FundingSource, Program
from dantoc.reports.selectors import default_root
from dantoc.works import monitoring
from dantoc.works.models import WorkStatus

HISTORICAL, CURRENT = "historical", "current"
STRUCTURES = (HISTORICAL, CURRENT)
# Programmes whose coverage is a classification of units (commune type, village type).
CLASSIFIED: dict[str, tuple[str, str]] = {"P135": ("p135-commune", "p135-village")}
RATE_DIGITS = 4
CAPITAL_TYPES = tuple(CapitalType.values)
STATUSES = tuple(WorkStatus.values)


def _rate(disbursed: int, plan: int) -> float | None:
    r = monitoring.rate(disbursed, plan)
    return None if r is None else round(r, RATE_DIGITS)


def _whole(value: Decimal | int) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Acc:
    """Figures of one programme, component or unit group."""

    plan: Decimal = Decimal(0)
    by_source: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    paid: Decimal = Decimal(0)
    works: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    communes: set[int] = field(default_factory=set)
    villages: set[int] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)

    def add(self, other: Acc) -> None:
        self.plan += other.plan
        for src, types in other.by_source.items():
            for t, v in types.items():
                self.by_source[src][t] += v
        self.paid += other.paid
        for s, n in other.works.items():
            self.works[s] += n
        self.communes |= other.communes
        self.villages |= other.villages

    def figures(self) -> dict[str, Any]:
        plan, paid = _whole(self.plan), _whole(self.paid)
        by_source = {
            src: {
                **{t: _whole(types.get(t, 0)) for t in CAPITAL_TYPES},
                "total": _whole(sum(types.values(), Decimal(0))),
            }
            for src, types in sorted(self.by_source.items())
        }
        by_type = {t: sum(v[t] for v in by_source.values()) for t in CAPITAL_TYPES}
        return {
            "communes": len(self.communes),
            "villages": len(self.villages),
            "capital_plan_vnd": plan,
            "capital_plan_by_source": by_source,
            "capital_plan_by_type": by_type,
            "disbursed_vnd": paid,
            "disbursement_rate": _rate(paid, plan),
            "works": sum(self.works.values()),
            "works_by_status": {s: self.works.get(s, 0) for s in STATUSES},
        }


class Structure:
    """Where each recorded unit is reported: itself (historical) or its territory today (current)."""

    def __init__(self, mode: str, unit_ids: set[int], root: AdminUnit | None, today: dt.date) -> None:
        self.mode, self.root, self.today = mode, root, today
        self.alloc: dict[int, list[tuple[int | None, Decimal]]] = defaultdict(list)
        self.rule_counts: dict[str, int] = defaultdict(int)
        if mode == CURRENT:
            applied: dict[int, set[str]] = defaultdict(set)
            for a in rebase_map(unit_ids, today):
                self.alloc[a.source_id].append((a.target_id, a.weight))
                applied[a.source_id] |= set(a.rules)
            for rules in applied.values():
                for r in rules:
                    self.rule_counts[r] += 1
        else:
            for uid in unit_ids:
                self.alloc[uid].append((uid, Decimal(1)))
        targets = {t for allocs in self.alloc.values() for t, _w in allocs if t is not None}
        self.units = monitoring.unit_rows(targets | ({root.pk} if root else set()))
        commune_of, _found = monitoring.level_groups(targets, Level.COMMUNE, self.units)
        self.commune_of = commune_of
        self.groups = {t: self._group(t) for t in targets}
        self.whole_of: dict[int, int | None] = {}
        # What a covered unit counts as: (commune, village); a village also covers its commune.
        self.covers: dict[int, tuple[int | None, int | None]] = {}
        for t in targets:
            level = self.units[t].level if t in self.units else None
            if level == Level.VILLAGE:
                c = commune_of.get(t)
                ok = c is not None and c in self.units and self.units[c].level == Level.COMMUNE
                self.covers[t] = (c if ok else None, t)
            elif level == Level.COMMUNE:
                self.covers[t] = (t, None)

    def money(self, uid: int | None) -> list[tuple[int | None, Decimal]]:
        if uid is None:
            return []
        return self.alloc.get(uid, [(None, Decimal(1))])

    def whole(self, uid: int | None) -> int | None:
        """The single place a whole thing (a work, a covered unit) goes: the largest share."""
        if uid is None:
            return None
        found = self.whole_of.get(uid)
        if found is None and uid not in self.whole_of:
            allocs = self.money(uid)
            found = self.whole_of[uid] = max(allocs, key=lambda a: a[1])[0] if allocs else None
        return found

    def group(self, target: int | None) -> int | None:
        return self.groups.get(target) if target is not None else None

    def _group(self, target: int) -> int | None:
        """The roll-up group of a unit: the root's child on its path (the root itself for root-level
        records). A unit outside the root's subtree (a historical root re-based onto today's units) is
        grouped at its commune."""
        if target not in self.units:
            return None
        path = self.units[target].path
        prefix = self.root.path if self.root else "/"
        if not path.startswith(prefix):
            return self.commune_of.get(target, target)
        rest = [p for p in path[len(prefix) :].split("/") if p]
        return int(rest[0]) if rest else (self.root.pk if self.root else target)

    def coverage(self, target: int | None, acc: Acc) -> None:
        """Count a covered unit (a village also covers its commune)."""
        commune, village = self.covers.get(target, (None, None)) if target is not None else (None, None)
        if commune is not None:
            acc.communes.add(commune)
        if village is not None:
            acc.villages.add(village)

    def describe(self) -> dict[str, Any]:
        if self.mode == HISTORICAL:
            return {
                "mode": HISTORICAL,
                "on": None,
                "rules": {},
                "description": _(
                    "Số liệu theo đơn vị hành chính tại thời điểm phát sinh (cơ cấu của năm báo cáo)."
                ),
            }
        return {
            "mode": CURRENT,
            "on": self.today.isoformat(),
            "rules": dict(sorted(self.rule_counts.items())),
            "description": _(
                "Số liệu quy đổi sang đơn vị hành chính hiện nay: sáp nhập thì cộng dồn; chia tách thì phân bổ "
                "vốn theo tỷ lệ (không có tỷ lệ thì giao đơn vị kế thừa chính); công trình và đơn vị được hưởng "
                "giao trọn cho đơn vị nhận phần lớn nhất; đơn vị giải thể không có kế thừa ghi vào "
                '"chưa phân bổ".'
            ),
        }


def _programs(year: int, ids: set[int]) -> list[Program]:
    active = Q(start_year__lte=year) & (Q(end_year__isnull=True) | Q(end_year__gte=year))
    return list(Program.objects.filter(active | Q(pk__in=ids)).order_by("start_year", "code"))


def _ordered_components(components: list[Component]) -> list[tuple[Component, int]]:
    """Depth-first order with depth."""
    children: dict[int | None, list[Component]] = defaultdict(list)
    for c in components:
        children[c.parent_id].append(c)
    out: list[tuple[Component, int]] = []

    def visit(parent: int | None, depth: int) -> None:
        for c in sorted(children.get(parent, []), key=lambda c: (c.order, c.code)):
            out.append((c, depth))
            visit(c.pk, depth + 1)

    visit(None, 0)
    return out


def program_summary(
    user: Any,
    year: int,
    *,
    unit: AdminUnit | None = None,
    structure: str = HISTORICAL,
    on: dt.date | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The report as a dict ready for JSON (amounts in whole đồng, rates as fractions)."""
    if structure not in STRUCTURES:
        raise ValueError(structure)
    today = today or dt.date.today()
    root = unit if unit is not None else default_root(user)
    # As of today by default: the year's disbursement is cut off on 31 January anyway, and carried-over
    # capital keeps counting until its own deadline.
    sel = monitoring.Selection(year, on or today, within=root)

    plan = monitoring.plan_cube(user, sel, ("program", "component", "unit", "source", "capital_type"))
    paid = monitoring.disbursed_cube(user, sel, ("program", "component", "unit"))
    carry = monitoring.carry_over_cube(user, sel, ("program",))
    works = monitoring.works_cube(user, sel, ("program", "component", "unit", "village", "status"))
    classified = _classified(user, year, root)

    unit_ids = (
        {k[2] for k in plan}
        | {k[2] for k in paid}
        | {k[2] for k in works}
        | {k[3] for k in works}
        | {u for units in classified.values() for u in units}
    )
    unit_ids.discard(None)
    struct = Structure(structure, unit_ids, root, today)
    catalogue = list(FundingSource.objects.values_list("pk", "code", "name"))
    sources = {pk: code for pk, code, _name in catalogue}

    program_ids = {k[0] for k in (*plan, *paid, *works) if k[0] is not None}
    programs = _programs(year, program_ids)
    components = list(Component.objects.filter(program__in=programs))

    # Accumulate by (programme, component) and by (programme, group); coverage as recorded units first.
    by_comp: dict[tuple[int, int | None], Acc] = defaultdict(Acc)
    by_group: dict[tuple[int, int | None], Acc] = defaultdict(Acc)
    covered: dict[tuple[int, int | None], set[int]] = defaultdict(set)  # (programme, component) → units
    group_of, money = struct.group, struct.money
    for (prog, comp, uid, src, ctype), amount in plan.items():
        acc = by_comp[(prog, comp)]
        acc.plan += amount
        acc.by_source[sources[src]][ctype] += amount
        covered[(prog, comp)].add(uid)
        for target, w in money(uid):
            gacc = by_group[(prog, group_of(target))]
            share = amount if w == 1 else amount * w
            gacc.plan += share
            gacc.by_source[sources[src]][ctype] += share
    for (prog, comp, uid), amount in paid.items():
        if prog is None:
            continue
        by_comp[(prog, comp)].paid += amount
        for target, w in money(uid):
            by_group[(prog, group_of(target))].paid += amount if w == 1 else amount * w
    for (prog, comp, uid, village, status), n in works.items():
        by_comp[(prog, comp)].works[status] += n
        by_group[(prog, group_of(struct.whole(uid)))].works[status] += n
        covered[(prog, comp)].add(uid)
        if village is not None:
            covered[(prog, comp)].add(village)
    for (prog, comp), uids in covered.items():
        for uid in uids:
            target = struct.whole(uid)
            struct.coverage(target, by_comp[(prog, comp)])
            struct.coverage(target, by_group[(prog, group_of(target))])

    programs_out = []
    for program in programs:
        programs_out.append(_program(program, components, by_comp, by_group, struct, classified, carry))
    return {
        "report": "program-summary",
        "year": year,
        "as_of": sel.on.isoformat(),
        "deadline": monitoring.deadline(year).isoformat(),
        "unit": {"id": root.pk, "code": root.code, "name": root.full_name}
        if root
        else {"id": None, "code": "", "name": _("Toàn hệ thống")},
        "structure": struct.describe(),
        "sources": [{"code": c, "name": n} for _pk, c, n in catalogue],
        "programs": programs_out,
    }


def _classified(user: Any, year: int, root: AdminUnit | None) -> dict[str, set[int]]:
    """Units holding each coverage classification at any time during the year."""
    codes = {c for pair in CLASSIFIED.values() for c in pair}
    qs = (
        scoped(UnitClassification.objects.all(), user)
        .filter(type__code__in=codes, valid_from__lte=dt.date(year, 12, 31))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)))
    )
    if root is not None:
        qs = qs.filter(unit__path__startswith=root.path)
    out: dict[str, set[int]] = defaultdict(set)
    for code, uid in qs.values_list("type__code", "unit_id").distinct():
        out[code].add(uid)
    return out


def _program(
    program: Program,
    components: list[Component],
    by_comp: dict[tuple[int, int | None], Acc],
    by_group: dict[tuple[int, int | None], Acc],
    struct: Structure,
    classified: dict[str, set[int]],
    carry: dict[tuple[Any, ...], monitoring.CarryOver],
) -> dict[str, Any]:
    own = [c for c in components if c.program_id == program.pk]
    ordered = _ordered_components(own)
    # Each component's figures include its descendants'.
    rolled: dict[int, Acc] = {}
    for c, _depth in reversed(ordered):
        acc = Acc()
        acc.add(by_comp.get((program.pk, c.pk), Acc()))
        for child in own:
            if child.parent_id == c.pk:
                acc.add(rolled[child.pk])
        rolled[c.pk] = acc
    codes = {c.pk: c.code for c in own}
    components_out = [
        {
            "code": c.code,
            "name": c.name,
            "level": c.level,
            "parent": codes.get(c.parent_id or 0),
            "depth": depth,
            **rolled[c.pk].figures(),
        }
        for c, depth in ordered
    ]
    unassigned = by_comp.get((program.pk, None))
    if unassigned is not None:
        components_out.append(
            {
                "code": None,
                "name": _("Chưa xác định dự án thành phần"),
                "level": "",
                "parent": None,
                "depth": 0,
                **unassigned.figures(),
            }
        )

    total = Acc()
    for (prog, _comp), acc in by_comp.items():
        if prog == program.pk:
            total.add(acc)
    coverage = "activity"
    if program.code in CLASSIFIED:
        coverage = "classification"
        commune_type, village_type = CLASSIFIED[program.code]
        total.communes, total.villages = set(), set()
        for type_code, bucket in ((commune_type, total.communes), (village_type, total.villages)):
            for uid in classified.get(type_code, set()):
                target = struct.whole(uid)
                if target is not None:
                    bucket.add(target)
                    group = by_group[(program.pk, struct.group(target))]
                    (group.communes if bucket is total.communes else group.villages).add(target)
    co = carry.get((program.pk,), monitoring.CarryOver())
    units_out = []
    for (prog, gid), acc in by_group.items():
        if prog != program.pk:
            continue
        if program.code in CLASSIFIED:
            acc = _only_classified(acc, total)
        u = struct.units.get(gid) if gid is not None else None
        units_out.append(
            {
                "id": gid,
                "code": u.code if u else "",
                "name": u.full_name if u else _("Chưa phân bổ"),
                "level": u.level if u else "",
                **acc.figures(),
            }
        )
    units_out.sort(key=lambda r: (r["id"] is None, struct.units[r["id"]].name_folded if r["id"] else ""))
    return {
        "code": program.code,
        "name": program.name,
        "coverage": coverage,
        **total.figures(),
        "carry_over": {
            "plan_vnd": co.plan_vnd,
            "disbursed_vnd": co.disbursed_vnd,
            "outside_window_vnd": co.outside_window_vnd,
        },
        "components": components_out,
        "units": units_out,
    }


def _only_classified(acc: Acc, total: Acc) -> Acc:
    """For a classified programme, a group covers only classified units."""
    out = Acc()
    out.add(acc)
    out.communes &= total.communes
    out.villages &= total.villages
    return out
