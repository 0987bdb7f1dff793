"""Scope probes for programme and capital-plan routes (see tests/core/test_endpoints.py)."""

import datetime as dt
from typing import Any

from dantoc.programs.models import CapitalPlanLine, CapitalType, Component, FundingSource, PlanDecision


def _other_decision(tree: Any) -> dict[str, Any]:
    """A decision of Ba Sơn (Cao Lộc), outside the commune officer's Xã Lộc Bình."""
    decision, created = PlanDecision.objects.get_or_create(
        year=2018,
        number="probe/QĐ-UBND",
        unit=tree.ba_son,
        defaults={
            "authority": "UBND huyện Cao Lộc",
            "date": dt.date(2018, 1, 5),
            "disburse_until": dt.date(2019, 1, 31),
        },
    )
    if not created:
        return {"pk": decision.pk}
    CapitalPlanLine.objects.create(
        decision=decision,
        component=Component.objects.get(program__code="P135", code="P135-1"),
        unit=tree.ba_son,
        source=FundingSource.objects.get(code="central"),
        capital_type=CapitalType.INVESTMENT,
        amount_vnd=1_000_000,
    )
    return {"pk": decision.pk}


PROBES = {
    "programs:plan-detail": _other_decision,
    "programs:plan-edit": _other_decision,
    "programs:plan-delete": _other_decision,
}
# Programmes and components are reference data for the whole province (no area to check).
UNSCOPED = {"programs:detail", "programs:edit", "programs:component-create", "programs:component-edit"}
