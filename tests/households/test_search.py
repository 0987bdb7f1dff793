"""Name search (tone marks ignored, words as prefixes in any order), by ID number, by village; the index
follows inserts, renames, moves and deletions; lists are scoped and paginated."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from dantoc.households import search, selectors, services
from dantoc.households.models import Household, Person

from .conftest import person

pytestmark = pytest.mark.django_db


def names(user, **filters) -> set[str]:
    return {p.full_name for p in selectors.persons(user, selectors.PersonFilters(**filters))}


@pytest.mark.parametrize(
    "q", ["vi thi mai", "Vi Thị Mai", "mai vi", "THI MAI", "v t m", "vi   mai", "VI-THI"]
)
def test_tone_insensitive_prefix_words_in_any_order(world, users, q) -> None:
    assert "Vi Thị Mai" in names(users.officer, q=q)


@pytest.mark.parametrize("q", ["mai vu", "thi mait", "xyz"])
def test_every_word_must_match(world, users, q) -> None:
    assert "Vi Thị Mai" not in names(users.officer, q=q)


def test_decomposed_unicode_input_is_folded(world, users) -> None:
    import unicodedata

    assert "Vi Thị Mai" in names(users.officer, q=unicodedata.normalize("NFD", "Thị Mai"))


def test_by_id_number_exact_and_by_village(world, users) -> None:
    assert names(users.officer, q="020186001456") == {"Vi Thị Mai"}
    assert names(users.officer, q="020186001457") == set()
    assert names(users.officer, village="Na Pan") == {"Vi Thị Mai", "Hoàng Văn Nam"}
    assert names(users.officer, unit=world.village) == {"Vi Thị Mai", "Hoàng Văn Nam"}


@pytest.mark.parametrize("broad", [False, True])
def test_broad_and_narrow_paths_find_the_same(world, users, monkeypatch, broad) -> None:
    """PostgreSQL takes candidates first, or for a query its statistics call broad, the filter directly."""
    person(world.household, "Vi Thị Mây", "F", 2012, world.nung, "child")
    if broad:
        monkeypatch.setattr(search, "PG_CANDIDATES", 0)  # every estimate counts as broad
    for q, expected in [("vi thi", {"Vi Thị Mai", "Vi Thị Mây"}), ("mai vi", {"Vi Thị Mai"}), ("xyz", set())]:
        assert names(users.officer, q=q) == expected, q
        assert names(users.commune, q=q) == expected, q


def test_scope_inside_the_index(world, users) -> None:
    """The commune officer's search restricts to their villages (inside FTS on SQLite)."""
    person(world.other_household, "Vi Thị Mai", "F", 1990, world.nung, "spouse")
    assert len([p for p in selectors.persons(users.officer, selectors.PersonFilters(q="vi thi mai"))]) == 2
    found = list(selectors.persons(users.commune, selectors.PersonFilters(q="vi thi mai")))
    assert [p.household_id for p in found] == [world.household.pk]


def test_the_index_follows_renames_moves_and_deletions(world, users, tree) -> None:
    services.update_person(users.commune, world.head, {"full_name": "Lộc Thị Mây"}, world.head.version)
    assert names(users.officer, q="loc may") == {"Lộc Thị Mây"}
    assert names(users.officer, q="vi thi mai") == set()
    # a household moved to another village: the commune officer no longer finds its members
    Household.objects.filter(pk=world.household.pk).update(village=world.other_village)
    assert names(users.commune, q="loc may") == set()
    assert names(users.officer, q="loc may") == {"Lộc Thị Mây"}
    Household.objects.filter(pk=world.household.pk).update(village=world.village)
    assert names(users.commune, q="loc may") == {"Lộc Thị Mây"}
    Person.objects.filter(pk=world.child.pk).delete()
    assert names(users.officer, q="hoang van nam") == set()


def test_bulk_created_persons_are_indexed(world, users) -> None:
    from dantoc.core.text import fold

    Person.objects.bulk_create(
        [
            Person(
                household=world.household,
                full_name=n,
                name_folded=fold(n),
                sex="F",
                birth_year=2000,
                ethnic_group=world.tay,
                relation="child",
            )
            for n in ("Nông Thị Lụa", "Nông Thị Lan")
        ]
    )
    assert names(users.commune, q="nong thi l") == {"Nông Thị Lụa", "Nông Thị Lan"}


def _bulk(world, *full_names: str) -> None:
    from dantoc.core.text import fold

    Person.objects.bulk_create(
        [
            Person(
                household=world.household,
                full_name=n,
                name_folded=fold(n),
                sex="M",
                birth_year=2001,
                ethnic_group=world.tay,
                relation="child",
            )
            for n in full_names
        ]
    )


def _trigger_present() -> bool:
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as c:
        c.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'households_person_fts_ai'")
        return c.fetchone() is not None


