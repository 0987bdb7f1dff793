"""Likely duplicates of persons: folded name + birth year + village, scored with rapidfuzz.

Usable by the UI (the review page), by services and by imports:

- `likely_duplicates(candidates)` — pairs inside one set of rows (a file, or persons read from the database);
- `match_database(candidates)` — each row against the persons stored, in bulk (one query per chunk of
  villages, never one per row); `stored_rows` (the database read) and `blocks_of_stored` + `match_stored`
  (the computation) are its parts, for callers that compute beside their writes (`dantoc.core.parallel`);
- `village_families(village_ids)` — the rows of the same village across reforms (a village re-parented on
  01/07/2025 is a new row linked by lineage), so that a person recorded on either row is compared.

Rules (the issue is silent on the thresholds; chosen to catch typing variants, not namesakes):
same village (across reforms), names folded (tone marks, case and spacing ignored) with
`token_sort_ratio` ≥ 90 and the same birth year, or ≥ 96 with birth years one apart; when both sexes
are known they must agree. Exact ID-number duplicates are found by `ids.duplicate_id_numbers` and
`existing_id_numbers`, not here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

from rapidfuzz import fuzz, process

from dantoc.core.text import fold

SAME_YEAR = 90.0
NEXT_YEAR = 96.0
CHUNK = 500  # villages per database query
MAX_HOPS = 12


class Candidate(NamedTuple):
    key: Hashable
    name: str
    birth_year: int | None
    village_id: int | None
    sex: str | None = None
    folded: str = ""  # the name already folded, when the caller has it (saves folding it again)


class Match(NamedTuple):
    a: Hashable  # candidate key
    b: Hashable  # other candidate key, or a person id (against the database)
    score: float


class _Keys(dict[str, str]):
    """Folded name → its words sorted (`ratio` on these equals `token_sort_ratio` on the names); each
    distinct name is keyed once per call, and lists repeat names a great deal."""

    def __missing__(self, folded: str) -> str:
        key = self[folded] = " ".join(sorted(folded.split()))
        return key

    def of(self, c: Candidate) -> str:
        return self[c.folded or fold(c.name)]


def _sexes(sex: str) -> tuple[str, ...]:
    """Blocks a person of `sex` ("" when unknown) is compared with: when both are known they must agree."""
    return ("M", "F", "") if not sex else (sex, "")


class _Block:
    __slots__ = ("cands", "keys")

    def __init__(self) -> None:
        self.cands: list[Candidate] = []
        self.keys: list[str] = []


def _pairs(left: _Block, right: _Block, cutoff: float, same: bool) -> list[tuple[int, int, float]]:
    """(i, j, score) for names of `left` and `right` scoring at least `cutoff` (i < j when `same`)."""
    out: list[tuple[int, int, float]] = []
    names = right.keys
    extract = process.extract
    for i, name in enumerate(left.keys):
        offset = i + 1 if same else 0
        if offset >= len(names):
            continue
        choices = names[offset:] if offset else names
        for _choice, score, j in extract(name, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None):
            out.append((i, j + offset, float(score)))
    return out


Blocks = dict[tuple[int, int, str], "_Block"]


def blocks_of(cands: Iterable[Candidate], family: dict[int, int] | None = None) -> Blocks:
    """The candidates blocked for comparison; build once, pass to both `likely_duplicates` and
    `match_database`."""
    return _blocks(cands, family or {}, _Keys())


def _blocks(cands: Iterable[Candidate], family: dict[int, int], keys: _Keys) -> Blocks:
    """Candidates by (village family, birth year, sex): only blocks that may hold a pair are compared."""
    blocks: Blocks = defaultdict(_Block)
    get = family.get
    for c in cands:
        if c.village_id is None or c.birth_year is None:
            continue
        block = blocks[(get(c.village_id, c.village_id), c.birth_year, c.sex or "")]
        block.cands.append(c)
        block.keys.append(keys.of(c))
    return blocks


def likely_duplicates(
    cands: Sequence[Candidate], family: dict[int, int] | None = None, blocks: Blocks | None = None
) -> list[Match]:
    """Likely duplicate pairs inside one set of candidates (each pair once, `a` first in the input)."""
    if blocks is None:
        blocks = blocks_of(cands, family)
    order = {id(c): i for i, c in enumerate(cands)}
    found: list[Match] = []

    def compare(group: _Block, other: _Block, cutoff: float, same: bool) -> None:
        for i, j, score in _pairs(group, other, cutoff, same):
            found.append(_ordered(group.cands[i], other.cands[j], score, order))

    for (village, year, sex), group in blocks.items():
        if len(group.keys) > 1:
            compare(group, group, SAME_YEAR, True)
        if not sex:  # unknown sex: also the known sexes of the same year (each such pair once, from here)
            for known in ("M", "F"):
                if (other := blocks.get((village, year, known))) is not None:
                    compare(group, other, SAME_YEAR, False)
        for other_sex in _sexes(sex):
            if (nxt := blocks.get((village, year + 1, other_sex))) is not None:
                compare(group, nxt, NEXT_YEAR, False)
    found.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
    return found


def _ordered(a: Candidate, b: Candidate, score: float, order: dict[int, int]) -> Match:
    if order[id(a)] > order[id(b)]:
        a, b = b, a
    return Match(a.key, b.key, score)


def village_families(village_ids: Iterable[int]) -> dict[int, int]:
    """Every row of the given villages' lineage (re-parent, rename, merge) → one representative id.

    Follows lineage edges forward to the row valid today, then back to every predecessor: one query per
    hop over the whole set. Villages without lineage map to themselves.
    """
    from dantoc.geo.models import UnitLineage
    from dantoc.geo.selectors import rebase_map

    ids = {int(v) for v in village_ids if v is not None}
    if not ids:
        return {}
    rep: dict[int, int] = {}
    best: dict[int, float] = {}
    for alloc in rebase_map(ids, dt.date.today()):
        target = alloc.target_id or alloc.source_id
        if float(alloc.weight) > best.get(alloc.source_id, -1.0):
            best[alloc.source_id] = float(alloc.weight)
            rep[alloc.source_id] = target
    family = dict(rep)
    for target in set(rep.values()):
        family.setdefault(target, target)
    frontier = set(family.values())
    seen = set(family)
    for _hop in range(MAX_HOPS):
        edges = list(
            UnitLineage.objects.filter(successor_id__in=frontier, predecessor__isnull=False).values_list(
                "predecessor_id", "successor_id"
            )
        )
        nxt: set[int] = set()
        for pred, succ in edges:
            if pred in seen:
                continue
            seen.add(pred)
            family[pred] = family.get(succ, succ)
            nxt.add(pred)
        if not nxt:
            break
        frontier = nxt
    return family


def match_database(
    cands: Sequence[Candidate],
    exclude_ids: Iterable[int] = (),
    family: dict[int, int] | None = None,
    blocks: Blocks | None = None,
) -> list[Match]:
    """Likely duplicates of each candidate among the persons stored (`Match.b` is a person id)."""
    usable = [c for c in cands if c.village_id is not None and c.birth_year is not None]
    if not usable:
        return []
    if family is None:
        family = village_families({c.village_id for c in usable if c.village_id is not None})
    stored = stored_blocks(usable, family, exclude_ids)
    return match_stored(blocks if blocks is not None else _blocks(usable, family, _Keys()), stored)


def stored_blocks(
    cands: Sequence[Candidate], family: dict[int, int], exclude_ids: Iterable[int] = ()
) -> Blocks:
    """The persons stored that the candidates could match, blocked as `blocks_of` blocks them."""
    rows = stored_rows(
        {c.village_id for c in cands if c.village_id is not None},
        {c.birth_year for c in cands if c.birth_year is not None},
        family,
    )
    return blocks_of_stored(rows, family, exclude_ids)


def stored_rows(
    village_ids: Iterable[int], birth_years: Iterable[int], family: dict[int, int]
) -> list[tuple[int, str, int, str, int]]:
    """The database part of `match_database`: (id, folded name, birth year, sex, village) of the persons
    stored in the given villages (across reforms) born within a year of one of the given years."""
    from dantoc.households.models import Person

    wanted_reps = {family.get(v, v) for v in village_ids}
    villages = sorted(v for v, r in family.items() if r in wanted_reps) or sorted(wanted_reps)
    years = sorted({y + d for y in birth_years for d in (-1, 0, 1)})
    out: list[tuple[int, str, int, str, int]] = []
    for start in range(0, len(villages), CHUNK):
        rows = Person.objects.filter(
            household__village_id__in=villages[start : start + CHUNK],
            birth_year__in=years,
            merged_into__isnull=True,
        ).order_by()  # no sort by household code (the default ordering): an unordered read
        out.extend(rows.values_list("pk", "name_folded", "birth_year", "sex", "household__village_id"))
    return out


def blocks_of_stored(
    rows: Iterable[tuple[int, str, int, str, int]], family: dict[int, int], exclude_ids: Iterable[int] = ()
) -> Blocks:
    """`stored_rows` blocked for `match_stored` (a computation: no database)."""
    excluded = set(exclude_ids)
    keys = _Keys()
    stored: Blocks = defaultdict(_Block)
    for pk, name, year, sex, village in rows:
        if pk in excluded:
            continue
        block = stored[(family.get(village, village), year, sex or "")]
        block.cands.append(Candidate(pk, name, year, village, sex, folded=name))
        block.keys.append(keys[name])
    return stored


def match_stored(blocks: Blocks, stored: Blocks) -> list[Match]:
    """Each blocked candidate against the stored persons of its block and the neighbouring years."""
    found: list[Match] = []
    for (village, year, sex), group in blocks.items():
        for delta, cutoff in ((0, SAME_YEAR), (-1, NEXT_YEAR), (1, NEXT_YEAR)):
            for other_sex in _sexes(sex):
                other = stored.get((village, year + delta, other_sex))
                if other is None:
                    continue
                for i, j, score in _pairs(group, other, cutoff, same=False):
                    found.append(Match(group.cands[i].key, other.cands[j].key, score))
    found.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
    return found


def existing_id_numbers(numbers: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """Stored persons holding any of the (normalised) numbers: number → (person id, household id, name)."""
    from dantoc.core.imports.bulk import text_list
    from dantoc.households.models import Person

    wanted = sorted({n for n in numbers if n})
    if not wanted:
        return {}
    # `<> ''` lets SQLite use the partial unique index on the number
    rows = Person.objects.filter(id_number__in=text_list(wanted)).exclude(id_number="").order_by()
    return {
        number: (pk, household, name)
        for number, pk, household, name in rows.values_list("id_number", "pk", "household_id", "full_name")
    }
