"""Reads on households, persons and support: scoped to the user's area, set-based, paginated."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from dantoc.core.models import AccessLog, AuditEntry
from dantoc.core.scoping import scoped, user_scope_prefix
from dantoc.core.text import fold
from dantoc.geo.models import AdminUnit, EthnicGroup, UnitLineage
from dantoc.households import dedup, search
from dantoc.households.ids import id_kind, normalize_id_number
from dantoc.households.models import Household, Person, PersonMerge, PovertyStatus, SupportRecord
from dantoc.households.privacy import person_subject_prefix

PAGE_SIZE = 50
COUNT_CAP = 10_000
MAX_HOPS = 12


# --- units ----------------------------------------------------------------------------------------------


def village_ids_of(unit: AdminUnit) -> set[int] | None:
    """Village rows that lie in `unit`'s territory in any structure; None when a path prefix suffices.

    A village re-parented by the 2025 reform is a new row linked by lineage: a household recorded on the
    old row is in the territory of the new commune, and the other way round. The province row is shared
    by both structures, so for a unit without a parent the path prefix is enough.
    """
    if unit.parent_id is None:
        return None
    base = set(
        AdminUnit.objects.filter(path__startswith=unit.path, level="village").values_list("pk", flat=True)
    )
    if unit.level == "village":
        base.add(unit.pk)
    found = set(base)
    for forward in (True, False):
        frontier = set(base)
        for _hop in range(MAX_HOPS):
            src, dst = ("predecessor_id", "successor_id") if forward else ("successor_id", "predecessor_id")
            nxt = (
                set(
                    UnitLineage.objects.filter(
                        **{f"{src}__in": frontier}, **{f"{dst}__isnull": False}
                    ).values_list(dst, flat=True)
                )
                - found
            )
            if not nxt:
                break
            found |= nxt
            frontier = nxt
    return found


def in_unit(unit: AdminUnit | None, village_lookup: str) -> Q:
    """Q for records whose village (`village_lookup`, e.g. "household__village") lies in `unit`."""
    if unit is None:
        return Q()
    ids = village_ids_of(unit)
    if ids is None:
        return Q(**{f"{village_lookup}__path__startswith": unit.path})
    return Q(**{f"{village_lookup}_id__in": sorted(ids)})


def unit(user: Any, pk: int) -> AdminUnit:
    found = scoped(AdminUnit.objects.all(), user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def unit_choices(user: Any) -> list[AdminUnit]:
    """Districts and communes (every period) in the user's area, for filters."""
    return list(
        scoped(AdminUnit.objects.filter(level__in=["province", "district", "commune"]), user)
        .select_related("parent")
        .order_by("path")
    )


def ethnic_groups() -> QuerySet[EthnicGroup]:
    return EthnicGroup.objects.all()


# --- persons --------------------------------------------------------------------------------------------


@dataclass
class PersonFilters:
    q: str = ""
    unit: AdminUnit | None = None
    village: str = ""
    ethnic_group: str = ""
    sex: str = ""
    poverty: str = ""
    year: int | None = None
    program: str = ""
    include_merged: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "unit": self.unit.pk if self.unit else None,
            "village": self.village,
            "ethnic_group": self.ethnic_group,
            "sex": self.sex,
            "poverty": self.poverty,
            "year": self.year,
            "program": self.program,
        }


def id_query(q: str) -> str:
    """The ID number a search text names ("" when it is a name)."""
    number = normalize_id_number(q)
    return number if id_kind(number) else ""


def latest_poverty_year() -> int | None:
    return PovertyStatus.objects.aggregate(y=Max("year"))["y"]


def latest_support_year() -> int | None:
    """The last year with any support record (a year, not a figure: the report itself is scoped)."""
    return SupportRecord.objects.aggregate(y=Max("year"))["y"]