def test_bulk_indexing_indexes_at_the_end_and_restores_the_trigger(world, users) -> None:
    with transaction.atomic(), search.bulk_indexing():
        _bulk(world, "Lò Văn Pấu", "Lò Văn Piên")
    assert names(users.commune, q="lo van p") == {"Lò Văn Pấu", "Lò Văn Piên"}
    assert _trigger_present()
    person(world.household, "Lò Văn Páo", "M", 2003, world.tay, "child")  # one by one again
    assert names(users.commune, q="lo van pao") == {"Lò Văn Páo"}


def test_bulk_indexing_rolled_back_leaves_nothing(world, users) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(), search.bulk_indexing():
        _bulk(world, "Sầm Văn Lự")
        raise RuntimeError
    assert _trigger_present() and names(users.commune, q="sam van lu") == set()
    _bulk(world, "Sầm Văn Lự")
    assert names(users.commune, q="sam van lu") == {"Sầm Văn Lự"}


def test_ensure_index_restores_a_lost_trigger(world, users) -> None:
    if connection.vendor != "sqlite":
        assert not search.ensure_index()
        return
    with connection.cursor() as c:
        c.execute("DROP TRIGGER households_person_fts_ai")
    assert search.ensure_index()
    person(world.household, "Chu Văn Páo", "M", 2001, world.nung, "child")
    assert names(users.commune, q="chu pao") == {"Chu Văn Páo"}


ODD_NAMES = ["vi thi mai", "an an", "o'neil ha", "a\\b c", "x", "lo van pau  2", "nguyen  thi", "ha-giang"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prefix column is PostgreSQL's")
@pytest.mark.parametrize("folded", ODD_NAMES)
def test_prefixes_computed_here_are_the_databases(folded: str) -> None:
    with connection.cursor() as c:
        c.execute(
            f"SELECT {search.PG_FUNCTION}(%s)::text, %s::tsvector::text", [folded, search.prefixes(folded)]
        )
        ours, theirs = c.fetchone()
    assert ours == theirs


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prefix column is PostgreSQL's")
def test_prefixes_follow_every_way_of_writing_a_person(world, users) -> None:
    from dantoc.core.imports import bulk
    from dantoc.core.text import fold

    with transaction.atomic():
        bulk.insert_new(
            Person,
            [
                {"household_id": world.household.pk, "full_name": n, "name_folded": fold(n), "sex": "M",
                 "birth_year": 2001, "ethnic_group_id": world.tay.pk, "relation": "child"}
                for n in ("Lò Văn Pấu", "Ma O'Neil")
            ],
            extra=search.bulk_columns(),
        )  # fmt: skip
    person(world.household, "Lò Văn Páo", "M", 2003, world.tay, "child")  # the ORM: filled by the trigger
    Person.objects.filter(pk=world.child.pk).update(name_folded="hoang van nam moi")  # a rename
    with connection.cursor() as c:
        c.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {search.PG_COLUMN} = {search.PG_FUNCTION}(name_folded)) "
            "FROM households_person"
        )
        total, same = c.fetchone()
    assert total == same >= 5
    assert names(users.commune, q="ma o") == {"Ma O'Neil"} and names(users.commune, q="nam moi") == {
        "Hoàng Văn Nam"
    }


def test_pagination_sorts_by_name_and_caps_the_count(world, users) -> None:
    for i in range(7):
        person(world.household, f"Lương Văn {chr(ord('A') + 6 - i)}", "M", 2000, world.tay, "child")
    qs = selectors.persons(users.commune, selectors.PersonFilters(q="luong van"))
    paged = selectors.paginate(qs, 1, size=3)
    assert paged.count == 7 and not paged.capped and paged.page.paginator.num_pages == 3
    assert [p.full_name for p in paged.items] == ["Lương Văn A", "Lương Văn B", "Lương Văn C"]
    last = selectors.paginate(qs, 3, size=3)
    assert [p.full_name for p in last.items] == ["Lương Văn G"]
    capped = selectors.paginate(qs, 1, size=3, cap=5, browse=False)
    assert capped.capped and capped.count == 6 and len(capped.items) == 3
    browsing = selectors.paginate(selectors.persons(users.commune), 1, size=2, cap=3, browse=True)
    assert browsing.capped and [p.full_name for p in browsing.items] == ["Hoàng Văn Nam", "Lương Văn A"]


def test_filters_poverty_programme_year_sex_ethnic(world, users) -> None:
    from dantoc.households.models import SupportRecord

    SupportRecord.objects.create(
        household=world.household, component=world.production, year=2018, kind="cash", value_vnd=1
    )
    o = users.officer
    assert names(o, poverty="poor", year=2018) == {"Vi Thị Mai", "Hoàng Văn Nam"}
    assert names(o, poverty="unknown", year=2018) == {"Lương Văn Tùng"}
    assert names(o, program="30A", year=2018) == {"Vi Thị Mai", "Hoàng Văn Nam"}
    assert names(o, program="30A", year=2019) == set()
    assert names(o, year=2018) == {"Vi Thị Mai", "Hoàng Văn Nam"}
    assert names(o, sex="M") == {"Hoàng Văn Nam", "Lương Văn Tùng"}
    assert names(o, ethnic_group="02") == {"Lương Văn Tùng"}
