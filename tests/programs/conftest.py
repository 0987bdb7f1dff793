"""Fixtures for programme and capital-plan tests: catalogue handles and a line factory."""

from __future__ import annotations

import pytest

from dantoc.programs.models import CapitalType, Component, FundingSource
from dantoc.programs.services import LineSpec


@pytest.fixture
def cat(db):
    """Handles on the seeded catalogue (the data migration put it there)."""

    class Cat:
        p135_infra = Component.objects.get(program__code="P135", code="P135-1")
        p135_build = Component.objects.get(program__code="P135", code="P135-1.1")
        p135_prod = Component.objects.get(program__code="P135", code="P135-2")
        a30_prod = Component.objects.get(program__code="30A", code="30A-2")
        dtts_da1 = Component.objects.get(program__code="NTP-DTTS-2021", code="DA1")
        central = FundingSource.objects.get(code="central")
        local = FundingSource.objects.get(code="local")

    return Cat


def line(component, unit, source, amount, capital_type=CapitalType.INVESTMENT) -> LineSpec:
    return LineSpec(component, unit, source, str(capital_type), amount)
