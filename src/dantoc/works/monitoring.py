"""Disbursement monitoring: plan, disbursed and rate by programme, unit and source, month by month;
the expected pace, late works and the late list.

Set-based: every amount comes from a GROUP BY query; Python only walks the aggregated groups (a few
thousand at most), never the payments.

Rules
- Plan of year Y as of D: sum of `CapitalPlanLine.amount_vnd` of the decisions of year Y with revision
  initial or adjustment, dated on or before D. Carry-over lines are reported apart.
- Disbursed for year Y as of D: sum of `Disbursement.amount_vnd` with `plan_year` Y dated on or before
  min(D, 31/01/Y+1). Rate = disbursed / plan, None when the plan is not positive.
- Carry-over: a payment of year Y dated after 31/01/Y+1 counts as carry-over disbursement when it is
  against a carry-over line, or against a work drawing on one, and dated on or before that decision's
  `disburse_until`. Other late payments count nowhere and are shown as "outside the window".
- Attribution of a payment: programme and component of its plan line, else of its work; unit and
  source its own.
- Expected pace (setting `DISBURSEMENT_PACE`, or the page's `pace`): "linear", a straight line from 0 on
  1 January to 100 % on 31 January of the next year, by days; "s-curve", the month-end anchors of
  `S_CURVE` (slow first half, most payments in the fourth quarter, as public investment usually runs),
  interpolated by day; or a list of 13 month-end percentages. A unit or a work is below pace when its
  rate is more than `DISBURSEMENT_PACE_TOLERANCE` (default 0.10, ten points) under the expected figure.
- Works: *overdue* when planned completion < D and not completed by D (actual completion, or a
  completed/handed-over status change, on or before D); *stale* when started by D, not suspended,
  and its last progress update on or before D (or its start, when it never had one) is more than
  30 days before D; *below pace* when disbursed (all its payments up to D) / approved total investment
  is under its own schedule's pace (linear from planned start to planned completion; without a
  schedule, the year pace of its plan year) by more than the tolerance. Works of plan years up to Y
  that are neither cancelled nor completed by D are examined.
- Owner of a late item: `Work.owner`, else the officer whose scope is the nearest unit above (or at)
  the work's unit.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from dantoc.accounts.models import Role, User
from dantoc.core.scoping import scoped, user_scope_prefix
from dantoc.geo.models import SHORT_PREFIX, AdminUnit, Kind, Level, valid_on
from dantoc.programs.models import CapitalPlanLine, Component, PlanDecision
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkStatus, WorkStatusChange

COUNTED = (PlanDecision.Revision.INITIAL, PlanDecision.Revision.ADJUSTMENT)
CARRY_OVER = PlanDecision.Revision.CARRY_OVER
MONTHS = 13  # January to December, then January of the next year (the disbursement deadline)
STALE_DAYS = 30
DONE = (WorkStatus.COMPLETED, WorkStatus.HANDED_OVER)
S_CURVE = (3, 7, 12, 18, 25, 33, 42, 51, 61, 71, 82, 93, 100)
PACES = {"linear": None, "s-curve": S_CURVE}
DEFAULT_TOLERANCE = 0.10

FLAG_LABELS = {
    "below_pace": _("Giải ngân chậm so với tiến độ dự kiến"),
    "overdue": _("Quá thời hạn hoàn thành"),
    "stale": _("Quá 30 ngày không cập nhật tiến độ"),
}

Key = tuple[Any, ...]


# --- dates, rates and pace ------------------------------------------------------------------------------


def deadline(year: int) -> dt.date:
    """A year's capital may be disbursed until 31 January of the next year."""
    return Disbursement.default_deadline(year)


def default_on(year: int, today: dt.date | None = None) -> dt.date:
    """As-of date by default: today, or the year's deadline once it has passed."""
    return min(today or dt.date.today(), deadline(year))


def rate(disbursed: int, plan: int) -> float | None:
    return None if plan <= 0 else disbursed / plan


