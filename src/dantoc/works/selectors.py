"""Reads on works and disbursements: scoped to the user, set-based, figures computed from payments.

A payment counts for its plan year when it was made by the deadline: 31 January of the next year, or
the `disburse_until` of a carry-over decision of that plan year covering it (same rule as
`services.deadline`). Payments after the deadline are shown but not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateField,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from dantoc.core.scoping import scoped
from dantoc.core.text import fold
from dantoc.geo.models import AdminUnit, Level
from dantoc.programs.models import CapitalPlanLine, FundingSource, PlanDecision, Program
from dantoc.works.models import (
    TRANSITIONS,
    Disbursement,
    ProgressUpdate,
    Work,
    WorkStatus,
    WorkStatusChange,
)

CARRY_OVER = PlanDecision.Revision.CARRY_OVER


def until_expression() -> Coalesce:
    """For a payment (outer query): the extended deadline its carried-over capital gives, or NULL.

    The payment's plan line when that is a carry-over line, else the latest carry-over line of the plan
    year its work draws on (the same rule as `services.deadline` and the monitoring page).
    """
    links = Work.plan_lines.through.objects  # from the work's links (indexed by work), not every line
    work_until = (
        links.filter(
            work_id=OuterRef("work_id"),
            capitalplanline__decision__year=OuterRef("plan_year"),
            capitalplanline__decision__revision=CARRY_OVER,
        )
        .order_by("-capitalplanline__decision__disburse_until")
        .values("capitalplanline__decision__disburse_until")[:1]
    )
    return Coalesce(
        Case(
            When(plan_line__decision__revision=CARRY_OVER, then=F("plan_line__decision__disburse_until")),
            default=None,
            output_field=DateField(),
        ),
        Subquery(work_until, output_field=DateField()),
        output_field=DateField(),
    )


class JanuaryDeadline(Func):
    """31 January of the year after an integer year expression, as a date (no per-row Python on SQLite)."""

    template = "make_date(%(expressions)s + 1, 1, 31)"
    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # SQLite stores dates as ISO text, which compares in date order (years have four digits).
        return self.as_sql(compiler, connection, template="(CAST(%(expressions)s + 1 AS TEXT) || '-01-31')")


def by_31_january() -> Q:
    """Q on `Disbursement`: paid by 31 January after the plan year (the database keeps it on or after
    1 January of the plan year)."""
    return Q(date__lte=JanuaryDeadline("plan_year"))


def with_counted(qs: QuerySet[Disbursement]) -> QuerySet[Disbursement]:
    """Annotate `counted`: the payment was made by its plan year's deadline.

    The carry-over lookup sits in the second branch of the CASE, so it runs only for the few payments
    made after 31 January.
    """
    return qs.annotate(
        counted=Case(
            When(by_31_january(), then=Value(True)),
            When(date__lte=until_expression(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def disbursed_subquery(outer: str = "pk", *, plan_year: Any = None) -> Coalesce:
    """Counted disbursement of the work named by `outer`, as one correlated SUM (no N+1)."""
    payments = with_counted(Disbursement.objects.filter(work_id=OuterRef(outer))).filter(Q(counted=True))
    if plan_year is not None:
        payments = payments.filter(plan_year=plan_year)
    total = payments.order_by().values("work_id").annotate(s=Sum("amount_vnd")).values("s")
    return Coalesce(Subquery(total, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


# --- works -----------------------------------------------------------------------------------------


def works(
    user: Any,
    *,
    program: str | None = None,
    year: int | None = None,
    unit: AdminUnit | None = None,
    status: str | list[str] | None = None,
    kind: str | None = None,
    q: str | None = None,
    with_disbursed: bool = True,
) -> QuerySet[Work]:
    """Works in the user's area, filtered; each annotated with `disbursed_vnd` (counted payments)."""
    qs = scoped(Work.objects.all(), user)
    if program:
        qs = qs.filter(program__code__iexact=program.strip())
    if year:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status:
        statuses = [
            s.strip() for s in (status.split(",") if isinstance(status, str) else status) if s.strip()
        ]
        qs = qs.filter(status__in=statuses)
    if kind:
        qs = qs.filter(kind=kind)
    if q and q.strip():
        by_name = Q()
        for word in fold(q).split():
            by_name &= Q(name_folded__contains=word)
        qs = qs.filter(by_name | Q(code__iexact=q.strip()))
    qs = qs.select_related("unit", "program")
    return qs.annotate(disbursed_vnd=disbursed_subquery()) if with_disbursed else qs


