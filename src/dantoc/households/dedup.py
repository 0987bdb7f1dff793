"""Likely duplicates of persons: folded name + birth year + village, scored with rapidfuzz.

Usable by the UI (the review page), by services and by imports:

- `likely_duplicates(candidates)` — pairs inside one set of rows (a file, or persons read from the database);
- `match_database(candidates)` — each row against the persons stored, in bulk (one query per chunk of
  villages, never one per row);
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
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from dantoc.core.text import fold

SAME_YEAR = 90.0
NEXT_YEAR = 96.0
CHUNK = 500  # villages per database query
MAX_HOPS = 12


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    name: str
    birth_year: int | None
    village_id: int | None
    sex: str | None = None


@dataclass(frozen=True)
class Match:
    a: Hashable  # candidate key
    b: Hashable  # other candidate key, or a person id (against the database)
    score: float


def _key(name: str) -> str:
    """Folded name with its words sorted: `ratio` on it equals `token_sort_ratio` on the names."""
    return " ".join(sorted(fold(name).split()))


def _sex_ok(x: str | None, y: str | None) -> bool:
    return not x or not y or x == y


def _pairs(
    left: Sequence[tuple[Candidate, str]], right: Sequence[tuple[Candidate, str]], cutoff: float, same: bool
) -> Iterable[tuple[int, int, float]]:
    """(i, j, score) for names of `left` and `right` scoring at least `cutoff` (i < j when `same`)."""
    names = [n for _c, n in right]
    for i, (_c, name) in enumerate(left):
        offset = i + 1 if same else 0
        choices = names[offset:]
        if not choices:
            continue
        for _choice, score, j in process.extract(
            name, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            yield i, j + offset, float(score)


def _blocks(
    cands: Iterable[Candidate], family: dict[int, int]
) -> dict[tuple[int, int], list[tuple[Candidate, str]]]:
    blocks: dict[tuple[int, int], list[tuple[Candidate, str]]] = defaultdict(list)
    for c in cands:
        if c.village_id is None or c.birth_year is None:
            continue
        blocks[(family.get(c.village_id, c.village_id), c.birth_year)].append((c, _key(c.name)))
    return blocks


def likely_duplicates(cands: Sequence[Candidate], family: dict[int, int] | None = None) -> list[Match]:
    """Likely duplicate pairs inside one set of candidates (each pair once, `a` first in the input)."""
    blocks = _blocks(cands, family or {})
    order = {id(c): i for i, c in enumerate(cands)}
    found: list[Match] = []
    for (village, year), group in blocks.items():
        for i, j, score in _pairs(group, group, SAME_YEAR, same=True):
            a, b = group[i][0], group[j][0]
            if _sex_ok(a.sex, b.sex):
                found.append(_ordered(a, b, score, order))
        nxt = blocks.get((village, year + 1))
        for i, j, score in _pairs(group, nxt or [], NEXT_YEAR, same=False):
            a, b = group[i][0], nxt[j][0]  # type: ignore[index]
            if _sex_ok(a.sex, b.sex):
                found.append(_ordered(a, b, score, order))
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
    cands: Sequence[Candidate], exclude_ids: Iterable[int] = (), family: dict[int, int] | None = None
) -> list[Match]:
    """Likely duplicates of each candidate among the persons stored (`Match.b` is a person id)."""
    from dantoc.households.models import Person

    usable = [c for c in cands if c.village_id is not None and c.birth_year is not None]
    if not usable:
        return []
    village_ids = {c.village_id for c in usable if c.village_id is not None}
    family = family if family is not None else village_families(village_ids)
    wanted_reps = {family.get(v, v) for v in village_ids}
    villages = sorted(v for v, r in family.items() if r in wanted_reps) or sorted(wanted_reps)
    years = {
        y
        for c in usable
        if c.birth_year is not None
        for y in (c.birth_year - 1, c.birth_year, c.birth_year + 1)
    }
    excluded = set(exclude_ids)
    stored: dict[tuple[int, int], list[tuple[Candidate, str]]] = defaultdict(list)
    for start in range(0, len(villages), CHUNK):
        rows = Person.objects.filter(
            household__village_id__in=villages[start : start + CHUNK],
            birth_year__in=years,
            merged_into__isnull=True,
        ).values_list("pk", "name_folded", "birth_year", "sex", "household__village_id")
        for pk, name, year, sex, village in rows:
            if pk in excluded:
                continue
            c = Candidate(pk, name, year, village, sex)
            stored[(family.get(village, village), year)].append((c, _key(name)))
    found: list[Match] = []
    blocks = _blocks(usable, family)
    for (village, year), group in blocks.items():
        for delta, cutoff in ((0, SAME_YEAR), (-1, NEXT_YEAR), (1, NEXT_YEAR)):
            other = stored.get((village, year + delta))
            if not other:
                continue
            for i, j, score in _pairs(group, other, cutoff, same=False):
                a, b = group[i][0], other[j][0]
                if _sex_ok(a.sex, b.sex):
                    found.append(Match(a.key, b.key, score))
    found.sort(key=lambda m: (-m.score, str(m.a), str(m.b)))
    return found


def existing_id_numbers(numbers: Iterable[str], chunk: int = 2000) -> dict[str, tuple[int, int, str]]:
    """Stored persons holding any of the (normalised) numbers: number → (person id, household id, name)."""
    from dantoc.households.models import Person

    wanted = sorted({n for n in numbers if n})
    found: dict[str, tuple[int, int, str]] = {}
    for start in range(0, len(wanted), chunk):
        rows = Person.objects.filter(id_number__in=wanted[start : start + chunk]).exclude(id_number="")
        for number, pk, household, name in rows.values_list("id_number", "pk", "household_id", "full_name"):
            found[number] = (pk, household, name)
    return found
