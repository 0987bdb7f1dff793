"""The seed catalogue: codes, periods, legal basis, the 10 projects of NTP-DTTS-2021, idempotence."""

from __future__ import annotations

import datetime as dt

import pytest

from dantoc.programs.catalogue import FUNDING_SOURCES, PROGRAMS, ensure_catalogue, flat_components
from dantoc.programs.models import Component, FundingSource, Program

pytestmark = pytest.mark.django_db


def test_programme_codes_are_seeded() -> None:
    codes = set(Program.objects.values_list("code", flat=True))
    assert {"P135", "30A", "NTP-GNBV-2016", "CS-DATSX", "NTP-DTTS-2021", "NTP-2026"} <= codes


def test_legal_basis_and_periods() -> None:
    p = {x.code: x for x in Program.objects.all()}
    assert (p["NTP-GNBV-2016"].basis_number, p["NTP-GNBV-2016"].basis_date) == (
        "1722/QĐ-TTg",
        dt.date(2016, 9, 2),
    )
    assert (p["NTP-DTTS-2021"].basis_number, p["NTP-DTTS-2021"].basis_date) == (
        "1719/QĐ-TTg",
        dt.date(2021, 10, 14),
    )
    assert (p["NTP-2026"].basis_number, p["NTP-2026"].basis_date) == ("257/2025/QH15", dt.date(2025, 12, 11))
    assert "417/QĐ-BNNMT" in p["NTP-2026"].description
    assert p["CS-DATSX"].basis_number == "2085/QĐ-TTg"
    assert p["30A"].basis_number == "30a/2008/NQ-CP"
    assert (p["P135"].start_year, p["P135"].end_year) == (2016, 2020)
    assert (p["NTP-2026"].start_year, p["NTP-2026"].end_year) == (2026, 2035)


def test_ntp_dtts_has_its_ten_projects() -> None:
    projects = Component.objects.filter(program__code="NTP-DTTS-2021", parent__isnull=True).order_by("order")
    assert [c.code for c in projects] == [f"DA{i}" for i in range(1, 11)]
    assert projects.get(code="DA4").category == Component.Category.INFRASTRUCTURE
    assert projects.get(code="DA3").category == Component.Category.PRODUCTION
    assert "tảo hôn" in Component.objects.get(program__code="NTP-DTTS-2021", code="DA9-TDA2").name


def test_p135_components_and_categories() -> None:
    tops = {c.code: c.category for c in Component.objects.filter(program__code="P135", parent__isnull=True)}
    assert tops == {"P135-1": "infrastructure", "P135-2": "production", "P135-3": "capacity"}
    assert Component.objects.filter(program__code="30A", category="production").count() == 1
    hp2 = Component.objects.get(program__code="NTP-2026", code="HP2")
    assert "dân tộc thiểu số" in hp2.name


def test_funding_sources() -> None:
    assert list(FundingSource.objects.values_list("code", flat=True)) == [c for c, _n, _o in FUNDING_SOURCES]


def test_ensure_catalogue_is_idempotent_and_keeps_edits() -> None:
    Program.objects.filter(code="P135").update(short_name="CT135 (edited)")
    Component.objects.filter(program__code="30A", code="30A-4").delete()
    added = ensure_catalogue()
    assert added == {"programs": 0, "components": 1, "sources": 0}
    assert Program.objects.get(code="P135").short_name == "CT135 (edited)"
    assert ensure_catalogue() == {"programs": 0, "components": 0, "sources": 0}
    expected = sum(len(flat_components(p)) for p in PROGRAMS)
    assert Component.objects.count() == expected


def test_component_tree_links_parents_within_the_programme() -> None:
    child = Component.objects.get(program__code="NTP-GNBV-2016", code="DA2-TDA1")
    assert child.parent is not None and child.parent.code == "DA2"
    assert child.parent.program_id == child.program_id
    assert child.level == Component.Level.SUBPROJECT