def _household_filters(qs: QuerySet[Any], f: PersonFilters, prefix: str) -> QuerySet[Any]:
    """Filters on the household (of a person: prefix "household__"; of a household: "")."""
    ref = OuterRef("pk") if prefix == "" else OuterRef("household_id")
    if f.unit is not None:
        qs = qs.filter(in_unit(f.unit, f"{prefix}village"))
    if f.village:
        for word in fold(f.village).split():
            qs = qs.filter(**{f"{prefix}village__name_folded__contains": word})
    if f.poverty:
        year = f.year or latest_poverty_year() or 0
        if f.poverty == "unknown":
            qs = qs.exclude(Exists(PovertyStatus.objects.filter(household=ref, year=year)))
        else:
            qs = qs.filter(Exists(PovertyStatus.objects.filter(household=ref, year=year, status=f.poverty)))
    if f.program or (f.year and not f.poverty):
        support = SupportRecord.objects.filter(household=ref)
        if f.program:
            support = support.filter(component__program__code=f.program)
        if f.year:
            support = support.filter(year=f.year)
        qs = qs.filter(Exists(support))
    return qs


def area_units(user: Any, unit: AdminUnit | None) -> set[int] | None:
    """Ids of the units a search is restricted to (the user's area ∩ the unit filter), when that is a small
    set worth handing to the name index; None when the area is too large to be worth it."""
    prefix = user_scope_prefix(user)
    ids: set[int] | None = None
    if prefix:
        scope_units = list(
            AdminUnit.objects.filter(path__startswith=prefix).values_list("pk", flat=True)[
                : search.MAX_VILLAGE_TOKENS + 1
            ]
        )
        if len(scope_units) <= search.MAX_VILLAGE_TOKENS:
            ids = set(scope_units)
    if unit is not None:
        in_unit_ids = village_ids_of(unit)
        if in_unit_ids is not None and len(in_unit_ids) <= search.MAX_VILLAGE_TOKENS:
            ids = in_unit_ids if ids is None else ids & in_unit_ids
    return ids


def persons(user: Any, f: PersonFilters | None = None) -> QuerySet[Person]:
    """Persons in the user's area matching the filters, by name (merged duplicates left out)."""
    f = f or PersonFilters()
    qs = scoped(Person.objects.all(), user)
    if not f.include_merged:
        qs = qs.filter(merged_into__isnull=True)
    if f.q:
        number = id_query(f.q)
        if number:
            # `<> ''` lets SQLite use the partial unique index on the number
            qs = qs.filter(id_number=number).exclude(id_number="")
        else:
            cond = search.name_filter(f.q, area_units(user, f.unit))
            if cond is not None:
                qs = qs.filter(cond)
    if f.ethnic_group:
        qs = qs.filter(ethnic_group__code=f.ethnic_group)
    if f.sex:
        qs = qs.filter(sex=f.sex)
    qs = _household_filters(qs, f, "household__")
    return qs.select_related("household", "household__village", "ethnic_group").order_by("name_folded", "pk")


def person(user: Any, pk: int, include_merged: bool = True) -> Person:
    qs = scoped(
        Person.objects.select_related(
            "household", "household__village", "household__village__parent", "ethnic_group", "merged_into"
        ),
        user,
    )
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass
class Paged:
    page: Page[Any]
    count: int
    capped: bool
    items: list[Any]


def _fetch(qs: QuerySet[Any], ids: list[int]) -> list[Any]:
    """The rows of `ids` (already known to be in `qs`, hence in the user's area) in that order, without
    evaluating `qs`'s filters again."""
    if not ids:
        return []
    related = qs.query.select_related
    rows = qs.model._default_manager.filter(pk__in=ids)
    if isinstance(related, dict):
        rows = rows.select_related(*_paths(related))
    found = rows.in_bulk()
    return [found[pk] for pk in ids if pk in found]


def _paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, sub in tree.items():
        path = f"{prefix}{name}"
        out += _paths(sub, f"{path}__") if sub else [path]
    return out