def works_totals(qs: QuerySet[Work]) -> dict[str, int]:
    """Count, approved investment and counted disbursement of a filtered works list: two plain aggregates
    (one pass over the payments, not one subquery per work)."""
    works_only = qs.order_by().values("pk")
    row = qs.order_by().aggregate(n=Count("pk"), total=Coalesce(Sum("total_investment_vnd"), 0))
    paid = (
        with_counted(Disbursement.objects.filter(work__in=works_only))
        .order_by()
        .aggregate(s=Coalesce(Sum(Case(When(counted=True, then="amount_vnd"))), 0))
    )
    return {
        "count": int(row["n"]),
        "total_investment_vnd": int(row["total"]),
        "disbursed_vnd": int(paid["s"]),
    }


def owner_options(target: Work) -> QuerySet[Any]:
    """Users who may be responsible for a work: active officers and admins whose area covers its unit."""
    from dantoc.accounts.models import Role, User

    covering = (
        User.objects.filter(is_active=True, role__in=(Role.OFFICER, Role.ADMIN), scope__isnull=False)
        .alias(unit_path=Value(target.unit.path))
        .filter(unit_path__startswith=F("scope__path"))
        .values("pk")
    )
    current = Q(pk=target.owner_id) if target.owner_id else Q(pk__in=[])
    return (
        User.objects.filter(Q(pk__in=covering) | current)
        .select_related("scope")
        .order_by("full_name", "username")
    )


def work(user: Any, pk: int) -> Work:
    """One work in the user's area, or 404."""
    found = scoped(Work.objects.select_related("unit", "program", "component", "village", "owner"), user)
    obj = found.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def progress_update(user: Any, pk: int) -> ProgressUpdate:
    obj = scoped(ProgressUpdate.objects.select_related("work"), user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def progress_updates(user: Any, target: Work) -> QuerySet[ProgressUpdate]:
    return scoped(ProgressUpdate.objects.filter(work=target), user).order_by("-date", "-id")


def status_changes(target: Work) -> QuerySet[WorkStatusChange]:
    return target.status_changes.select_related("by").order_by("date", "id")


def next_statuses(target: Work) -> list[tuple[str, str]]:
    return [(str(s), str(s.label)) for s in WorkStatus if s in TRANSITIONS[target.status]]


def plan_line_options(target: Work) -> QuerySet[CapitalPlanLine]:
    """Plan lines the work may draw on: its programme, at its unit or an ancestor (any year)."""
    ancestors = [int(p) for p in target.unit.path.strip("/").split("/") if p]
    return (
        CapitalPlanLine.objects.filter(component__program=target.program_id, unit_id__in=ancestors)
        .select_related("decision", "component", "unit", "source")
        .order_by("-decision__year", "decision__date", "component__order", "pk")
    )


@dataclass
class YearFigures:
    year: int
    plan_vnd: int = 0
    disbursed_vnd: int = 0  # counted
    late_vnd: int = 0  # paid after the deadline: not counted

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.disbursed_vnd) / self.plan_vnd if self.plan_vnd > 0 else None


@dataclass
class WorkDetail:
    work: Work
    plan_lines: list[CapitalPlanLine]
    payments: list[Disbursement]
    by_year: list[YearFigures]
    plan_vnd: int
    disbursed_vnd: int
    late_vnd: int
    latest_progress: ProgressUpdate | None
    next_statuses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        """Counted disbursement ÷ the plan lines the work draws on (carry-over lines excluded)."""
        return Decimal(self.disbursed_vnd) / self.plan_vnd if self.plan_vnd > 0 else None

    @property
    def investment_rate(self) -> Decimal | None:
        """Counted disbursement ÷ the approved total investment."""
        total = self.work.total_investment_vnd
        return Decimal(self.disbursed_vnd) / total if total > 0 else None