def month_start(year: int, idx: int) -> dt.date:
    """First day of month `idx` (1 = January of `year`, 13 = January of the next)."""
    return dt.date(year + (idx - 1) // 12, (idx - 1) % 12 + 1, 1)


def month_end(year: int, idx: int) -> dt.date:
    first = month_start(year, idx)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_label(year: int, idx: int) -> str:
    first = month_start(year, idx)
    return f"{first.month:02d}/{first.year}"


def tolerance() -> float:
    return float(getattr(settings, "DISBURSEMENT_PACE_TOLERANCE", DEFAULT_TOLERANCE))


def pace_anchors(pace: str | Sequence[float] | None = None) -> tuple[float, ...] | None:
    """Month-end cumulative percentages of a pace (None for linear)."""
    chosen = pace if pace is not None else getattr(settings, "DISBURSEMENT_PACE", "linear")
    if isinstance(chosen, str):
        anchors = PACES.get(chosen)
        return tuple(float(a) for a in anchors) if anchors else None
    values = tuple(float(a) for a in chosen)
    if len(values) != MONTHS:
        raise ValueError(f"a pace needs {MONTHS} month-end percentages")
    return values


def pace_name(pace: str | None) -> str:
    chosen = pace if pace in PACES else getattr(settings, "DISBURSEMENT_PACE", "linear")
    return chosen if isinstance(chosen, str) else "custom"


def expected_pace(year: int, on: dt.date, pace: str | Sequence[float] | None = None) -> float:
    """Share of the year's plan expected to be disbursed by `on`."""
    start, end = dt.date(year, 1, 1), deadline(year)
    if on < start:
        return 0.0
    if on >= end:
        return 1.0
    anchors = pace_anchors(pace)
    if anchors is None:
        return ((on - start).days + 1) / ((end - start).days + 1)
    idx = (on.year - year) * 12 + on.month
    before = anchors[idx - 2] / 100 if idx > 1 else 0.0
    after = anchors[idx - 1] / 100
    first, last = month_start(year, idx), month_end(year, idx)
    return before + (after - before) * ((on - first).days + 1) / ((last - first).days + 1)


def is_below(value: float | None, expected: float | None) -> bool:
    return value is not None and expected is not None and value < expected - tolerance()


# --- the selection and the base queries -----------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """What is monitored: a plan year as of a date, optionally narrowed to a subtree, programme, source."""

    year: int
    on: dt.date
    within: AdminUnit | None = None
    program: str | None = None  # programme code
    source: str | None = None  # funding source code

    @property
    def cutoff(self) -> dt.date:
        return min(self.on, deadline(self.year))

    def previous(self) -> Selection:
        return Selection(self.year - 1, self.on, self.within, self.program, self.source)

    @cached_property
    def top_paths(self) -> list[str]:
        """Paths of the top-level units (at most two: only whether there is exactly one matters)."""
        return list(AdminUnit.objects.filter(parent__isnull=True).values_list("path", flat=True)[:2])

    @cached_property
    def component_programs(self) -> dict[int, int]:
        return dict(Component.objects.values_list("pk", "program_id"))

    def is_whole_tree(self, path: str) -> bool:
        """Whether a subtree holds every unit (it is the only top-level unit): filtering on it is a no-op."""
        return self.top_paths == [path]


def in_area[M: Model](qs: QuerySet[M], user: Any, sel: Selection, lookup: str = "unit__path") -> QuerySet[M]:
    """`scoped()` to the user's area, then to the selection's subtree. A path filter that cannot exclude
    anything (the whole tree, or the same prefix twice) is left out: on a province database the common
    case, a province-wide reader, then needs no join to the units at all."""
    prefix = user_scope_prefix(user)
    if not (prefix and sel.is_whole_tree(prefix)):
        qs = scoped(qs, user)
    if sel.within is None or sel.within.path == prefix or sel.is_whole_tree(sel.within.path):
        return qs
    return qs.filter(**{f"{lookup}__startswith": sel.within.path})


def plan_lines(user: Any, sel: Selection, revisions: Iterable[str] = COUNTED) -> QuerySet[CapitalPlanLine]:
    qs = in_area(CapitalPlanLine.objects.all(), user, sel).filter(
        decision__year=sel.year, decision__revision__in=list(revisions), decision__date__lte=sel.on
    )
    if sel.program:
        qs = qs.filter(component__program__code=sel.program)
    if sel.source:
        qs = qs.filter(source__code=sel.source)
    return qs


def payments(user: Any, sel: Selection) -> QuerySet[Disbursement]:
    """Payments of the plan year (any date), in the user's area and the selection."""
    qs = in_area(Disbursement.objects.all(), user, sel).filter(plan_year=sel.year)
    if sel.program:
        qs = qs.filter(
            Q(plan_line__isnull=False, plan_line__component__program__code=sel.program)
            | Q(plan_line__isnull=True, work__program__code=sel.program)
        )
    if sel.source:
        qs = qs.filter(source__code=sel.source)
    return qs


def works(user: Any, sel: Selection) -> QuerySet[Work]:
    qs = in_area(Work.objects.all(), user, sel)
    if sel.program:
        qs = qs.filter(program__code=sel.program)
    return qs


class MonthNumber(Func):
    """year × 12 + month of a date column, computed by the database itself (Django's Extract runs a Python
    function per row on SQLite). For column references only: the column appears twice in the SQL."""

    template = (
        "CAST((EXTRACT(YEAR FROM %(expressions)s) * 12 + EXTRACT(MONTH FROM %(expressions)s)) AS INTEGER)"
    )
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(substr(%(expressions)s, 1, 4) AS INTEGER) * 12"
            " + CAST(substr(%(expressions)s, 6, 2) AS INTEGER))",
            **extra_context,
        )


