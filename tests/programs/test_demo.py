"""The demo for 2018 and 2019 on the real Lạng Sơn units: the article's figures follow from the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q, Sum

from dantoc.core.demo import load_demo
from dantoc.geo.models import UnitClassification
from dantoc.programs import demo as plans
from dantoc.programs.models import CapitalPlanLine, PlanDecision
from dantoc.works import demo as works_demo
from dantoc.works.models import Disbursement, ProgressUpdate, Work, WorkStatus

pytestmark = pytest.mark.django_db
CARRY = PlanDecision.Revision.CARRY_OVER


@pytest.fixture
def demo(db):
    """The whole demo (units, accounts, plans, works); about ten seconds, so built once for one test."""
    load_demo()
    plans.load()
    works_demo.load()
    return plans.province()


def _plan(program: str, year: int) -> int:
    return (
        CapitalPlanLine.objects.filter(component__program__code=program, decision__year=year)
        .exclude(decision__revision=CARRY)
        .aggregate(s=Sum("amount_vnd"))["s"]
    )


def _p135_2018_plan_and_works() -> None:
    assert _plan("P135", 2018) == 226_300_000_000
    units = CapitalPlanLine.objects.filter(component__program__code="P135", decision__year=2018).exclude(
        decision__revision=CARRY
    )
    assert units.filter(unit__level="commune").values("unit").distinct().count() == 133
    assert units.filter(unit__level="village").values("unit").distinct().count() == 121
    sources = dict(units.values_list("source__code").annotate(s=Sum("amount_vnd")))
    assert set(sources) == {"central", "local"}
    types = dict(units.values_list("capital_type").annotate(s=Sum("amount_vnd")))
    assert set(types) == {"investment", "recurrent"}
    assert Work.objects.filter(program__code="P135", year=2018).count() == 431
    p135 = set(UnitClassification.objects.filter(type__code="p135-commune").values_list("unit_id", flat=True))
    per_unit = Work.objects.filter(program__code="P135", year=2018).values("unit").annotate(n=Count("pk"))
    assert {r["unit"] for r in per_unit} >= p135
    revisions = set(
        PlanDecision.objects.filter(year=2018, lines__component__program__code="P135").values_list(
            "revision", flat=True
        )
    )
    assert revisions == {"initial", "adjustment", "carry_over"}


def _thirty_a_2018_reaches_98_percent_by_31_january() -> None:
    plan = _plan("30A", 2018)
    paid = (
        Disbursement.objects.filter(plan_year=2018, date__lte=dt.date(2019, 1, 31))
        .filter(
            Q(plan_line__component__program__code="30A")
            | Q(plan_line__isnull=True, work__program__code="30A")
        )
        .aggregate(s=Sum("amount_vnd"))["s"]
    )
    assert paid * 100 == plan * 98
    districts = set(
        UnitClassification.objects.filter(type__code="30a-district").values_list("unit__name", flat=True)
    )
    assert districts == {"Bình Gia", "Văn Quan"}


def _ntp_2019_over_225_billion_for_the_districts() -> None:
    lines = CapitalPlanLine.objects.filter(component__program__code="NTP-GNBV-2016", decision__year=2019)
    assert _plan("NTP-GNBV-2016", 2019) == 225_400_000_000
    assert set(lines.values_list("unit__level", flat=True)) == {"district"}
    assert lines.values("unit").distinct().count() == 11


def _payments_curve_and_late_things() -> None:
    paid = Disbursement.objects.filter(plan_year=2018, date__lte=dt.date(2019, 1, 31))
    total = paid.aggregate(s=Sum("amount_vnd"))["s"]
    first_half = paid.filter(date__lte=dt.date(2018, 6, 30)).aggregate(s=Sum("amount_vnd"))["s"]
    q4_january = paid.filter(date__gte=dt.date(2018, 10, 1)).aggregate(s=Sum("amount_vnd"))["s"]
    assert first_half < 0.4 * total and q4_january > 0.3 * total
    deadline = dt.date(2019, 1, 31)
    overdue = (
        Work.objects.filter(year=2018, planned_completion__lt=deadline)
        .filter(Q(actual_completion__isnull=True) | Q(actual_completion__gt=deadline))
        .count()
    )
    assert overdue >= 10
    quiet = [
        w
        for w in Work.objects.filter(year=2018, actual_start__lte=deadline).exclude(
            status=WorkStatus.SUSPENDED
        )
        if not ProgressUpdate.objects.filter(
            work=w, date__range=(deadline - dt.timedelta(days=30), deadline)
        ).exists()
        and (w.actual_completion is None or w.actual_completion > deadline)
    ]
    assert len(quiet) >= 3
    assert Work.objects.filter(status=WorkStatus.SUSPENDED).exists()
    assert not Work.objects.filter(owner__isnull=True).exists()
    assert set(Work.objects.values_list("owner__username", flat=True)) == {"tinh", "locbinh", "xa"}
    carry_paid = Disbursement.objects.filter(plan_line__decision__revision=CARRY)
    assert carry_paid.exists() and not carry_paid.filter(date__lte=deadline).exists()


def _loading_again_changes_nothing() -> None:
    before = (Work.objects.count(), Disbursement.objects.count(), CapitalPlanLine.objects.count())
    plans.load()
    works_demo.load()
    assert (Work.objects.count(), Disbursement.objects.count(), CapitalPlanLine.objects.count()) == before


def test_demo_figures_follow_from_the_records(demo) -> None:
    _p135_2018_plan_and_works()
    _thirty_a_2018_reaches_98_percent_by_31_january()
    _ntp_2019_over_225_billion_for_the_districts()
    _payments_curve_and_late_things()
    _loading_again_changes_nothing()
