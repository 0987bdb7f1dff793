"""Likely duplicates (folded name + birth year + village, rapidfuzz) inside a set of rows and against the
database in bulk — the functions the household import reuses."""

from __future__ import annotations

import pytest

from dantoc.geo.models import AdminUnit, Kind, Level, UnitChange, UnitLineage
from dantoc.households.dedup import (
    Candidate,
    existing_id_numbers,
    likely_duplicates,
    match_database,
    village_families,
)

from .conftest import REFORM_DAY, person

pytestmark = pytest.mark.django_db


def test_inside_a_file() -> None:
    rows = [
        Candidate(2, "Vi Thị Mai", 1986, 10, "F"),
        Candidate(3, "VI THI MAI", 1986, 10, "F"),  # tone marks and case
        Candidate(4, "Vi Thi Mại", 1987, 10, "F"),  # one year apart, near-identical
        Candidate(5, "Vi Thị Mai", 1986, 11, "F"),  # another village
        Candidate(6, "Vi Văn Mai", 1986, 10, "M"),  # another sex
        Candidate(7, "Mai Vi Thi", 1986, 10, "F"),  # words in another order
        Candidate(8, "Hoàng Văn Nam", 1986, 10, "M"),
        Candidate(9, "Vi Thị Mai", None, 10, "F"),  # no birth year: not compared
    ]
    pairs = {(m.a, m.b) for m in likely_duplicates(rows)}
    assert pairs == {(2, 3), (2, 4), (3, 4), (2, 7), (3, 7), (4, 7)}


def test_unknown_sex_is_compared_with_both() -> None:
    rows = [
        Candidate(1, "Lò Thị Hoa", 1990, 10, None),  # sex not given
        Candidate(2, "Lo Thi Hoa", 1990, 10, "F"),
        Candidate(3, "Lò Thị Hoa", 1991, 10, "M"),  # a year apart, the other sex: still compatible with 1
        Candidate(4, "Lo Thi Hoa", 1991, 10, "F"),
        Candidate(5, "Lò Thị Hoa", 1990, 10, "M"),  # same year, other sex than 2
    ]
    pairs = {(m.a, m.b) for m in likely_duplicates(rows)}
    assert pairs == {(1, 2), (1, 3), (1, 4), (1, 5), (2, 4), (3, 5)}


def test_villages_across_the_reform(tree) -> None:
    old = AdminUnit(
        level=Level.VILLAGE,
        kind=Kind.THON,
        name="Nà Pàn",
        parent=tree.dong_buc,
        valid_to=tree.dong_buc.valid_to,
    )
    old.save()
    change = UnitChange.objects.create(kind="reparent", effective_date=REFORM_DAY)
    UnitLineage.objects.create(change=change, predecessor=old, successor=tree.village, is_primary=True)
    family = village_families({old.pk})
    assert family[old.pk] == family[tree.village.pk] == tree.village.pk
    rows = [
        Candidate("a", "Vi Thị Mai", 1986, old.pk, "F"),
        Candidate("b", "Vi Thi Mai", 1986, tree.village.pk, "F"),
    ]
    assert [(m.a, m.b) for m in likely_duplicates(rows, family)] == [("a", "b")]
    assert likely_duplicates(rows) == []  # without the family the two rows are different villages


def test_against_the_database_in_bulk(world, django_assert_max_num_queries) -> None:
    rows = [
        Candidate(2, "VI THI MAI", 1986, world.village.pk, "F"),
        Candidate(3, "Lương Văn Tùng", 1976, world.other_village.pk, "M"),
        Candidate(4, "Someone Else", 1990, world.village.pk, "F"),
    ]
    with django_assert_max_num_queries(8):
        matches = match_database(rows)
    assert {(m.a, m.b) for m in matches} == {(2, world.head.pk), (3, world.other_head.pk)}
    assert match_database(rows, exclude_ids={world.head.pk, world.other_head.pk}) == []


def test_merged_persons_are_not_matched(world, users) -> None:
    from dantoc.households import services

    twin = person(world.household, "Vi Thi Mai", "F", 1986, world.nung, "sibling")
    services.merge_persons(users.commune, world.head, twin)
    matches = match_database([Candidate(1, "Vi Thị Mai", 1986, world.village.pk, "F")])
    assert [m.b for m in matches] == [world.head.pk]


def test_existing_id_numbers(world) -> None:
    found = existing_id_numbers(["020186001456", "020075123789", "020000000000", ""])
    assert found == {
        "020186001456": (world.head.pk, world.household.pk, "Vi Thị Mai"),
        "020075123789": (world.other_head.pk, world.other_household.pk, "Lương Văn Tùng"),
    }