PLAN_DIMS: dict[str, Any] = {
    "program": F("component__program_id"),
    "component": F("component_id"),
    "unit": F("unit_id"),
    "source": F("source_id"),
    "capital_type": F("capital_type"),
}
PAY_DIMS: dict[str, Any] = {"unit": F("unit_id"), "source": F("source_id"), "capital_type": F("capital_type")}
ATTRIBUTED = ("program", "component")  # of a payment: through its plan line, else its work
WORK_DIMS: dict[str, Any] = {
    "program": F("program_id"),
    "component": F("component_id"),
    "unit": F("unit_id"),
    "village": F("village_id"),
    "status": F("status"),
}
CHUNK = 10_000
RECENT_YEARS = 4  # works of these plan years before the year are read whole to attribute payments


def _values(exprs: dict[str, Any], dims: Sequence[str], date_field: str | None) -> dict[str, Any]:
    fields = {f"g_{d}": exprs[d] for d in dims if d not in ("month", *ATTRIBUTED) or d in exprs}
    if "month" in dims:
        assert date_field is not None
        fields["g_month"] = MonthNumber(date_field)
    return fields


def _month(row: dict[str, Any], year: int) -> int:
    # Month 0 holds what was in force before the year began (e.g. a plan assigned in December).
    return max(0, min(MONTHS, int(row["g_month"]) - year * 12))


def _key(row: dict[str, Any], dims: Sequence[str], year: int) -> Key:
    return tuple(_month(row, year) if d == "month" else row[f"g_{d}"] for d in dims)


def _cube(
    qs: QuerySet[Any], exprs: dict[str, Any], dims: Sequence[str], date_field: str, year: int
) -> dict[Key, int]:
    out: dict[Key, int] = defaultdict(int)
    for row in qs.order_by().values(**_values(exprs, dims, date_field)).annotate(amount=Sum("amount_vnd")):
        out[_key(row, dims, year)] += int(row["amount"] or 0)
    return dict(out)


def plan_cube(user: Any, sel: Selection, dims: Sequence[str]) -> dict[Key, int]:
    """Plan of the year as of the selection's date, summed by `dims` (program, component, unit, source,
    capital_type, month)."""
    return _cube(plan_lines(user, sel), PLAN_DIMS, dims, "decision__date", sel.year)


def _chunks(ids: set[int]) -> Iterable[list[int]]:
    items = sorted(ids)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _payment_rows(
    qs: QuerySet[Disbursement],
    dims: Sequence[str],
    year: int,
    aggregates: dict[str, Any],
    few: bool = False,
    works_hint: QuerySet[Work] | None = None,
    component_programs: dict[int, int] | None = None,
) -> dict[Key, dict[str, int]]:
    """Payments summed by `dims`. A payment's programme and component are its plan line's, else its
    work's: with months (or `few` payments), two joins in SQL; otherwise the payments are grouped by plan
    line and work (no join at all) and the few thousand groups attributed in Python."""
    fields = _values(PAY_DIMS, dims, "date")
    attributed = any(d in ATTRIBUTED for d in dims)
    by_month = "month" in dims or few
    if attributed and by_month:
        fields |= {
            "a_lcomp": F("plan_line__component_id"),
            "a_wprog": F("work__program_id"),
            "a_wcomp": F("work__component_id"),
        }
    elif attributed:
        fields |= {"a_line": F("plan_line_id"), "a_work": F("work_id")}
    rows = cast(list[dict[str, Any]], list(qs.order_by().values(**fields).annotate(**aggregates)))
    line_comp: dict[int, int] = {}
    work_attr: dict[int, tuple[int | None, int | None]] = {}
    comp_program: dict[int, int] = {}
    if attributed:
        comp_program = (
            component_programs
            if component_programs is not None
            else dict(Component.objects.values_list("pk", "program_id"))
        )
    if attributed and not by_month:
        line_ids = {r["a_line"] for r in rows if r["a_line"] is not None}
        work_ids = {r["a_work"] for r in rows if r["a_work"] is not None}
        # The year's lines and the area's recent works in two plain reads; stragglers by id.
        if line_ids:
            line_comp.update(
                CapitalPlanLine.objects.filter(decision__year=year).values_list("pk", "component_id")
            )
        if work_ids and works_hint is not None:
            work_attr.update(
                (pk, (prog, comp))
                for pk, prog, comp in works_hint.values_list("pk", "program_id", "component_id")
            )
        for chunk in _chunks(line_ids - set(line_comp)):
            line_comp.update(CapitalPlanLine.objects.filter(pk__in=chunk).values_list("pk", "component_id"))
        for chunk in _chunks(work_ids - set(work_attr)):
            work_attr.update(
                (pk, (prog, comp))
                for pk, prog, comp in Work.objects.filter(pk__in=chunk).values_list(
                    "pk", "program_id", "component_id"
                )
            )
    out: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(aggregates, 0))
    for row in rows:
        program = component = None
        if attributed:
            if by_month:
                lcomp, wprog, wcomp = row["a_lcomp"], row["a_wprog"], row["a_wcomp"]
            else:
                lcomp = line_comp.get(row["a_line"]) if row["a_line"] is not None else None
                wprog, wcomp = (
                    work_attr.get(row["a_work"], (None, None)) if row["a_work"] is not None else (None, None)
                )
            program = comp_program.get(lcomp) if lcomp is not None else wprog
            component = lcomp if lcomp is not None else wcomp
        key = tuple(
            program
            if d == "program"
            else component
            if d == "component"
            else _month(row, year)
            if d == "month"
            else row[f"g_{d}"]
            for d in dims
        )
        sums = out[key]
        for name in aggregates:
            sums[name] += int(row[name] or 0)
    return dict(out)