def paginate(
    qs: QuerySet[Any],
    number: Any,
    size: int = PAGE_SIZE,
    cap: int = COUNT_CAP,
    key: str = "name_folded",
    browse: bool = False,
) -> Paged:
    """A page of `qs` ordered by (`key`, pk), with a plan the database cannot get wrong.

    The keys of up to `cap` matches are read without ORDER BY (the database uses its best index: the name
    index, the area), sorted here, and the page's rows fetched by primary key. With more than `cap` matches
    the count is reported as "more than `cap`" and, when browsing (no search words: an index scan in name
    order finds a page at once), the page is taken with ORDER BY … LIMIT/OFFSET; a search that broad shows
    the first `cap` matches found, sorted (ORDER BY … LIMIT over a word index can scan most of the table).
    """
    keys = list(qs.order_by().values_list(key, "pk")[: cap + 1])
    capped = len(keys) > cap
    if capped and browse:
        paginator = Paginator(qs.order_by(key, "pk"), size)
        paginator.count = cap + 1
        page = paginator.get_page(number)
        return Paged(page, cap + 1, True, list(page.object_list))
    keys = sorted(keys[:cap], key=lambda kv: (kv[0] or "", kv[1]))
    paginator = Paginator([pk for _k, pk in keys], size)
    page = paginator.get_page(number)
    return Paged(page, cap + 1 if capped else len(keys), capped, _fetch(qs, list(page.object_list)))


def window(
    qs: QuerySet[Any],
    offset: int,
    limit: int,
    cap: int = COUNT_CAP,
    key: str = "name_folded",
    browse: bool = False,
) -> tuple[int, list[Any]]:
    """(exact count, rows offset…offset+limit) in (`key`, pk) order — `paginate` for the API."""
    keys = list(qs.order_by().values_list(key, "pk")[: cap + 1])
    if len(keys) > cap:
        count = qs.count()
        if browse:  # a broad list: an index scan in key order
            ids = list(qs.order_by(key, "pk").values_list("pk", flat=True)[offset : offset + limit])
            return count, _fetch(qs, ids)
        keys = keys[:cap]
    else:
        count = len(keys)
    keys.sort(key=lambda kv: (kv[0] or "", kv[1]))
    return count, _fetch(qs, [pk for _k, pk in keys[offset : offset + limit]])


# --- households -----------------------------------------------------------------------------------------


@dataclass
class HouseholdFilters:
    q: str = ""  # household code or the head's name
    unit: AdminUnit | None = None
    village: str = ""
    poverty: str = ""
    year: int | None = None
    program: str = ""
    ethnic_group: str = ""  # of the head
    sex: str = ""  # of the head
    extra: dict[str, Any] = field(default_factory=dict)


def households(user: Any, f: HouseholdFilters | None = None) -> QuerySet[Household]:
    f = f or HouseholdFilters()
    qs = scoped(Household.objects.all(), user)
    pf = PersonFilters(unit=f.unit, village=f.village, poverty=f.poverty, year=f.year, program=f.program)
    qs = _household_filters(qs, pf, "")
    heads = Person.objects.filter(household=OuterRef("pk"), relation="head", merged_into__isnull=True)
    if f.q:
        code = f.q.strip()
        cond = search.name_filter(f.q)
        by_head = Exists(heads.filter(cond)) if cond is not None else Q(pk__in=[])
        qs = qs.filter(Q(code__iexact=code) | by_head)
    if f.ethnic_group:
        qs = qs.filter(Exists(heads.filter(ethnic_group__code=f.ethnic_group)))
    if f.sex:
        qs = qs.filter(Exists(heads.filter(sex=f.sex)))
    return qs.select_related("village", "village__parent").order_by("code")


