"""Tone-insensitive name search: every word of the query is a prefix of a word of the name, in any order.

"thi mai", "mai th" and "Thị Mai" all find "Vi Thị Mai". Backed by a word index on `Person.name_folded`:

- PostgreSQL: a column `name_prefixes` (not a model field) = a tsvector of every word's prefixes
  ("mai" → m, ma, mai), with a GIN index; "words as prefixes" is then an exact-lexeme tsquery
  ('thi & mai') that GIN intersects with its fast skip scan (a `:*` prefix query would expand to whole
  posting lists), and the planner has column statistics to choose between the index and the area.
  Triggers fill it from `name_folded` on every insert that does not bring it and on every change of the
  name; a bulk insert brings it (`bulk_columns`, computed in Python by `prefixes`, the same value), which
  spares the database a PL/pgSQL call per person.
- SQLite: an FTS5 table (prefix indexes) over the view `households_person_search` — the folded name and the
  household's village as a token ("v4012") — kept in step by triggers on persons and households. A search
  within a small area (a commune's villages) adds the village tokens to the FTS query, so the area is
  filtered inside the index instead of row by row.

SQLite drops a table's triggers when Django remakes the table in a later migration, so `ensure_index()` runs
after every `migrate` (post_migrate) and restores them (rebuilding the index).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError
from django.db import connection as default_connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from dantoc.core.imports.bulk import id_list
from dantoc.core.text import fold

FTS_TABLE = "households_person_fts"
VIEW = "households_person_search"
_WORD = re.compile(r"[a-z0-9]+")
MAX_WORDS = 8
PG_CANDIDATES = 5_000  # up to this many matches of the name alone, PostgreSQL filters them by id
MAX_VILLAGE_TOKENS = 300  # above this many villages the area is left to the ordinary (joined) filter

_VILLAGE = "(SELECT 'v' || h.village_id FROM households_household h WHERE h.id = {ref}.household_id)"
SQLITE_VIEW = (
    f"CREATE VIEW IF NOT EXISTS {VIEW} AS SELECT p.id AS id, p.name_folded AS name_folded, "
    "'v' || h.village_id AS village FROM households_person p JOIN households_household h ON h.id = p.household_id"
)
SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(name_folded, village, content='{VIEW}', "
    "content_rowid='id', prefix='1 2 3', detail='column')"
)
SQLITE_TRIGGERS = {
    "households_person_fts_ai": (
        "CREATE TRIGGER IF NOT EXISTS households_person_fts_ai AFTER INSERT ON households_person BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, name_folded, village) "
        f"VALUES (new.id, new.name_folded, {_VILLAGE.format(ref='new')}); END"
    ),
    # A person whose household is already gone (a flush deletes tables in any order) was removed from the
    # index with the household (households_household_fts_bd).
    "households_person_fts_ad": (
        "CREATE TRIGGER IF NOT EXISTS households_person_fts_ad AFTER DELETE ON households_person "
        "WHEN EXISTS (SELECT 1 FROM households_household h WHERE h.id = old.household_id) BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_folded, village) "
        f"VALUES ('delete', old.id, old.name_folded, {_VILLAGE.format(ref='old')}); END"
    ),
    "households_household_fts_bd": (
        "CREATE TRIGGER IF NOT EXISTS households_household_fts_bd BEFORE DELETE ON households_household BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_folded, village) "
        "SELECT 'delete', p.id, p.name_folded, 'v' || old.village_id FROM households_person p "
        "WHERE p.household_id = old.id; END"
    ),
    "households_person_fts_au": (
        "CREATE TRIGGER IF NOT EXISTS households_person_fts_au AFTER UPDATE OF name_folded, household_id "
        "ON households_person "
        "WHEN old.name_folded IS NOT new.name_folded OR old.household_id IS NOT new.household_id BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_folded, village) "
        f"VALUES ('delete', old.id, old.name_folded, {_VILLAGE.format(ref='old')}); "
        f"INSERT INTO {FTS_TABLE}(rowid, name_folded, village) "
        f"VALUES (new.id, new.name_folded, {_VILLAGE.format(ref='new')}); END"
    ),
    "households_household_fts_au": (
        "CREATE TRIGGER IF NOT EXISTS households_household_fts_au AFTER UPDATE OF village_id "
        "ON households_household WHEN old.village_id IS NOT new.village_id BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name_folded, village) "
        "SELECT 'delete', p.id, p.name_folded, 'v' || old.village_id FROM households_person p "
        "WHERE p.household_id = new.id; "
        f"INSERT INTO {FTS_TABLE}(rowid, name_folded, village) "
        "SELECT p.id, p.name_folded, 'v' || new.village_id FROM households_person p "
        "WHERE p.household_id = new.id; END"
    ),
}
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS] + [
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    f"DROP VIEW IF EXISTS {VIEW}",
]
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
PG_FUNCTION = "households_name_prefixes"
# PL/pgSQL rather than SQL: a plain loop costs a third of unnest × generate_series per row, and this runs
# for every person written. array_to_tsvector drops repeated prefixes.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}(name text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
  w text;
  found text[] := '{{}}';
BEGIN
  FOREACH w IN ARRAY string_to_array(name, ' ') LOOP
    FOR n IN 1..length(w) LOOP
      found := found || left(w, n);
    END LOOP;
  END LOOP;
  RETURN array_to_tsvector(found);
END
$$"""
PG_COLUMN = "name_prefixes"
POSTGRES_COLUMN = f"ALTER TABLE households_person ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector"
POSTGRES_FILL = (
    f"UPDATE households_person SET {PG_COLUMN} = {PG_FUNCTION}(name_folded) WHERE {PG_COLUMN} IS NULL"
)
PG_TRIGGER_FUNCTION = "households_person_set_prefixes"
POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION {PG_TRIGGER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.{PG_COLUMN} := {PG_FUNCTION}(NEW.name_folded);
  RETURN NEW;
END
$$""",
    "DROP TRIGGER IF EXISTS households_person_prefixes_insert ON households_person",
    # the condition is checked without calling the function: an insert that brings the prefixes costs nothing
    "CREATE TRIGGER households_person_prefixes_insert BEFORE INSERT ON households_person FOR EACH ROW "
    f"WHEN (NEW.{PG_COLUMN} IS NULL) EXECUTE FUNCTION {PG_TRIGGER_FUNCTION}()",
    "DROP TRIGGER IF EXISTS households_person_prefixes_update ON households_person",
    "CREATE TRIGGER households_person_prefixes_update BEFORE UPDATE OF name_folded ON households_person "
    f"FOR EACH ROW WHEN (NEW.name_folded IS DISTINCT FROM OLD.name_folded) "
    f"EXECUTE FUNCTION {PG_TRIGGER_FUNCTION}()",
]
POSTGRES_INDEX = (
    f"CREATE INDEX IF NOT EXISTS households_person_name_prefixes ON households_person USING gin ({PG_COLUMN})"
)
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS households_person_name_prefixes",
    "DROP TRIGGER IF EXISTS households_person_prefixes_insert ON households_person",
    "DROP TRIGGER IF EXISTS households_person_prefixes_update ON households_person",
    f"DROP FUNCTION IF EXISTS {PG_TRIGGER_FUNCTION}()",
    f"ALTER TABLE households_person DROP COLUMN IF EXISTS {PG_COLUMN}",
    f"DROP FUNCTION IF EXISTS {PG_FUNCTION}(text)",
]


def prefixes(folded: str) -> str:
    """`households_name_prefixes(folded)` as a tsvector literal, computed here: every prefix of every word
    (words split on single spaces, as `fold` leaves them), each quoted."""
    found = dict.fromkeys(w[:n] for w in folded.split(" ") for n in range(1, len(w) + 1))
    return " ".join("'" + p.replace("\\", "\\\\").replace("'", "''") + "'" for p in found)


def bulk_columns(connection: Any = None) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Columns a bulk insert of persons adds to the model's fields: the name prefixes on PostgreSQL."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return {}
    memo: dict[str, str] = {}

    def name_prefixes(record: dict[str, Any]) -> str:
        folded = record["name_folded"]
        value = memo.get(folded)
        if value is None:
            value = memo[folded] = prefixes(folded)
        return value

    return {PG_COLUMN: name_prefixes}


@contextmanager
def bulk_indexing(connection: Any = None) -> Iterator[None]:
    """Around a bulk insert of persons inside a transaction. On SQLite the per-row index trigger is
    suspended and the new rows are indexed by one INSERT … SELECT at the end (an order of magnitude
    faster for many rows). DDL is transactional in SQLite and a write transaction excludes other
    writers, so no other insert can miss the index, and a failure rolls the trigger back with the rest."""
    connection = connection or default_connection
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        yield
        return
    trigger = "households_person_fts_ai"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s", [trigger])
        if cursor.fetchone() is None:
            yield
            return
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM households_person")
        (top,) = cursor.fetchone()
        cursor.execute(f"DROP TRIGGER {trigger}")
    try:
        yield
    except BaseException:
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(SQLITE_TRIGGERS[trigger])  # the rollback restores it too
        raise
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, name_folded, village) "
            "SELECT p.id, p.name_folded, 'v' || h.village_id FROM households_person p "
            "JOIN households_household h ON h.id = p.household_id WHERE p.id > %s",
            [top],
        )
        cursor.execute(SQLITE_TRIGGERS[trigger])


def words(q: str) -> list[str]:
    """Folded query words (letters and digits only), at most MAX_WORDS."""
    return _WORD.findall(fold(q or ""))[:MAX_WORDS]


def name_filter(q: str, villages: Iterable[int] | None = None, vendor: str | None = None) -> Q | None:
    """A filter on Person for the words of `q` (None when `q` has no word). `villages`, when given, is the
    set of village ids the caller will restrict to anyway: SQLite then filters them inside the index."""
    found = words(q)
    if not found:
        return None
    vendor = vendor or default_connection.vendor
    if vendor == "postgresql":
        # Every word of every name is indexed with all its prefixes, so a prefix search is an exact match
        # of lexemes, which GIN intersects quickly even for words as common as "thi" or "van".
        query = " & ".join(found)
        # A name usually matches few persons: take them from the index first, so that the planner does not
        # walk a whole commune's persons instead (its estimate of an area joined through households is poor).
        area = sorted(set(villages)) if villages is not None else None
        candidates: list[int] | None = None
        with default_connection.cursor() as cursor:
            if area is not None and len(area) <= MAX_VILLAGE_TOKENS:
                # a small area (a commune's villages): the matches in it, household by household
                cursor.execute(
                    f"SELECT p.id FROM households_person p JOIN households_household h ON h.id = p.household_id "
                    f"WHERE p.{PG_COLUMN} @@ %s::tsquery AND h.village_id = ANY(%s) LIMIT %s",
                    [query, area, PG_CANDIDATES + 1],
                )
                candidates = [row[0] for row in cursor.fetchall()]
            # a clearly broad query ("nong van") is left to the filter below: taking candidates first would
            # only repeat the index search
            elif _estimated_matches(cursor, query) <= 2 * PG_CANDIDATES:
                cursor.execute(
                    f"SELECT id FROM households_person WHERE {PG_COLUMN} @@ %s::tsquery LIMIT %s",
                    [query, PG_CANDIDATES + 1],
                )
                candidates = [row[0] for row in cursor.fetchall()]
        if candidates is not None and len(candidates) <= PG_CANDIDATES:
            return Q(pk__in=id_list(candidates))  # one array parameter, however many
        sql = f'"households_person"."{PG_COLUMN}" @@ %s::tsquery'  # constant SQL, the query is bound
        expr = RawSQL(sql, [query], output_field=BooleanField())  # noqa: S611
        return Q(expr)
    if vendor == "sqlite":
        match = " AND ".join(f'name_folded : "{w}"*' for w in found)
        area = sorted(set(villages)) if villages is not None else None
        if area is not None and len(area) <= MAX_VILLAGE_TOKENS:
            if not area:
                return Q(pk__in=[])
            match += " AND (" + " OR ".join(f'village : "v{v}"' for v in area) + ")"
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # constant table name, query bound
        return Q(id__in=RawSQL(sql, [match]))  # noqa: S611
    # Other databases: word-prefix match without an index.
    cond = Q()
    for w in found:
        cond &= Q(name_folded__startswith=w) | Q(name_folded__contains=f" {w}")
    return cond


def _estimated_matches(cursor: Any, query: str) -> float:
    """The planner's estimate of the persons matching `query` (its statistics of the prefix lexemes)."""
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT id FROM households_person WHERE {PG_COLUMN} @@ %s::tsquery", [query]
    )
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def ensure_index(connection: Any = None, rebuild: bool = False) -> bool:
    """Create what is missing of the search index; True when something was (re)built."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            tables = set(connection.introspection.table_names(cursor, include_views=True))
            if "households_person" not in tables:
                return False
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'households_%_fts_%'"
            )
            present = {row[0] for row in cursor.fetchall()}
            complete = set(SQLITE_TRIGGERS) <= present and FTS_TABLE in tables and VIEW in tables
            if complete and not rebuild:
                return False
            for sql in SQLITE_DROP:
                cursor.execute(sql)
            cursor.execute(SQLITE_VIEW)
            cursor.execute(SQLITE_TABLE)
            for sql in SQLITE_TRIGGERS.values():
                cursor.execute(sql)
            cursor.execute(SQLITE_REBUILD)
            return True
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'households_person_name_prefixes'")
            if cursor.fetchone() is None and "households_person" in connection.introspection.table_names(
                cursor
            ):
                cursor.execute(POSTGRES_FUNCTION)
                cursor.execute(POSTGRES_COLUMN)
                cursor.execute(POSTGRES_FILL)
                for sql in POSTGRES_TRIGGERS:
                    cursor.execute(sql)
                cursor.execute(POSTGRES_INDEX)
                return True
    return False


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    ensure_index(connections[using])