def disbursed_cube(user: Any, sel: Selection, dims: Sequence[str]) -> dict[Key, int]:
    """Disbursed for the year up to min(as-of date, 31 January next year), summed by `dims`."""
    qs = payments(user, sel).filter(date__lte=sel.cutoff)
    recent = works(user, sel).filter(year__range=(sel.year - RECENT_YEARS, sel.year))
    rows = _payment_rows(
        qs,
        dims,
        sel.year,
        {"amount": Sum("amount_vnd")},
        works_hint=recent,
        component_programs=sel.component_programs,
    )
    return {k: v["amount"] for k, v in rows.items()}


@dataclass
class CarryOver:
    plan_vnd: int = 0
    disbursed_vnd: int = 0
    outside_window_vnd: int = 0  # paid after the deadline without carried-over capital

    @property
    def rate(self) -> float | None:
        return rate(self.disbursed_vnd, self.plan_vnd)


def carry_over_cube(user: Any, sel: Selection, dims: Sequence[str]) -> dict[Key, CarryOver]:
    """Carried-over capital of the year and what was paid from it after 31 January, by `dims`."""
    out: dict[Key, CarryOver] = defaultdict(CarryOver)
    for key, amount in _cube(
        plan_lines(user, sel, (CARRY_OVER,)), PLAN_DIMS, dims, "decision__date", sel.year
    ).items():
        out[key].plan_vnd += amount
    if sel.on <= deadline(sel.year):
        return dict(out)
    work_until = (
        CapitalPlanLine.objects.filter(
            works=OuterRef("work_id"), decision__year=sel.year, decision__revision=CARRY_OVER
        )
        .order_by("-decision__disburse_until")
        .values("decision__disburse_until")[:1]
    )
    until = Coalesce(
        Case(
            When(plan_line__decision__revision=CARRY_OVER, then=F("plan_line__decision__disburse_until")),
            default=None,
            output_field=DateField(),
        ),
        Subquery(work_until, output_field=DateField()),
        output_field=DateField(),
    )
    late = payments(user, sel).filter(date__gt=deadline(sel.year), date__lte=sel.on).annotate(until=until)
    aggregates = {
        "paid": Sum("amount_vnd", filter=Q(date__lte=F("until"))),
        "outside": Sum("amount_vnd", filter=Q(until__isnull=True) | Q(date__gt=F("until"))),
    }
    for key, sums in _payment_rows(
        late, dims, sel.year, aggregates, few=True, component_programs=sel.component_programs
    ).items():
        out[key].disbursed_vnd += sums["paid"]
        out[key].outside_window_vnd += sums["outside"]
    return dict(out)


def works_cube(user: Any, sel: Selection, dims: Sequence[str]) -> dict[Key, int]:
    """Number of works of the plan year by `dims` (program, component, unit, village, status)."""
    qs = works(user, sel).filter(year=sel.year)
    rows = cast(
        list[dict[str, Any]], qs.order_by().values(**_values(WORK_DIMS, dims, None)).annotate(n=Count("pk"))
    )
    names = [f"g_{d}" for d in dims]
    return {tuple(row[n] for n in names): int(row["n"]) for row in rows}


# --- units: light rows, roll-up to a level --------------------------------------------------------------


class UnitInfo(NamedTuple):
    pk: int
    level: str
    kind: str
    code: str
    name: str
    name_folded: str
    path: str
    parent_id: int | None
    full_name: str