def work_detail(user: Any, pk: int) -> WorkDetail:
    """A work with its plan lines, payments and figures by plan year (all computed from records)."""
    target = work(user, pk)
    lines = list(
        target.plan_lines.select_related("decision", "component", "unit", "source").order_by(
            "decision__year", "decision__date", "pk"
        )
    )
    payments = list(
        with_counted(target.disbursements.all())
        .select_related("source", "plan_line", "plan_line__decision")
        .order_by("-date", "-id")
    )
    plan_rows = (
        target.plan_lines.exclude(decision__revision=PlanDecision.Revision.CARRY_OVER)
        .values("decision__year")
        .annotate(s=Sum("amount_vnd"))
        .order_by()
    )
    pay_rows = (
        with_counted(Disbursement.objects.filter(work=target))
        .values("plan_year")
        .annotate(
            ok=Coalesce(Sum(Case(When(counted=True, then="amount_vnd"))), 0),
            late=Coalesce(Sum(Case(When(counted=False, then="amount_vnd"))), 0),
        )
        .order_by()
    )
    years: dict[int, YearFigures] = {}
    for row in plan_rows:
        years.setdefault(row["decision__year"], YearFigures(row["decision__year"])).plan_vnd = row["s"] or 0
    for paid in pay_rows:
        figures = years.setdefault(paid["plan_year"], YearFigures(paid["plan_year"]))
        figures.disbursed_vnd, figures.late_vnd = int(paid["ok"]), int(paid["late"])
    by_year = [years[y] for y in sorted(years)]
    return WorkDetail(
        work=target,
        plan_lines=lines,
        payments=payments,
        by_year=by_year,
        plan_vnd=sum(y.plan_vnd for y in by_year),
        disbursed_vnd=sum(y.disbursed_vnd for y in by_year),
        late_vnd=sum(y.late_vnd for y in by_year),
        latest_progress=target.progress_updates.order_by("-date", "-id").first(),
        next_statuses=next_statuses(target),
    )


# --- disbursements -----------------------------------------------------------------------------------


def disbursements(
    user: Any,
    *,
    work_id: int | None = None,
    year: int | None = None,
    unit: AdminUnit | None = None,
    plan_line_id: int | None = None,
) -> QuerySet[Disbursement]:
    """Payments in the user's area, each annotated `counted` (made by its deadline)."""
    qs = scoped(Disbursement.objects.all(), user)
    if work_id is not None:
        qs = qs.filter(work_id=work_id)
    if plan_line_id is not None:
        qs = qs.filter(plan_line_id=plan_line_id)
    if year:
        qs = qs.filter(plan_year=year)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return with_counted(qs).select_related("unit", "source", "work")


def disbursement(user: Any, pk: int) -> Disbursement:
    obj = disbursements(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def totals(qs: QuerySet[Disbursement]) -> dict[str, int]:
    """Counted and late sums of a filtered payment queryset (one query)."""
    row = qs.order_by().aggregate(
        counted_vnd=Coalesce(Sum(Case(When(counted=True, then="amount_vnd"))), 0),
        late_vnd=Coalesce(Sum(Case(When(counted=False, then="amount_vnd"))), 0),
    )
    return {"counted_vnd": int(row["counted_vnd"]), "late_vnd": int(row["late_vnd"])}


# --- reference data for forms and filters --------------------------------------------------------------


def programs() -> QuerySet[Program]:
    return Program.objects.order_by("-start_year", "code")


def funding_sources() -> QuerySet[FundingSource]:
    return FundingSource.objects.all()


def work_units(user: Any, year: int | None = None) -> QuerySet[AdminUnit]:
    """Units a work may be located at (communes, and districts before 2025), in the user's area."""
    qs = scoped(AdminUnit.objects.filter(level__in=(Level.COMMUNE, Level.DISTRICT)), user)
    if year:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        qs = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=last)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=first)
        )
    return qs.select_related("parent").order_by("-valid_from", "level", "name")


def filter_units(user: Any) -> QuerySet[AdminUnit]:
    """Units to filter the list by: province, districts and communes in the user's area."""
    qs = scoped(AdminUnit.objects.exclude(level=Level.VILLAGE), user)
    return qs.order_by("path")


def villages(user: Any, unit_id: int) -> QuerySet[AdminUnit]:
    return scoped(AdminUnit.objects.filter(level=Level.VILLAGE, parent_id=unit_id), user).order_by("name")


def unit(user: Any, pk: int) -> AdminUnit:
    obj = scoped(AdminUnit.objects.all(), user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