def household(user: Any, pk: int) -> Household:
    found = scoped(Household.objects.select_related("village", "village__parent"), user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def heads_of(household_ids: list[int]) -> dict[int, Person]:
    return {
        p.household_id: p
        for p in Person.objects.filter(
            household_id__in=household_ids, relation="head", merged_into__isnull=True
        ).select_related("ethnic_group")
    }


def member_counts(household_ids: list[int]) -> dict[int, int]:
    return dict(
        Person.objects.filter(household_id__in=household_ids, merged_into__isnull=True)
        .values_list("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )


def members(h: Household) -> QuerySet[Person]:
    return h.members.filter(merged_into__isnull=True).select_related("ethnic_group").order_by("pk")


def poverty_history(h: Household) -> QuerySet[PovertyStatus]:
    return h.poverty.order_by("-year")


def household_support(h: Household) -> QuerySet[SupportRecord]:
    return h.support_records.select_related("component", "component__program", "plan_line").order_by(
        "-year", "pk"
    )


# --- support records ------------------------------------------------------------------------------------


@dataclass
class SupportFilters:
    household: int | None = None
    year: int | None = None
    program: str = ""
    component: str = ""
    kind: str = ""
    unit: AdminUnit | None = None


def support_records(user: Any, f: SupportFilters | None = None) -> QuerySet[SupportRecord]:
    f = f or SupportFilters()
    qs = scoped(SupportRecord.objects.all(), user)
    if f.household:
        qs = qs.filter(household_id=f.household)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.program:
        qs = qs.filter(component__program__code=f.program)
    if f.component:
        qs = qs.filter(component__code=f.component)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.unit is not None:
        qs = qs.filter(in_unit(f.unit, "household__village"))
    return qs.select_related("household", "household__village", "component", "component__program").order_by(
        "-year", "pk"
    )


def support_record(user: Any, pk: int) -> SupportRecord:
    found = (
        scoped(
            SupportRecord.objects.select_related(
                "household", "household__village", "component", "component__program"
            ),
            user,
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def support_totals(qs: QuerySet[SupportRecord]) -> dict[str, int]:
    agg = qs.order_by().aggregate(
        value=Sum("value_vnd"), records=Count("pk"), households=Count("household_id", distinct=True)
    )
    return {k: int(v or 0) for k, v in agg.items()}


# --- aggregates (what a viewer may export) --------------------------------------------------------------


def person_aggregates(user: Any, f: PersonFilters | None = None) -> list[dict[str, Any]]:
    """Persons by commune, ethnic group and sex — counts only, no personal data (one GROUP BY)."""
    qs = persons(user, f).order_by()
    rows = (
        qs.values(
            "household__village__parent_id", "household__village__parent__name", "ethnic_group__name", "sex"
        )
        .annotate(persons=Count("pk"), households=Count("household_id", distinct=True))
        .order_by("household__village__parent__name", "ethnic_group__name", "sex")
    )
    return [
        {
            "commune": r["household__village__parent__name"],
            "ethnic_group": r["ethnic_group__name"],
            "sex": r["sex"],
            "persons": r["persons"],
            "households": r["households"],
        }
        for r in rows
    ]


# --- likely duplicates ----------------------------------------------------------------------------------


@dataclass
class DuplicatePair:
    a: Person
    b: Person
    score: float

    @property
    def people(self) -> list[tuple[str, Person]]:
        return [("A", self.a), ("B", self.b)]


def merge_of(user: Any, merged: Person) -> PersonMerge | None:
    """The merge decision that merged `merged` away (in the user's area), if any."""
    return (
        scoped(PersonMerge.objects.filter(other=merged, decision=PersonMerge.Decision.MERGED), user)
        .select_related("kept")
        .first()
    )


def decided_pairs(ids: set[int]) -> set[frozenset[int]]:
    rows = PersonMerge.objects.filter(Q(kept_id__in=ids) | Q(other_id__in=ids)).values_list(
        "kept_id", "other_id"
    )
    return {frozenset(r) for r in rows}


def likely_duplicates(user: Any, within: AdminUnit, limit: int = 200) -> list[DuplicatePair]:
    """Likely duplicate persons in a unit (a commune, or a village; a district at most), undecided pairs only."""
    qs = scoped(Person.objects.filter(merged_into__isnull=True), user).filter(
        in_unit(within, "household__village")
    )
    rows = list(qs.values_list("pk", "name_folded", "birth_year", "household__village_id", "sex"))
    family = dedup.village_families({r[3] for r in rows})
    cands = [
        dedup.Candidate(pk, name, year, village, sex, folded=name) for pk, name, year, village, sex in rows
    ]
    matches = dedup.likely_duplicates(cands, family)
    ids = {int(m.a) for m in matches} | {int(m.b) for m in matches}  # type: ignore[call-overload]
    decided = decided_pairs(ids)
    matches = [m for m in matches if frozenset((m.a, m.b)) not in decided][:limit]
    loaded = Person.objects.select_related("household", "household__village", "ethnic_group").in_bulk(
        [m.a for m in matches] + [m.b for m in matches]
    )
    return [
        DuplicatePair(loaded[m.a], loaded[m.b], m.score) for m in matches if m.a in loaded and m.b in loaded
    ]


def duplicate_candidates_for(p: Person) -> list[tuple[Person, float]]:
    """Stored likely duplicates of one person (for the person page)."""
    cand = dedup.Candidate(p.pk, p.full_name, p.birth_year, p.household.village_id, p.sex)
    matches = dedup.match_database([cand], exclude_ids={p.pk})
    decided = decided_pairs({p.pk})
    scores = {int(m.b): m.score for m in matches if frozenset((p.pk, m.b)) not in decided}  # type: ignore[call-overload]
    found = Person.objects.select_related("household", "household__village").in_bulk(list(scores))
    return sorted(((found[k], s) for k, s in scores.items() if k in found), key=lambda x: -x[1])


# --- one person's data (access request) -----------------------------------------------------------------


def person_data(p: Person) -> dict[str, Any]:
    """Everything held on one person: their record, household, poverty status, support received, merges,
    the history of their record, and who viewed or exported their data."""
    from django.contrib.contenttypes.models import ContentType

    h = p.household
    ct = ContentType.objects.get_for_model(Person)
    merges = PersonMerge.objects.filter(Q(kept=p) | Q(other=p)).order_by("at")
    history = AuditEntry.objects.filter(content_type=ct, object_id=str(p.pk)).order_by("at", "pk")
    access = AccessLog.objects.filter(subject__startswith=person_subject_prefix(p.pk)).select_related("user")
    return {
        "person": {
            "id": p.pk,
            "full_name": p.full_name,
            "sex": p.sex,
            "birth_date": _iso(p.birth_date),
            "birth_year": p.birth_year,
            "ethnic_group": p.ethnic_group.name,
            "ethnic_group_code": p.ethnic_group.code,
            "id_number": p.id_number,
            "relation": p.relation,
            "merged_into": p.merged_into_id,
            "created_at": _iso(p.created_at),
            "updated_at": _iso(p.updated_at),
        },
        "household": {
            "id": h.pk,
            "code": h.code,
            "village": h.village.full_name,
            "commune": h.village.parent.full_name if h.village.parent else "",
            "address": h.address,
            "phone": h.phone,
        },
        "poverty": [{"year": s.year, "status": s.status, "source": s.source} for s in poverty_history(h)],
        "support": [
            {
                "year": r.year,
                "program": r.component.program.code,
                "component": r.component.code,
                "kind": r.kind,
                "quantity": str(r.quantity),
                "measure": r.measure,
                "value_vnd": r.value_vnd,
                "note": r.note,
            }
            for r in household_support(h)
        ],
        "merges": [
            {"kept": m.kept_id, "other": m.other_id, "decision": m.decision, "at": _iso(m.at)} for m in merges
        ],
        "history": [
            {"at": _iso(e.at), "action": e.action, "changes": [list(c) for c in e.changes()]} for e in history
        ],
        "access_log": [
            {"at": _iso(a.at), "user": a.user.username, "action": a.action, "reason": a.reason}
            for a in access
        ],
    }


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def poverty_counts(user: Any, year: int) -> dict[str, int]:
    rows = scoped(PovertyStatus.objects.filter(year=year), user).values("status").annotate(n=Count("pk"))
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r["status"]] += r["n"]
    return dict(out)