def _kind_prefixes() -> dict[str, str]:
    return {k: str(SHORT_PREFIX.get(Kind(k)) or label) for k, label in Kind.choices}


def unit_rows(ids: Iterable[int]) -> dict[int, UnitInfo]:
    """The units and all their ancestors, as light rows (two queries). `full_name` follows
    `AdminUnit.full_name` without its per-call choice lookup."""
    ids = {i for i in ids if i is not None}
    paths = AdminUnit.objects.filter(pk__in=ids).values_list("path", flat=True)
    wanted = {int(p) for path in paths for p in path.strip("/").split("/") if p} | ids
    prefixes = _kind_prefixes()
    out: dict[int, UnitInfo] = {}
    fields = ("pk", "level", "kind", "code", "name", "name_folded", "path", "parent_id")
    for pk, level, kind, code, name, folded, path, parent in (
        AdminUnit.objects.filter(pk__in=wanted).order_by().values_list(*fields)
    ):
        prefix = prefixes.get(kind, "")
        full = name if name.lower().startswith(prefix.lower()) else f"{prefix} {name}"
        out[pk] = UnitInfo(pk, level, kind, code, name, folded, path, parent, full)
    return out


def level_groups(
    ids: Iterable[int], level: str, found: dict[int, UnitInfo] | None = None
) -> tuple[dict[int, int], dict[int, UnitInfo]]:
    """Map each unit to its ancestor (or itself) at `level` on its own path; a unit with none at that
    level (a commune of the two-tier structure for "district", a province-level line) stays itself.
    `found`: rows already loaded with their ancestors (else loaded here)."""
    ids = {i for i in ids if i is not None}
    if found is None:
        found = unit_rows(ids)
    mapping: dict[int, int] = {}
    for uid in ids:
        unit = found.get(uid)
        if unit is None:
            continue
        parts = [int(p) for p in unit.path.strip("/").split("/") if p]
        mapping[uid] = next((p for p in parts if p in found and found[p].level == level), uid)
    return mapping, found


def default_level(root: AdminUnit | None, year: int) -> str:
    """The level of the root's children in the year's structure (districts before July 2025)."""
    ref = dt.date(year, 12, 31)
    if root is not None and root.level == Level.DISTRICT:
        return Level.COMMUNE
    if root is not None and root.level in (Level.COMMUNE, Level.VILLAGE):
        return Level.COMMUNE
    qs = AdminUnit.objects.filter(level=Level.DISTRICT).filter(valid_on(ref))
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return Level.DISTRICT if qs.exists() else Level.COMMUNE


# --- owners ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    id: int
    name: str
    assigned: bool  # Work.owner (True) or the unit's officer (False)


class Owners:
    """The officer of the nearest unit above a path (one query for all officers)."""

    def __init__(self) -> None:
        rows = User.objects.filter(role=Role.OFFICER, is_active=True, scope__isnull=False).values_list(
            "pk", "username", "full_name", "scope__path"
        )
        self._officers = sorted(rows, key=lambda r: (-len(r[3]), r[1]))

    def for_path(self, path: str) -> Owner | None:
        for pk, username, full_name, scope_path in self._officers:
            if path.startswith(scope_path):
                return Owner(pk, full_name or username, False)
        return None


# --- curves and the overview ----------------------------------------------------------------------------


@dataclass
class Point:
    month: int
    label: str
    plan_vnd: int | None
    disbursed_vnd: int | None
    rate: float | None


def cumulate(year: int, on: dt.date, plan: dict[int, int], paid: dict[int, int]) -> list[Point]:
    """Cumulative plan, disbursement and rate at each month end up to `on` (later months are empty)."""
    points: list[Point] = []
    plan_sum, paid_sum = plan.get(0, 0), paid.get(0, 0)
    for idx in range(1, MONTHS + 1):
        label = month_label(year, idx)
        if month_start(year, idx) > on:
            points.append(Point(idx, label, None, None, None))
            continue
        plan_sum += plan.get(idx, 0)
        paid_sum += paid.get(idx, 0)
        points.append(Point(idx, label, plan_sum, paid_sum, rate(paid_sum, plan_sum)))
    return points


@dataclass
class Row:
    """One group (programme, unit or source) of the monitoring page."""

    key: Any
    code: str
    name: str
    plan_vnd: int = 0
    disbursed_vnd: int = 0
    points: list[Point] = field(default_factory=list)
    below_pace: bool = False
    owner: Owner | None = None
    url: str | None = None

    @property
    def rate(self) -> float | None:
        return rate(self.disbursed_vnd, self.plan_vnd)


@dataclass
class Overview:
    sel: Selection
    level: str
    pace: str
    expected: float
    total: Row
    previous: list[Point]
    expected_curve: list[float]
    carry_over: CarryOver
    by_program: list[Row]
    by_unit: list[Row]
    by_source: list[Row]
    late: list[LateItem]

    @property
    def flag_counts(self) -> dict[str, int]:
        counts = {
            "units_below_pace": sum(1 for r in self.by_unit if r.below_pace),
            "works_below_pace": 0,
            "works_overdue": 0,
            "works_stale": 0,
        }
        for item in self.late:
            if item.kind == "work":
                for flag in item.flags:
                    counts[f"works_{flag}"] += 1
        return counts

    def chart(self) -> dict[str, Any]:
        """Data for `static/dantoc/charts.js` (percentages, None for months not reached)."""

        def pct(points: list[Point]) -> list[float | None]:
            return [None if p.rate is None else round(p.rate * 100, 2) for p in points]

        return {
            "labels": [
                f"T{(p.month - 1) % 12 + 1}" + ("+" if p.month == MONTHS else "") for p in self.total.points
            ],
            "series": [
                {
                    "key": "current",
                    "label": str(_("Năm %(year)s") % {"year": self.sel.year}),
                    "data": pct(self.total.points),
                },
                {
                    "key": "previous",
                    "label": str(_("Năm %(year)s") % {"year": self.sel.year - 1}),
                    "data": pct(self.previous),
                },
                {
                    "key": "expected",
                    "label": str(_("Tiến độ dự kiến")),
                    "data": [round(v * 100, 2) for v in self.expected_curve],
                },
            ],
        }


def _series(
    plan: dict[Key, int], paid: dict[Key, int], group: Callable[[Key], Any]
) -> dict[Any, tuple[dict[int, int], dict[int, int]]]:
    """Month-by-month plan and payments per group; cube keys end with the month."""
    out: dict[Any, tuple[dict[int, int], dict[int, int]]] = {}
    for cube, slot in ((plan, 0), (paid, 1)):
        for key, amount in cube.items():
            g = group(key)
            if g is None:
                continue
            months = out.setdefault(g, ({}, {}))[slot]
            months[key[-1]] = months.get(key[-1], 0) + amount
    return out


def _rows(
    year: int,
    on: dt.date,
    series: dict[Any, tuple[dict[int, int], dict[int, int]]],
    label: Callable[[Any], tuple[str, str]],
    expected: float,
) -> list[Row]:
    rows = []
    for key, (plan, paid) in series.items():
        code, name = label(key)
        row = Row(key, code, name, sum(plan.values()), sum(paid.values()), cumulate(year, on, plan, paid))
        row.below_pace = is_below(row.rate, expected)
        rows.append(row)
    return rows


def work_url(pk: int) -> str:
    try:
        return reverse("works:detail", args=[pk])
    except NoReverseMatch:
        return f"/works/{pk}/"


def overview(
    user: Any,
    sel: Selection,
    *,
    level: str | None = None,
    pace: str | None = None,
    monitoring_url: str | None = None,
) -> Overview:
    """Everything the monitoring page shows, for one selection."""
    from dantoc.programs.models import FundingSource, Program

    dims = ("program", "unit", "source", "month")
    plan = plan_cube(user, sel, dims)
    paid = disbursed_cube(user, sel, dims)
    prev_plan = plan_cube(user, sel.previous(), ("month",))
    prev_paid = disbursed_cube(user, sel.previous(), ("month",))
    carry = carry_over_cube(user, sel, ())
    level = level or default_level(sel.within, sel.year)
    expected = expected_pace(sel.year, sel.on, pace)

    total_series = _series(plan, paid, lambda k: "all").get("all", ({}, {}))
    total = Row(
        "all",
        "",
        str(_("Tổng số")),
        sum(total_series[0].values()),
        sum(total_series[1].values()),
        cumulate(sel.year, sel.on, *total_series),
    )
    total.below_pace = is_below(total.rate, expected)

    programs = {p.pk: p for p in Program.objects.filter(pk__in={k[0] for k in (*plan, *paid) if k[0]})}
    by_program = _rows(
        sel.year,
        sel.on,
        _series(plan, paid, lambda k: k[0]),
        lambda k: (
            (programs[k].code, str(programs[k]))
            if k in programs
            else ("", str(_("Chưa xác định chương trình")))
        ),
        expected,
    )
    sources = FundingSource.objects.in_bulk({k[2] for k in (*plan, *paid)})
    by_source = _rows(
        sel.year,
        sel.on,
        _series(plan, paid, lambda k: k[2]),
        lambda k: (sources[k].code, sources[k].name),
        expected,
    )

    mapping, units = level_groups({k[1] for k in (*plan, *paid)}, level)
    owners = Owners()
    by_unit = _rows(
        sel.year,
        sel.on,
        _series(plan, paid, lambda k: mapping.get(k[1])),
        lambda k: (units[k].code, units[k].full_name),
        expected,
    )
    for row in by_unit:
        row.owner = owners.for_path(units[row.key].path)
        if monitoring_url:
            row.url = f"{monitoring_url}?year={sel.year}&on={sel.on.isoformat()}&unit={row.key}"

    by_program.sort(key=lambda r: (r.code == "", r.code))
    by_source.sort(key=lambda r: r.code)
    by_unit.sort(key=lambda r: (units[r.key].path.count("/"), units[r.key].name_folded))
    return Overview(
        sel=sel,
        level=level,
        pace=pace_name(pace),
        expected=expected,
        total=total,
        previous=cumulate(
            sel.year - 1, sel.on, *_series(prev_plan, prev_paid, lambda k: "all").get("all", ({}, {}))
        ),
        expected_curve=[expected_pace(sel.year, month_end(sel.year, i), pace) for i in range(1, MONTHS + 1)],
        carry_over=carry.get((), CarryOver()),
        by_program=by_program,
        by_unit=by_unit,
        by_source=by_source,
        late=late_items(
            user, sel, by_unit=by_unit, units=units, owners=owners, pace=pace, monitoring_url=monitoring_url
        ),
    )


# --- late works and the late list -----------------------------------------------------------------------


@dataclass
class LateItem:
    kind: str  # "work" or "unit"
    id: int
    code: str
    name: str
    url: str | None
    unit_name: str
    program: str
    owner: Owner | None
    flags: list[str]
    planned_completion: dt.date | None = None
    days_overdue: int | None = None
    last_update: dt.date | None = None
    days_since_update: int | None = None
    percent: int | None = None
    rate: float | None = None
    expected: float | None = None

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]


def _status_date(statuses: Sequence[str], first: bool) -> Subquery:
    qs = WorkStatusChange.objects.filter(work=OuterRef("pk"), status__in=list(statuses))
    return Subquery(qs.order_by("date" if first else "-date").values("date")[:1], output_field=DateField())


def late_works(user: Any, sel: Selection, pace: str | None = None) -> list[LateItem]:
    """Works overdue, stale or below pace as of the selection's date (one query over the works, plus the
    owners and the names of the late ones)."""
    on = sel.on
    latest = ProgressUpdate.objects.filter(work=OuterRef("pk"), date__lte=on).order_by("-date", "-id")
    paid = (
        Disbursement.objects.filter(work=OuterRef("pk"), date__lte=on)
        .order_by()
        .values("work")
        .annotate(s=Sum("amount_vnd"))
        .values("s")
    )
    qs = (
        works(user, sel)
        .filter(year__lte=sel.year)
        .exclude(status=WorkStatus.CANCELLED)
        .annotate(
            done_on=Coalesce("actual_completion", _status_date(DONE, first=True)),
            started_on=Coalesce("actual_start", _status_date((WorkStatus.UNDER_CONSTRUCTION,), first=True)),
            last_update=Subquery(latest.values("date")[:1], output_field=DateField()),
            last_percent=Subquery(latest.values("percent")[:1]),
            paid=Coalesce(Subquery(paid, output_field=BigIntegerField()), 0, output_field=BigIntegerField()),
        )
        .filter(Q(done_on__gt=on) | (Q(done_on__isnull=True) & ~Q(status__in=DONE)))
        .order_by()
        .values(
            "pk",
            "code",
            "name",
            "year",
            "status",
            "total_investment_vnd",
            "planned_start",
            "planned_completion",
            "unit_id",
            "unit__path",
            "program__code",
            "owner_id",
            "owner__username",
            "owner__full_name",
            "started_on",
            "last_update",
            "last_percent",
            "paid",
        )
    )
    found: list[tuple[dict[str, Any], list[str], int | None, int | None, float | None, float | None]] = []
    for row in qs:
        w: dict[str, Any] = dict(row)
        flags: list[str] = []
        started_on = w["started_on"]
        started = (started_on is not None and started_on <= on) or (
            started_on is None and w["status"] == WorkStatus.UNDER_CONSTRUCTION
        )
        days_overdue = (on - w["planned_completion"]).days if w["planned_completion"] else None
        if days_overdue is not None and days_overdue > 0:
            flags.append("overdue")
        reference = w["last_update"] or started_on
        since = (on - reference).days if reference else None
        if started and w["status"] != WorkStatus.SUSPENDED and (since is None or since > STALE_DAYS):
            flags.append("stale")
        work_rate = rate(int(w["paid"]), w["total_investment_vnd"])
        expected = _work_expected(w, on, pace) if started else None
        if work_rate is not None and is_below(work_rate, expected):
            flags.append("below_pace")
        if flags:
            found.append(
                (
                    w,
                    flags,
                    days_overdue if days_overdue and days_overdue > 0 else None,
                    since,
                    work_rate,
                    expected,
                )
            )
    if not found:
        return []
    owners = Owners()
    names = unit_rows({w["unit_id"] for w, *_rest in found})
    items: list[LateItem] = []
    for w, flags, days_overdue, since, work_rate, expected in found:
        owner = (
            Owner(w["owner_id"], w["owner__full_name"] or w["owner__username"], True)
            if w["owner_id"]
            else owners.for_path(w["unit__path"])
        )
        items.append(
            LateItem(
                kind="work",
                id=w["pk"],
                code=w["code"],
                name=w["name"],
                url=work_url(w["pk"]),
                unit_name=names[w["unit_id"]].full_name if w["unit_id"] in names else "",
                program=w["program__code"],
                owner=owner,
                flags=flags,
                planned_completion=w["planned_completion"],
                days_overdue=days_overdue,
                last_update=w["last_update"],
                days_since_update=since,
                percent=w["last_percent"],
                rate=work_rate,
                expected=expected,
            )
        )
    return items


def _work_expected(w: dict[str, Any], on: dt.date, pace: str | None) -> float | None:
    start = w["planned_start"] or w["started_on"]
    end = w["planned_completion"]
    if start and end and end > start:
        return min(1.0, max(0.0, (on - start).days / (end - start).days))
    if end and on >= end:
        return 1.0
    return expected_pace(w["year"], on, pace)


def late_items(
    user: Any,
    sel: Selection,
    *,
    by_unit: list[Row] | None = None,
    units: dict[int, UnitInfo] | None = None,
    owners: Owners | None = None,
    pace: str | None = None,
    level: str | None = None,
    monitoring_url: str | None = None,
) -> list[LateItem]:
    """The late list: units below the expected pace, then late works."""
    if by_unit is None or units is None:
        level = level or default_level(sel.within, sel.year)
        dims = ("unit",)
        plan, paid = plan_cube(user, sel, dims), disbursed_cube(user, sel, dims)
        mapping, units = level_groups({k[0] for k in (*plan, *paid)}, level)
        grouped: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for cube, slot in ((plan, 0), (paid, 1)):
            for (uid,), amount in cube.items():
                if uid in mapping:
                    grouped[mapping[uid]][slot] += amount
        expected = expected_pace(sel.year, sel.on, pace)
        by_unit = []
        for gid, (p, d) in grouped.items():
            row = Row(gid, units[gid].code, units[gid].full_name, p, d)
            row.below_pace = is_below(row.rate, expected)
            by_unit.append(row)
    owners = owners or Owners()
    expected = expected_pace(sel.year, sel.on, pace)
    items: list[LateItem] = []
    for row in by_unit:
        if not row.below_pace:
            continue
        unit = units[row.key]
        url = (
            f"{monitoring_url}?year={sel.year}&on={sel.on.isoformat()}&unit={unit.pk}"
            if monitoring_url
            else None
        )
        items.append(
            LateItem(
                kind="unit",
                id=unit.pk,
                code=unit.code,
                name=unit.full_name,
                url=url,
                unit_name=units[unit.parent_id].full_name if unit.parent_id in units else "",
                program=sel.program or "",
                owner=row.owner or owners.for_path(unit.path),
                flags=["below_pace"],
                rate=row.rate,
                expected=expected,
            )
        )
    return items + late_works(user, sel, pace)


SORTS: dict[str, Callable[[LateItem], Any]] = {
    "kind": lambda i: i.kind,
    "code": lambda i: i.code,
    "name": lambda i: i.name.lower(),
    "unit": lambda i: i.unit_name.lower(),
    "program": lambda i: i.program,
    "owner": lambda i: i.owner.name.lower() if i.owner else None,
    "flags": lambda i: len(i.flags),
    "planned_completion": lambda i: i.planned_completion,
    "days_overdue": lambda i: i.days_overdue,
    "last_update": lambda i: i.last_update,
    "days_since_update": lambda i: i.days_since_update,
    "percent": lambda i: i.percent,
    "rate": lambda i: i.rate,
    "expected": lambda i: i.expected,
}
DEFAULT_SORT = "days_overdue"


def sort_items(items: list[LateItem], sort: str | None, descending: bool) -> list[LateItem]:
    """Sort by a column; empty values always last. The default puts the most overdue first."""
    key = SORTS.get(sort or "", SORTS[DEFAULT_SORT])
    present = [i for i in items if key(i) is not None]
    missing = [i for i in items if key(i) is None]
    present.sort(key=lambda i: (key(i), i.name.lower()), reverse=descending)
    return present + sorted(missing, key=lambda i: (-len(i.flags), i.name.lower()))
